//! The HTML export: one self-contained file a solicitor or police officer can
//! read and print. No scripts and no external requests (a strict CSP says so);
//! the export document is embedded as inert JSON so `mycase verify` works on the
//! file itself.
//!
//! The page is a deterministic rendering of that document ([`render_page`]):
//! `mycase verify` verifies the document, renders it again and requires the file
//! to be exactly that page, byte for byte. So what a reader sees (no hidden
//! entry, no added paragraph, no other style) is what the records prove.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::model::{
    AttachmentCopy, ExportAttachment, ExportDocument, ExportEntry, ExportProvenance,
};
use crate::journal::Journal;

/// The id of the `<script type="application/json">` holding the document.
pub const MANIFEST_ELEMENT_ID: &str = "mycase-manifest";
pub(crate) const MANIFEST_OPEN: &str = r#"<script type="application/json" id="mycase-manifest">"#;
pub(crate) const MANIFEST_CLOSE: &str = "</script>";

/// No script runs, nothing is fetched; inline styles and data: images only.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                   base-uri 'none'; form-action 'none'";

const STYLE: &str = r#"
body{font-family:Georgia,"Times New Roman",serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1,h2,h3{font-family:system-ui,sans-serif;line-height:1.2}
.cover{border-bottom:2px solid #333;margin-bottom:2rem;padding-bottom:1rem}
.entry{border-top:1px solid #bbb;padding:1rem 0;page-break-inside:avoid;break-inside:avoid}
.entry h3{margin:.2rem 0}
.meta{font-family:system-ui,sans-serif;font-size:.85rem;color:#333}
.meta dt{font-weight:bold;float:left;clear:left;width:11rem}
.meta dd{margin-left:11.5rem}
.text{white-space:pre-wrap;margin:.6rem 0}
.deleted{color:#7a0000}
.history li,.attachments li{margin:.3rem 0}
.hash{font-family:ui-monospace,monospace;font-size:.75rem;word-break:break-all;color:#444}
.patterns svg{max-width:100%;height:auto}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem}
@media print{body{margin:0;max-width:none;font-size:11pt}.entry{page-break-inside:avoid}a{color:inherit;text-decoration:none}}
"#;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The document as JSON that cannot end its `<script>` element early.
pub(crate) fn embedded_json(doc: &ExportDocument) -> String {
    serde_json::to_string(doc)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The embedded export document of an HTML export, if the file has one.
pub fn extract_document(html: &str) -> Option<&str> {
    let start = html.find(MANIFEST_OPEN)? + MANIFEST_OPEN.len();
    let len = html.get(start..)?.find(MANIFEST_CLOSE)?;
    html.get(start..start + len)
}

fn provenance(p: &ExportProvenance) -> String {
    let received = p
        .received_at
        .as_deref()
        .map(|t| format!("received by the server {}", escape(t)))
        .unwrap_or_else(|| "no server receipt".to_string());
    format!(
        r#"<span class="hash">record {} · {}</span>"#,
        escape(&p.record_hash),
        received
    )
}

fn row(out: &mut String, label: &str, value: &str) {
    if !value.is_empty() {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
    }
}

fn attachment(a: &ExportAttachment, copy: Option<&AttachmentCopy>) -> String {
    let copy = copy
        .map(|c| format!("<br><strong>{}</strong>", escape(&copy_note(c))))
        .unwrap_or_default();
    format!(
        "<li>{} ({}, {} bytes), added {}<br>SHA-256 <span class=\"hash\">{}</span><br>{}{copy}</li>",
        escape(&a.name),
        escape(&a.media_type),
        a.size,
        escape(&a.recorded_at),
        escape(&a.sha256),
        provenance(&a.provenance)
    )
}

/// What a reader is told of a copy beside the export (the same words in the
/// HTML and Markdown exports).
pub fn copy_note(c: &AttachmentCopy) -> String {
    format!(
        "The file beside this export is a copy without location data (removed: {}), \
         not the recorded original above: {}, SHA-256 {}, {} bytes. That it was made \
         from the original is the exporting device's word.",
        c.removed.join(", "),
        c.file,
        c.sha256,
        c.size
    )
}

/// Attachment id -> its copy beside the export, from the document.
pub fn copies(doc: &ExportDocument) -> BTreeMap<&str, &AttachmentCopy> {
    doc.attachment_copies
        .iter()
        .map(|c| (c.attachment_id.as_str(), c))
        .collect()
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        }
        serde_json::Value::Object(o) => o
            .get("display")
            .map(value_text)
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

/// One entry as it appears on the page. `mycase verify` renders it again from
/// the verified document and requires the file to contain exactly this.
pub fn entry_article(
    e: &ExportEntry,
    names: &BTreeMap<String, String>,
    copies: &BTreeMap<&str, &AttachmentCopy>,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<article class="entry" id="entry-{}"><h3>{}{}</h3><dl class="meta">"#,
        escape(&e.id),
        escape(e.title.as_deref().unwrap_or("(no title)")),
        if e.deleted {
            r#" <span class="deleted">(deleted)</span>"#
        } else {
            ""
        }
    );
    row(
        &mut out,
        "When it happened",
        &e.occurred_at
            .as_ref()
            .map(|o| o.display.clone())
            .unwrap_or_else(|| "not given".into()),
    );
    row(&mut out, "When it was recorded", &e.recorded_at);
    row(&mut out, "Categories", &e.categories.join(", "));
    row(&mut out, "Tags", &e.tags.join(", "));
    row(
        &mut out,
        "Severity",
        &e.severity.map(|s| format!("{s} of 5")).unwrap_or_default(),
    );
    row(&mut out, "Location", e.location.as_deref().unwrap_or(""));
    let people: Vec<String> = e
        .people
        .iter()
        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
        .collect();
    row(&mut out, "People", &people.join(", "));
    row(&mut out, "Injuries", e.injuries.as_deref().unwrap_or(""));
    row(&mut out, "References", &e.police_references.join(", "));
    row(&mut out, "Actions taken", &e.actions_taken.join(", "));
    row(&mut out, "Impact", e.impact.as_deref().unwrap_or(""));
    row(&mut out, "Entry id", &e.id);
    out.push_str("</dl>");
    let _ = write!(out, r#"<div class="text">{}</div>"#, escape(&e.text));
    out.push_str(r#"<h4>History</h4><ol class="history">"#);
    for r in &e.history {
        let fields: Vec<String> = r
            .fields
            .iter()
            .map(|(k, v)| format!("{}: {}", escape(k), escape(&value_text(v))))
            .collect();
        let _ = write!(
            out,
            "<li>{} {}{}<br>{}</li>",
            escape(&r.kind),
            escape(&r.recorded_at),
            if fields.is_empty() {
                String::new()
            } else {
                format!("<br>{}", fields.join("<br>"))
            },
            provenance(&r.provenance)
        );
    }
    out.push_str("</ol>");
    if !e.attachments.is_empty() {
        out.push_str(r#"<h4>Attachments</h4><ul class="attachments">"#);
        for a in &e.attachments {
            out.push_str(&attachment(
                a,
                copies.get(a.attachment_id.as_str()).copied(),
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</article>");
    out
}

/// Person id -> name, from the document's people list.
pub fn person_names(doc: &ExportDocument) -> BTreeMap<String, String> {
    doc.people
        .iter()
        .filter_map(|p| p.name.clone().map(|n| (p.id.clone(), n)))
        .collect()
}

/// The whole page. `patterns_section` is the hook for the patterns section
/// (already rendered HTML: inline SVG charts and tables, escaped, no scripts);
/// `None` leaves it out.
pub fn render(doc: &ExportDocument, patterns_section: Option<&str>) -> String {
    let names = person_names(doc);
    let copies = copies(doc);
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CSP}"><meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1"><title>MyCase chronology</title><style>{STYLE}</style></head><body>"#
    );
    let range = match (&doc.first_day, &doc.last_day) {
        (Some(a), Some(b)) => format!("{} to {}", escape(a), escape(b)),
        _ => "no entries".into(),
    };
    let _ = write!(
        out,
        r#"<header class="cover"><h1>Chronology of recorded incidents</h1><p>Entries from {range}: {} in all.</p><p>Generated {} (by the exporting device's clock) from the survivor's own MyCase journal.</p><p class="meta">Each entry shows when it happened, when it was recorded, every later amendment with its time, and for each record its hash and the time the MyCase server received it. Anyone can check this file offline: <code>mycase verify FILE --server-key KEY</code>, with the key the server publishes. It checks that this page is exactly what the signed records say, entry by entry, and states what it cannot prove.</p></header>"#,
        doc.entries.len(),
        escape(&doc.generated_at)
    );
    if let Some(section) = patterns_section {
        out.push_str(section);
    }
    out.push_str(r#"<main><h2>Entries, in the order they happened</h2>"#);
    for e in &doc.entries {
        out.push_str(&entry_article(e, &names, &copies));
    }
    out.push_str("</main>");
    let _ = writeln!(
        out,
        "{MANIFEST_OPEN}{}{MANIFEST_CLOSE}</body></html>",
        embedded_json(doc)
    );
    out
}

/// The page for `doc` in the v2 layout, with its patterns section figured (as
/// of `doc.patterns_as_of`) over the exported live entries as `journal` folds
/// them. The exporting device passes its journal, the verifier the journal of
/// the disclosed records: both give the same page for the same records. Kept
/// unchanged for the v2 exports already made.
pub fn render_page(doc: &ExportDocument, journal: &Journal) -> String {
    render(doc, patterns_section(doc, journal).as_deref())
}

/// The patterns section of a v2 page (as of `doc.patterns_as_of`); `None`
/// when the document has no patterns day.
fn patterns_section(doc: &ExportDocument, journal: &Journal) -> Option<String> {
    patterns_of(doc, journal).map(|figured| match figured {
        Some(p) => crate::patterns::svg::html_section(&p),
        None => NO_PATTERNS_DAY.to_string(),
    })
}

pub(crate) const NO_PATTERNS_DAY: &str = r#"<section class="patterns"><p>No patterns: the date they are figured as of is not a date.</p></section>"#;

/// The patterns of the exported live entries as `journal` folds them, as of
/// `doc.patterns_as_of`: `None` when the document has no patterns day,
/// `Some(None)` when that day is not a date.
pub(crate) fn patterns_of(
    doc: &ExportDocument,
    journal: &Journal,
) -> Option<Option<crate::patterns::Patterns>> {
    let day = doc.patterns_as_of.as_deref()?;
    let Ok(today) = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
        return Some(None);
    };
    let ids: BTreeSet<&str> = doc.entries.iter().map(|e| e.id.as_str()).collect();
    let live: Vec<_> = journal
        .entries()
        .into_iter()
        .filter(|e| ids.contains(hex::encode(e.id).as_str()))
        .collect();
    let people: BTreeMap<String, String> = doc
        .people
        .iter()
        .map(|p| (p.id.clone(), p.name.clone().unwrap_or_else(|| p.id.clone())))
        .collect();
    Some(Some(crate::patterns::compute_over(&live, &people, today)))
}

/// The name an attachment file is written under beside an export (its own
/// name without any folder).
pub fn own_file_name(name: &str) -> String {
    std::path::Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into())
}
