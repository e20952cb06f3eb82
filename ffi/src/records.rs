//! The application API's own records and enums, exported as they are: each
//! definition here mirrors the one in `mycase_core::app` field for field (UniFFI's
//! remote types; the compiler refuses a mirror that drifts), so the bindings carry
//! no second model of an entry, a person or a device.

use mycase_core::app::When;
use mycase_core::app::{
    AddedDevice, AppStatus, AttachedFile, Attachment, AttachmentDisplay, AttachmentInfo, Category,
    Conflict, ConflictVersion, DateParts, DeviceInfo, DeviceNotice, DeviceRef, Entry, EntryInput,
    EntrySummary, ErasedReason, FieldChange, HistoryItem, HistoryKind, MonthGroup, PairingRequest,
    PassphraseChanged, Person, PersonInput, PersonRef, RevokedDevice, Role, ShareList, ShareState,
    ShareSummary, SyncState, SyncStatus, SyncSummary, TimelineQuery, TrashedEntry, WhenInput,
    WhenKind, WipeCheck, WipeOutcome, WithholdChoice,
};

/// A field of an entry, or words of it, to leave out of one export or share.
#[uniffi::remote(Record)]
pub struct WithholdChoice {
    pub entry: String,
    pub field: String,
    pub words: Option<String>,
}

#[uniffi::remote(Enum)]
pub enum WhenKind {
    NotSure,
    Exact,
    Day,
    Month,
    Range,
    Words,
}

#[uniffi::remote(Record)]
pub struct DateParts {
    pub day: String,
    pub month: String,
    pub year: String,
    pub time: String,
}

#[uniffi::remote(Record)]
pub struct WhenInput {
    pub kind: WhenKind,
    pub start: DateParts,
    pub end: DateParts,
    pub words: String,
}

#[uniffi::remote(Record)]
pub struct When {
    pub kind: WhenKind,
    pub display: String,
    pub start: String,
    pub end: Option<String>,
}

#[uniffi::remote(Record)]
pub struct PersonInput {
    pub name: String,
    pub role: String,
    pub notes: String,
}

#[uniffi::remote(Record)]
pub struct EntryInput {
    pub title: String,
    pub text: String,
    pub when: WhenInput,
    pub confirm_future: bool,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub severity: Option<u32>,
    pub location: String,
    pub people: Vec<String>,
    pub new_people: Vec<PersonInput>,
    pub injuries: String,
    pub police_references: Vec<String>,
    pub actions_taken: Vec<String>,
    pub impact: String,
}

#[uniffi::remote(Record)]
pub struct Category {
    pub slug: String,
    pub name: String,
}

#[uniffi::remote(Record)]
pub struct DeviceRef {
    pub id: String,
    pub name: Option<String>,
}

#[uniffi::remote(Record)]
pub struct EntrySummary {
    pub id: String,
    pub title: Option<String>,
    pub when: Option<String>,
    pub recorded_at_ms: i64,
    pub excerpt: String,
    pub categories: Vec<Category>,
    pub severity: Option<u32>,
    pub people: Vec<String>,
    pub tags: Vec<String>,
    pub attachments: u32,
    pub amended: bool,
    pub has_conflicts: bool,
}

#[uniffi::remote(Record)]
pub struct TrashedEntry {
    pub entry: EntrySummary,
    pub deleted_at_ms: i64,
    pub kept_until_ms: i64,
}

#[uniffi::remote(Record)]
pub struct Attachment {
    pub handle: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub attached_at_ms: i64,
}

#[uniffi::remote(Enum)]
pub enum HistoryKind {
    Created,
    Amended,
    Deleted,
    Restored,
}

#[uniffi::remote(Record)]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub value: String,
}

#[uniffi::remote(Record)]
pub struct HistoryItem {
    pub kind: HistoryKind,
    pub at_ms: i64,
    pub device: DeviceRef,
    pub changes: Vec<FieldChange>,
}

#[uniffi::remote(Record)]
pub struct ConflictVersion {
    pub choice: String,
    pub value: String,
    pub shown: bool,
    pub at_ms: i64,
    pub device: DeviceRef,
}

#[uniffi::remote(Record)]
pub struct Conflict {
    pub field: String,
    pub label: String,
    pub versions: Vec<ConflictVersion>,
}

#[uniffi::remote(Record)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Entry {
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    pub when: Option<When>,
    pub recorded_at_ms: i64,
    pub recorded_by: DeviceRef,
    pub categories: Vec<Category>,
    pub tags: Vec<String>,
    pub severity: Option<u32>,
    pub location: Option<String>,
    pub people: Vec<PersonRef>,
    pub injuries: Option<String>,
    pub police_references: Vec<String>,
    pub actions_taken: Vec<String>,
    pub impact: Option<String>,
    pub attachments: Vec<Attachment>,
    pub deleted: bool,
    pub amended: bool,
    pub creation_disputed: bool,
    pub history: Vec<HistoryItem>,
    pub conflicts: Vec<Conflict>,
}

#[uniffi::remote(Record)]
pub struct Role {
    pub slug: String,
    pub name: String,
}

#[uniffi::remote(Record)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub role: Option<Role>,
    pub notes: Option<String>,
    pub entries: u32,
    pub conflicting_fields: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct AttachedFile {
    pub attachment_id: String,
    pub size: u64,
    pub chunks: u64,
    pub uploaded_chunks: u64,
    pub skipped_chunks: u64,
    pub location_metadata: bool,
}

#[uniffi::remote(Enum)]
pub enum AttachmentDisplay {
    Image,
    Audio,
    Video,
    Pdf,
    DownloadOnly,
}

#[uniffi::remote(Record)]
pub struct AttachmentInfo {
    pub attachment_id: String,
    pub name: String,
    pub media_type: String,
    pub display: AttachmentDisplay,
    pub size: u64,
    pub sha256: String,
    pub attached_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct DeviceInfo {
    pub device_id: String,
    pub name: Option<String>,
    pub added_at_ms: Option<i64>,
    pub last_seen_ms: Option<i64>,
    pub this_device: bool,
    pub trusted: bool,
    pub on_server: bool,
    pub revoked: bool,
    pub revoked_at_ms: Option<i64>,
    pub set_up_with_kit: bool,
    pub contested: bool,
    pub key_change_attempts: u32,
    pub changes_set_aside: Option<String>,
    pub added_by_revoked_device: bool,
}

#[uniffi::remote(Record)]
pub struct RevokedDevice {
    pub device_id: String,
    pub name: Option<String>,
    pub set_up_with_kit: bool,
    pub devices_it_added: Vec<DeviceInfo>,
    pub kit_covers_only_earlier: bool,
}

#[uniffi::remote(Record)]
pub struct PairingRequest {
    pub device_id: String,
    pub name: String,
}

#[uniffi::remote(Record)]
pub struct AddedDevice {
    pub device_id: String,
    pub name: String,
}

#[uniffi::remote(Enum)]
pub enum ShareState {
    Active,
    Expired,
    Revoked,
    ViewLimitReached,
    Ended,
    Unknown,
    NotChecked,
}

#[uniffi::remote(Record)]
pub struct ShareSummary {
    pub share_id: String,
    pub description: String,
    pub entry_ids: Vec<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub max_views: u32,
    pub views: Option<u32>,
    pub opened_at_ms: Vec<i64>,
    pub state: ShareState,
    pub has_password: bool,
    pub includes_attachments: bool,
}

#[uniffi::remote(Record)]
pub struct ShareList {
    pub shares: Vec<ShareSummary>,
    pub server_reached: bool,
}

#[uniffi::remote(Enum)]
pub enum SyncState {
    Stopped,
    Syncing,
    UpToDate,
    Offline,
    Failed,
}

#[uniffi::remote(Record)]
pub struct SyncStatus {
    pub state: SyncState,
    pub pending_upload: u64,
    pub last_synced_ms: Option<i64>,
    pub problem: Option<String>,
}

#[uniffi::remote(Record)]
pub struct SyncSummary {
    pub sent: u64,
    pub received: u64,
}

#[uniffi::remote(Record)]
pub struct DeviceNotice {
    pub device_id: String,
    pub name: String,
    pub added_at_ms: i64,
    pub with_recovery_kit: bool,
}

#[uniffi::remote(Enum)]
pub enum ErasedReason {
    Revoked,
    AccountDeleted,
}

#[uniffi::remote(Record)]
pub struct AppStatus {
    pub set_up: bool,
    pub unlocked: bool,
    pub device_name: Option<String>,
    pub sync: SyncStatus,
}

#[uniffi::remote(Record)]
pub struct PassphraseChanged {
    pub keys_replaced: bool,
    pub keys_not_replaced_because: Option<String>,
}

#[uniffi::remote(Record)]
pub struct WipeCheck {
    pub unsent_changes: Option<u64>,
    pub sent_now: u64,
}

#[uniffi::remote(Record)]
pub struct WipeOutcome {
    pub removed: bool,
    pub retired: bool,
    pub not_retired_because: Option<String>,
}

#[uniffi::remote(Record)]
pub struct TimelineQuery {
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub people: Vec<String>,
    pub tags: Vec<String>,
    pub words: String,
}

#[uniffi::remote(Record)]
pub struct MonthGroup {
    pub year_month: String,
    pub label: String,
    pub entries: Vec<EntrySummary>,
}
