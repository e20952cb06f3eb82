//! Withholding a text or a passage from one export, and checking what an export
//! shows of a record's texts.
//!
//! A record of format 3 commits to each of its entry texts
//! ([`crate::format::withholdable`]). The export says, per text, how it is shown
//! ([`TextDisclosure`]): whole (its seed and words), in part (each piece's salt
//! and words, or the digest of a piece withheld), or withheld. The verifier
//! recomputes the commitment the signed record holds from what is shown, and
//! reads each withheld run of words as [`WITHHELD_MARK`]; so the words shown are
//! proven, and what was withheld is neither shown nor guessable, only marked.

use std::collections::BTreeMap;

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Operation};

use crate::export::model::{ExportWithheld, PieceDisclosure, TextDisclosure};
use crate::format::withholdable::{
    check_commitments, field_number, piece_digest, piece_salt, pieces, text_commitment, OpenedText,
    SALT_LEN, SEED_LEN, WITHHOLDABLE,
};
use crate::ids::EntryId;
use crate::journal::Field;

/// What a reader sees where words were withheld.
pub const WITHHELD_MARK: &str = "[withheld]";

/// Something the survivor chose to withhold from one export: a field of an
/// entry wherever it was set, or a passage of it wherever it appears.
#[derive(Clone, PartialEq, Eq)]
pub struct Withholding {
    /// The entry.
    pub entry: EntryId,
    /// The field (one of [`WITHHOLDABLE`]).
    pub field: Field,
    /// The words to withhold; `None` withholds the whole field.
    pub passage: Option<String>,
}

impl std::fmt::Debug for Withholding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Withholding")
            .field("entry", &hex::encode(self.entry))
            .field("field", &self.field)
            .field("passage", &self.passage.as_ref().map(|p| p.len()))
            .finish()
    }
}

/// Why a withholding could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithholdError {
    /// The field is not one whose words can be withheld.
    #[error("the {field} cannot be withheld: only the title, text, location, injuries and impact can (leave the entry out instead)")]
    NotWithholdable {
        /// The field.
        field: &'static str,
    },
    /// The passage is empty.
    #[error("the passage to withhold is empty")]
    EmptyPassage,
    /// The entry is not among those exported or shared.
    #[error("entry {entry} is not among the entries chosen, so nothing of it can be withheld")]
    NotExported {
        /// Its id, short.
        entry: String,
    },
    /// The entry never had that field.
    #[error("entry {entry} has no {field} to withhold")]
    NothingThere {
        /// Its id, short.
        entry: String,
        /// The field.
        field: &'static str,
    },
    /// The passage is in no version of the field.
    #[error("the passage to withhold does not appear in entry {entry}'s {field} (or in any earlier version of it)")]
    PassageNotFound {
        /// Its id, short.
        entry: String,
        /// The field.
        field: &'static str,
    },
    /// The field was written in a record that holds its texts in the open.
    #[error("entry {entry}'s {field} was written by an older MyCase, before a part of an entry could be withheld: leave the entry out of this export instead")]
    OlderRecord {
        /// Its id, short.
        entry: String,
        /// The field.
        field: &'static str,
    },
}

/// Why a `--withhold` value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WithholdSpecError {
    /// Not `ENTRY:FIELD` or `ENTRY:FIELD:PASSAGE`.
    #[error("write what to withhold as ENTRY:FIELD (a whole field) or ENTRY:FIELD:WORDS (a passage), e.g. 3f2a91c0:location or 3f2a91c0:text:12 Elm Road")]
    Shape,
    /// The field is not known.
    #[error("{0:?} is not a field MyCase knows; the ones that can be withheld are title, text, location, injuries and impact")]
    UnknownField(String),
    /// The entry was not found.
    #[error("entry {prefix:?}: {source}")]
    Entry {
        /// What was typed.
        prefix: String,
        /// Why.
        #[source]
        source: crate::journal::JournalError,
    },
    /// It names something that cannot be withheld.
    #[error(transparent)]
    Withhold(#[from] WithholdError),
}

/// `ENTRY:FIELD[:WORDS]` cut into its parts (the words may hold colons).
pub fn split_spec(spec: &str) -> Option<(&str, &str, Option<&str>)> {
    let (entry, rest) = spec.split_once(':')?;
    Some(match rest.split_once(':') {
        Some((field, words)) => (entry, field, Some(words)),
        None => (entry, rest, None),
    })
}

impl Withholding {
    /// Reads `ENTRY:FIELD` (the whole field, wherever it was set) or
    /// `ENTRY:FIELD:WORDS` (those words wherever they appear in the field),
    /// the entry by any unique prefix of its id. `description` and `where` are
    /// read as `text` and `location`.
    pub fn parse(spec: &str, journal: &crate::journal::Journal) -> Result<Self, WithholdSpecError> {
        let (entry, field, passage) = split_spec(spec).ok_or(WithholdSpecError::Shape)?;
        Self::resolve(entry, field, passage, journal)
    }

    /// The withholding of `passage` (or the whole field when `None`) of the
    /// entry whose id starts with `entry`, the field by its name.
    pub fn resolve(
        entry: &str,
        field: &str,
        passage: Option<&str>,
        journal: &crate::journal::Journal,
    ) -> Result<Self, WithholdSpecError> {
        let passage = passage.map(|p| p.trim().to_string());
        let field = match field.trim().to_ascii_lowercase().as_str() {
            "description" | "what_happened" | "what-happened" => Some(Field::Text),
            "where" => Some(Field::Location),
            other => Field::parse(other),
        }
        .ok_or_else(|| WithholdSpecError::UnknownField(field.trim().to_string()))?;
        let entry =
            journal
                .resolve_entry_prefix(entry)
                .map_err(|source| WithholdSpecError::Entry {
                    prefix: entry.trim().to_string(),
                    source,
                })?;
        let w = Withholding {
            entry,
            field,
            passage,
        };
        check(&w)?;
        Ok(w)
    }
}

/// The entry id as people see it (first 8 hex digits).
pub fn short_entry(entry: &EntryId) -> String {
    hex::encode(&entry[..4])
}

/// Checks that `w` names a withholdable field and a non-empty passage.
pub fn check(w: &Withholding) -> Result<(), WithholdError> {
    if field_number(w.field).is_none() {
        return Err(WithholdError::NotWithholdable {
            field: w.field.as_str(),
        });
    }
    if w.passage.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err(WithholdError::EmptyPassage);
    }
    Ok(())
}

/// Which pieces of `text` the passage covers, wherever it appears (exactly, or
/// else ignoring ASCII case); `None` when it appears nowhere.
pub fn covered_pieces(text: &str, passage: &str) -> Option<Vec<bool>> {
    let passage = passage.trim();
    if passage.is_empty() {
        return None;
    }
    let mut spans: Vec<(usize, usize)> = text
        .match_indices(passage)
        .map(|(at, m)| (at, at + m.len()))
        .collect();
    if spans.is_empty() {
        // Lower-casing ASCII keeps every byte offset.
        let lower = text.to_ascii_lowercase();
        let wanted = passage.to_ascii_lowercase();
        spans = lower
            .match_indices(&wanted)
            .map(|(at, m)| (at, at + m.len()))
            .collect();
    }
    if spans.is_empty() {
        return None;
    }
    let mut at = 0;
    let mask = pieces(text)
        .iter()
        .map(|p| {
            let (start, end) = (at, at + p.len());
            at = end;
            spans.iter().any(|&(a, b)| start < b && end > a)
        })
        .collect();
    Some(mask)
}

/// How one sealed text is shown under `choice`: a mask that covers no piece
/// shows it whole, one that covers every piece withholds it all.
pub fn disclose(text: &OpenedText, choice: &Choice) -> TextDisclosure {
    let field = text.field.as_str().to_string();
    let mask = match choice {
        Choice::Show => return whole(text),
        Choice::WithholdAll => return TextDisclosure::Withheld { field },
        Choice::Pieces(mask) => mask,
    };
    let cut = pieces(&text.text);
    // A mask of another text cannot say what to show: withhold it all rather
    // than show words meant to be withheld.
    if mask.len() != cut.len() || mask.iter().all(|m| *m) {
        return TextDisclosure::Withheld { field };
    }
    if mask.iter().all(|m| !m) {
        return whole(text);
    }
    let pieces = cut
        .iter()
        .zip(mask)
        .enumerate()
        .map(|(i, (p, withheld))| {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let salt = piece_salt(&text.seed, i);
            if *withheld {
                PieceDisclosure::Withheld(hex::encode(piece_digest(i, &salt, p)))
            } else {
                PieceDisclosure::Shown {
                    salt: hex::encode(salt),
                    text: (*p).to_string(),
                }
            }
        })
        .collect();
    TextDisclosure::Part { field, pieces }
}

fn whole(text: &OpenedText) -> TextDisclosure {
    TextDisclosure::Whole {
        field: text.field.as_str().to_string(),
        seed: hex::encode(*text.seed),
        text: text.text.to_string(),
    }
}

/// What to do with one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Show it whole.
    Show,
    /// Withhold all of it.
    WithholdAll,
    /// Withhold the pieces marked true.
    Pieces(Vec<bool>),
}

/// What one record's text shows, for the reader.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The fields from which something was withheld.
    pub withheld: Vec<ExportWithheld>,
    /// A text shown contains [`WITHHELD_MARK`] as the survivor typed it.
    pub typed_mark: bool,
}

fn fields_mut(op: &mut Operation) -> Option<&mut EntryFields> {
    match op.body.as_mut()? {
        Body::EntryCreated(c) => c.fields.as_mut(),
        Body::EntryAmended(a) => a.fields.as_mut(),
        _ => None,
    }
}

fn hex32<const N: usize>(s: &str) -> Option<[u8; N]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// Puts the texts an export shows into the disclosed operation `op`, after
/// checking each against the commitment the record signs; withheld runs read
/// [`WITHHELD_MARK`]. Records before format 3 must show none this way.
pub fn show_texts(
    op: &mut Operation,
    format_version: u32,
    shown: &[TextDisclosure],
) -> Result<Shown, String> {
    let mut out = Shown::default();
    let sealed = !op.sealed_texts.is_empty();
    let Some(fields) = fields_mut(op) else {
        if sealed || !shown.is_empty() {
            return Err("the record shows texts, but it is not an entry's fields".into());
        }
        return Ok(out);
    };
    let commitments =
        check_commitments(fields).map_err(|e| format!("the record is refused: {e}"))?;
    if format_version < crate::format::withholdable::WITHHOLDABLE_FORMAT_VERSION
        && (!commitments.is_empty() || sealed || !shown.is_empty())
    {
        return Err("the record's format holds no withholdable texts, yet it shows some".into());
    }
    if commitments.is_empty() && sealed {
        return Err("the record seals texts it does not commit to".into());
    }
    if shown.len() != commitments.len() {
        return Err(format!(
            "the record commits to {} texts but the export shows {}: it leaves one out or adds one",
            commitments.len(),
            shown.len()
        ));
    }
    for (field, commitment) in &commitments {
        let name = field.as_str();
        let number = field_number(*field).unwrap_or_default();
        let mut matching = shown.iter().filter(|d| d.field() == name);
        let (Some(d), None) = (matching.next(), matching.next()) else {
            return Err(format!(
                "the export does not say exactly once how the record's {name} is shown"
            ));
        };
        let altered =
            || format!("the {name} shown is not what the record commits to: it was altered");
        let text = match d {
            TextDisclosure::Whole { seed, text, .. } => {
                let seed: [u8; SEED_LEN] = hex32(seed).ok_or_else(altered)?;
                if crate::format::withholdable::commit_text(number, &seed, text) != *commitment {
                    return Err(altered());
                }
                out.typed_mark |= text.contains(WITHHELD_MARK);
                text.clone()
            }
            TextDisclosure::Part { pieces, .. } => {
                let mut digests = Vec::with_capacity(pieces.len());
                let mut shown: Vec<Option<&str>> = Vec::with_capacity(pieces.len());
                for (i, p) in pieces.iter().enumerate() {
                    let i = u32::try_from(i).map_err(|_| altered())?;
                    match p {
                        PieceDisclosure::Shown { salt, text: words } => {
                            let salt: [u8; SALT_LEN] = hex32(salt).ok_or_else(altered)?;
                            digests.push(piece_digest(i, &salt, words));
                            out.typed_mark |= words.contains(WITHHELD_MARK);
                            shown.push(Some(words));
                        }
                        PieceDisclosure::Withheld(digest) => {
                            digests.push(hex32(digest).ok_or_else(altered)?);
                            shown.push(None);
                        }
                    }
                }
                if text_commitment(number, &digests) != *commitment {
                    return Err(altered());
                }
                let text = marked(shown);
                out.withheld.push(ExportWithheld {
                    field: name.to_string(),
                    part: true,
                });
                text
            }
            TextDisclosure::Withheld { .. } => {
                out.withheld.push(ExportWithheld {
                    field: name.to_string(),
                    part: false,
                });
                WITHHELD_MARK.to_string()
            }
        };
        crate::format::withholdable::set_text(fields, *field, text);
    }
    fields.withholdable.clear();
    op.sealed_texts.clear();
    Ok(out)
}

/// What the withholdings asked of one field (`asked`, each with whether it
/// matched anything yet) ask of one version of its text: all of it, the pieces
/// their passages cover, or nothing. Marks each that covered something.
pub fn choose<'w, 'm>(
    text: &str,
    asked: impl IntoIterator<Item = (&'w Withholding, &'m mut bool)>,
) -> Choice {
    let mut all = false;
    let mut mask: Option<Vec<bool>> = None;
    for (w, matched) in asked {
        match &w.passage {
            None => {
                *matched = true;
                all = true;
            }
            Some(p) => {
                if let Some(covered) = covered_pieces(text, p) {
                    *matched = true;
                    let m = mask.get_or_insert_with(|| vec![false; covered.len()]);
                    for (a, b) in m.iter_mut().zip(covered) {
                        *a |= b;
                    }
                }
            }
        }
    }
    if all {
        Choice::WithholdAll
    } else {
        mask.map_or(Choice::Show, Choice::Pieces)
    }
}

/// `text` as a copy shows it under `choice` (as [`disclose`] proves it), and
/// whether only part was withheld; `None` when nothing is.
pub fn apply(text: &str, choice: &Choice) -> Option<(String, bool)> {
    let mask = match choice {
        Choice::Show => return None,
        Choice::WithholdAll => return Some((WITHHELD_MARK.to_string(), false)),
        Choice::Pieces(mask) => mask,
    };
    let cut = pieces(text);
    if mask.len() != cut.len() || mask.iter().all(|m| *m) {
        return Some((WITHHELD_MARK.to_string(), false));
    }
    if !mask.iter().any(|m| *m) {
        return None;
    }
    let shown = cut.iter().zip(mask).map(|(p, m)| (!m).then_some(*p));
    Some((marked(shown), true))
}

/// Pieces in order, `None` for a withheld one: each run of withheld pieces
/// reads as one [`WITHHELD_MARK`].
fn marked<'a>(pieces: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    let mut in_withheld = false;
    for piece in pieces {
        match piece {
            Some(words) => out.push_str(words),
            None if !in_withheld => out.push_str(WITHHELD_MARK),
            None => {}
        }
        in_withheld = piece.is_none();
    }
    out
}

/// The error for a withholding that matched nothing in its entry.
pub fn unmatched(w: &Withholding) -> WithholdError {
    let (entry, field) = (short_entry(&w.entry), w.field.as_str());
    match w.passage {
        None => WithholdError::NothingThere { entry, field },
        Some(_) => WithholdError::PassageNotFound { entry, field },
    }
}

/// Withholds from one text of `view` what `all` asks of `field`.
fn withhold_one(
    all: &[Withholding],
    matched: &mut [bool],
    entry: &EntryId,
    field: Field,
    slot: &mut String,
    withheld: &mut Vec<ExportWithheld>,
) {
    let asked = all
        .iter()
        .zip(matched.iter_mut())
        .filter(|(w, _)| &w.entry == entry && w.field == field);
    if let Some((text, part)) = apply(slot, &choose(slot, asked)) {
        *slot = text;
        withheld.push(ExportWithheld {
            field: field.as_str().to_string(),
            part,
        });
    }
}

/// Withholds from a copy of an entry (a share, which carries no proof) what
/// `all` names for it: in its fields, every version in its history, and its
/// conflicts, as an export reads it. Every withholding must match something.
pub fn withhold_in_view(
    view: &mut crate::journal::EntryView,
    all: &[Withholding],
) -> Result<Vec<ExportWithheld>, WithholdError> {
    use crate::journal::FieldValue;
    let id = view.id;
    for w in all.iter().filter(|w| w.entry == id) {
        check(w)?;
    }
    let mut matched = vec![false; all.len()];
    let mut withheld = Vec::new();
    let mut one = |field, slot: &mut String| {
        withhold_one(all, &mut matched, &id, field, slot, &mut withheld);
    };
    one(Field::Text, &mut view.text);
    for (field, slot) in [
        (Field::Title, &mut view.title),
        (Field::Location, &mut view.location),
        (Field::Injuries, &mut view.injuries),
        (Field::Impact, &mut view.impact),
    ] {
        if let Some(s) = slot.as_mut() {
            one(field, s);
        }
    }
    for r in &mut view.history {
        for field in WITHHOLDABLE {
            let text = match field {
                Field::Title => r.fields.title.as_mut(),
                Field::Text => r.fields.text.as_mut(),
                Field::Location => r.fields.location.as_mut(),
                Field::Injuries => r.fields.injuries.as_mut(),
                Field::Impact => r.fields.impact.as_mut(),
                _ => None,
            };
            if let Some(s) = text {
                one(field, s);
            }
        }
    }
    for c in &mut view.conflicts {
        let values = std::iter::once(&mut c.shown).chain(c.others.iter_mut().map(|o| &mut o.value));
        for v in values {
            let (field, s) = match v {
                FieldValue::Title(s) => (Field::Title, s),
                FieldValue::Text(s) => (Field::Text, s),
                FieldValue::Location(s) => (Field::Location, s),
                FieldValue::Injuries(s) => (Field::Injuries, s),
                FieldValue::Impact(s) => (Field::Impact, s),
                _ => continue,
            };
            one(field, s);
        }
    }
    if let Some((w, _)) = all
        .iter()
        .zip(&matched)
        .find(|(w, m)| w.entry == id && !**m)
    {
        return Err(unmatched(w));
    }
    Ok(summarize(&withheld))
}

/// What was withheld from an entry, over all its records: a field is listed
/// once, as `part` if any of its versions was shown in part.
pub fn summarize<'a>(
    per_record: impl IntoIterator<Item = &'a ExportWithheld>,
) -> Vec<ExportWithheld> {
    let mut by_field: BTreeMap<usize, (String, bool)> = BTreeMap::new();
    for w in per_record {
        let order = WITHHOLDABLE
            .iter()
            .position(|f| f.as_str() == w.field)
            .unwrap_or(usize::MAX);
        let slot = by_field
            .entry(order)
            .or_insert_with(|| (w.field.clone(), false));
        slot.1 |= w.part;
    }
    by_field
        .into_values()
        .map(|(field, part)| ExportWithheld { field, part })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::format::withholdable::{open_texts, seal_texts};
    use mycase_proto::v1::EntryCreated;

    fn sealed_entry() -> (Operation, Vec<OpenedText>) {
        let mut op = Operation {
            body: Some(Body::EntryCreated(EntryCreated {
                entry_id: vec![1; 16],
                fields: Some(EntryFields {
                    text: Some("He came to 12 Elm Road, Leeds at night.".into()),
                    location: Some("12 Elm Road".into()),
                    ..Default::default()
                }),
            })),
            ..Default::default()
        };
        seal_texts(&mut op, &[3; 32], b"ad");
        let texts = open_texts(&op, &[3; 32], b"ad").unwrap();
        (op, texts)
    }

    fn text_of(op: &Operation) -> (Option<String>, Option<String>) {
        match op.body.as_ref().unwrap() {
            Body::EntryCreated(c) => {
                let f = c.fields.as_ref().unwrap();
                (f.text.clone(), f.location.clone())
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_passage_covers_the_pieces_it_touches_everywhere_it_appears() {
        let text = "Elm Road, then elm road again";
        let mask = covered_pieces(text, "Elm Road").unwrap();
        let shown: String = pieces(text)
            .iter()
            .zip(&mask)
            .map(|(p, m)| if *m { "#" } else { p })
            .collect();
        assert_eq!(shown, "### then elm road again");
        let mask = covered_pieces(text, "ELM ROAD").unwrap();
        assert!(mask.iter().filter(|m| **m).count() >= 6);
        assert_eq!(covered_pieces(text, "Oak"), None);
        assert_eq!(covered_pieces(text, "  "), None);
    }

    #[test]
    fn shown_whole_in_part_and_withheld_all_prove_against_the_record() {
        let (op, texts) = sealed_entry();
        let text = texts.iter().find(|t| t.field == Field::Text).unwrap();
        let loc = texts.iter().find(|t| t.field == Field::Location).unwrap();
        let mask = covered_pieces(&text.text, "12 Elm Road").unwrap();
        let shown = vec![
            disclose(text, &Choice::Pieces(mask)),
            disclose(loc, &Choice::WithholdAll),
        ];
        let mut disclosed = op.clone();
        let result = show_texts(&mut disclosed, 3, &shown).unwrap();
        assert_eq!(
            text_of(&disclosed),
            (
                Some("He came to [withheld] Leeds at night.".into()),
                Some("[withheld]".into())
            )
        );
        assert_eq!(
            result.withheld,
            vec![
                ExportWithheld {
                    field: "text".into(),
                    part: true
                },
                ExportWithheld {
                    field: "location".into(),
                    part: false
                },
            ]
        );
        // The export carries nothing of the withheld words.
        let json = serde_json::to_string(&shown).unwrap();
        assert!(!json.contains("Elm"), "{json}");

        let whole = vec![disclose(text, &Choice::Show), disclose(loc, &Choice::Show)];
        let mut disclosed = op.clone();
        let result = show_texts(&mut disclosed, 3, &whole).unwrap();
        assert!(result.withheld.is_empty());
        assert_eq!(text_of(&disclosed).1.as_deref(), Some("12 Elm Road"));
    }

    #[test]
    fn altered_shown_words_a_moved_marker_or_a_dropped_text_are_refused() {
        let (op, texts) = sealed_entry();
        let text = texts.iter().find(|t| t.field == Field::Text).unwrap();
        let loc = texts.iter().find(|t| t.field == Field::Location).unwrap();
        let mask = covered_pieces(&text.text, "12 Elm Road").unwrap();
        let honest = vec![
            disclose(text, &Choice::Pieces(mask)),
            disclose(loc, &Choice::Show),
        ];

        // A shown word changed.
        let mut changed = honest.clone();
        if let TextDisclosure::Part { pieces, .. } = &mut changed[0] {
            if let PieceDisclosure::Shown { text, .. } = pieces.last_mut().unwrap() {
                *text = "morning.".into();
            }
        }
        assert!(show_texts(&mut op.clone(), 3, &changed)
            .unwrap_err()
            .contains("altered"));

        // A shown word turned into a marker (withheld after the fact by someone else).
        let mut hidden = honest.clone();
        if let TextDisclosure::Part { pieces, .. } = &mut hidden[0] {
            pieces[0] = PieceDisclosure::Withheld(hex::encode([0; 32]));
        }
        assert!(show_texts(&mut op.clone(), 3, &hidden).is_err());

        // The whole location replaced.
        let mut swapped = honest.clone();
        if let TextDisclosure::Whole { text, .. } = &mut swapped[1] {
            *text = "Nowhere".into();
        }
        assert!(show_texts(&mut op.clone(), 3, &swapped).is_err());

        // A text left out, or shown twice.
        assert!(show_texts(&mut op.clone(), 3, &honest[..1]).is_err());
        let twice = vec![honest[0].clone(), honest[0].clone()];
        assert!(show_texts(&mut op.clone(), 3, &twice).is_err());

        // Texts shown for a record of an older format.
        assert!(show_texts(&mut op.clone(), 2, &honest).is_err());
    }

    #[test]
    fn summary_lists_each_field_once_part_wins() {
        let w = |f: &str, part| ExportWithheld {
            field: f.into(),
            part,
        };
        let all = [w("location", false), w("text", false), w("text", true)];
        assert_eq!(summarize(&all), vec![w("text", true), w("location", false)]);
    }
}
