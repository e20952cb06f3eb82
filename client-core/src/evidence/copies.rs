//! Attachment files beside an export, and copies of them without location
//! metadata: what `mycase verify` can say of them, and no more.
//!
//! The signed records name each attachment's original SHA-256. A copy without
//! location metadata (`mycase export --strip-location`) has another checksum,
//! so it can never be shown to match the records: the verifier checks that the
//! document's note about it is consistent (it names an exported attachment and
//! that attachment's recorded checksum) and says plainly that the copy is not
//! the original and that what it was made from is the exporting device's word.

use std::collections::BTreeSet;

use serde::Serialize;

use super::verify::VerifyReport;
use crate::export::html::own_file_name;
use crate::export::model::{AttachmentCopy, ExportDocument};

/// A file `mycase export` writes beside the export, and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// The attachment the file is.
    pub attachment_id: String,
    /// Relative to the attachments folder: `<attachment id>/<file name>`.
    pub path: String,
    /// The SHA-256 (hex) the file must have.
    pub sha256: String,
    /// The copy without location metadata, if the file is one.
    pub copy: Option<AttachmentCopy>,
}

/// What was found of one such file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file, relative to the attachments folder.
    pub path: String,
    /// The attachment it should be.
    pub attachment_id: String,
    /// `original` (the recorded file) or `copy without location data`.
    pub kind: &'static str,
    /// `matches`, `differs` or `missing` (not written, or moved away).
    pub status: &'static str,
    /// For a copy: the recorded original's SHA-256, which the copy does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_sha256: Option<String>,
}

/// Whether `file` is `<attachment_id>/<one plain file name>`.
fn inside_its_folder(copy: &AttachmentCopy) -> bool {
    let Some((dir, name)) = copy.file.split_once('/') else {
        return false;
    };
    dir == copy.attachment_id
        && !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// Every attachment file the export names, original or copy.
pub fn attachment_files(doc: &ExportDocument) -> Vec<AttachmentFile> {
    let copies = crate::export::html::copies(doc);
    doc.entries
        .iter()
        .flat_map(|e| &e.attachments)
        // An id is 32 hex digits: a forged one must not name a path elsewhere.
        .filter(|a| {
            a.attachment_id.len() == 32 && a.attachment_id.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|a| match copies.get(a.attachment_id.as_str()) {
            Some(copy) if inside_its_folder(copy) => AttachmentFile {
                attachment_id: a.attachment_id.clone(),
                path: copy.file.clone(),
                sha256: copy.sha256.clone(),
                copy: Some((*copy).clone()),
            },
            _ => AttachmentFile {
                attachment_id: a.attachment_id.clone(),
                path: format!("{}/{}", a.attachment_id, own_file_name(&a.name)),
                sha256: a.sha256.clone(),
                copy: None,
            },
        })
        .collect()
}

/// Checks the document's copies against its attachments; each copy's entry is
/// told, as a limit, that its file is a copy and not the original.
pub(super) fn check_copies(doc: &ExportDocument, report: &mut VerifyReport) {
    let mut seen = BTreeSet::new();
    for copy in &doc.attachment_copies {
        let short = copy.attachment_id.get(..8).unwrap_or(&copy.attachment_id);
        if !seen.insert(copy.attachment_id.as_str()) {
            report
                .problems
                .push(format!("the export names two copies of attachment {short}"));
            continue;
        }
        let found = doc
            .entries
            .iter()
            .zip(report.entries.iter_mut())
            .find_map(|(e, r)| {
                e.attachments
                    .iter()
                    .find(|a| a.attachment_id == copy.attachment_id)
                    .map(|a| (a, r))
            });
        let Some((attachment, entry_report)) = found else {
            report.problems.push(format!(
                "the export names a copy of attachment {short}, which it does not list"
            ));
            continue;
        };
        if attachment.sha256 != copy.original_sha256 {
            entry_report.checks.problems.push(format!(
                "attachment {short}: the export says its copy was made from a file with SHA-256 {}, \
                 but the recorded original has SHA-256 {}",
                copy.original_sha256, attachment.sha256
            ));
            continue;
        }
        if !inside_its_folder(copy) {
            entry_report.checks.problems.push(format!(
                "attachment {short}: its copy is named at a path outside its attachments folder"
            ));
            continue;
        }
        entry_report.checks.limits.push(format!(
            "attachment {} is beside this export as a copy without location data (removed: {}): \
             {}, SHA-256 {}. It is not the recorded original (SHA-256 {}), so it cannot match the \
             records; that it was made from the original is the exporting device's word",
            attachment.name,
            copy.removed.join(", "),
            copy.file,
            copy.sha256,
            copy.original_sha256
        ));
    }
}

/// Checks the attachment files beside the export: `sha256_of(path)` gives a
/// file's SHA-256 (path relative to the attachments folder), or `None` if it is
/// not there. A file that is there and differs fails the report.
pub(super) fn check_files(
    doc: &ExportDocument,
    report: &mut VerifyReport,
    mut sha256_of: impl FnMut(&str) -> Option<[u8; 32]>,
) {
    for file in attachment_files(doc) {
        let status = match sha256_of(&file.path) {
            None => "missing",
            Some(found) if hex::encode(found) == file.sha256.to_ascii_lowercase() => "matches",
            Some(_) => "differs",
        };
        if status == "differs" {
            report.problems.push(format!(
                "the file {} beside the export is not the one the export names: its SHA-256 differs from {}",
                file.path, file.sha256
            ));
        }
        report.files.push(FileReport {
            path: file.path,
            attachment_id: file.attachment_id,
            kind: if file.copy.is_some() {
                "copy without location data"
            } else {
                "original"
            },
            status,
            original_sha256: file.copy.map(|c| c.original_sha256),
        });
    }
}
