//! The plain-language chronology: the HTML page of export format v3, the
//! document an IDVA, a solicitor or a judge reads. Summary first, then the
//! entries in the order they happened in plain words (UK dates with their
//! precision, people by name and role, category names, photos shown), then
//! the patterns, then the appendices: every change after an entry was first
//! written (A) and the proof (B), and a closing page on how to check it.
//!
//! Like the v2 page (`export::html`), it is a deterministic rendering of the
//! embedded document: `mycase verify` verifies the document, renders this page
//! again from what the records prove (with the photos found in the page, each
//! checked against the file the records name) and requires the file to be
//! exactly that page. A page styled for print: A4, the period and the case
//! reference in the running header, page numbers in the footer.

mod history;
mod lines;
mod patterns;
mod plain;
mod proof;

use std::collections::BTreeMap;
use std::fmt::Write;

use super::html::{copies, embedded_json, escape, patterns_of, CSP, MANIFEST_CLOSE, MANIFEST_OPEN};
use super::model::{AttachmentCopy, ExportAttachment, ExportDocument, ExportEntry};
use crate::journal::Journal;
use crate::words::uk_time::recorded;

pub use plain::{draws_as_image, is_shown_inline, Names};

/// When an exported entry happened, as the chronology says it ("Sat 14 March
/// 2026, 21:30 GMT", "March 2026 (approximate)").
pub fn when_in_words(o: &super::model::ExportOccurred) -> String {
    plain::when(Some(o))
}

/// The photos a page shows: attachment id -> the bytes of the image shown (the
/// recorded file, or its copy without location data).
pub type Photos = BTreeMap<String, Vec<u8>>;

/// The largest photo a page shows inline; a larger one is listed only.
pub const MAX_INLINE_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// The `id` of the `<img>` showing an attachment.
pub fn photo_element_id(attachment_id: &str) -> String {
    format!("photo-{attachment_id}")
}

/// The printed page: A4, the running header, page numbers.
fn page_rules(header: &str) -> String {
    const BOX: &str = "font:8.5pt system-ui,sans-serif;color:#444";
    format!(
        "@page{{size:A4;margin:20mm 16mm 20mm 16mm;@top-left{{content:{};{BOX}}}@bottom-left{{content:{};{BOX}}}@bottom-right{{content:\"Page \" counter(page) \" of \" counter(pages);{BOX}}}}}",
        css_string(header),
        css_string(PRINTED_FOOTER)
    )
}

/// The page's style. Nothing in it adds text (no `text-transform`, no list
/// numbers, no table header repeated on each printed page): a PDF's text must
/// be the page's own, letter for letter (`export::pdf::text`).
const STYLE: &str = r#"
body{font-family:Georgia,"Times New Roman",serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5;font-size:12pt}
h1,h2,h3,h4{font-family:system-ui,sans-serif;line-height:1.25;color:#000}
h1{font-size:1.9rem;margin:.2rem 0 1rem}h2{font-size:1.35rem;margin-top:2rem}h3{font-size:1.1rem}h4{font-size:.95rem;margin:.8rem 0 .3rem}
.kicker{font-family:system-ui,sans-serif;letter-spacing:.06em;font-size:.8rem;color:#444;margin:0}
.cover{border-bottom:3px solid #000;padding-bottom:1rem}
dl.summary,dl.facts,dl.values{display:grid;grid-template-columns:11rem 1fr;gap:.25rem 1rem;margin:.6rem 0}
dl dt{font-family:system-ui,sans-serif;font-weight:600;font-size:.9rem}dl dd{margin:0}
.entry{border-top:1px solid #999;padding:.8rem 0 1rem;break-inside:avoid-page}
.entry h3{margin:.2rem 0 .5rem}.entry h3 .when{display:block;font-size:1rem;color:#222}
.text{white-space:pre-wrap;margin:.4rem 0 .6rem}
.deleted,.conflict{border-left:4px solid #7a0000;padding:.2rem .6rem;background:#fbeeee}
.evidence figure{margin:.6rem 0}.evidence img{max-width:100%;max-height:14cm;border:1px solid #999}
.evidence figcaption,.history,.entry-id,.files{font-family:system-ui,sans-serif;font-size:.85rem;color:#222}
.history{padding-left:1.2rem}.history li{margin:.15rem 0}
.entry-id{color:#444}
.hash,.path,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;word-break:break-all}
main,.appendix,.closing,.patterns{break-before:page}
h2,h3,h4{break-after:avoid-page}
thead{display:table-row-group}
.appendix table{border-collapse:collapse;width:100%;font-family:system-ui,sans-serif;font-size:.78rem}
.appendix td,.appendix th{border:1px solid #bbb;padding:.25rem .35rem;text-align:left;vertical-align:top}
.changes{break-inside:avoid-page;border-top:1px solid #bbb}.changes ol{list-style:none;padding-left:0}
.patterns svg{max-width:100%;height:auto}.patterns table{border-collapse:collapse}.patterns td,.patterns th{border:1px solid #ccc;padding:.2rem .4rem}
@media print{body{margin:0;max-width:none;font-size:10.5pt}a{color:inherit;text-decoration:none}}
"#;

/// A value as a CSS string literal: nothing in it can end the string, the
/// declaration or the `<style>` element.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' | '>' | '&' => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The period in words: "March 2026 to 24 April 2026".
fn period(doc: &ExportDocument) -> String {
    match plain::period(doc) {
        Some(period) => period,
        None if doc.entries.is_empty() => "no entries".to_string(),
        None => "no dates recorded".to_string(),
    }
}

/// What the footer of every printed page says, beside its page number
/// ("Page 2 of 11").
pub const PRINTED_FOOTER: &str = "MyCase chronology";

/// What the running header of every printed page says.
pub fn running_header(doc: &ExportDocument) -> String {
    let mut parts = vec![format!("Chronology, {}", period(doc))];
    if let Some(name) = &doc.presentation.name {
        parts.push(name.clone());
    }
    if let Some(reference) = &doc.presentation.case_reference {
        parts.push(format!("Case reference {reference}"));
    }
    parts.join(" · ")
}

fn summary(out: &mut String, doc: &ExportDocument, names: &Names) {
    out.push_str(r#"<h2 id="summary">Summary</h2><dl class="summary">"#);
    for (label, value) in lines::summary_rows(doc, names) {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(&value));
    }
    out.push_str("</dl>");
}

fn cover(out: &mut String, doc: &ExportDocument, names: &Names) {
    out.push_str(
        r#"<header class="cover"><p class="kicker">MyCase</p><h1>Chronology of incidents</h1>"#,
    );
    if let Some(name) = &doc.presentation.name {
        let _ = writeln!(out, "<p>Name: {}</p>", escape(name));
    }
    if let Some(reference) = &doc.presentation.case_reference {
        let _ = writeln!(out, "<p>Case reference: {}</p>", escape(reference));
    }
    summary(out, doc, names);
    let made = chrono::DateTime::parse_from_rfc3339(&doc.generated_at)
        .map(|t| recorded(t.timestamp_millis()))
        .unwrap_or_else(|_| doc.generated_at.clone());
    let _ = writeln!(
        out,
        "<p>Written by the survivor in their own MyCase journal; this document was made from it on {}. \
         Each entry says when it happened, in the survivor's words, and when it was written down. \
         Appendix A lists every change made to an entry after it was first written. \
         Appendix B is the proof that this document is what the survivor's devices recorded; \
         the last page says how anyone can check it.</p>",
        escape(&made)
    );
    if doc.presentation.name.is_some() || doc.presentation.case_reference.is_some() {
        out.push_str(
            "<p>The name and case reference above were added by the survivor when making this document; \
             they are not part of the records.</p>\n",
        );
    }
    out.push_str("</header>");
}

fn facts(out: &mut String, e: &ExportEntry, names: &Names) {
    out.push_str(r#"<dl class="facts">"#);
    for (label, value) in lines::fact_rows(e, names) {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(&value));
    }
    out.push_str("</dl>");
}

fn conflicts(out: &mut String, e: &ExportEntry, names: &Names) {
    for sentence in lines::conflict_sentences(e, names) {
        let _ = writeln!(out, "<p class=\"conflict\">{}</p>", escape(&sentence));
    }
}

/// Where a file is beside the export, and what it is.
fn file_item(
    out: &mut String,
    doc: &ExportDocument,
    a: &ExportAttachment,
    copy: Option<&&AttachmentCopy>,
) {
    let _ = write!(
        out,
        "<li><strong>{}</strong>, {}, {}. SHA-256 <span class=\"hash\">{}</span>.",
        escape(&a.name),
        escape(&plain::file_kind(&a.media_type)),
        escape(&plain::size(a.size)),
        escape(&a.sha256)
    );
    if let Some(folder) = &doc.presentation.attachments_folder {
        let path = match copy {
            Some(c) => c.file.clone(),
            None => format!(
                "{}/{}",
                a.attachment_id,
                super::html::own_file_name(&a.name)
            ),
        };
        let _ = write!(
            out,
            " Beside this document: <span class=\"path\">{}/{}</span>.",
            escape(folder),
            escape(&path)
        );
    }
    if let Some(c) = copy {
        let _ = write!(
            out,
            " The file beside this document is a copy without location data ({}), {}, SHA-256 \
             <span class=\"hash\">{}</span>; that it was made from the original is the exporting device's word.",
            escape(&c.removed.join(", ")),
            escape(&plain::size(c.size)),
            escape(&c.sha256)
        );
    }
    out.push_str("</li>\n");
}

fn evidence(out: &mut String, doc: &ExportDocument, e: &ExportEntry, photos: &Photos) {
    if e.attachments.is_empty() {
        return;
    }
    let copies = copies(doc);
    out.push_str(r#"<section class="evidence"><h4>Evidence</h4>"#);
    for a in &e.attachments {
        if !doc.presentation.photos_shown.contains(&a.attachment_id) {
            continue;
        }
        match photos.get(&a.attachment_id) {
            Some(bytes) => {
                let media_type = a.media_type.split(';').next().unwrap_or_default().trim();
                let _ = writeln!(
                    out,
                    "<figure><img id=\"{}\" alt=\"Photo {}, attached to this entry\" src=\"data:{};base64,{}\"><figcaption>{}</figcaption></figure>",
                    escape(&photo_element_id(&a.attachment_id)),
                    escape(&a.name),
                    escape(&media_type.to_ascii_lowercase()),
                    data_encoding::BASE64.encode(bytes),
                    escape(&a.name)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<p class=\"conflict\">The photo {} should be shown here and is missing from this page.</p>",
                    escape(&a.name)
                );
            }
        }
    }
    out.push_str(r#"<ul class="files">"#);
    for a in &e.attachments {
        file_item(out, doc, a, copies.get(a.attachment_id.as_str()));
    }
    out.push_str("</ul></section>");
}

fn history_list(out: &mut String, e: &ExportEntry, journal: &Journal, names: &Names) {
    out.push_str(r#"<ul class="history">"#);
    for line in lines::history_lines(e, journal, names) {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul>");
}

/// One entry as it appears in the chronology.
pub fn entry_article(
    doc: &ExportDocument,
    e: &ExportEntry,
    journal: &Journal,
    names: &Names,
    photos: &Photos,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<article class=\"entry\" id=\"entry-{}\"><h3><span class=\"when\">{}</span> {}{}</h3>",
        escape(&e.id),
        escape(&plain::when(e.occurred_at.as_ref())),
        if e.deleted { "Deleted: " } else { "" },
        escape(e.title.as_deref().unwrap_or("Untitled entry"))
    );
    if e.deleted {
        let when = e
            .deleted_at_ms
            .map(|ms| format!(" on {}", recorded(ms)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"deleted\">Deleted by the survivor{}. It is in this document because it was made to include deleted entries.</p>",
            escape(&when)
        );
    }
    let _ = writeln!(out, "<div class=\"text\">{}</div>", escape(&e.text));
    facts(&mut out, e, names);
    if let Some(sentence) = lines::withheld_sentence(e) {
        let _ = writeln!(
            out,
            "<p class=\"conflict withheld\">{}</p>",
            escape(&sentence)
        );
    }
    conflicts(&mut out, e, names);
    evidence(&mut out, doc, e, photos);
    history_list(&mut out, e, journal, names);
    let _ = writeln!(
        out,
        "<p class=\"entry-id\">Entry {}</p></article>",
        escape(&e.id)
    );
    out
}

/// The chronology as plain text (Markdown): the page's summary, entries,
/// histories and Appendix A in the same words, without the photos, the
/// patterns or the proof (the HTML, PDF and JSON exports carry those).
pub fn render_markdown(doc: &ExportDocument, journal: &Journal) -> String {
    let names = Names::of(doc);
    let copies = copies(doc);
    let mut out = String::from("# Chronology of incidents\n\n");
    if let Some(name) = &doc.presentation.name {
        let _ = writeln!(out, "Name: {name}  ");
    }
    if let Some(reference) = &doc.presentation.case_reference {
        let _ = writeln!(out, "Case reference: {reference}  ");
    }
    out.push_str("\n## Summary\n\n");
    for (label, value) in lines::summary_rows(doc, &names) {
        let _ = writeln!(out, "- {label}: {value}");
    }
    out.push_str(
        "\nWritten by the survivor in their own MyCase journal. Every earlier version of a \
         changed entry is in Appendix A at the end. This plain-text copy carries no proof: the HTML, PDF \
         and JSON exports carry the signed records, and `mycase verify` checks them.\n\n## Chronology\n",
    );
    if doc.entries.is_empty() {
        out.push_str("\nNo entries.\n");
    }
    for e in &doc.entries {
        let _ = writeln!(
            out,
            "\n### {} — {}{}\n",
            plain::when(e.occurred_at.as_ref()),
            if e.deleted { "Deleted: " } else { "" },
            e.title.as_deref().unwrap_or("Untitled entry")
        );
        let _ = writeln!(out, "{}\n", e.text);
        for (label, value) in lines::fact_rows(e, &names) {
            let _ = writeln!(out, "- {label}: {value}");
        }
        if let Some(sentence) = lines::withheld_sentence(e) {
            let _ = writeln!(out, "\n{sentence}");
        }
        for sentence in lines::conflict_sentences(e, &names) {
            let _ = writeln!(out, "\n> {sentence}");
        }
        if !e.attachments.is_empty() {
            out.push_str("\nEvidence:\n\n");
            for a in &e.attachments {
                let _ = writeln!(
                    out,
                    "- {}, {}, {}. SHA-256 `{}`.",
                    a.name,
                    plain::file_kind(&a.media_type),
                    plain::size(a.size),
                    a.sha256
                );
                if let Some(copy) = copies.get(a.attachment_id.as_str()) {
                    let _ = writeln!(out, "  {}", super::html::copy_note(copy));
                }
            }
        }
        out.push('\n');
        for line in lines::history_lines(e, journal, &names) {
            let _ = writeln!(out, "- {line}");
        }
        let _ = writeln!(out, "\nEntry {}", e.id);
    }
    proof::changes_appendix_markdown(&mut out, doc, journal, &names);
    out
}

/// The whole page for `doc`: its patterns figured (as of `doc.patterns_as_of`)
/// over the exported live entries as `journal` folds them, and `photos` shown
/// where `doc.presentation.photos_shown` says. The exporting device passes its
/// journal and the files it wrote, the verifier the journal of the disclosed
/// records and the images it found in the page and checked: both give the same
/// page for the same records.
pub fn render_page(doc: &ExportDocument, journal: &Journal, photos: &Photos) -> String {
    let names = Names::of(doc);
    let mut out = String::with_capacity(32 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><meta name=\"referrer\" content=\"no-referrer\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Chronology of incidents</title><style>{}{STYLE}</style></head><body>",
        page_rules(&running_header(doc))
    );
    cover(&mut out, doc, &names);
    out.push_str("<main><h2 id=\"chronology\">Chronology</h2>\n");
    if doc.entries.is_empty() {
        out.push_str("<p>No entries.</p>\n");
    }
    for e in &doc.entries {
        out.push_str(&entry_article(doc, e, journal, &names, photos));
    }
    out.push_str("</main>\n");
    if let Some(figured) = patterns_of(doc, journal) {
        out.push_str(&patterns::section(figured));
    }
    proof::changes_appendix(&mut out, doc, journal, &names);
    proof::proof_appendix(&mut out, doc, &names);
    proof::closing(&mut out, doc);
    let _ = writeln!(
        out,
        "{MANIFEST_OPEN}{}{MANIFEST_CLOSE}</body></html>",
        embedded_json(doc)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_typed_into_the_header_can_leave_its_css_string() {
        assert_eq!(css_string("Ref 12/34"), "\"Ref 12/34\"");
        let hostile = css_string("a\"}</style><script>x</script>\\\n");
        assert!(!hostile.contains("</style"));
        let inner = hostile[1..hostile.len() - 1]
            .replace("\\\\", "")
            .replace("\\\"", "");
        assert!(
            !inner.contains('"'),
            "an unescaped quote would end the string"
        );
        assert_eq!(
            hostile,
            "\"a\\\"}\\3c /style\\3e \\3c script\\3e x\\3c /script\\3e \\\\ \""
        );
    }
}
