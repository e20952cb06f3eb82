//! What the CLI prints: JSON shapes (serde) and the human-readable table.

use std::io::Write;

use anyhow::{Context, Result};
use mycase_core::journal::{occurred, EntryView, FieldValue, Journal};
use mycase_core::words::{dates, uk_time};
use mycase_core::DeviceStatus;
use serde::Serialize;
use serde_json::Value;

/// An entry as `list --json` and `show --json` print it.
#[derive(Debug, Serialize)]
pub struct EntryJson {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    pub occurred_at: Option<String>,
    /// `occurred_at` in words with its precision ("March 2026, approximate").
    pub occurred_at_words: Option<String>,
    pub recorded_at: String,
    /// `recorded_at` in UK local time with the zone named.
    pub recorded_at_uk: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub severity: Option<u32>,
    pub location: Option<String>,
    pub people: Vec<PersonRefJson>,
    pub injuries: Option<String>,
    pub police_references: Vec<String>,
    pub actions_taken: Vec<String>,
    pub impact: Option<String>,
    pub attachments: Vec<AttachmentJson>,
    pub deleted: bool,
    pub deleted_at: Option<String>,
    pub amended: bool,
    pub created_by: String,
    pub conflicts: Vec<ConflictJson>,
}

/// A person named in an entry: the id, and the name if the people list has it.
#[derive(Debug, Serialize)]
pub struct PersonRefJson {
    pub id: String,
    pub name: Option<String>,
}

/// One attachment of an entry.
#[derive(Debug, Serialize)]
pub struct AttachmentJson {
    pub attachment_id: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub added_at: String,
    pub added_by: String,
}

/// Concurrent values of one field that the survivor has not resolved.
#[derive(Debug, Serialize)]
pub struct ConflictJson {
    pub field: &'static str,
    pub shown: Value,
    pub others: Vec<Value>,
}

/// A value of a field as JSON: strings for text fields and dates, an array for categories.
pub fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Title(s)
        | FieldValue::Text(s)
        | FieldValue::Location(s)
        | FieldValue::Injuries(s)
        | FieldValue::Impact(s) => Value::String(s.clone()),
        FieldValue::OccurredAt(o) => Value::String(occurred::display(o)),
        FieldValue::Severity(n) => Value::from(*n),
        FieldValue::Categories(c)
        | FieldValue::Tags(c)
        | FieldValue::People(c)
        | FieldValue::PoliceReferences(c)
        | FieldValue::ActionsTaken(c) => {
            Value::Array(c.iter().cloned().map(Value::String).collect())
        }
    }
}

/// A field value as one line of text, for the human-readable output.
pub fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Title(s)
        | FieldValue::Text(s)
        | FieldValue::Location(s)
        | FieldValue::Injuries(s)
        | FieldValue::Impact(s) => s.clone(),
        FieldValue::OccurredAt(o) => dates::read_back(o),
        FieldValue::Severity(n) => n.to_string(),
        FieldValue::Categories(c)
        | FieldValue::Tags(c)
        | FieldValue::People(c)
        | FieldValue::PoliceReferences(c)
        | FieldValue::ActionsTaken(c) => c.join(", "),
    }
}

/// The name of a person id (32 hex digits) from the people list, if known.
pub fn person_name(journal: &Journal, id_hex: &str) -> Option<String> {
    let id = hex::decode(id_hex).ok()?.try_into().ok()?;
    journal.person(&id)?.name
}

impl EntryJson {
    pub fn from_view(e: &EntryView, journal: &Journal) -> Self {
        EntryJson {
            id: hex::encode(e.id),
            title: e.title.clone(),
            text: e.text.clone(),
            occurred_at: e.occurred_at.as_ref().map(occurred::display),
            occurred_at_words: e.occurred_at.as_ref().map(dates::read_back),
            recorded_at: rfc3339(e.recorded_at_ms),
            recorded_at_uk: uk_time(e.recorded_at_ms),
            categories: e.categories.clone(),
            tags: e.tags.clone(),
            severity: e.severity,
            location: e.location.clone(),
            people: e
                .people
                .iter()
                .map(|id| PersonRefJson {
                    id: id.clone(),
                    name: person_name(journal, id),
                })
                .collect(),
            injuries: e.injuries.clone(),
            police_references: e.police_references.clone(),
            actions_taken: e.actions_taken.clone(),
            impact: e.impact.clone(),
            attachments: e
                .attachments
                .iter()
                .map(|a| AttachmentJson {
                    attachment_id: hex::encode(a.attachment_id),
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: hex::encode(&a.sha256),
                    added_at: rfc3339(a.recorded_at_ms),
                    added_by: hex::encode(a.added_by.device),
                })
                .collect(),
            deleted: e.deleted,
            deleted_at: e.deleted_at_ms.map(rfc3339),
            amended: e.amended,
            created_by: hex::encode(e.created_by),
            conflicts: e
                .conflicts
                .iter()
                .map(|c| ConflictJson {
                    field: c.field.as_str(),
                    shown: field_value(&c.shown),
                    others: c.others.iter().map(|o| field_value(&o.value)).collect(),
                })
                .collect(),
        }
    }
}

/// A device as `devices --json` prints it.
#[derive(Debug, Serialize)]
pub struct DeviceJson {
    pub device_id: String,
    pub name: Option<String>,
    pub added_at: Option<String>,
    pub registered_at: Option<String>,
    pub this_device: bool,
    pub trusted: bool,
    pub on_server: bool,
    pub revoked: bool,
    /// When the server last saw the device (to the hour).
    pub last_seen: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub added_by: Option<String>,
    pub set_up_with_recovery_kit: bool,
    /// Two key pairs claim this device id.
    pub contested: bool,
    pub key_change_attempts: usize,
    /// Not applied from this record on, and why (the last sync).
    pub quarantined_from: Option<u64>,
    pub quarantine_reason: Option<String>,
}

fn unix_secs_rfc3339(secs: u64) -> Option<String> {
    i64::try_from(secs)
        .ok()
        .map(|s| rfc3339(s.saturating_mul(1000)))
}

impl DeviceJson {
    pub fn from_status(d: &DeviceStatus) -> Self {
        DeviceJson {
            device_id: hex::encode(d.device_id),
            name: d.name.clone(),
            added_at: d.added_at_ms.map(rfc3339),
            registered_at: d
                .registered_at_unix
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| rfc3339(s.saturating_mul(1000))),
            this_device: d.this_device,
            trusted: d.trusted,
            on_server: d.on_server,
            revoked: d.revoked,
            last_seen: d.last_seen_unix.and_then(unix_secs_rfc3339),
            revoked_at: d.revoked_at_ms.map(rfc3339),
            revoked_by: d.revoked_by.map(hex::encode),
            added_by: d.added_by.map(hex::encode),
            set_up_with_recovery_kit: d.set_up_with_kit,
            contested: d.contested,
            key_change_attempts: d.key_change_attempts,
            quarantined_from: d.quarantined.as_ref().map(|(idx, _)| *idx),
            quarantine_reason: d.quarantined.as_ref().map(|(_, why)| why.clone()),
        }
    }
}

/// Unix milliseconds as RFC 3339 in UTC (`2026-03-14T21:30:00.000Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// Unix milliseconds in UK local time with the zone named, for people to read
/// (`Sat 14 March 2026, 21:30 GMT`); JSON keeps [`rfc3339`].
pub fn uk_time(ms: i64) -> String {
    uk_time::recorded(ms)
}

/// When something happened, in words with its precision ("Sat 14 March 2026,
/// 21:30", "March 2026, approximate"), or `missing` if it was not given.
pub fn occurred_words(e: &EntryView, missing: &str) -> String {
    e.occurred_at
        .as_ref()
        .map(dates::read_back)
        .unwrap_or_else(|| missing.to_string())
}

/// Prints one JSON value on one line and flushes, so a reader sees it at once.
/// Strings keep their exact values, but characters a terminal would act on are
/// written as `\uXXXX` escapes (serde_json escapes C0 controls itself, not C1 or
/// bidi controls), so the JSON is safe to look at too.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let line = escape_json_for_terminal(
        &serde_json::to_string(value).context("could not encode the output as JSON")?,
    );
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").context("could not write to standard output")?;
    out.flush().context("could not write to standard output")?;
    Ok(())
}

/// Rewrites the characters [`is_unsafe_for_terminal`] flags as JSON escapes. They
/// can only occur inside strings (serde_json writes nothing else raw but ASCII),
/// and `\uXXXX` there decodes to the same string. All flagged characters are in
/// the Basic Multilingual Plane, so one escape each suffices.
fn escape_json_for_terminal(json: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe_for_terminal(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a line of text and flushes. The text is cleaned with [`clean_text`]:
/// entries, names and messages from other devices, files and the server pass
/// through here, and none of them may drive the terminal.
pub fn print_line(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", clean_text(text)).context("could not write to standard output")?;
    out.flush().context("could not write to standard output")?;
    Ok(())
}

/// Writes text to standard output as it is, cleaned like [`print_line`] but with
/// no line added (a long chronology).
pub fn print_text(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(clean_text(text).as_bytes())
        .and_then(|()| out.flush())
        .context("could not write to standard output")
}

/// A message on standard error (warnings, prompts, notices), cleaned like
/// [`print_line`]. Errors writing to stderr are ignored: there is nowhere left to
/// report them.
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", clean_text(text)).and_then(|()| err.flush());
}

/// `eprintln!` through `output::eprint_line`: `crate::say!("warning: {e:#}")`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::eprint_line(&format!($($arg)*))
    };
}

/// Renders rows as a left-aligned table with a header, padding by characters.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let render = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let mut line = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.trim_end().to_string()
    };
    let mut out = render(&mut header.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&render(&mut row.iter().map(String::as_str)));
    }
    out
}

/// Whether `c` can change what a terminal shows beyond itself: C0 and C1 controls
/// (ESC starts colour, cursor, clear-screen and OSC sequences such as OSC 52, which
/// writes the clipboard; C1 CSI/OSC do the same in one byte), DEL, and the Unicode
/// bidirectional and invisible formatting characters that reorder or hide text
/// ("Statement\u{202E}fdp.exe" shows as "Statementexe.pdf").
fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' // Arabic letter mark
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        )
}

/// Untrusted text made safe to print on one line: every control or formatting
/// character becomes a visible `�` (a line break becomes a space), so nothing from
/// another device, a file or the server can move the cursor, clear the screen,
/// write the clipboard or reorder what the survivor reads. Used for everything the
/// CLI prints that it did not write itself.
pub fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_unsafe_for_terminal(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Like [`clean_line`], but keeps line breaks and tabs (an entry's text).
pub fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if is_unsafe_for_terminal(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Cuts `s` to at most `max` characters (adding `…`), on one line, cleaned like
/// [`clean_line`].
pub fn truncate(s: &str, max: usize) -> String {
    let one_line = clean_line(s);
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["id", "title"],
            &[
                vec!["abcd".into(), "x".into()],
                vec!["e".into(), "yy".into()],
            ],
        );
        assert_eq!(t, "id    title\nabcd  x\ne     yy");
    }

    #[test]
    fn terminal_sequences_and_bidi_controls_are_neutralised() {
        let clear = "Door\u{1b}[2J\u{1b}[H";
        let clipboard = "x\u{1b}]52;c;ZXZpbA==\u{7}y";
        let c1 = "a\u{9b}2Jb\u{9d}52;c;AA\u{9c}";
        let bidi = "Statement\u{202E}fdp.exe";
        for s in [clear, clipboard, c1, bidi] {
            for out in [clean_line(s), clean_text(s), truncate(s, 100)] {
                assert!(
                    !out.chars().any(is_unsafe_for_terminal),
                    "{out:?} still carries a control"
                );
            }
        }
        assert_eq!(clean_line(clear), "Door\u{FFFD}[2J\u{FFFD}[H");
        assert_eq!(clean_line(bidi), "Statement\u{FFFD}fdp.exe");
        assert_eq!(clean_line("a\nb"), "a b");
        assert_eq!(clean_text("a\nb\r\tc"), "a\nb\u{FFFD}\tc");
        assert_eq!(clean_line("Café — ok"), "Café — ok");
    }

    #[test]
    fn json_escapes_keep_the_value_and_hide_the_controls() {
        let value = serde_json::json!({ "name": "a\u{9b}2J\u{202E}b\u{1b}[0m" });
        let line = escape_json_for_terminal(&serde_json::to_string(&value).unwrap());
        assert!(!line.chars().any(is_unsafe_for_terminal), "{line:?}");
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn truncate_keeps_one_line() {
        assert_eq!(truncate("a\nb", 10), "a b");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    }
}
