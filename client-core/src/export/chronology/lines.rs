//! The chronology's sentences and rows in plain words, shared by the HTML page
//! and the Markdown export: the summary, an entry's facts, its unsettled clashes
//! and its history. Text only; the page escapes and lays them out.

use std::fmt::Write;

use super::history::{self, Event};
use super::plain::{self, Names};
use crate::export::model::{ExportDocument, ExportEntry, ExportRevision};
use crate::journal::Journal;
use crate::words::uk_time::recorded;

/// "1 entry", "2 entries".
pub(super) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary at the top, as `(label, value)` rows.
pub(super) fn summary_rows(doc: &ExportDocument, names: &Names) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    let mut row = |label: &'static str, value: &str| rows.push((label, value.to_string()));
    row("Period covered", &super::period(doc));
    let deleted = doc.entries.iter().filter(|e| e.deleted).count();
    let mut entries = counted(doc.entries.len(), "entry", "entries");
    if deleted > 0 {
        let _ = write!(
            entries,
            ", of which {} deleted by the survivor and marked as such",
            deleted
        );
    }
    row("Entries", &entries);
    let people: Vec<String> = doc.people.iter().map(|p| names.person(&p.id)).collect();
    row(
        "People named",
        &if people.is_empty() {
            "None".to_string()
        } else {
            people.join("; ")
        },
    );
    let references: Vec<String> = doc
        .entries
        .iter()
        .flat_map(|e| {
            let on = plain::when(e.occurred_at.as_ref());
            e.police_references
                .iter()
                .map(move |r| format!("{r} ({on})"))
        })
        .collect();
    row(
        "Police references",
        &if references.is_empty() {
            "None recorded".to_string()
        } else {
            references.join("; ")
        },
    );
    let mut by_category: Vec<(&str, usize)> = Vec::new();
    for e in &doc.entries {
        for c in &e.categories {
            match by_category.iter_mut().find(|(s, _)| s == c) {
                Some((_, n)) => *n += 1,
                None => by_category.push((c.as_str(), 1)),
            }
        }
    }
    // In the order MyCase lists categories, so the same journal reads the same.
    by_category.sort_by_key(|(slug, _)| {
        doc.categories
            .iter()
            .position(|c| c.slug == *slug)
            .unwrap_or(usize::MAX)
    });
    let categories: Vec<String> = by_category
        .iter()
        .map(|(slug, n)| {
            format!(
                "{} ({})",
                names.category(slug),
                counted(*n, "entry", "entries")
            )
        })
        .collect();
    row(
        "Types of abuse",
        &if categories.is_empty() {
            "None recorded".to_string()
        } else {
            categories.join("; ")
        },
    );
    let files: usize = doc.entries.iter().map(|e| e.attachments.len()).sum();
    let shown = doc.presentation.photos_shown.len();
    let evidence = match (files, shown) {
        (0, _) => "No files attached".to_string(),
        (n, 0) => format!("{} attached", counted(n, "file", "files")),
        (n, s) => format!(
            "{} attached ({} shown in the entries)",
            counted(n, "file", "files"),
            counted(s, "photo", "photos")
        ),
    };
    row("Evidence", &evidence);
    let withheld = doc
        .entries
        .iter()
        .filter(|e| !e.withheld.is_empty())
        .count();
    if withheld > 0 {
        row(
            "Withheld",
            &format!(
                "The survivor withheld words from {} in this copy; each place reads {}",
                counted(withheld, "entry", "entries"),
                crate::evidence::withheld::WITHHELD_MARK
            ),
        );
    }
    rows
}

/// What the survivor withheld from an entry in this copy, in a sentence. A
/// field whose latest version shows no mark was withheld from an earlier
/// version only, which Appendix A shows.
pub(super) fn withheld_sentence(e: &ExportEntry) -> Option<String> {
    use crate::evidence::withheld::WITHHELD_MARK;
    if e.withheld.is_empty() {
        return None;
    }
    let what: Vec<String> = e
        .withheld
        .iter()
        .map(|w| {
            let (field, now) = match w.field.as_str() {
                "text" => ("what happened", Some(e.text.as_str())),
                "location" => ("where it happened", e.location.as_deref()),
                "title" => ("the title", e.title.as_deref()),
                "injuries" => ("the injuries", e.injuries.as_deref()),
                "impact" => ("the impact", e.impact.as_deref()),
                other => (other, None),
            };
            let version = if now.is_some_and(|t| t.contains(WITHHELD_MARK)) {
                field.to_string()
            } else {
                format!("an earlier version of {field} (Appendix A)")
            };
            if w.part {
                format!("part of {version}")
            } else {
                version
            }
        })
        .collect();
    Some(format!(
        "Withheld from this copy by the survivor: {}. Each place reads {WITHHELD_MARK}; the words \
         shown are proven by the records, and what was withheld is not in this document.",
        plain::listed(&what)
    ))
}

/// An entry's facts, as `(label, value)` rows; fields not recorded are left out.
pub(super) fn fact_rows(e: &ExportEntry, names: &Names) -> Vec<(&'static str, String)> {
    let people: Vec<String> = e.people.iter().map(|id| names.person(id)).collect();
    let categories: Vec<&str> = e.categories.iter().map(|c| names.category(c)).collect();
    let rows = [
        ("Where", e.location.clone().unwrap_or_default()),
        ("People involved", people.join("; ")),
        ("Injuries", e.injuries.clone().unwrap_or_default()),
        (
            if e.police_references.len() > 1 {
                "Police references"
            } else {
                "Police reference"
            },
            e.police_references.join("; "),
        ),
        ("Actions taken", e.actions_taken.join("; ")),
        ("Impact", e.impact.clone().unwrap_or_default()),
        ("Type of abuse", categories.join("; ")),
        (
            "Severity",
            e.severity.map(|s| format!("{s} of 5")).unwrap_or_default(),
        ),
        ("Tags", e.tags.join("; ")),
    ];
    rows.into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .collect()
}

/// A sentence for each field changed on two devices at once and not settled.
pub(super) fn conflict_sentences(e: &ExportEntry, names: &Names) -> Vec<String> {
    e.conflicts
        .iter()
        .map(|c| {
            let others: Vec<String> = c
                .others
                .iter()
                .map(|v| format!("“{}”", names.value(&c.field, v)))
                .collect();
            format!(
                "The {} was changed on two devices at the same time and the survivor has not yet \
                 settled which is right. This document shows “{}”; the other version: {}.",
                plain::field_label(&c.field),
                names.value(&c.field, &c.shown),
                others.join(", ")
            )
        })
        .collect()
}

/// An entry's history, one sentence per event, in the order recorded.
pub(super) fn history_lines(e: &ExportEntry, journal: &Journal, names: &Names) -> Vec<String> {
    let mut lines = Vec::new();
    for event in history::events(e, journal) {
        let line = match event {
            Event::Written(r) => format!(
                "Written down {} on {}.",
                recorded(r.recorded_at_ms),
                names.device(&r.provenance.device)
            ),
            Event::Changed(r) => format!(
                "Changed {} on {}: {}.",
                recorded(r.recorded_at_ms),
                names.device(&r.provenance.device),
                changed_fields(r)
            ),
            Event::Settled { clashing, settling } => {
                let mut devices: Vec<String> = Vec::new();
                for r in &clashing {
                    let name = names.device(&r.provenance.device);
                    if !devices.contains(&name) {
                        devices.push(name);
                    }
                }
                format!(
                    "Changed {} on {}: {}. Before this, it had been edited on {} at the same time, \
                     neither device having seen the other's edit; Appendix A lists each version.",
                    recorded(settling.recorded_at_ms),
                    names.device(&settling.provenance.device),
                    changed_fields(settling),
                    plain::listed(&devices)
                )
            }
            Event::Deleted(r) => format!(
                "Moved to the trash {} on {}.",
                recorded(r.recorded_at_ms),
                names.device(&r.provenance.device)
            ),
            Event::Restored(r) => format!(
                "Taken out of the trash {} on {}.",
                recorded(r.recorded_at_ms),
                names.device(&r.provenance.device)
            ),
            Event::FileAdded(i) => {
                let a = &e.attachments[i];
                format!(
                    "File {} added {} on {}.",
                    a.name,
                    recorded(a.recorded_at_ms),
                    names.device(&a.provenance.device)
                )
            }
        };
        lines.push(line);
    }
    lines
}

fn changed_fields(r: &ExportRevision) -> String {
    let labels: Vec<String> = history::fields_set(r)
        .into_iter()
        .map(|f| plain::field_label(f).to_string())
        .collect();
    if labels.is_empty() {
        "no field".to_string()
    } else {
        plain::listed(&labels)
    }
}
