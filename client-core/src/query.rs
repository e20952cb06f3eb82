//! Reading the journal back: a filtered timeline grouped by month, and full-text search.
//!
//! Both work on the decrypted journal in memory, folded from the operations the local
//! store holds. There is deliberately **no search index on disk**: an index would be
//! one more copy of the content to encrypt and to wipe, and scanning a journal of a
//! few thousand entries in memory takes milliseconds. So nothing here touches a file.
//!
//! Only live entries are read: deleted ones (in the trash or gone) are in neither.

use chrono::{DateTime, NaiveDate};

use crate::journal::{categories, occurred, EntryView, Journal, PersonId};
use crate::words::{matching::fold, uk_time};

/// Which entries a timeline shows. Each kind of criterion that is given must match
/// (and); within one kind, any listed value matches (or). Empty means no filter.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The first day, inclusive, compared with when the entry happened (the start of
    /// `occurred_at`, or when it was recorded if that is unknown).
    pub from: Option<NaiveDate>,
    /// The last day, inclusive.
    pub to: Option<NaiveDate>,
    /// Category slugs.
    pub categories: Vec<String>,
    /// Person ids; an entry must name one of them.
    pub people: Vec<PersonId>,
    /// Free tags, compared case- and accent-insensitively.
    pub tags: Vec<String>,
}

impl std::fmt::Debug for Filter {
    // Tags and people can identify someone: show only how many.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("categories", &self.categories.len())
            .field("people", &self.people.len())
            .field("tags", &self.tags.len())
            .finish()
    }
}

impl Filter {
    /// Whether `entry` passes every part of the filter.
    pub fn matches(&self, entry: &EntryView) -> bool {
        let day = happened_on(entry);
        let in_range = self.from.is_none_or(|from| day.is_some_and(|d| d >= from))
            && self.to.is_none_or(|to| day.is_some_and(|d| d <= to));
        let category = self.categories.is_empty()
            || entry.categories.iter().any(|c| self.categories.contains(c));
        let person = self.people.is_empty()
            || entry
                .people
                .iter()
                .any(|p| self.people.iter().any(|wanted| hex::encode(wanted) == *p));
        let tag = self.tags.is_empty()
            || entry.tags.iter().any(|t| {
                self.tags
                    .iter()
                    .any(|wanted| fold(wanted.trim()) == fold(t.trim()))
            });
        in_range && category && person && tag
    }
}

/// The entries of one month, in the order they happened.
#[derive(Clone, PartialEq, Eq)]
pub struct MonthGroup {
    /// `YYYY-MM`.
    pub year_month: String,
    /// Its entries, in journal order.
    pub entries: Vec<EntryView>,
}

impl std::fmt::Debug for MonthGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonthGroup")
            .field("year_month", &self.year_month)
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// Live entries matching `filter`, in the order things happened, grouped by month.
pub fn timeline(journal: &Journal, filter: &Filter) -> Vec<MonthGroup> {
    group_by_month(journal.entries().into_iter().filter(|e| filter.matches(e)))
}

/// Entries (in timeline order) grouped by the month they happened in.
pub fn group_by_month(entries: impl IntoIterator<Item = EntryView>) -> Vec<MonthGroup> {
    let mut groups: Vec<MonthGroup> = Vec::new();
    for entry in entries {
        let year_month = happened_on(&entry)
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_else(|| "unknown".to_string());
        match groups.last_mut() {
            Some(group) if group.year_month == year_month => group.entries.push(entry),
            _ => groups.push(MonthGroup {
                year_month,
                entries: vec![entry],
            }),
        }
    }
    groups
}

/// Live entries containing every word of `text` (case- and accent-insensitive:
/// "zoe" finds "Zoë") somewhere in their title, text, location, injuries, impact,
/// tags, police references, actions taken, categories (slug or name) or the names
/// of the people involved; in timeline order. The words may be in different fields
/// and any order. An empty query finds nothing.
pub fn search(journal: &Journal, text: &str) -> Vec<EntryView> {
    let words = Words::of(journal, text);
    if words.is_empty() {
        return Vec::new();
    }
    journal
        .entries()
        .into_iter()
        .filter(|entry| words.matches(entry))
        .collect()
}

/// Live entries matching `filter` and containing every word of `text` (no words:
/// no word condition), grouped by month as [`timeline`] does.
pub fn timeline_search(journal: &Journal, filter: &Filter, text: &str) -> Vec<MonthGroup> {
    let words = Words::of(journal, text);
    group_by_month(
        journal
            .entries()
            .into_iter()
            .filter(|e| filter.matches(e) && words.matches(e)),
    )
}

/// The words of a search, with the people list (so a name finds its entries).
pub struct Words {
    words: Vec<String>,
    people: Vec<(String, String)>,
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Words")
            .field("words", &self.words.len())
            .finish_non_exhaustive()
    }
}

impl Words {
    /// The words of `text`, folded (case and accents do not matter).
    pub fn of(journal: &Journal, text: &str) -> Words {
        let words: Vec<String> = text.split_whitespace().map(fold).collect();
        let people = if words.is_empty() {
            Vec::new()
        } else {
            journal
                .people()
                .into_iter()
                .filter_map(|p| Some((hex::encode(p.id), fold(&p.name?))))
                .collect()
        };
        Words { words, people }
    }

    /// No words were given.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `entry` contains every word (always, with no words).
    pub fn matches(&self, entry: &EntryView) -> bool {
        if self.words.is_empty() {
            return true;
        }
        // Gathered first and folded once: folding is the costly part.
        let mut haystack = String::new();
        let mut add = |s: &str| {
            haystack.push_str(s);
            haystack.push('\n');
        };
        add(entry.title.as_deref().unwrap_or_default());
        add(&entry.text);
        add(entry.location.as_deref().unwrap_or_default());
        add(entry.injuries.as_deref().unwrap_or_default());
        add(entry.impact.as_deref().unwrap_or_default());
        entry
            .tags
            .iter()
            .chain(&entry.police_references)
            .chain(&entry.actions_taken)
            .for_each(|s| add(s));
        for slug in &entry.categories {
            add(slug);
            add(categories::display(slug));
        }
        for (id, name) in &self.people {
            if entry.people.contains(id) {
                add(name);
            }
        }
        let haystack = quick_fold(&haystack);
        self.words
            .iter()
            .all(|word| haystack.contains(word.as_str()))
    }
}

/// [`fold`], without its Unicode work for plain ASCII (most of what is searched).
fn quick_fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        fold(s)
    }
}

/// The day an entry happened (its start, civil time as written), or the UK day it
/// was recorded when that is unknown.
pub fn happened_on(entry: &EntryView) -> Option<NaiveDate> {
    match entry.occurred_at.as_ref().and_then(occurred::sort_key) {
        // The sort key reads civil time as UTC, so its UTC date is the written date.
        Some(ms) => DateTime::from_timestamp_millis(ms).map(|t| t.date_naive()),
        None => uk_time::recorded_day(entry.recorded_at_ms),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::journal::{occurred, ops, OpId};
    use mycase_proto::v1::{EntryFields, Hlc, PersonFields, StringList, VersionVector};

    const A: [u8; 16] = [0xaa; 16];
    const P: PersonId = [0x44; 16];

    fn entry(id: u8, when: &str, category: &str, tag: &str, text: &str) -> EntryFields {
        EntryFields {
            text: Some(text.into()),
            occurred_at: Some(occurred::parse(when).unwrap()),
            categories: Some(StringList {
                values: vec![category.into()],
            }),
            tags: Some(StringList {
                values: vec![tag.into()],
            }),
            people: Some(StringList {
                values: if id == 2 {
                    vec![hex::encode(P)]
                } else {
                    vec![]
                },
            }),
            ..Default::default()
        }
    }

    fn journal() -> Journal {
        let bodies = vec![
            ops::add_person(
                P,
                PersonFields {
                    name: Some("Jordan".into()),
                    role: Some("causing-harm".into()),
                    notes: None,
                },
            ),
            ops::create_entry(
                [3; 16],
                entry(3, "2026-04-02", "threats", "phone", "Texts from Zoë"),
            ),
            ops::create_entry(
                [1; 16],
                entry(1, "2026-03-01", "physical", "night", "Pushed"),
            ),
            ops::create_entry(
                [2; 16],
                entry(
                    2,
                    "2026-03-20 21:00",
                    "threats",
                    "Night",
                    "Shouting in the hall",
                ),
            ),
        ];
        let mut j = Journal::new();
        for (idx, body) in (1u64..).zip(bodies) {
            let hlc = Hlc {
                wall_ms: idx,
                counter: 0,
            };
            let op = ops::operation(hlc, VersionVector::default(), idx as i64, body);
            j.insert(OpId { device: A, idx }, op);
        }
        j
    }

    fn ids(entries: &[EntryView]) -> Vec<u8> {
        entries.iter().map(|e| e.id[0]).collect()
    }

    #[test]
    fn timeline_groups_by_month_in_the_order_things_happened() {
        let groups = timeline(&journal(), &Filter::default());
        let shape: Vec<(&str, Vec<u8>)> = groups
            .iter()
            .map(|g| (g.year_month.as_str(), ids(&g.entries)))
            .collect();
        assert_eq!(shape, [("2026-03", vec![1, 2]), ("2026-04", vec![3])]);
    }

    #[test]
    fn filters_combine() {
        let j = journal();
        let only = |filter: Filter| -> Vec<u8> {
            timeline(&j, &filter)
                .iter()
                .flat_map(|g| ids(&g.entries))
                .collect()
        };
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            only(Filter {
                from: Some(day("2026-03-02")),
                ..Default::default()
            }),
            [2, 3]
        );
        assert_eq!(
            only(Filter {
                to: Some(day("2026-03-20")),
                ..Default::default()
            }),
            [1, 2]
        );
        assert_eq!(
            only(Filter {
                categories: vec!["threats".into()],
                tags: vec!["NIGHT".into()],
                ..Default::default()
            }),
            [2]
        );
        assert_eq!(
            only(Filter {
                people: vec![P],
                ..Default::default()
            }),
            [2]
        );
    }

    #[test]
    fn timeline_search_needs_the_filter_and_every_word() {
        let j = journal();
        let found = |filter: &Filter, text: &str| -> Vec<u8> {
            timeline_search(&j, filter, text)
                .iter()
                .flat_map(|g| ids(&g.entries))
                .collect()
        };
        assert_eq!(found(&Filter::default(), ""), [1, 2, 3]);
        assert_eq!(found(&Filter::default(), "night"), [1, 2]);
        let threats = Filter {
            categories: vec!["threats".into()],
            ..Default::default()
        };
        assert_eq!(found(&threats, "night"), [2]);
        assert_eq!(found(&threats, "night pushed"), Vec::<u8>::new());
    }

    #[test]
    fn search_is_case_insensitive_and_covers_people_names() {
        let j = journal();
        assert_eq!(ids(&search(&j, "shouting HALL")), [2]);
        assert_eq!(ids(&search(&j, "jordan")), [2]);
        assert_eq!(ids(&search(&j, "night")), [1, 2]);
        // Words from different fields, in any order: a category name and the text.
        assert_eq!(ids(&search(&j, "hall threats")), [2]);
        assert_eq!(ids(&search(&j, "physical pushed")), [1]);
        assert!(search(&j, "physical hall").is_empty());
        // Accents and case do not matter, either way round.
        assert_eq!(ids(&search(&j, "zoe")), [3]);
        assert_eq!(ids(&search(&j, "ZOË texts")), [3]);
    }

    #[test]
    fn an_entry_without_a_date_falls_on_the_uk_day_it_was_recorded() {
        // 23:30 UTC on 31 March 2026 is 00:30 BST on 1 April.
        let recorded = chrono::NaiveDate::from_ymd_opt(2026, 3, 31)
            .unwrap()
            .and_hms_opt(23, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let body = ops::create_entry(
            [9; 16],
            EntryFields {
                text: Some("x".into()),
                ..Default::default()
            },
        );
        let op = ops::operation(
            Hlc {
                wall_ms: 1,
                counter: 0,
            },
            VersionVector::default(),
            recorded,
            body,
        );
        let mut j = Journal::new();
        j.insert(OpId { device: A, idx: 1 }, op);
        let groups = timeline(&j, &Filter::default());
        assert_eq!(groups[0].year_month, "2026-04");
        // A written date stays as written.
        assert_eq!(
            happened_on(&journal().entries()[0]),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        assert!(search(&j, "  ").is_empty());
        assert!(search(&j, "absent").is_empty());
    }
}
