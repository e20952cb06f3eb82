//! The back of the chronology: Appendix A (every version of every changed
//! entry), Appendix B (which record proves what, and the devices that signed
//! them) and the closing page (how anyone checks the document, and what that
//! check cannot prove).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::history::{self, fields_set};
use super::plain::{self, Names};
use crate::evidence::verify::NOT_PROVEN;
use crate::export::html::escape;
use crate::export::model::{ExportDocument, ExportEntry, ExportProvenance, ExportRevision};
use crate::journal::Journal;
use crate::words::uk_time::recorded;

fn entry_heading(e: &ExportEntry) -> String {
    format!(
        "{} — {}",
        plain::when(e.occurred_at.as_ref()),
        e.title.as_deref().unwrap_or("Untitled entry")
    )
}

/// The fields a revision set, as `(heading, value)` rows in page order.
fn value_rows(r: &ExportRevision, names: &Names) -> Vec<(String, String)> {
    fields_set(r)
        .into_iter()
        .filter_map(|f| {
            r.fields
                .get(f)
                .map(|v| (plain::field_heading(f), names.value(f, v)))
        })
        .collect()
}

fn values(out: &mut String, r: &ExportRevision, names: &Names) {
    let rows = value_rows(r, names);
    if rows.is_empty() {
        return;
    }
    out.push_str(r#"<dl class="values">"#);
    for (heading, value) in rows {
        let _ = writeln!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&heading),
            escape(&value)
        );
    }
    out.push_str("</dl>");
}

/// Appendix A as plain text (Markdown), in the page's words.
pub(super) fn changes_appendix_markdown(
    out: &mut String,
    doc: &ExportDocument,
    journal: &Journal,
    names: &Names,
) {
    out.push_str("\n## Appendix A. Changes after an entry was first written\n");
    let changed: Vec<&ExportEntry> = doc.entries.iter().filter(|e| e.history.len() > 1).collect();
    if changed.is_empty() {
        out.push_str("\nNo entry was changed after it was first written.\n");
    }
    for e in changed {
        let settled = history::settlements(e, journal);
        let _ = writeln!(out, "\n### {}\n\nEntry {}", entry_heading(e), e.id);
        for (i, r) in e.history.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n{}. {}\n",
                i + 1,
                version_line(e, i, &settled, journal, names)
            );
            for (heading, value) in value_rows(r, names) {
                let _ = writeln!(out, "   - {heading}: {value}");
            }
        }
    }
}

fn version_line(
    e: &ExportEntry,
    i: usize,
    settled: &BTreeMap<usize, Vec<usize>>,
    journal: &Journal,
    names: &Names,
) -> String {
    let r = &e.history[i];
    let at = format!(
        "{} on {}",
        recorded(r.recorded_at_ms),
        names.device(&r.provenance.device)
    );
    match r.kind.as_str() {
        "created" => format!("As first written, {at}:"),
        "deleted" => format!("Moved to the trash {at}."),
        "restored" => format!("Taken out of the trash {at}."),
        _ => {
            if settled.contains_key(&i) {
                return format!(
                    "Changed {at}, after seeing the edits made at the same time above; this settled them:"
                );
            }
            let group = settled.values().find(|g| g.contains(&i));
            match group {
                Some(group) => {
                    let mut others: Vec<String> = Vec::new();
                    for &g in group.iter().filter(|&&g| g != i) {
                        let other = &e.history[g];
                        if history::concurrent(journal, r, other) {
                            let name = names.device(&other.provenance.device);
                            if !others.contains(&name) {
                                others.push(name);
                            }
                        }
                    }
                    format!(
                        "Changed {at}, at the same time as the edit on {} (neither device had seen the other's):",
                        plain::listed(&others)
                    )
                }
                None => format!("Changed {at}:"),
            }
        }
    }
}

/// Appendix A: every version of each entry that changed after it was written.
pub(super) fn changes_appendix(
    out: &mut String,
    doc: &ExportDocument,
    journal: &Journal,
    names: &Names,
) {
    out.push_str(
        "<section class=\"appendix\" id=\"appendix-a\"><h2>Appendix A. Changes after an entry was first written</h2>\n\
         <p>Every version of each entry that was changed, moved to the trash or taken out of it, oldest first, \
         as each device recorded it. The chronology shows the latest version.</p>\n",
    );
    let changed: Vec<&ExportEntry> = doc.entries.iter().filter(|e| e.history.len() > 1).collect();
    if changed.is_empty() {
        out.push_str("<p>No entry was changed after it was first written.</p>\n");
    }
    for e in changed {
        let settled = history::settlements(e, journal);
        let _ = writeln!(
            out,
            "<section class=\"changes\"><h3>{}</h3><p class=\"entry-id\">Entry {}</p><ol>",
            escape(&entry_heading(e)),
            escape(&e.id)
        );
        for (i, r) in e.history.iter().enumerate() {
            // The number is text, not a list marker: a PDF's text must be
            // the page's own (see `export::pdf::text`).
            let _ = write!(
                out,
                "<li><p>{}. {}</p>",
                i + 1,
                escape(&version_line(e, i, &settled, journal, names))
            );
            values(out, r, names);
            out.push_str("</li>\n");
        }
        out.push_str("</ol></section>\n");
    }
    out.push_str("</section>\n");
}

fn rfc3339_words(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| recorded(t.timestamp_millis()))
        .unwrap_or_else(|_| at.to_string())
}

fn received(p: &ExportProvenance) -> String {
    p.received_at_ms
        .and_then(|ms| i64::try_from(ms).ok())
        .map(recorded)
        .unwrap_or_else(|| "No receipt".to_string())
}

fn record_cell(p: &ExportProvenance) -> String {
    format!(
        "<span class=\"hash\">{}:{} {}</span>",
        escape(p.device.get(..8).unwrap_or(&p.device)),
        p.idx,
        escape(&p.record_hash)
    )
}

fn record_row(out: &mut String, what: &str, at_ms: i64, p: &ExportProvenance, names: &Names) {
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{} on {}</td><td>{}</td><td>{}</td></tr>",
        escape(what),
        escape(&recorded(at_ms)),
        escape(&names.device(&p.device)),
        escape(&received(&p.clone())),
        record_cell(p)
    );
}

const RECORD_TABLE_HEAD: &str = "<table><thead><tr><th>What it records</th><th>Written</th><th>Received by the server</th><th>Record (device:place, hash)</th></tr></thead><tbody>\n";

/// Appendix B: the records behind each entry, person and device.
pub(super) fn proof_appendix(out: &mut String, doc: &ExportDocument, names: &Names) {
    out.push_str(
        "<section class=\"appendix\" id=\"appendix-b\"><h2>Appendix B. The proof</h2>\n\
         <p>Everything in this document comes from records that the survivor's devices sealed and signed and \
         that the MyCase server received and signed a receipt for. The records themselves are inside this file, \
         for the check described on the last page; this appendix names each one: the device that wrote it, \
         its place in that device's log, and its SHA-256 hash, which identifies it exactly.</p>\n\
         <h3>Devices</h3>\n<table><thead><tr><th>Device</th><th>Added</th><th>Added by</th><th>Signing key</th></tr></thead><tbody>\n",
    );
    for d in &doc.devices {
        let added_by = if d.added_by == d.device_id || d.added_by.is_empty() {
            "itself (the journal's first device, or one set up from the recovery kit)".to_string()
        } else {
            names.device(&d.added_by)
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><span class=\"hash\">{}</span></td></tr>",
            escape(&names.device(&d.device_id)),
            escape(&rfc3339_words(&d.added_at)),
            escape(&added_by),
            escape(&d.sign_public_key)
        );
    }
    out.push_str("</tbody></table>\n<h3>Records of the entries</h3>\n");
    if doc.entries.is_empty() {
        out.push_str("<p>No entries.</p>\n");
    }
    for e in &doc.entries {
        let _ = writeln!(
            out,
            "<h4>{} (entry {})</h4>",
            escape(&entry_heading(e)),
            escape(e.id.get(..8).unwrap_or(&e.id))
        );
        out.push_str(RECORD_TABLE_HEAD);
        for r in &e.history {
            let what = match r.kind.as_str() {
                "created" => "Written down".to_string(),
                "deleted" => "Moved to the trash".to_string(),
                "restored" => "Taken out of the trash".to_string(),
                _ => {
                    let labels: Vec<String> = fields_set(r)
                        .into_iter()
                        .map(|f| plain::field_label(f).to_string())
                        .collect();
                    format!("Changed: {}", plain::listed(&labels))
                }
            };
            record_row(out, &what, r.recorded_at_ms, &r.provenance, names);
        }
        for a in &e.attachments {
            record_row(
                out,
                &format!("File added: {}", a.name),
                a.recorded_at_ms,
                &a.provenance,
                names,
            );
        }
        out.push_str("</tbody></table>\n");
    }
    if !doc.people.is_empty() {
        out.push_str("<h3>Records of the people</h3>\n<table><thead><tr><th>Person</th><th>Received by the server</th><th>Record (device:place, hash)</th></tr></thead><tbody>\n");
        for p in &doc.people {
            for op in doc
                .manifest
                .person_operations
                .iter()
                .filter(|o| o.person_id == p.id)
            {
                let proof = &op.proof;
                let at = proof
                    .receipt
                    .as_ref()
                    .and_then(|r| i64::try_from(r.server_time_ms).ok())
                    .map(recorded)
                    .unwrap_or_else(|| "No receipt".to_string());
                let _ =
                    writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td><span class=\"hash\">{}:{} {}</span></td></tr>",
                    escape(&names.person(&p.id)),
                    escape(&at),
                    escape(proof.record.device_id.get(..8).unwrap_or(&proof.record.device_id)),
                    proof.record.idx,
                    escape(&proof.record_hash)
                );
            }
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}

/// The closing page: how to check the document, and what the check cannot prove.
pub(super) fn closing(out: &mut String, doc: &ExportDocument) {
    out.push_str(
        "<section class=\"closing\" id=\"how-to-check\"><h2>How to check this document</h2>\n\
         <p>This document carries the signed records it was made from. Anyone can check it offline, without the \
         survivor's devices, passphrase or journal, with the free MyCase program:</p>\n\
         <p><code>mycase verify FILE --server-key KEY</code></p>\n\
         <p>FILE is this document. KEY is the public key of the MyCase server that received the records: the \
         organisation that runs that server publishes it (its operator prints it with \
         <code>mycase-server public-key</code>). Take the key from them, not from this document.</p>\n",
    );
    match &doc.manifest.server_key {
        Some(key) => {
            let _ = writeln!(
                out,
                "<p>The device that made this document trusted this server key: <span class=\"hash\">{}</span>. \
                 If the key the organisation publishes is different, the check fails.</p>",
                escape(key)
            );
        }
        None => out.push_str(
            "<p>The device that made this document had not yet learnt the server's key (it had not synced), \
             so its records have no receipts to check.</p>\n",
        ),
    }
    out.push_str(
        "<p>The check confirms, entry by entry, that the text, dates, people, changes and files listed here are \
         exactly what the survivor's devices recorded and signed, that the server held each record by the time \
         given in Appendix B, and that no earlier change to an entry in this document was left out. The files \
         beside this document, if it has them, are checked against their SHA-256. It names any entry, person, \
         device or file that does not check out.</p>\n<h3>What the check cannot prove</h3>\n<ul>",
    );
    for limit in NOT_PROVEN {
        let _ = writeln!(out, "<li>{}</li>", escape(limit));
    }
    out.push_str("</ul></section>\n");
}
