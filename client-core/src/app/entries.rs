//! Entries: recording one and listing them.

use mycase_proto::v1::{EntryFields, StringList};

use super::{App, AppError};
use crate::journal::{occurred, EntryView};

/// An entry as the survivor fills it in. Empty strings and lists mean "not given".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EntryInput {
    /// A short title.
    pub title: String,
    /// What happened, in the survivor's words.
    pub text: String,
    /// When it happened, as written (`2026-03-14 21:30`, `2026-03-14`, `2026-03`,
    /// `2026-03-01..2026-03-14`); empty when unknown.
    pub when: String,
    /// Category slugs or names.
    pub categories: Vec<String>,
}

impl std::fmt::Debug for EntryInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryInput([redacted])")
    }
}

/// One entry in a list.
#[derive(Clone, PartialEq, Eq)]
pub struct EntrySummary {
    /// The entry's id, hex.
    pub id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// When it happened, as written, if known.
    pub when: Option<String>,
    /// When it was recorded (its author's clock, Unix ms).
    pub recorded_at_ms: i64,
}

impl std::fmt::Debug for EntrySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntrySummary")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl From<&EntryView> for EntrySummary {
    fn from(e: &EntryView) -> Self {
        EntrySummary {
            id: hex::encode(e.id),
            title: e.title.clone(),
            when: e.occurred_at.as_ref().map(occurred::display),
            recorded_at_ms: e.recorded_at_ms,
        }
    }
}

fn fields_of(input: EntryInput) -> Result<EntryFields, AppError> {
    if input.text.trim().is_empty() && input.title.trim().is_empty() {
        return Err(AppError::invalid("text", "Write what happened"));
    }
    let occurred_at = if input.when.trim().is_empty() {
        None
    } else {
        Some(occurred::parse(&input.when).map_err(|e| AppError::invalid("when", e.to_string()))?)
    };
    let categories = input
        .categories
        .iter()
        .map(|c| {
            crate::journal::categories::parse(c)
                .map(str::to_owned)
                .ok_or_else(|| AppError::invalid("categories", "Choose a category from the list"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EntryFields {
        title: Some(input.title),
        text: Some(input.text),
        occurred_at,
        categories: (!categories.is_empty()).then_some(StringList { values: categories }),
        ..Default::default()
    })
}

impl App {
    /// Records a new entry; returns its id (hex). It stays on this device until
    /// the next sync, which the sync service starts at once.
    pub async fn add_entry(&self, input: EntryInput) -> Result<String, AppError> {
        let fields = fields_of(input)?;
        let id = self.write(|d| d.add_entry(fields)).await?;
        Ok(hex::encode(id))
    }

    /// The entries not deleted, in timeline order.
    pub async fn entries(&self) -> Result<Vec<EntrySummary>, AppError> {
        self.read(|d| {
            let mut entries = d.journal().entries();
            entries.sort_by_key(EntryView::timeline_key);
            entries.iter().map(EntrySummary::from).collect()
        })
        .await
    }
}
