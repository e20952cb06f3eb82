//! The Markdown export: the same chronology as plain text.

use std::fmt::Write;

use super::html::person_names;
use super::model::{ExportDocument, ExportProvenance};

fn provenance(p: &ExportProvenance) -> String {
    format!(
        "record `{}`, {}",
        p.record_hash,
        p.received_at
            .as_deref()
            .map(|t| format!("received by the server {t}"))
            .unwrap_or_else(|| "no server receipt".into())
    )
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

/// The chronology in Markdown.
pub fn render(doc: &ExportDocument) -> String {
    let names = person_names(doc);
    let copies = super::html::copies(doc);
    let mut out = String::new();
    let _ = writeln!(out, "# Chronology of recorded incidents\n");
    let _ = writeln!(
        out,
        "Entries from {} to {} ({} in all). Generated {}.\n",
        doc.first_day.as_deref().unwrap_or("-"),
        doc.last_day.as_deref().unwrap_or("-"),
        doc.entries.len(),
        doc.generated_at
    );
    for e in &doc.entries {
        let _ = writeln!(
            out,
            "## {}{}\n",
            e.title.as_deref().unwrap_or("(no title)"),
            if e.deleted { " (deleted)" } else { "" }
        );
        let when = e
            .occurred_at
            .as_ref()
            .map(|o| o.display.clone())
            .unwrap_or_else(|| "not given".into());
        let _ = writeln!(out, "- When it happened: {when}");
        let _ = writeln!(out, "- When it was recorded: {}", e.recorded_at);
        let people: Vec<String> = e
            .people
            .iter()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
        for (label, value) in [
            ("Categories", e.categories.join(", ")),
            ("Tags", e.tags.join(", ")),
            (
                "Severity",
                e.severity.map(|s| format!("{s} of 5")).unwrap_or_default(),
            ),
            ("Location", e.location.clone().unwrap_or_default()),
            ("People", people.join(", ")),
            ("Injuries", e.injuries.clone().unwrap_or_default()),
            ("References", e.police_references.join(", ")),
            ("Actions taken", e.actions_taken.join(", ")),
            ("Impact", e.impact.clone().unwrap_or_default()),
            ("Entry id", e.id.clone()),
        ] {
            if !value.is_empty() {
                let _ = writeln!(out, "- {label}: {value}");
            }
        }
        let _ = writeln!(out, "\n{}\n", e.text);
        let _ = writeln!(out, "History:\n");
        for r in &e.history {
            let _ = writeln!(
                out,
                "- {} {} ({})",
                r.kind,
                r.recorded_at,
                provenance(&r.provenance)
            );
            for (k, v) in &r.fields {
                let _ = writeln!(out, "  - {k}: {}", value_text(v));
            }
        }
        if !e.attachments.is_empty() {
            let _ = writeln!(out, "\nAttachments:\n");
            for a in &e.attachments {
                let _ = writeln!(
                    out,
                    "- {} ({}, {} bytes), added {}, SHA-256 `{}` ({})",
                    a.name,
                    a.media_type,
                    a.size,
                    a.recorded_at,
                    a.sha256,
                    provenance(&a.provenance)
                );
                if let Some(copy) = copies.get(a.attachment_id.as_str()) {
                    let _ = writeln!(out, "  - {}", super::html::copy_note(copy));
                }
            }
        }
        out.push('\n');
    }
    out
}
