//! That a PDF export's printed pages show exactly the chronology page inside
//! it, which the verifier has already checked against the records: the text
//! of every page, less the running header and the page number MyCase prints,
//! must be the page's painted text letter for letter (layout aside). A word
//! changed, added or taken out of the pages fails, naming the entry where it
//! can.

use lopdf::Document;

use super::verify::VerifyReport;
use crate::export::chronology::{self, PRINTED_FOOTER};
use crate::export::model::ExportDocument;
use crate::export::pdf::text::{letters, page_letters, painted_text, take_once};

/// What no check of a PDF's pages covers.
pub const PRINTED_PHOTOS_NOT_PROVEN: &str = "The photos as printed in a PDF's pages: the printer re-encodes them, so they are not compared. The photos in the page inside the PDF, and the files beside it, are checked against the records.";

/// Where `printed` first differs from `expected` (both as letters), in words.
fn first_difference(printed: &str, expected: &str) -> String {
    let at = printed
        .chars()
        .zip(expected.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let excerpt: String = printed.chars().skip(at).take(40).collect();
    let wanted: String = expected.chars().skip(at).take(40).collect();
    format!(
        "the PDF's printed pages do not show exactly the page inside it: after {at} matching letters \
         the pages read \"{excerpt}\" where the page reads \"{wanted}\"; what a reader of the pages sees \
         is not proven"
    )
}

/// What the printed pages of `pdf` show, as letters, less each page's header,
/// footer and number; and a problem for each page without them.
fn printed_body(pdf: &Document, doc: &ExportDocument) -> (String, Vec<String>) {
    let header = letters(&chronology::running_header(doc));
    let footer = letters(PRINTED_FOOTER);
    let pages = page_letters(pdf);
    let count = pages.len();
    let mut body = String::new();
    let mut problems = Vec::new();
    for (i, text) in pages.into_iter().enumerate() {
        let Some(mut text) = text else {
            problems.push(format!(
                "the text of page {} of the PDF cannot be read",
                i + 1
            ));
            continue;
        };
        let number = letters(&format!("Page {} of {count}", i + 1));
        let framed = take_once(&mut text, &header)
            & take_once(&mut text, &number)
            & take_once(&mut text, &footer);
        if !framed {
            problems.push(format!(
                "page {} of the PDF does not carry the header and page number MyCase prints",
                i + 1
            ));
        }
        body.push_str(&text);
    }
    (body, problems)
}

/// Whether the printed pages of `pdf` show exactly `page` (the chronology of
/// `doc`): what the exporting device checks before it writes a PDF, so that
/// what it hands over verifies.
pub fn shows_exactly(pdf: &Document, page: &str, doc: &ExportDocument) -> bool {
    let (body, problems) = printed_body(pdf, doc);
    problems.is_empty() && body == letters(&painted_text(page))
}

/// Checks the pages of `pdf` against `page` (the chronology inside it, of
/// `doc`); pushes what fails to `report`.
pub(super) fn check_printed(
    pdf: &Document,
    page: &str,
    doc: &ExportDocument,
    report: &mut VerifyReport,
) {
    report
        .not_proven
        .push(PRINTED_PHOTOS_NOT_PROVEN.to_string());
    let (body, problems) = printed_body(pdf, doc);
    report.problems.extend(problems);
    let expected = letters(&painted_text(page));
    if body == expected {
        return;
    }
    report.problems.push(first_difference(&body, &expected));
    // Name the entries whose text the pages do not show as the page does
    // (each article as the page has it, which the verifier has checked).
    for (entry, r) in doc.entries.iter().zip(report.entries.iter_mut()) {
        let Some(article) = article_in(page, &entry.id) else {
            continue;
        };
        if !body.contains(&letters(&painted_text(article))) {
            r.checks.unchanged = false;
            r.checks
                .problems
                .push("the PDF's printed pages do not show this entry as recorded".into());
        }
    }
}

/// The `<article>` of entry `id` in a chronology page.
fn article_in<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let open = format!("<article class=\"entry\" id=\"entry-{id}\">");
    let start = page.find(&open)?;
    let len = page.get(start..)?.find("</article>")? + "</article>".len();
    page.get(start..start + len)
}
