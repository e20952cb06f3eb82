//! Carrying copies without location metadata in a share (pure): each photo
//! whose metadata says where it was taken is replaced, in the bundle only, by a
//! copy without it, and its manifest entry says so, naming the recorded
//! original's SHA-256 beside the copy's.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::contents::{LocationRemoved, Manifest};
use crate::photo_metadata::{may_hold_unread_location, strip_location, StripError, Stripped};

/// What was done to the attachments of a share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationReport {
    /// How many attachments are carried as copies without location metadata.
    pub copies: usize,
    /// The names of files that may record a place but whose kind MyCase does
    /// not read (HEIC, TIFF, videos, M4A audio): carried as they are.
    pub unread: Vec<String>,
}

/// A photo that records where it was taken, for which no copy could be made.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {source}")]
pub struct LocationError {
    /// The file name of the photo.
    pub name: String,
    /// Why no copy could be made.
    #[source]
    pub source: StripError,
}

/// Replaces each file with location metadata by a copy without it, and says
/// so in its manifest entry. `files` are the attachments' bytes in manifest
/// order (as [`super::contents::encode`] takes them). On an error nothing has
/// been changed that matters: the share is not made.
pub fn carry_copies_without_location(
    manifest: &mut Manifest,
    files: &mut [Zeroizing<Vec<u8>>],
) -> Result<LocationReport, LocationError> {
    let mut report = LocationReport::default();
    let attachments = manifest.entries.iter_mut().flat_map(|e| &mut e.attachments);
    for (attachment, bytes) in attachments.zip(files.iter_mut()) {
        match strip_location(bytes) {
            Ok(Stripped::Copy(copy)) => {
                attachment.location_removed = Some(LocationRemoved {
                    original_sha256: attachment.sha256.clone(),
                    original_size: attachment.size,
                    removed: copy
                        .removed
                        .iter()
                        .map(|r| r.describe().to_string())
                        .collect(),
                });
                attachment.sha256 = hex::encode(Sha256::digest(&copy.bytes[..]));
                attachment.size = copy.bytes.len() as u64;
                *bytes = copy.bytes;
                report.copies += 1;
            }
            Ok(Stripped::NoLocation) => {}
            Ok(Stripped::NotReadable) => {
                if may_hold_unread_location(&attachment.media_type) {
                    report.unread.push(attachment.name.clone());
                }
            }
            Err(source) => {
                return Err(LocationError {
                    name: attachment.name.clone(),
                    source,
                })
            }
        }
    }
    Ok(report)
}
