//! What a reader sees, as letters: the text of a PDF's pages, and the text a
//! browser paints from a chronology page, each reduced to its letters (no
//! whitespace, ligatures spelt out) so that layout, line breaks and page
//! breaks do not count and every printed letter does.
//!
//! The chronology page is written for this: no text comes from CSS (no
//! `text-transform`, no list markers or generated content) except the printed
//! page's running header and footer, which are known and taken off each page.

use lopdf::Document;

/// `text` reduced to what is compared: no whitespace, ligatures as letters.
pub fn letters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_whitespace() => {}
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            // Soft hyphens and zero-width characters are not painted.
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The text each page of `doc` shows, in page order, as [`letters`]; `None`
/// for a page whose text cannot be read.
pub fn page_letters(doc: &Document) -> Vec<Option<String>> {
    doc.get_pages()
        .keys()
        .map(|&n| {
            super::guarded(|| Ok(doc.extract_text(&[n]).ok()))
                .ok()
                .flatten()
                .map(|t| letters(&t))
        })
        .collect()
}

/// Takes `part` (as letters) off `page` once; whether it was there.
pub fn take_once(page: &mut String, part: &str) -> bool {
    match page.find(part) {
        Some(at) => {
            page.replace_range(at..at + part.len(), "");
            true
        }
        None => false,
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text a browser paints from a page MyCase rendered: element content
/// outside `<head>`, `<script>` and `<style>`, without SVG `<title>`s (tooltips,
/// never painted), entities decoded. Written for MyCase's own pages, which the
/// verifier has already proven to be exactly what MyCase renders.
pub fn painted_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut hidden: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if hidden.is_none() {
            out.push_str(&unescape(&rest[..open]));
        }
        let Some(close) = rest[open..].find('>') else {
            return out;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match hidden {
            Some(until) if tag.starts_with('/') && name == until => hidden = None,
            Some(_) => {}
            None if !tag.starts_with('/') => {
                hidden = match name.as_str() {
                    "head" => Some("head"),
                    "script" => Some("script"),
                    "style" => Some("style"),
                    "title" => Some("title"),
                    _ => None,
                };
            }
            None => {}
        }
    }
    if hidden.is_none() {
        out.push_str(&unescape(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_does_not_count_and_ligatures_are_letters() {
        assert_eq!(letters("a \u{FB01}le\n of  11\u{00A0}x"), "afileof11x");
    }

    #[test]
    fn painted_text_leaves_out_what_is_never_painted() {
        let page = "<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body>\
                    <p>He said &quot;no&quot; &amp; left</p><svg><title>tip</title><text>Mar 2026</text></svg>\
                    <script type=\"application/json\">{\"x\":1}</script><p>end</p></body></html>";
        assert_eq!(painted_text(page), "He said \"no\" & leftMar 2026end");
    }

    #[test]
    fn a_part_is_taken_once() {
        let mut page = "HeaderPage1of2Body Header".to_string();
        assert!(take_once(&mut page, "Header"));
        assert_eq!(page, "Page1of2Body Header");
        assert!(!take_once(&mut page, "Footer"));
    }
}
