//! The export document: what `mycase export --format json` writes, and what the
//! HTML export embeds for `mycase verify`. Documented in README "Export format".
//!
//! Entries are rendered from the journal fold by [`entry`], the same function the
//! verifier runs over the disclosed records, so "unchanged" means: the records
//! the device signed and the server received fold to exactly this entry.

use std::collections::BTreeMap;
use std::fmt;

use mycase_proto::v1::occurred_at::Precision;
use mycase_proto::v1::{OccurredAt, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::journal::{
    DeviceView, EntryView, Field, FieldValue, OpId, PersonView, Revision, RevisionKind,
};

/// The format tag of this document layout. Version 4 is version 3's document
/// whose records may be of record format 3, each proof then showing its texts
/// ([`RecordProof::texts`]), so a text or a passage can be withheld
/// ([`ExportEntry::withheld`]) and the rest still proven.
pub const EXPORT_FORMAT: &str = "mycase-export-v4";
/// Version 3 is version 2's document with a [`Presentation`], and its HTML page
/// is the plain-language chronology (`export::chronology`): summary first, proof
/// as an appendix, photos shown.
pub const EXPORT_FORMAT_V3: &str = "mycase-export-v3";
/// Version 2 proves the people and devices it lists (their records are in the
/// manifest), names only those the exported entries involve, and renders its
/// HTML deterministically (`export::html`, the layout before the chronology).
pub const EXPORT_FORMAT_V2: &str = "mycase-export-v2";
/// The earlier layout: entries proven, people and devices not.
pub const EXPORT_FORMAT_V1: &str = "mycase-export-v1";

/// The complete JSON export: the entries, people and devices chosen, with the manifest that proves
/// them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDocument {
    /// The export format (`EXPORT_FORMAT`).
    pub format: String,
    /// When the export was made (RFC 3339, UTC) and by which device.
    pub generated_at: String,
    /// The exporting device (hex).
    pub generated_by: String,
    /// The filters as given (`from`, `to`: days; empty when not filtered).
    pub filter: ExportFilter,
    /// The first and last day an exported entry happened on.
    pub first_day: Option<String>,
    /// See `first_day`.
    pub last_day: Option<String>,
    /// The exported entries, in journal order.
    pub entries: Vec<ExportEntry>,
    /// The people the exported entries name (now or in their history).
    pub people: Vec<ExportPerson>,
    /// Every category MyCase knows, as `(slug, name)`.
    pub categories: Vec<ExportCategory>,
    /// The devices that wrote what is exported, and those that added them.
    pub devices: Vec<ExportDevice>,
    /// The day the HTML export's patterns are figured as of (`YYYY-MM-DD`);
    /// `None` when the file has no patterns section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patterns_as_of: Option<String>,
    /// Attachment files written beside the export as copies without location
    /// metadata instead of the recorded originals (`mycase export
    /// --strip-location`). Absent when there are none, so an export without
    /// copies is what this format always was; a verifier that predates the
    /// field ignores it in JSON and refuses the HTML page, which names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_copies: Vec<AttachmentCopy>,
    /// What the survivor put on the page and how it shows the files (v3;
    /// absent when empty, as in every v2 document).
    #[serde(default, skip_serializing_if = "Presentation::is_empty")]
    pub presentation: Presentation,
    /// The records that prove every entry, person and device listed.
    pub manifest: Manifest,
}

/// What an export shows beyond the records: the survivor's own additions to
/// its header, and which photos its page shows inline. None of it is proven by
/// a record (the page says so); the photos shown are checked against the
/// files the records name.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Presentation {
    /// A case reference the survivor chose to put in the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_reference: Option<String>,
    /// The name the survivor chose to put in the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Attachments the page shows as images (ids, in page order). Each image in
    /// the page must be the recorded file, or its copy without location data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos_shown: Vec<String>,
    /// The name of the folder beside the export holding its files, when they
    /// were written (`chronology.html.attachments`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments_folder: Option<String>,
}

impl Presentation {
    /// Whether nothing is set (so a v2 document has none).
    pub fn is_empty(&self) -> bool {
        self == &Presentation::default()
    }
}

impl fmt::Debug for Presentation {
    // The name and case reference identify the survivor: not for log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presentation")
            .field("case_reference", &self.case_reference.is_some())
            .field("name", &self.name.is_some())
            .field("photos_shown", &self.photos_shown.len())
            .finish_non_exhaustive()
    }
}

/// A copy without location metadata of an exported attachment, written beside
/// the export in place of the original. What it was made from is the
/// exporting device's word: the signed records name only the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentCopy {
    /// The attachment the copy is of.
    pub attachment_id: String,
    /// The recorded original's SHA-256 (as the entry's attachment lists it).
    pub original_sha256: String,
    /// The copy's SHA-256 and size.
    pub sha256: String,
    /// The copy's size in bytes.
    pub size: u64,
    /// What the copy lacks, in words: "EXIF GPS", "XMP location", "IPTC location".
    pub removed: Vec<String>,
    /// Where it is, under the attachments folder beside the export:
    /// `<attachment id>/<name>.no-location.<ext>`.
    pub file: String,
}

impl AttachmentCopy {
    /// The note for `copy`, made of the attachment recorded with
    /// `original_sha256` and written at `file`.
    pub fn of(
        attachment_id: &str,
        original_sha256: &[u8],
        copy: &crate::photo_metadata::LocationFree,
        file: String,
    ) -> Self {
        use sha2::{Digest, Sha256};
        AttachmentCopy {
            attachment_id: attachment_id.to_string(),
            original_sha256: hex::encode(original_sha256),
            sha256: hex::encode(Sha256::digest(&copy.bytes[..])),
            size: copy.bytes.len() as u64,
            removed: copy
                .removed
                .iter()
                .map(|r| r.describe().to_string())
                .collect(),
            file,
        }
    }
}

/// The filter the export was made with, as given.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportFilter {
    /// The first day, if given.
    pub from: Option<String>,
    /// The last day, if given.
    pub to: Option<String>,
    /// Category slugs, if given.
    pub categories: Vec<String>,
    /// Person ids, if given.
    pub people: Vec<String>,
    /// Tags, if given.
    pub tags: Vec<String>,
    /// Whether deleted entries are in the export (`--include-deleted`), each
    /// marked as deleted. Without it they are left out, as a reader expects of
    /// a chronology; absent in the JSON when false, so an export without them
    /// reads as this format always did.
    #[serde(default, skip_serializing_if = "is_false")]
    pub include_deleted: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One entry, every field, as the journal shows it, with its whole history.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportEntry {
    /// The entry's id (hex).
    pub id: String,
    /// Its title, if any.
    pub title: Option<String>,
    /// What happened.
    pub text: String,
    /// When it happened, if recorded.
    pub occurred_at: Option<ExportOccurred>,
    /// Category slugs.
    pub categories: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Severity (1 to 5), if recorded.
    pub severity: Option<u32>,
    /// Where, if recorded.
    pub location: Option<String>,
    /// Person ids (32 hex digits); names are in `people`.
    pub people: Vec<String>,
    /// Injuries, if recorded.
    pub injuries: Option<String>,
    /// Police reference numbers.
    pub police_references: Vec<String>,
    /// What the survivor did.
    pub actions_taken: Vec<String>,
    /// The impact, in their words.
    pub impact: Option<String>,
    /// When it was first written, by its author's clock.
    pub recorded_at: String,
    /// When it was first recorded (Unix milliseconds, its device's clock).
    pub recorded_at_ms: i64,
    /// The device that created it (hex).
    pub created_by: String,
    /// It is in the trash.
    pub deleted: bool,
    /// When it was moved there, if it was.
    pub deleted_at_ms: Option<i64>,
    /// It has amendments.
    pub amended: bool,
    /// Fields set concurrently to different values.
    pub conflicts: Vec<ExportConflict>,
    /// The creation, every amendment, delete and restore, in order.
    pub history: Vec<ExportRevision>,
    /// Its attachments.
    pub attachments: Vec<ExportAttachment>,
    /// What the survivor withheld from this document (v4; absent when nothing
    /// was). Each withheld run of words reads [`crate::evidence::withheld::WITHHELD_MARK`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<ExportWithheld>,
}

/// When an entry happened, as exported.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportOccurred {
    /// The start (RFC 3339).
    pub start: String,
    /// `minute`, `day`, `month`, `range` or `unspecified`.
    pub precision: String,
    /// The end (RFC 3339; the start for a single time).
    pub end: String,
    /// As shown to people.
    pub display: String,
}

/// A field set concurrently to different values.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportConflict {
    /// The field.
    pub field: String,
    /// The value shown.
    pub shown: Value,
    /// The other values.
    pub others: Vec<Value>,
}

/// Where an operation is: the record that carries it, and the server's receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportProvenance {
    /// The device whose log holds the record (hex).
    pub device: String,
    /// Its idx in that log.
    pub idx: u64,
    /// The record hash (hex).
    pub record_hash: String,
    /// When the server stored the record, by its receipt (RFC 3339, UTC).
    pub received_at: Option<String>,
    /// The same, in Unix milliseconds.
    pub received_at_ms: Option<u64>,
}

/// One revision of an entry, with the record that carries it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRevision {
    /// `created`, `amended`, `deleted` or `restored`.
    pub kind: String,
    /// When it was written (RFC 3339, its device's clock).
    pub recorded_at: String,
    /// The same, in Unix milliseconds.
    pub recorded_at_ms: i64,
    /// The fields this operation set (name -> value); empty for delete/restore.
    pub fields: BTreeMap<String, Value>,
    /// Where it is.
    pub provenance: ExportProvenance,
}

/// An attachment as exported.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportAttachment {
    /// Its id within the entry (hex).
    pub attachment_id: String,
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// SHA-256 of the original file, hex.
    pub sha256: String,
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// How many chunks.
    pub chunk_count: u64,
    /// The key epoch of its chunks.
    pub key_epoch: u32,
    /// When it was attached (RFC 3339).
    pub recorded_at: String,
    /// The same, in Unix milliseconds.
    pub recorded_at_ms: i64,
    /// The record that attached it.
    pub provenance: ExportProvenance,
}

/// A person named by an exported entry.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPerson {
    /// Their id (hex).
    pub id: String,
    /// Their name, if set.
    pub name: Option<String>,
    /// Their role, if set.
    pub role: Option<String>,
    /// Notes, if set.
    pub notes: Option<String>,
    /// When they were added (RFC 3339).
    pub recorded_at: String,
}

/// A category used by an exported entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportCategory {
    /// Its slug.
    pub slug: String,
    /// Its readable name.
    pub name: String,
}

/// A device that wrote part of the export.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDevice {
    /// Its id (hex).
    pub device_id: String,
    /// Its name.
    pub name: String,
    /// Its Ed25519 public key (hex).
    pub sign_public_key: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
    /// The device that added it (itself for the journal's first device and for
    /// one set up from the recovery kit).
    #[serde(default)]
    pub added_by: String,
}

/// The proof: for each operation an exported entry, person or device relies on,
/// its sealed record, the key that opens that record alone, the device-signed
/// chain that covers it and the server's receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The account the records belong to (hex).
    pub account_id: String,
    /// The server receipt key the exporting device pinned (the verifier uses the
    /// key it is given, not this one).
    pub server_key: Option<String>,
    /// The operations of the exported entries.
    pub operations: Vec<ManifestOperation>,
    /// The operations of the listed people (absent in `mycase-export-v1`).
    #[serde(default)]
    pub person_operations: Vec<PersonOperation>,
    /// The `DeviceAdded` operation of each listed device (absent in v1).
    #[serde(default)]
    pub device_additions: Vec<DeviceAddition>,
}

/// A record carrying one of an entry's operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestOperation {
    /// The entry (hex).
    pub entry_id: String,
    /// The record, its hash and its receipt.
    #[serde(flatten)]
    pub proof: RecordProof,
}

/// A record carrying one of a person's operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonOperation {
    /// The person (hex).
    pub person_id: String,
    /// The record, its hash and its receipt.
    #[serde(flatten)]
    pub proof: RecordProof,
}

/// A record that added one of the listed devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAddition {
    /// The device it adds (the record is its author's).
    pub device_id: String,
    /// The record, its hash and its receipt.
    #[serde(flatten)]
    pub proof: RecordProof,
}

/// One disclosed record and what vouches for it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordProof {
    /// The record as stored.
    pub record: ExportRecord,
    /// Its hash (hex).
    pub record_hash: String,
    /// HChaCha20(record key, nonce[0..16]): opens this record and no other.
    pub subkey: String,
    /// The Ed25519 key of the device that wrote and signed it.
    pub device_public_key: String,
    /// The records after this one up to the first signed one (empty when this
    /// record carries the signature itself).
    pub chain: Vec<ExportRecord>,
    /// The server's receipt, if it signed one.
    pub receipt: Option<ExportReceipt>,
    /// Record format 3: how each text the record commits to is shown (whole,
    /// in part, or withheld), in the order the record commits to them. Absent
    /// for older records, which hold their texts in the operation itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<TextDisclosure>,
}

/// How one committed text of a record is shown (`client-core/src/format/withholdable.rs`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum TextDisclosure {
    /// Whole: the seed its pieces' salts come from, and its words.
    Whole {
        /// The field (`text`, `location`, ...).
        field: String,
        /// 32 bytes, hex.
        seed: String,
        /// The words.
        text: String,
    },
    /// In part: each piece, shown with its salt or withheld as its digest.
    Part {
        /// The field.
        field: String,
        /// Every piece, in order.
        pieces: Vec<PieceDisclosure>,
    },
    /// Withheld whole.
    Withheld {
        /// The field.
        field: String,
    },
}

impl TextDisclosure {
    /// The field this shows.
    pub fn field(&self) -> &str {
        match self {
            TextDisclosure::Whole { field, .. }
            | TextDisclosure::Part { field, .. }
            | TextDisclosure::Withheld { field } => field,
        }
    }
}

/// One piece of a text shown in part.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceDisclosure {
    /// Shown: its salt (16 bytes, hex) and its words.
    Shown {
        /// Hex.
        salt: String,
        /// The piece.
        text: String,
    },
    /// Withheld: its digest (hex).
    Withheld(String),
}

/// A field of an entry from which something was withheld in this document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExportWithheld {
    /// The field (`text`, `location`, ...).
    pub field: String,
    /// Only part of it (a passage); false when the whole field was withheld
    /// wherever it was set.
    pub part: bool,
}

/// Every field of a log record (bytes as hex, the ciphertext as base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// The device whose log it is in (hex).
    pub device_id: String,
    /// Its idx.
    pub idx: u64,
    /// The previous record's hash (hex).
    pub prev_hash: String,
    /// The key epoch it is sealed under.
    pub key_epoch: u32,
    /// Its record format version.
    pub format_version: u32,
    /// Its nonce (hex).
    pub nonce: String,
    /// Its ciphertext (hex).
    pub ciphertext: String,
    /// Its signature, if it ends a batch (hex).
    pub signature: String,
}

/// The server's receipt for a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportReceipt {
    /// The server's time (Unix milliseconds).
    pub server_time_ms: u64,
    /// The same, RFC 3339.
    pub server_time: String,
    /// The server's signature (hex).
    pub signature: String,
}

impl ExportRecord {
    /// A stored record in its exported form.
    pub fn from_record(r: &Record) -> Self {
        ExportRecord {
            device_id: hex::encode(&r.device_id),
            idx: r.idx,
            prev_hash: hex::encode(&r.prev_hash),
            key_epoch: r.key_epoch,
            format_version: r.format_version,
            nonce: hex::encode(&r.nonce),
            ciphertext: data_encoding::BASE64.encode(&r.ciphertext),
            signature: hex::encode(&r.signature),
        }
    }

    /// The record, or `None` if a field does not decode.
    pub fn to_record(&self) -> Option<Record> {
        Some(Record {
            device_id: hex::decode(&self.device_id).ok()?,
            idx: self.idx,
            prev_hash: hex::decode(&self.prev_hash).ok()?,
            key_epoch: self.key_epoch,
            format_version: self.format_version,
            nonce: hex::decode(&self.nonce).ok()?,
            ciphertext: data_encoding::BASE64
                .decode(self.ciphertext.as_bytes())
                .ok()?,
            signature: hex::decode(&self.signature).ok()?,
        })
    }
}

// Content never reaches a log line or a panic message: `Debug` shows ids,
// counts and the names of fields, never their values.
impl fmt::Debug for ExportDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportDocument")
            .field("format", &self.format)
            .field("entries", &self.entries)
            .field("people", &self.people.len())
            .field("devices", &self.devices.len())
            .field("operations", &self.manifest.operations.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExportFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportFilter")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("categories", &self.categories.len())
            .field("people", &self.people.len())
            .field("tags", &self.tags.len())
            .field("include_deleted", &self.include_deleted)
            .finish()
    }
}

impl fmt::Debug for ExportEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportEntry")
            .field("id", &self.id)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("deleted", &self.deleted)
            .field("history", &self.history)
            .field("attachments", &self.attachments)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TextDisclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = match self {
            TextDisclosure::Whole { .. } => "whole",
            TextDisclosure::Part { .. } => "part",
            TextDisclosure::Withheld { .. } => "withheld",
        };
        f.debug_struct("TextDisclosure")
            .field("field", &self.field())
            .field("shown", &form)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PieceDisclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PieceDisclosure::Shown { .. } => "PieceDisclosure::Shown(<redacted>)",
            PieceDisclosure::Withheld(_) => "PieceDisclosure::Withheld",
        })
    }
}

impl fmt::Debug for ExportOccurred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportOccurred(<redacted>)")
    }
}

impl fmt::Debug for ExportConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportConflict")
            .field("field", &self.field)
            .field("others", &self.others.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExportRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportRevision")
            .field("kind", &self.kind)
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("fields_set", &self.fields.keys().collect::<Vec<_>>())
            .field("provenance", &self.provenance)
            .finish()
    }
}

impl fmt::Debug for ExportAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportAttachment")
            .field("attachment_id", &self.attachment_id)
            .field("size", &self.size)
            .field("sha256", &self.sha256)
            .field("provenance", &self.provenance)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExportPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportPerson")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RecordProof {
    // The disclosed subkey opens the record: it is not for log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordProof")
            .field("device_id", &self.record.device_id)
            .field("idx", &self.record.idx)
            .field("record_hash", &self.record_hash)
            .field("chain", &self.chain.len())
            .field("receipt", &self.receipt.is_some())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ExportDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportDevice")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Unix milliseconds as RFC 3339 in UTC (`2026-03-14T21:30:00.000Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn precision_name(o: &OccurredAt) -> &'static str {
    match Precision::try_from(o.precision) {
        Ok(Precision::Minute) => "minute",
        Ok(Precision::Day) => "day",
        Ok(Precision::Month) => "month",
        Ok(Precision::Range) => "range",
        _ => "unspecified",
    }
}

/// When an entry happened, in its exported form.
pub fn occurred(o: &OccurredAt) -> ExportOccurred {
    ExportOccurred {
        start: o.start.clone(),
        precision: precision_name(o).to_string(),
        end: o.end.clone(),
        display: crate::journal::occurred::display(o),
    }
}

/// A field value as JSON: strings, a number for severity, arrays for lists, an
/// object for when it happened.
pub fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Title(s)
        | FieldValue::Text(s)
        | FieldValue::Location(s)
        | FieldValue::Injuries(s)
        | FieldValue::Impact(s) => Value::String(s.clone()),
        FieldValue::OccurredAt(o) => serde_json::to_value(occurred(o)).unwrap_or(Value::Null),
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

fn kind_name(kind: RevisionKind) -> &'static str {
    match kind {
        RevisionKind::Created => "created",
        RevisionKind::Amended => "amended",
        RevisionKind::Deleted => "deleted",
        RevisionKind::Restored => "restored",
    }
}

/// Record hash and receipt time of each operation, by its id.
pub type Provenances = BTreeMap<OpId, (String, Option<u64>)>;

/// A person as exported.
pub fn person(p: &PersonView) -> ExportPerson {
    ExportPerson {
        id: hex::encode(p.id),
        name: p.name.clone(),
        role: p.role.clone(),
        notes: p.notes.clone(),
        recorded_at: rfc3339(p.recorded_at_ms),
    }
}

/// A device as exported.
pub fn device(d: &DeviceView) -> ExportDevice {
    ExportDevice {
        device_id: hex::encode(d.device_id),
        name: d.name.clone(),
        sign_public_key: hex::encode(d.sign_public_key),
        added_at: rfc3339(d.added_at_ms),
        added_by: hex::encode(d.added_by.device),
    }
}

/// Every category MyCase knows.
pub fn categories() -> Vec<ExportCategory> {
    crate::journal::categories::CATEGORIES
        .iter()
        .map(|(slug, name)| ExportCategory {
            slug: slug.to_string(),
            name: name.to_string(),
        })
        .collect()
}

/// The first and last day the entries happened on.
pub fn day_range(entries: &[EntryView]) -> (Option<String>, Option<String>) {
    let days: Vec<String> = entries
        .iter()
        .filter_map(|e| crate::query::happened_on(e).map(|d| d.to_string()))
        .collect();
    (days.iter().min().cloned(), days.iter().max().cloned())
}

fn provenance(op: OpId, known: &Provenances) -> ExportProvenance {
    let (record_hash, received) = known.get(&op).cloned().unwrap_or_default();
    ExportProvenance {
        device: hex::encode(op.device),
        idx: op.idx,
        record_hash,
        received_at: received.and_then(|ms| i64::try_from(ms).ok()).map(rfc3339),
        received_at_ms: received,
    }
}

fn revision(r: &Revision, known: &Provenances) -> ExportRevision {
    ExportRevision {
        kind: kind_name(r.kind).to_string(),
        recorded_at: rfc3339(r.recorded_at_ms),
        recorded_at_ms: r.recorded_at_ms,
        fields: Field::ALL
            .iter()
            .filter_map(|f| {
                f.value_in(&r.fields)
                    .map(|v| (f.as_str().to_string(), field_value(&v)))
            })
            .collect(),
        provenance: provenance(r.op, known),
    }
}

/// An entry as exported: every field, conflicts, history and attachments.
pub fn entry(e: &EntryView, known: &Provenances) -> ExportEntry {
    ExportEntry {
        id: hex::encode(e.id),
        title: e.title.clone(),
        text: e.text.clone(),
        occurred_at: e.occurred_at.as_ref().map(occurred),
        categories: e.categories.clone(),
        tags: e.tags.clone(),
        severity: e.severity,
        location: e.location.clone(),
        people: e.people.clone(),
        injuries: e.injuries.clone(),
        police_references: e.police_references.clone(),
        actions_taken: e.actions_taken.clone(),
        impact: e.impact.clone(),
        recorded_at: rfc3339(e.recorded_at_ms),
        recorded_at_ms: e.recorded_at_ms,
        created_by: hex::encode(e.created_by),
        deleted: e.deleted,
        deleted_at_ms: e.deleted_at_ms,
        amended: e.amended,
        conflicts: e
            .conflicts
            .iter()
            .map(|c| ExportConflict {
                field: c.field.as_str().to_string(),
                shown: field_value(&c.shown),
                others: c.others.iter().map(|o| field_value(&o.value)).collect(),
            })
            .collect(),
        history: e.history.iter().map(|r| revision(r, known)).collect(),
        attachments: e
            .attachments
            .iter()
            .map(|a| ExportAttachment {
                attachment_id: hex::encode(a.attachment_id),
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: a.size,
                sha256: hex::encode(&a.sha256),
                chunk_size: a.chunk_size,
                chunk_count: a.chunk_count,
                key_epoch: a.key_epoch,
                recorded_at: rfc3339(a.recorded_at_ms),
                recorded_at_ms: a.recorded_at_ms,
                provenance: provenance(a.added_by, known),
            })
            .collect(),
        withheld: Vec::new(),
    }
}
