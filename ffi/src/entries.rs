//! The journal's content: entries (every field, amend, delete, restore, history,
//! conflicts), people, the timeline, search and the patterns' figures.

use mycase_core::app::{
    self, Category, Entry, EntryInput, EntrySummary, MonthGroup, Person, PersonMatch, Role,
    TimelineQuery, TrashedEntry,
};

use crate::error::FfiResult;
use crate::journal::Journal;
use crate::runtime::run;

/// Looking a person up by words: one, several, or none (with suggestions).
#[derive(uniffi::Enum)]
pub enum PersonLookup {
    /// Exactly one person matches.
    One { person: Person },
    /// Several match: ask which.
    Several { people: Vec<Person> },
    /// None matches; these are close.
    NoneFound { did_you_mean: Vec<Person> },
}

impl From<PersonMatch> for PersonLookup {
    fn from(m: PersonMatch) -> Self {
        match m {
            PersonMatch::One(person) => PersonLookup::One { person },
            PersonMatch::Several(people) => PersonLookup::Several { people },
            PersonMatch::NoneFound { did_you_mean } => PersonLookup::NoneFound { did_you_mean },
        }
    }
}

/// Which entries to count (patterns) or export; empty means no condition.
#[derive(uniffi::Record, Default)]
pub struct EntryFilter {
    /// From this day (`YYYY-MM-DD`), or empty.
    pub from: String,
    /// Up to and including this day, or empty.
    pub to: String,
    /// Category slugs or names.
    pub categories: Vec<String>,
    /// People, by id or name.
    pub people: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
}

impl From<EntryFilter> for app::EntryFilter {
    fn from(f: EntryFilter) -> Self {
        app::EntryFilter {
            from: f.from,
            to: f.to,
            categories: f.categories,
            people: f.people,
            tags: f.tags,
        }
    }
}

/// The patterns: the headline figures, and every figure as the JSON that
/// `mycase patterns --json` prints (the same schema), for charts.
#[derive(uniffi::Record)]
pub struct PatternsFigures {
    /// The day the figures are as of (`YYYY-MM-DD`).
    pub as_of: String,
    /// Entries counted.
    pub entries: u64,
    /// The first and last day with an entry.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Every figure, as JSON.
    pub figures_json: String,
}

#[uniffi::export]
impl Journal {
    /// The categories an entry can have (slug and name).
    pub fn categories(&self) -> Vec<Category> {
        self.app.categories()
    }

    /// The roles a person can have.
    pub fn roles(&self) -> Vec<Role> {
        self.app.roles()
    }

    /// Records an entry; its id. A date in the future is refused unless
    /// `confirm_future` is set (the survivor confirmed it).
    pub async fn add_entry(&self, input: EntryInput) -> FfiResult<String> {
        let app = self.app.clone();
        run(async move { Ok(app.add_entry(input).await?) }).await
    }

    /// Amends an entry: the new values of every field (history keeps the old).
    pub async fn amend_entry(&self, id: String, input: EntryInput) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.amend_entry(&id, input).await?) }).await
    }

    /// Moves an entry to the trash (restorable; the history keeps it).
    pub async fn delete_entry(&self, id: String) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.delete_entry(&id).await?) }).await
    }

    /// Brings an entry back from the trash.
    pub async fn restore_entry(&self, id: String) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.restore_entry(&id).await?) }).await
    }

    /// The entries in the trash.
    pub async fn trash(&self) -> FfiResult<Vec<TrashedEntry>> {
        let app = self.app.clone();
        run(async move { Ok(app.trash().await?) }).await
    }

    /// Every entry not in the trash, in the timeline's order.
    pub async fn entries(&self) -> FfiResult<Vec<EntrySummary>> {
        let app = self.app.clone();
        run(async move { Ok(app.entries().await?) }).await
    }

    /// One entry with every field, its history and its conflicts.
    pub async fn entry(&self, id: String) -> FfiResult<Entry> {
        let app = self.app.clone();
        run(async move { Ok(app.entry(&id).await?) }).await
    }

    /// Settles a conflict on `field` of entry `id` with the version `choice`.
    pub async fn resolve_conflict(
        &self,
        id: String,
        field: String,
        choice: String,
    ) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.resolve_conflict(&id, &field, &choice).await?) }).await
    }

    /// Everyone named in the journal.
    pub async fn people(&self) -> FfiResult<Vec<Person>> {
        let app = self.app.clone();
        run(async move { Ok(app.people().await?) }).await
    }

    /// One person.
    pub async fn person(&self, id: String) -> FfiResult<Person> {
        let app = self.app.clone();
        run(async move { Ok(app.person(&id).await?) }).await
    }

    /// Adds a person; their id.
    pub async fn add_person(&self, name: String, role: String, notes: String) -> FfiResult<String> {
        let app = self.app.clone();
        run(async move { Ok(app.add_person(&name, &role, &notes).await?) }).await
    }

    /// Amends a person.
    pub async fn amend_person(
        &self,
        id: String,
        name: String,
        role: String,
        notes: String,
    ) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.amend_person(&id, &name, &role, &notes).await?) }).await
    }

    /// Finds a person by any unique part of a name ("Dave").
    pub async fn find_person(&self, words: String) -> FfiResult<PersonLookup> {
        let app = self.app.clone();
        run(async move { Ok(app.find_person(&words).await?.into()) }).await
    }

    /// The timeline by month, filtered.
    pub async fn timeline(&self, query: TimelineQuery) -> FfiResult<Vec<MonthGroup>> {
        let app = self.app.clone();
        run(async move { Ok(app.timeline(query).await?) }).await
    }

    /// Entries matching every word.
    pub async fn search(&self, words: String) -> FfiResult<Vec<EntrySummary>> {
        let app = self.app.clone();
        run(async move { Ok(app.search(&words).await?) }).await
    }

    /// Every tag in use.
    pub async fn tags(&self) -> FfiResult<Vec<String>> {
        let app = self.app.clone();
        run(async move { Ok(app.tags().await?) }).await
    }

    /// The patterns' figures as of `as_of` (`YYYY-MM-DD`, or empty for today).
    pub async fn patterns(&self, filter: EntryFilter, as_of: String) -> FfiResult<PatternsFigures> {
        let app = self.app.clone();
        run(async move {
            let view = app.patterns(&filter.into(), &as_of).await?;
            let figures = view.figures;
            let figures_json =
                serde_json::to_string(&figures).map_err(|e| crate::MycaseError::Internal {
                    reason: format!("the figures could not be written out: {e}"),
                })?;
            Ok(PatternsFigures {
                as_of: figures.as_of.clone(),
                entries: u64::try_from(figures.entries).unwrap_or(u64::MAX),
                first_day: figures.first_day.clone(),
                last_day: figures.last_day.clone(),
                figures_json,
            })
        })
        .await
    }
}
