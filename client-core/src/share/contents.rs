//! What a share bundle's body holds, once decrypted.
//!
//! ```text
//! padded contents = Padmé framing (crate::crypto::padme): len u32be || contents || zeros
//! contents        = manifest_len (u32 big-endian) || manifest (UTF-8 JSON)
//!                   || the attachments' bytes, one after another
//! ```
//!
//! The manifest ([`Manifest`]) lists the shared entries in the order they happened,
//! each with its fields as the survivor sees them (people's names, categories'
//! readable names), its history and its attachments. Attachment `i` of the whole
//! bundle (counting through the entries in order) is the next `size` bytes of the
//! attachment area; its SHA-256 must equal `sha256`, and the area must end exactly
//! where the last attachment does.
//!
//! An attachment may be a copy of the recorded file without its location
//! metadata ([`crate::photo_metadata`]): it then has `location_removed`, naming
//! the recorded original's SHA-256 and size and what the copy lacks, while
//! `size` and `sha256` stay those of the bytes in the bundle. This field came
//! after the first bundles within format 1, as an optional one: a reader that
//! does not know it still checks and shows the copy under its own checksum
//! (frozen vector `tests/vectors/share-v1-location-removed.bin`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::padme;

/// The version of the contents container.
pub const CONTENTS_FORMAT: u32 = 1;

/// A snapshot of the shared entries. `Debug` shows only counts.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Its contents format (`CONTENTS_FORMAT`).
    pub format: u32,
    /// When the share was made (Unix ms, the survivor's device clock).
    pub created_at_ms: i64,
    /// What was selected, in words ("3 entries: 2026-03-01 to 2026-03-31").
    pub description: String,
    /// The entries shared.
    pub entries: Vec<SharedEntry>,
}

impl std::fmt::Debug for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manifest")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// One entry as shown. Optional fields are absent when not set.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedEntry {
    /// 32 hex digits.
    pub id: String,
    /// Its title, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What happened.
    pub text: String,
    /// When it happened, as written (`2026-03-14 21:30`, `2026-03`, `a..b`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred: Option<String>,
    /// Readable category names.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Severity (1 to 5), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<u32>,
    /// Where, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Names (or aliases) from the people list.
    #[serde(default)]
    pub people: Vec<String>,
    /// Injuries, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injuries: Option<String>,
    /// Police reference numbers.
    #[serde(default)]
    pub police_references: Vec<String>,
    /// What the survivor did.
    #[serde(default)]
    pub actions_taken: Vec<String>,
    /// The impact, in their words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
    /// When the entry was first written (Unix ms).
    pub recorded_at_ms: i64,
    /// The creation and every later change, oldest first.
    #[serde(default)]
    pub history: Vec<SharedRevision>,
    /// Its attachments, as carried.
    #[serde(default)]
    pub attachments: Vec<SharedAttachment>,
}

/// One change in an entry's history: when, what kind, and the values it set.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedRevision {
    /// `created`, `amended`, `deleted` or `restored`.
    pub kind: String,
    /// When it was written (its device's clock).
    pub recorded_at_ms: i64,
    /// The fields it set.
    #[serde(default)]
    pub changes: Vec<SharedChange>,
}

/// A field set by a revision, with its value as shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedChange {
    /// A readable field name ("Title", "Police references").
    pub field: String,
    /// The value, as shown.
    pub value: String,
}

/// An attachment carried in the share.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedAttachment {
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// The size of the bytes in the bundle.
    pub size: u64,
    /// The SHA-256 of the bytes in the bundle, 64 hex digits.
    pub sha256: String,
    /// Set when the bytes in the bundle are a copy of the recorded file without
    /// its location metadata (`size` and `sha256` are then the copy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_removed: Option<LocationRemoved>,
}

/// What a copy without location metadata was made from, and what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationRemoved {
    /// The recorded file (the one the survivor's signed journal names).
    pub original_sha256: String,
    /// The recorded file's size.
    pub original_size: u64,
    /// What the copy lacks, in words: "EXIF GPS", "XMP location", "IPTC location".
    pub removed: Vec<String>,
}

/// Why a share's contents were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentsError {
    /// They are malformed.
    #[error("the share's contents are malformed")]
    Malformed,
    /// An attachment does not match its checksum.
    #[error("an attachment in the share does not match its checksum")]
    AttachmentMismatch,
    /// They are larger than a share may be.
    #[error("the share's contents are too large")]
    TooLarge,
}

/// A decrypted, checked share: the manifest and each attachment's bytes, in order.
pub struct Opened {
    /// What the share holds.
    pub manifest: Manifest,
    /// One per attachment, counting through the entries in order.
    pub files: Vec<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("manifest", &self.manifest)
            .field("files", &self.files.len())
            .finish()
    }
}

/// Frames the manifest and files and pads them. `files` must be the attachments'
/// bytes in manifest order.
pub fn encode(manifest: &Manifest, files: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, ContentsError> {
    let json = Zeroizing::new(serde_json::to_vec(manifest).map_err(|_| ContentsError::Malformed)?);
    let json_len = u32::try_from(json.len()).map_err(|_| ContentsError::TooLarge)?;
    let total = 4 + json.len() + files.iter().map(|f| f.len()).sum::<usize>();
    u32::try_from(total).map_err(|_| ContentsError::TooLarge)?;
    let mut contents = Zeroizing::new(Vec::with_capacity(total));
    contents.extend_from_slice(&json_len.to_be_bytes());
    contents.extend_from_slice(&json);
    for file in files {
        contents.extend_from_slice(file);
    }
    Ok(Zeroizing::new(padme::pad(&contents)))
}

/// Undoes [`encode`] and checks every attachment's size and SHA-256.
pub fn decode(padded: &[u8]) -> Result<Opened, ContentsError> {
    let contents = padme::unpad(padded).ok_or(ContentsError::Malformed)?;
    let (len, rest) = contents
        .split_first_chunk::<4>()
        .ok_or(ContentsError::Malformed)?;
    let len = u32::from_be_bytes(*len) as usize;
    let json = rest.get(..len).ok_or(ContentsError::Malformed)?;
    let manifest: Manifest = serde_json::from_slice(json).map_err(|_| ContentsError::Malformed)?;
    if manifest.format != CONTENTS_FORMAT {
        return Err(ContentsError::Malformed);
    }
    let mut area = &rest[len..];
    let mut files = Vec::new();
    for attachment in manifest.entries.iter().flat_map(|e| &e.attachments) {
        let size = usize::try_from(attachment.size).map_err(|_| ContentsError::Malformed)?;
        if size > area.len() {
            return Err(ContentsError::Malformed);
        }
        let (bytes, tail) = area.split_at(size);
        if hex::encode(Sha256::digest(bytes)) != attachment.sha256.to_ascii_lowercase() {
            return Err(ContentsError::AttachmentMismatch);
        }
        files.push(Zeroizing::new(bytes.to_vec()));
        area = tail;
    }
    if !area.is_empty() {
        return Err(ContentsError::Malformed);
    }
    Ok(Opened { manifest, files })
}
