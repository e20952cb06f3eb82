//! Entries: recording one with every field, amending it (only what changed becomes
//! the amendment), the trash, one entry in full with its history and conflicts, and
//! settling a conflict.

use mycase_proto::v1::{EntryFields, OccurredAt, StringList};
use prost::Message;

use super::people::{person_ref, PersonInput, PersonRef};
use super::when::{self, When, WhenInput};
use super::{App, AppError};
use crate::device::Device;
use crate::ids::{new_id, EntryId};
use crate::journal::{
    categories, ops, EntryView, Field, FieldValue, Journal, OpId, RevisionKind, TRASH_RETENTION_MS,
};
use crate::store::file::FileStore;

/// The most an entry's fields may take, encoded: one record must stay well inside
/// what a server accepts (1 MiB by default) after padding.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;

/// An entry as the survivor fills it in. Empty strings and lists mean "not given";
/// list values are trimmed and empty ones dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EntryInput {
    /// A short title.
    pub title: String,
    /// What happened, in the survivor's words.
    pub text: String,
    /// When it happened.
    pub when: WhenInput,
    /// The survivor confirmed a date in the future (see
    /// [`super::CONFIRM_FUTURE_FIELD`]).
    pub confirm_future: bool,
    /// Category slugs or names (from [`App::categories`]).
    pub categories: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// How serious, 1 (least) to 5 (most).
    pub severity: Option<u32>,
    /// Where it happened.
    pub location: String,
    /// People involved: ids from [`App::people`].
    pub people: Vec<String>,
    /// People to add to the people list and to this entry, in the same change.
    pub new_people: Vec<PersonInput>,
    /// Injuries.
    pub injuries: String,
    /// Police or crime reference numbers.
    pub police_references: Vec<String>,
    /// What the survivor did (called someone, left, reported it).
    pub actions_taken: Vec<String>,
    /// The impact on the survivor, in their words.
    pub impact: String,
}

impl std::fmt::Debug for EntryInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryInput([redacted])")
    }
}

/// A category from the fixed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// As stored (`coercive-or-controlling`).
    pub slug: String,
    /// As shown (`Coercive or controlling behaviour`).
    pub name: String,
}

impl Category {
    fn of(slug: &str) -> Category {
        Category {
            slug: slug.to_owned(),
            name: categories::display(slug).to_owned(),
        }
    }
}

/// A device of the journal, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRef {
    /// Its id, hex.
    pub id: String,
    /// Its name; `None` for a device the roster does not hold.
    pub name: Option<String>,
}

/// One entry in a list (the timeline, search results, the trash).
#[derive(Clone, PartialEq, Eq)]
pub struct EntrySummary {
    /// The entry's id, hex.
    pub id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// When it happened, in words, if known.
    pub when: Option<String>,
    /// When it was recorded (its author's clock, Unix ms).
    pub recorded_at_ms: i64,
    /// The start of its text (a line or two).
    pub excerpt: String,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Its severity, 1 to 5.
    pub severity: Option<u32>,
    /// The names of the people involved.
    pub people: Vec<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// How many attachments it has.
    pub attachments: u32,
    /// It has been amended.
    pub amended: bool,
    /// It has a conflict to settle.
    pub has_conflicts: bool,
}

impl std::fmt::Debug for EntrySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntrySummary")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// How much of the text a list shows.
const EXCERPT_CHARS: usize = 160;

impl EntrySummary {
    pub(crate) fn of(e: &EntryView, journal: &Journal) -> Self {
        let mut excerpt: String = e.text.chars().take(EXCERPT_CHARS).collect();
        if e.text.chars().nth(EXCERPT_CHARS).is_some() {
            excerpt.push('\u{2026}');
        }
        EntrySummary {
            id: hex::encode(e.id),
            title: e.title.clone(),
            when: e.occurred_at.as_ref().map(|o| When::from_stored(o).display),
            recorded_at_ms: e.recorded_at_ms,
            excerpt,
            categories: e.categories.iter().map(|c| Category::of(c)).collect(),
            severity: e.severity,
            people: e
                .people
                .iter()
                .map(|p| person_ref(journal, p).name)
                .collect(),
            tags: e.tags.clone(),
            attachments: u32::try_from(e.attachments.len()).unwrap_or(u32::MAX),
            amended: e.amended,
            has_conflicts: !e.conflicts.is_empty(),
        }
    }
}

/// An entry in the trash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrashedEntry {
    /// The entry.
    pub entry: EntrySummary,
    /// When it was deleted (the deleting device's clock, Unix ms).
    pub deleted_at_ms: i64,
    /// Until when the trash keeps it (Unix ms); after that it is in no view.
    pub kept_until_ms: i64,
}

/// One entry in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its id, hex.
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// What happened.
    pub text: String,
    /// When it happened, if known.
    pub when: Option<When>,
    /// When it was recorded (its author's clock, Unix ms). Never editable.
    pub recorded_at_ms: i64,
    /// The device that recorded it.
    pub recorded_by: DeviceRef,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its severity, 1 to 5.
    pub severity: Option<u32>,
    /// Where it happened.
    pub location: Option<String>,
    /// The people involved, with their roles.
    pub people: Vec<PersonRef>,
    /// Injuries.
    pub injuries: Option<String>,
    /// Police references.
    pub police_references: Vec<String>,
    /// Actions taken.
    pub actions_taken: Vec<String>,
    /// The impact.
    pub impact: Option<String>,
    /// Evidence attached, in the order it was attached.
    pub attachments: Vec<Attachment>,
    /// It is in the trash.
    pub deleted: bool,
    /// It has been amended.
    pub amended: bool,
    /// Two devices created it without seeing each other (never done by an honest
    /// device): who recorded it, and when, is in dispute.
    pub creation_disputed: bool,
    /// The creation and every change since, oldest first.
    pub history: Vec<HistoryItem>,
    /// Fields changed on two devices at once, to settle.
    pub conflicts: Vec<Conflict>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("history", &self.history.len())
            .field("conflicts", &self.conflicts.len())
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// The amend form's starting values: sending them back unchanged changes nothing.
    pub fn to_input(&self) -> EntryInput {
        EntryInput {
            title: self.title.clone().unwrap_or_default(),
            text: self.text.clone(),
            when: self.when.as_ref().map(When::to_input).unwrap_or_default(),
            confirm_future: false,
            categories: self.categories.iter().map(|c| c.slug.clone()).collect(),
            tags: self.tags.clone(),
            severity: self.severity,
            location: self.location.clone().unwrap_or_default(),
            people: self.people.iter().map(|p| p.id.clone()).collect(),
            new_people: Vec::new(),
            injuries: self.injuries.clone().unwrap_or_default(),
            police_references: self.police_references.clone(),
            actions_taken: self.actions_taken.clone(),
            impact: self.impact.clone().unwrap_or_default(),
        }
    }
}

/// A piece of evidence attached to an entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Names it for fetching its bytes (the attachment's id, hex).
    pub handle: String,
    /// The original file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was attached (the attaching device's clock, Unix ms).
    pub attached_at_ms: i64,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("handle", &self.handle)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What one change in an entry's history did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryKind {
    /// Recorded it (the original).
    Created,
    /// Amended it.
    Amended,
    /// Moved it to the trash.
    Deleted,
    /// Brought it back from the trash.
    Restored,
}

/// One change in an entry's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryItem {
    /// What it did.
    pub kind: HistoryKind,
    /// When (its device's clock, Unix ms).
    pub at_ms: i64,
    /// On which device.
    pub device: DeviceRef,
    /// The fields it set, with the values it set them to.
    pub changes: Vec<FieldChange>,
}

/// A field and a value of it, in words.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's name (`title`, `occurred_at`, ...; see [`Field::as_str`]).
    pub field: String,
    /// Its label (`Title`, `When it happened`).
    pub label: String,
    /// The value, in words (`(cleared)` when it was emptied).
    pub value: String,
}

impl std::fmt::Debug for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldChange")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// A field written on two devices at once: every version, to choose one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The field's name (for [`App::resolve_conflict`]).
    pub field: String,
    /// Its label.
    pub label: String,
    /// The versions; the first is the one shown now.
    pub versions: Vec<ConflictVersion>,
}

/// One version of a field in conflict.
#[derive(Clone, PartialEq, Eq)]
pub struct ConflictVersion {
    /// What to pass to [`App::resolve_conflict`] to keep this version.
    pub choice: String,
    /// The value, in words.
    pub value: String,
    /// It is the one shown now.
    pub shown: bool,
    /// When it was written (its device's clock, Unix ms).
    pub at_ms: i64,
    /// On which device.
    pub device: DeviceRef,
}

impl std::fmt::Debug for ConflictVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConflictVersion")
            .field("choice", &self.choice)
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

/// The label a form and an entry page give a field.
pub fn field_label(field: Field) -> &'static str {
    match field {
        Field::Title => "Title",
        Field::Text => "What happened",
        Field::OccurredAt => "When it happened",
        Field::Categories => "Categories",
        Field::Tags => "Tags",
        Field::Severity => "Severity",
        Field::Location => "Where it happened",
        Field::People => "People involved",
        Field::Injuries => "Injuries",
        Field::PoliceReferences => "Police references",
        Field::ActionsTaken => "Actions taken",
        Field::Impact => "The impact on you",
    }
}

/// A field's value in words, as an entry page shows it.
pub(crate) fn value_words(value: &FieldValue, journal: &Journal) -> String {
    let list = |values: &[String]| {
        if values.is_empty() {
            "(cleared)".to_owned()
        } else {
            values.join(", ")
        }
    };
    let text = |s: &str| {
        if s.is_empty() {
            "(cleared)".to_owned()
        } else {
            s.to_owned()
        }
    };
    match value {
        FieldValue::Title(s)
        | FieldValue::Text(s)
        | FieldValue::Location(s)
        | FieldValue::Injuries(s)
        | FieldValue::Impact(s) => text(s),
        FieldValue::OccurredAt(o) if o.start.is_empty() => "(cleared)".to_owned(),
        FieldValue::OccurredAt(o) => When::from_stored(o).display,
        FieldValue::Severity(0) => "(cleared)".to_owned(),
        FieldValue::Severity(n) => format!("{n} of 5"),
        FieldValue::Categories(v) => list(
            &v.iter()
                .map(|c| categories::display(c).to_owned())
                .collect::<Vec<_>>(),
        ),
        FieldValue::People(v) => list(
            &v.iter()
                .map(|p| person_ref(journal, p).name)
                .collect::<Vec<_>>(),
        ),
        FieldValue::Tags(v) | FieldValue::PoliceReferences(v) | FieldValue::ActionsTaken(v) => {
            list(v)
        }
    }
}

pub(crate) fn device_ref(journal: &Journal, device: &[u8; 16]) -> DeviceRef {
    DeviceRef {
        id: hex::encode(device),
        name: journal
            .devices()
            .into_iter()
            .find(|d| d.device_id == *device)
            .map(|d| d.name),
    }
}

/// The token naming the operation that wrote a version: `device-idx`.
fn choice_of(op: &OpId) -> String {
    format!("{}-{}", hex::encode(op.device), op.idx)
}

/// An entry id from the API's hex; anything else names no entry.
pub(crate) fn entry_id(id: &str) -> Result<EntryId, AppError> {
    hex::decode(id.trim())
        .ok()
        .and_then(|b| EntryId::try_from(b.as_slice()).ok())
        .ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "That entry".into(),
    }
}

fn entry_view(journal: &Journal, id: &str, now_ms: i64) -> Result<EntryView, AppError> {
    journal
        .entry(&entry_id(id)?)
        .filter(|e| Journal::is_visible(e, now_ms))
        .ok_or_else(not_found)
}

/// The categories named (by slug, name or any unique part of a name, as
/// [`crate::words::matching`] finds them), as slugs; empty ones skipped.
pub(crate) fn category_slugs(named: &[String]) -> Result<Vec<String>, AppError> {
    let all = crate::words::names::categories();
    named
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            crate::words::matching::find(c, &all)
                .map(str::to_owned)
                .map_err(|_| AppError::invalid("categories", "Choose categories from the list"))
        })
        .collect()
}

/// Trimmed, empty ones dropped, the first of repeats kept (case-insensitively).
fn clean_list(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !out.iter().any(|o| o.to_lowercase() == v.to_lowercase()) {
            out.push(v.to_owned());
        }
    }
    out
}

/// The input checked and read into every field's value (an empty value where
/// nothing was given), with the people to add first.
struct Checked {
    title: String,
    text: String,
    occurred_at: Option<OccurredAt>,
    categories: Vec<String>,
    tags: Vec<String>,
    severity: Option<u32>,
    location: String,
    people: Vec<String>,
    new_people: Vec<(crate::journal::PersonId, mycase_proto::v1::PersonFields)>,
    injuries: String,
    police_references: Vec<String>,
    actions_taken: Vec<String>,
    impact: String,
}

/// `confirm_future` as [`when::parse`] takes it. The first problem found.
fn check(
    input: &EntryInput,
    journal: &Journal,
    confirm_future: bool,
    now_ms: i64,
) -> Result<Checked, AppError> {
    check_all(input, journal, confirm_future, now_ms)
        .map_err(|problems| problems.into_iter().next().unwrap_or_else(not_found))
}

/// Keeps `result`'s value, or notes its problem.
fn noted<T>(problems: &mut Vec<AppError>, result: Result<T, AppError>) -> Option<T> {
    result.map_err(|e| problems.push(e)).ok()
}

/// Every problem with the input, in the form's order (so a form can show them
/// all at once), or the input checked.
fn check_all(
    input: &EntryInput,
    journal: &Journal,
    confirm_future: bool,
    now_ms: i64,
) -> Result<Checked, Vec<AppError>> {
    let mut problems = Vec::new();
    if input.text.trim().is_empty() && input.title.trim().is_empty() {
        problems.push(AppError::invalid("text", "Write what happened"));
    }
    let occurred_at = noted(
        &mut problems,
        when::parse(&input.when, confirm_future, now_ms),
    );
    let categories = noted(&mut problems, category_slugs(&input.categories));
    let mut people = Vec::new();
    for p in clean_list(&input.people) {
        let id = super::people::person_id(&p)
            .ok()
            .filter(|id| journal.person(id).is_some())
            .ok_or_else(|| AppError::invalid("people", "Choose people from the list"));
        if let Some(id) = noted(&mut problems, id) {
            people.push(hex::encode(id));
        }
    }
    let mut new_people = Vec::new();
    for person in &input.new_people {
        if let Some(fields) = noted(
            &mut problems,
            super::people::person_fields(person, "new_person"),
        ) {
            let id = new_id();
            people.push(hex::encode(id));
            new_people.push((id, fields));
        }
    }
    let severity = match input.severity {
        None => None,
        Some(n @ 1..=5) => Some(n),
        Some(_) => {
            problems.push(AppError::invalid(
                "severity",
                "Choose a severity from 1 to 5",
            ));
            None
        }
    };
    match (occurred_at, categories) {
        (Some(occurred_at), Some(categories)) if problems.is_empty() => Ok(Checked {
            title: input.title.trim().to_owned(),
            text: clean_text(&input.text),
            occurred_at,
            categories: clean_list(&categories),
            tags: clean_list(&input.tags),
            severity,
            location: input.location.trim().to_owned(),
            people,
            new_people,
            injuries: input.injuries.trim().to_owned(),
            police_references: clean_list(&input.police_references),
            actions_taken: clean_list(&input.actions_taken),
            impact: input.impact.trim().to_owned(),
        }),
        _ => Err(problems),
    }
}

fn list(values: Vec<String>) -> Option<StringList> {
    Some(StringList { values })
}

/// Every field's value, or the clearing value, for comparing with what is shown.
fn as_fields(c: &Checked) -> EntryFields {
    EntryFields {
        title: Some(c.title.clone()),
        text: Some(c.text.clone()),
        occurred_at: Some(c.occurred_at.clone().unwrap_or_default()),
        categories: list(c.categories.clone()),
        tags: list(c.tags.clone()),
        severity: Some(c.severity.unwrap_or(0)),
        location: Some(c.location.clone()),
        people: list(c.people.clone()),
        injuries: Some(c.injuries.clone()),
        police_references: list(c.police_references.clone()),
        actions_taken: list(c.actions_taken.clone()),
        impact: Some(c.impact.clone()),
        withholdable: Vec::new(),
    }
}

/// What `view` shows for each field, in the same clearing forms as [`as_fields`].
/// Cleaned as the input is, so a form sent back untouched differs in nothing.
fn shown_fields(view: &EntryView) -> EntryFields {
    let text = |s: &Option<String>| Some(s.as_deref().unwrap_or_default().trim().to_owned());
    EntryFields {
        title: text(&view.title),
        text: Some(clean_text(&view.text)),
        occurred_at: Some(view.occurred_at.clone().unwrap_or_default()),
        categories: list(view.categories.clone()),
        tags: list(clean_list(&view.tags)),
        severity: Some(view.severity.unwrap_or(0)),
        location: text(&view.location),
        people: list(view.people.clone()),
        injuries: text(&view.injuries),
        police_references: list(clean_list(&view.police_references)),
        actions_taken: list(clean_list(&view.actions_taken)),
        impact: text(&view.impact),
        withholdable: Vec::new(),
    }
}

/// Line ends as `\n` (a browser sends `\r\n`), no trailing blank space.
fn clean_text(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_owned()
}

/// Only the fields whose value differs from `shown`.
fn changed_fields(wanted: &EntryFields, shown: &EntryFields) -> EntryFields {
    let mut out = EntryFields::default();
    for field in Field::ALL {
        if let Some(value) = field.value_in(wanted) {
            if field.value_in(shown).as_ref() != Some(&value) {
                value.set_in(&mut out);
            }
        }
    }
    out
}

/// A new entry sets only the fields given: values that would only clear (an empty
/// text, list or date, severity 0) are left out.
fn given_fields(all: EntryFields) -> EntryFields {
    let mut out = EntryFields::default();
    for value in Field::ALL.iter().filter_map(|f| f.value_in(&all)) {
        let clears = match &value {
            FieldValue::Title(s)
            | FieldValue::Text(s)
            | FieldValue::Location(s)
            | FieldValue::Injuries(s)
            | FieldValue::Impact(s) => s.is_empty(),
            FieldValue::OccurredAt(o) => o.start.is_empty(),
            FieldValue::Severity(n) => *n == 0,
            FieldValue::Categories(v)
            | FieldValue::Tags(v)
            | FieldValue::People(v)
            | FieldValue::PoliceReferences(v)
            | FieldValue::ActionsTaken(v) => v.is_empty(),
        };
        if !clears {
            value.set_in(&mut out);
        }
    }
    out
}

fn check_size(fields: &EntryFields) -> Result<(), AppError> {
    if fields.encoded_len() > MAX_ENTRY_BYTES {
        return Err(AppError::invalid(
            "text",
            "That is too long for one entry: split it into two entries",
        ));
    }
    Ok(())
}

/// The checked input's new people, then `body`, as one commit.
fn commit_with_people(
    device: &mut Device<FileStore>,
    checked: Checked,
    body: mycase_proto::v1::operation::Body,
) -> Result<(), crate::DeviceError> {
    let mut bodies: Vec<_> = checked
        .new_people
        .into_iter()
        .map(|(id, fields)| ops::add_person(id, fields))
        .collect();
    bodies.push(body);
    device.commit(bodies).map(|_| ())
}

impl App {
    /// The categories to choose from, in the order a form lists them.
    pub fn categories(&self) -> Vec<Category> {
        categories::CATEGORIES
            .iter()
            .map(|(slug, _)| Category::of(slug))
            .collect()
    }

    /// Records a new entry; returns its id (hex). A date in the future is refused
    /// (field [`super::CONFIRM_FUTURE_FIELD`]) unless `confirm_future` is set. It
    /// stays on this device until the next sync, which the sync service starts at once.
    pub async fn add_entry(&self, input: EntryInput) -> Result<String, AppError> {
        let now = crate::now_ms();
        let id = new_id();
        self.write(|d| {
            let checked = check(&input, d.journal(), input.confirm_future, now)?;
            let fields = given_fields(as_fields(&checked));
            check_size(&fields)?;
            commit_with_people(d, checked, ops::create_entry(id, fields)).map_err(AppError::from)
        })
        .await?;
        Ok(hex::encode(id))
    }

    /// Amends an entry with the form's values: only the fields that differ from
    /// what it shows become the amendment (an emptied field is cleared); the earlier
    /// values stay in its history. Refused when nothing changed, and for an entry
    /// in the trash (restore it first).
    pub async fn amend_entry(&self, id: &str, input: EntryInput) -> Result<(), AppError> {
        let now = crate::now_ms();
        self.write(|d| {
            let view = entry_view(d.journal(), id, now)?;
            if view.deleted {
                return Err(AppError::invalid(
                    "id",
                    "That entry is in the trash: restore it before changing it",
                ));
            }
            // A future date already confirmed is not questioned again; a new one is.
            let checked = check(&input, d.journal(), true, now)?;
            let changes = changed_fields(&as_fields(&checked), &shown_fields(&view));
            if changes == EntryFields::default() {
                return Err(AppError::InvalidInput {
                    field: None,
                    reason: "Nothing was changed".into(),
                });
            }
            if changes.occurred_at.is_some() {
                when::parse(&input.when, input.confirm_future, now)?;
            }
            check_size(&changes)?;
            commit_with_people(d, checked, ops::amend_entry(view.id, changes))
                .map_err(AppError::from)
        })
        .await
    }

    /// Every problem with `input` at once, each naming its field (for a form's
    /// error summary after [`App::add_entry`] or [`App::amend_entry`] refused it);
    /// empty when it would be accepted as a new entry. Writes nothing.
    pub async fn entry_problems(&self, input: &EntryInput) -> Result<Vec<AppError>, AppError> {
        let now = crate::now_ms();
        self.read(
            |d| match check_all(input, d.journal(), input.confirm_future, now) {
                Err(problems) => problems,
                Ok(checked) => check_size(&given_fields(as_fields(&checked)))
                    .err()
                    .into_iter()
                    .collect(),
            },
        )
        .await
    }

    /// Moves an entry to the trash; it can be restored for 30 days, from any device.
    pub async fn delete_entry(&self, id: &str) -> Result<(), AppError> {
        let now = crate::now_ms();
        self.write(|d| {
            let view = entry_view(d.journal(), id, now)?;
            if view.deleted {
                return Err(AppError::invalid(
                    "id",
                    "That entry is already in the trash",
                ));
            }
            d.commit(vec![ops::delete_entry(view.id)])
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await
    }

    /// Brings an entry back from the trash.
    pub async fn restore_entry(&self, id: &str) -> Result<(), AppError> {
        let now = crate::now_ms();
        self.write(|d| {
            let view = entry_view(d.journal(), id, now)?;
            if !view.deleted {
                return Err(AppError::invalid("id", "That entry is not in the trash"));
            }
            d.commit(vec![ops::restore_entry(view.id)])
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await
    }

    /// The trash, most recently deleted first.
    pub async fn trash(&self) -> Result<Vec<TrashedEntry>, AppError> {
        let now = crate::now_ms();
        self.read(|d| {
            let journal = d.journal();
            journal
                .trash(now)
                .iter()
                .map(|e| {
                    let deleted_at_ms = e.deleted_at_ms.unwrap_or(now);
                    TrashedEntry {
                        entry: EntrySummary::of(e, journal),
                        deleted_at_ms,
                        kept_until_ms: deleted_at_ms.saturating_add(TRASH_RETENTION_MS),
                    }
                })
                .collect()
        })
        .await
    }

    /// The entries not deleted, in timeline order.
    pub async fn entries(&self) -> Result<Vec<EntrySummary>, AppError> {
        self.read(|d| {
            let journal = d.journal();
            journal
                .entries()
                .iter()
                .map(|e| EntrySummary::of(e, journal))
                .collect()
        })
        .await
    }

    /// One entry in full (one in the trash too), with its history and conflicts.
    pub async fn entry(&self, id: &str) -> Result<Entry, AppError> {
        let now = crate::now_ms();
        self.read(|d| {
            let journal = d.journal();
            entry_view(journal, id, now).map(|view| full_entry(&view, journal))
        })
        .await?
    }

    /// Settles a conflict on `field` (its name, as [`Conflict::field`]) by keeping
    /// the version `choice` (as [`ConflictVersion::choice`]): an amendment that has
    /// seen every version, so it supersedes them all. Every version stays in the
    /// history. Refused if the conflict changed meanwhile (look again).
    pub async fn resolve_conflict(
        &self,
        id: &str,
        field: &str,
        choice: &str,
    ) -> Result<(), AppError> {
        let now = crate::now_ms();
        let field = Field::parse(field)
            .ok_or_else(|| AppError::invalid("field", "That is not a field of an entry"))?;
        self.write(|d| {
            let view = entry_view(d.journal(), id, now)?;
            let conflict = view.conflict(field).ok_or_else(|| {
                AppError::invalid(
                    "choice",
                    "That has been settled already: look at the entry again",
                )
            })?;
            let value = std::iter::once((&conflict.shown, &conflict.shown_by))
                .chain(conflict.others.iter().map(|o| (&o.value, &o.op)))
                .find(|(_, op)| choice_of(op) == choice.trim())
                .map(|(value, _)| value.clone())
                .ok_or_else(|| AppError::invalid("choice", "Choose one of the versions shown"))?;
            let mut amendment = EntryFields::default();
            value.set_in(&mut amendment);
            d.commit(vec![ops::amend_entry(view.id, amendment)])
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await
    }
}

fn full_entry(view: &EntryView, journal: &Journal) -> Entry {
    let history = view
        .history
        .iter()
        .map(|r| HistoryItem {
            kind: match r.kind {
                RevisionKind::Created => HistoryKind::Created,
                RevisionKind::Amended => HistoryKind::Amended,
                RevisionKind::Deleted => HistoryKind::Deleted,
                RevisionKind::Restored => HistoryKind::Restored,
            },
            at_ms: r.recorded_at_ms,
            device: device_ref(journal, &r.op.device),
            changes: Field::ALL
                .iter()
                .filter_map(|f| f.value_in(&r.fields))
                .map(|v| FieldChange {
                    field: v.field().as_str().to_owned(),
                    label: field_label(v.field()).to_owned(),
                    value: value_words(&v, journal),
                })
                .collect(),
        })
        .collect();
    let conflicts = view
        .conflicts
        .iter()
        .map(|c| {
            let version =
                |value: &FieldValue, op: &OpId, at_ms: i64, shown: bool| ConflictVersion {
                    choice: choice_of(op),
                    value: value_words(value, journal),
                    shown,
                    at_ms,
                    device: device_ref(journal, &op.device),
                };
            let shown_at = view
                .history
                .iter()
                .find(|r| r.op == c.shown_by)
                .map(|r| r.recorded_at_ms)
                .unwrap_or(view.recorded_at_ms);
            Conflict {
                field: c.field.as_str().to_owned(),
                label: field_label(c.field).to_owned(),
                versions: std::iter::once(version(&c.shown, &c.shown_by, shown_at, true))
                    .chain(
                        c.others
                            .iter()
                            .map(|o| version(&o.value, &o.op, o.recorded_at_ms, false)),
                    )
                    .collect(),
            }
        })
        .collect();
    Entry {
        id: hex::encode(view.id),
        title: view.title.clone(),
        text: view.text.clone(),
        when: view.occurred_at.as_ref().map(When::from_stored),
        recorded_at_ms: view.recorded_at_ms,
        recorded_by: device_ref(journal, &view.created_by),
        categories: view.categories.iter().map(|c| Category::of(c)).collect(),
        tags: view.tags.clone(),
        severity: view.severity,
        location: view.location.clone(),
        people: view.people.iter().map(|p| person_ref(journal, p)).collect(),
        injuries: view.injuries.clone(),
        police_references: view.police_references.clone(),
        actions_taken: view.actions_taken.clone(),
        impact: view.impact.clone(),
        attachments: view
            .attachments
            .iter()
            .map(|a| Attachment {
                handle: hex::encode(a.attachment_id),
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: a.size,
                attached_at_ms: a.recorded_at_ms,
            })
            .collect(),
        deleted: view.deleted,
        amended: view.amended,
        creation_disputed: !view.disputed_creations.is_empty(),
        history,
        conflicts,
    }
}
