//! Checking an export file: `verify`'s report, item by item, in plain types.
//! Needs no journal, passphrase or network, so these are free functions that
//! work while the app is locked or not set up at all.
//!
//! The words that say what a passing item proves, and the verdict, are here so
//! that `mycase verify` and the app say the same.

use std::path::Path;

use crate::evidence::copies::FileReport;
use crate::evidence::verify::{verify_export_bytes, Checks, VerifyInputError, VerifyReport};

use super::AppError;

/// What a passing entry is shown to be.
pub const ENTRY_HOLDS: &str =
    "unchanged since it was recorded, nothing it was written after left out";
/// What a passing person is shown to be.
pub const PERSON_HOLDS: &str = "name, role and notes as recorded";
/// What a passing device is shown to be.
pub const DEVICE_HOLDS: &str = "name and key as the record adding it says";

/// Which kind of thing an item of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedKind {
    /// An entry.
    Entry,
    /// A person on the people list.
    Person,
    /// A device that wrote records.
    Device,
}

impl VerifiedKind {
    /// "entry", "person" or "device".
    pub fn word(self) -> &'static str {
        match self {
            VerifiedKind::Entry => "entry",
            VerifiedKind::Person => "person",
            VerifiedKind::Device => "device",
        }
    }

    /// What a passing item of this kind is shown to be.
    pub fn holds(self) -> &'static str {
        match self {
            VerifiedKind::Entry => ENTRY_HOLDS,
            VerifiedKind::Person => PERSON_HOLDS,
            VerifiedKind::Device => DEVICE_HOLDS,
        }
    }
}

/// One entry, person or device of the export, and what holds of it.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedItem {
    /// What it is.
    pub kind: VerifiedKind,
    /// Its id (hex).
    pub id: String,
    /// For an entry: its title as the file gives it (shown to recognise it; the
    /// checks say whether it is as recorded).
    pub title: Option<String>,
    /// For an entry: when it happened, as the file gives it.
    pub when: Option<String>,
    /// Every check passed.
    pub ok: bool,
    /// The records fold to exactly what the file shows.
    pub unchanged: bool,
    /// Signed by a device the file's device records vouch for.
    pub signed: bool,
    /// Each record has a server receipt valid under the given key.
    pub received: bool,
    /// Nothing it was written after is left out.
    pub complete: bool,
    /// When the server received it ("first" or "first to last").
    pub received_when: String,
    /// What failed, in words.
    pub problems: Vec<String>,
    /// What holds only in a weaker form (not failures).
    pub limits: Vec<String>,
}

impl std::fmt::Debug for VerifiedItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedItem")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("ok", &self.ok)
            .finish_non_exhaustive()
    }
}

/// What an attachment file beside the export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedFileKind {
    /// The recorded original.
    Original,
    /// A copy without location data: not the original.
    CopyWithoutLocation,
}

/// What was found of an attachment file beside the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedFileStatus {
    /// It hashes to what the export names.
    Matches,
    /// It does not: it was changed.
    Differs,
    /// It is not there.
    Missing,
}

/// One attachment file beside the export.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedFile {
    /// Relative to the attachments folder.
    pub path: String,
    /// The attachment it should be (hex).
    pub attachment_id: String,
    /// Original or copy.
    pub kind: VerifiedFileKind,
    /// What was found.
    pub status: VerifiedFileStatus,
    /// For a copy: the recorded original's SHA-256, which the copy does not have.
    pub original_sha256: Option<String>,
}

/// The whole report on an export file.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyResult {
    /// Everything checked out.
    pub ok: bool,
    /// The export format the file says it is.
    pub format: String,
    /// Entries first, then people, then devices.
    pub items: Vec<VerifiedItem>,
    /// Attachment files beside the export, when a folder was looked at.
    pub files: Vec<VerifiedFile>,
    /// Problems with the document or page itself.
    pub problems: Vec<String>,
    /// What no export proves, however well it verifies.
    pub not_proven: Vec<String>,
    /// The verdict, in words (one or two sentences).
    pub verdict: Vec<String>,
}

impl std::fmt::Debug for VerifiedFile {
    // The path holds the attachment's file name: content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedFile")
            .field("attachment_id", &self.attachment_id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for VerifyResult {
    // Problems can quote the page: only the verdict's shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyResult")
            .field("ok", &self.ok)
            .field("format", &self.format)
            .field("items", &self.items)
            .field("files", &self.files)
            .field("problems", &self.problems.len())
            .finish_non_exhaustive()
    }
}

/// When the server received an item's records, in UK local time (a span when
/// several): what the CLI and the app show beside an item that verified.
pub fn received_when(c: &Checks) -> String {
    match (c.received_at.first(), c.received_at.last()) {
        (Some(first), Some(last)) if first != last => {
            format!("{} to {}", uk_time_of(first), uk_time_of(last))
        }
        (Some(first), _) => uk_time_of(first),
        _ => String::new(),
    }
}

/// A receipt time as the file gives it (RFC 3339, UTC) in UK local time with the
/// zone named, as every time a person reads; one this client cannot read as given.
fn uk_time_of(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| crate::words::uk_time::recorded(t.timestamp_millis()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The verdict lines of `report`: all verified, or what failed.
pub fn verdict(report: &VerifyReport) -> Vec<String> {
    if report.ok() {
        return vec![
            format!(
                "All {} verified.",
                plural(report.entries.len(), "entry", "entries")
            ),
            format!(
                "Also verified: {} and {} they involve.",
                plural(report.people.len(), "person", "people"),
                plural(report.devices.len(), "device", "devices")
            ),
        ];
    }
    let failed = report.entries.iter().filter(|e| !e.ok()).count();
    let others = report.people.iter().filter(|p| !p.checks.ok()).count()
        + report.devices.iter().filter(|d| !d.checks.ok()).count();
    vec![format!(
        "Verification FAILED: {failed} of {} entries{}{}.",
        report.entries.len(),
        if others > 0 {
            format!(
                ", {}",
                plural(others, "person or device", "people or devices")
            )
        } else {
            String::new()
        },
        if report.problems.is_empty() {
            ""
        } else {
            ", and the document itself"
        }
    )]
}

fn item(kind: VerifiedKind, id: &str, c: &Checks) -> VerifiedItem {
    VerifiedItem {
        kind,
        id: id.to_owned(),
        title: None,
        when: None,
        ok: c.ok(),
        unchanged: c.unchanged,
        signed: c.signed,
        received: c.received,
        complete: c.complete,
        received_when: received_when(c),
        problems: c.problems.clone(),
        limits: c.limits.clone(),
    }
}

fn file(f: &FileReport) -> VerifiedFile {
    VerifiedFile {
        path: f.path.clone(),
        attachment_id: f.attachment_id.clone(),
        kind: if f.kind == "original" {
            VerifiedFileKind::Original
        } else {
            VerifiedFileKind::CopyWithoutLocation
        },
        status: match f.status {
            "matches" => VerifiedFileStatus::Matches,
            "missing" => VerifiedFileStatus::Missing,
            _ => VerifiedFileStatus::Differs,
        },
        original_sha256: f.original_sha256.clone(),
    }
}

/// The server's receipt key from 64 hex digits, or which field is wrong.
pub fn parse_server_key(hex_key: &str) -> Result<[u8; 32], AppError> {
    hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            AppError::invalid(
                "server_key",
                "Give the server's public key as 64 hex digits (the server's operator can \
                 print it with `mycase-server public-key`)",
            )
        })
}

fn input_error(e: VerifyInputError) -> AppError {
    AppError::InvalidInput {
        field: Some("file".into()),
        reason: format!("That file cannot be checked: {e}"),
    }
}

/// Checks the export file `file` (the bytes of a `.json`, `.html` or `.pdf` export)
/// under the server key `server_key` (64 hex digits). Attachment files are not
/// looked at (a browser upload has none beside it).
pub fn verify_export(file: &[u8], server_key: &str) -> Result<VerifyResult, AppError> {
    verify_with(file, server_key, |_| None, false)
}

/// Checks the export at `path`, and the attachment files in
/// `path.attachments/` beside it, as `mycase verify` does.
pub fn verify_export_file(path: &Path, server_key: &str) -> Result<VerifyResult, AppError> {
    // A wrong key is said before anything is read.
    parse_server_key(server_key)?;
    let bytes = std::fs::read(path).map_err(|e| {
        AppError::invalid("file", format!("{} could not be read: {e}", path.display()))
    })?;
    let folder = crate::export::files::attachments_dir(path);
    verify_with(
        &bytes,
        server_key,
        |relative| sha256_in(&folder, relative),
        true,
    )
}

fn sha256_in(folder: &Path, relative: &str) -> Option<[u8; 32]> {
    let file = std::fs::File::open(folder.join(relative)).ok()?;
    crate::format::attachment::digest_reader(file)
        .ok()
        .map(|d| d.sha256)
}

fn verify_with(
    file: &[u8],
    server_key: &str,
    sha256_of: impl FnMut(&str) -> Option<[u8; 32]>,
    with_files: bool,
) -> Result<VerifyResult, AppError> {
    let key = parse_server_key(server_key)?;
    let (report, doc) = if with_files {
        verify_export_bytes(file, &key, sha256_of)
    } else {
        verify_export_bytes(file, &key, |_| None).map(|(mut r, d)| {
            // No folder was given: "missing" would say nothing true.
            r.files.clear();
            (r, d)
        })
    }
    .map_err(input_error)?;
    Ok(result_of(&report, &doc))
}

/// The plain report of `report` over the document `doc` it checked.
fn result_of(report: &VerifyReport, doc: &crate::export::ExportDocument) -> VerifyResult {
    let mut items: Vec<VerifiedItem> = Vec::new();
    for e in &report.entries {
        let mut it = item(VerifiedKind::Entry, &e.entry_id, &e.checks);
        if let Some(shown) = doc.entries.iter().find(|d| d.id == e.entry_id) {
            it.title = shown.title.clone();
            it.when = shown
                .occurred_at
                .as_ref()
                .map(crate::export::chronology::when_in_words);
        }
        items.push(it);
    }
    items.extend(
        report
            .people
            .iter()
            .map(|p| item(VerifiedKind::Person, &p.person_id, &p.checks)),
    );
    items.extend(
        report
            .devices
            .iter()
            .map(|d| item(VerifiedKind::Device, &d.device_id, &d.checks)),
    );
    VerifyResult {
        ok: report.ok(),
        format: report.format.clone(),
        items,
        files: report.files.iter().map(file).collect(),
        problems: report.problems.clone(),
        not_proven: report.not_proven.clone(),
        verdict: verdict(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_times_read_in_uk_time_never_utc() {
        assert_eq!(
            uk_time_of("2026-07-01T12:00:00.000Z"),
            "Wed 1 July 2026, 13:00 BST"
        );
        assert_eq!(
            uk_time_of("2026-12-02T05:00:49.360Z"),
            "Wed 2 December 2026, 05:00 GMT"
        );
        // What this client cannot read is shown as the file gives it.
        assert_eq!(uk_time_of("yesterday"), "yesterday");
    }
}
