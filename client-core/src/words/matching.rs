//! Finding one person, category, device or share by what someone types: any unique
//! prefix or part of its name, case- and accent-insensitive ("dave" finds "Dave
//! Smith" when there is one Dave; "coercive" finds "Coercive or controlling
//! behaviour"; "zoe" finds "Zoë").
//!
//! An exact match wins over partial ones. Several partial matches are
//! [`MatchError::Ambiguous`] with the candidates, never a guess: attaching the wrong
//! person to an entry is worse than asking again. No match is
//! [`MatchError::NotFound`] with "did you mean" suggestions by edit distance.
//! The error messages name no candidate (they may reach a log); the candidates
//! are data, for the caller to show.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Shortest part of a name that is looked for inside names: fewer letters match
/// by accident ("ab" is in "tablet"), and a device found by accident may be revoked.
pub const MIN_PART_LEN: usize = 3;

/// Shortest prefix of a key (an id in hex, a slug) that counts.
pub const MIN_KEY_PREFIX_LEN: usize = 4;

/// Most "did you mean" suggestions given.
pub const MAX_SUGGESTIONS: usize = 3;

/// Something that can be named: its id, the name shown, and other keys it is known
/// by (an id in hex, a slug), which match exactly or from their start.
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate<Id> {
    /// What the match returns.
    pub id: Id,
    /// The name shown, and matched by any part.
    pub name: String,
    /// Matched exactly or by a prefix of at least [`MIN_KEY_PREFIX_LEN`] characters.
    pub keys: Vec<String>,
}

impl<Id> std::fmt::Debug for Candidate<Id> {
    // Names can identify someone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate").finish_non_exhaustive()
    }
}

/// Why no single candidate was found.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError<Id> {
    /// Nothing was typed.
    #[error("nothing was given to look for")]
    Empty,
    /// More than one candidate matches, none exactly.
    #[error("{} match that; give more of the name", candidates.len())]
    Ambiguous {
        /// Every candidate that matched, in the list's order.
        candidates: Vec<Candidate<Id>>,
    },
    /// None matches.
    #[error("none matches that")]
    NotFound {
        /// The closest names by edit distance, closest first (may be empty).
        did_you_mean: Vec<Candidate<Id>>,
    },
}

impl<Id> std::fmt::Debug for MatchError<Id> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchError::Empty => f.write_str("Empty"),
            MatchError::Ambiguous { candidates } => f
                .debug_struct("Ambiguous")
                .field("candidates", &candidates.len())
                .finish(),
            MatchError::NotFound { did_you_mean } => f
                .debug_struct("NotFound")
                .field("did_you_mean", &did_you_mean.len())
                .finish(),
        }
    }
}

/// Lower case without accents: "Zoë" and "ZOE" both become "zoe". For comparing
/// what people type with what was stored, never for storing.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`fold`], with dashes and underscores as spaces and runs of spaces as one, so a
/// slug ("coercive-or-controlling") reads like its name.
fn name_key(s: &str) -> String {
    fold(s)
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a name, folded, split at anything that is not a letter or digit.
fn words_of(name: &str) -> Vec<String> {
    fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The one candidate `wanted` names (see the module's rules).
pub fn find<Id: Clone + PartialEq>(
    wanted: &str,
    candidates: &[Candidate<Id>],
) -> Result<Id, MatchError<Id>> {
    let wanted = name_key(wanted);
    if wanted.is_empty() {
        return Err(MatchError::Empty);
    }
    let exact: Vec<&Candidate<Id>> = candidates
        .iter()
        .filter(|c| name_key(&c.name) == wanted || c.keys.iter().any(|k| name_key(k) == wanted))
        .collect();
    let partial: Vec<&Candidate<Id>> = candidates
        .iter()
        .filter(|c| {
            // A whole word of the name counts however short ("Jo" in "Jo
            // (neighbour)"): a word is not found by accident the way a part is.
            words_of(&c.name).contains(&wanted)
                || (wanted.chars().count() >= MIN_PART_LEN && name_key(&c.name).contains(&wanted))
                || (wanted.chars().count() >= MIN_KEY_PREFIX_LEN
                    && c.keys.iter().any(|k| name_key(k).starts_with(&wanted)))
        })
        .collect();
    let found = if exact.is_empty() { partial } else { exact };
    let mut distinct: Vec<&Candidate<Id>> = Vec::new();
    for c in found {
        if !distinct.iter().any(|d| d.id == c.id) {
            distinct.push(c);
        }
    }
    match distinct.as_slice() {
        [] => Err(MatchError::NotFound {
            did_you_mean: suggestions(&wanted, candidates),
        }),
        [one] => Ok(one.id.clone()),
        many => Err(MatchError::Ambiguous {
            candidates: many.iter().map(|c| (*c).clone()).collect(),
        }),
    }
}

/// The candidates whose name (or a word of it, or its start) is within a small
/// edit distance of `wanted`, closest first.
fn suggestions<Id: Clone>(wanted: &str, candidates: &[Candidate<Id>]) -> Vec<Candidate<Id>> {
    let len = wanted.chars().count();
    let allowed = if len <= 3 { 1 } else { (len / 3).max(2) };
    let mut scored: Vec<(usize, usize, &Candidate<Id>)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(order, c)| {
            let name = name_key(&c.name);
            let start: String = name.chars().take(len).collect();
            let mut targets: Vec<&str> = name.split(' ').collect();
            targets.push(&name);
            targets.push(&start);
            let best = targets
                .iter()
                .map(|t| strsim::damerau_levenshtein(wanted, t))
                .min()?;
            (best <= allowed).then_some((best, order, c))
        })
        .collect();
    scored.sort_by_key(|(distance, order, _)| (*distance, *order));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, c)| c.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn list(names: &[&str]) -> Vec<Candidate<usize>> {
        names
            .iter()
            .enumerate()
            .map(|(id, name)| Candidate {
                id,
                name: name.to_string(),
                keys: vec![format!("{id:04}abcd")],
            })
            .collect()
    }

    fn names<Id>(found: &[Candidate<Id>]) -> Vec<&str> {
        found.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn a_short_name_is_found_as_a_whole_word_but_not_as_a_part() {
        let people = list(&["Jo (neighbour)", "Dave Smith", "Tablet"]);
        assert_eq!(find("jo", &people), Ok(0));
        assert_eq!(find("Jo", &people), Ok(0));
        // Two letters inside a word are still no match.
        assert!(matches!(
            find("ab", &people),
            Err(MatchError::NotFound { .. })
        ));
        assert!(matches!(
            find("da", &people),
            Err(MatchError::NotFound { .. })
        ));
        // Two people with that word: asked again, never guessed.
        let two = list(&["Jo (neighbour)", "Jo Bloggs"]);
        assert!(matches!(
            find("jo", &two),
            Err(MatchError::Ambiguous { .. })
        ));
    }

    #[test]
    fn a_unique_prefix_or_part_finds_it_in_any_case_or_accent() {
        let people = list(&["Dave Smith", "Zoë", "Jordan"]);
        assert_eq!(find("dave", &people), Ok(0));
        assert_eq!(find("DAV", &people), Ok(0));
        assert_eq!(find("smith", &people), Ok(0));
        assert_eq!(find("zoe", &people), Ok(1));
        assert_eq!(find("ZOË", &people), Ok(1));
        assert_eq!(find("  jordan ", &people), Ok(2));
        assert_eq!(find("ord", &people), Ok(2));
    }

    #[test]
    fn an_exact_match_wins_over_partial_ones() {
        let people = list(&["Sam", "Samantha", "Sam's mum"]);
        assert_eq!(find("sam", &people), Ok(0));
        match find("sama", &people) {
            Ok(1) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn several_partial_matches_are_ambiguous_with_the_candidates() {
        let people = list(&["Dave Smith", "Dave Jones", "Jordan"]);
        let Err(MatchError::Ambiguous { candidates }) = find("dave", &people) else {
            panic!("expected ambiguous");
        };
        assert_eq!(names(&candidates), ["Dave Smith", "Dave Jones"]);
        // The message names nobody.
        let message = find("dave", &people).unwrap_err().to_string();
        assert_eq!(message, "2 match that; give more of the name");
    }

    #[test]
    fn none_gives_did_you_mean_by_edit_distance() {
        let people = list(&["Dave Smith", "Jordan", "Sam"]);
        let Err(MatchError::NotFound { did_you_mean }) = find("Jordon", &people) else {
            panic!("expected not found");
        };
        assert_eq!(names(&did_you_mean), ["Jordan"]);
        let Err(MatchError::NotFound { did_you_mean }) = find("smoth", &people) else {
            panic!("expected not found");
        };
        assert_eq!(names(&did_you_mean), ["Dave Smith"]);
        let Err(MatchError::NotFound { did_you_mean }) = find("quentin", &people) else {
            panic!("expected not found");
        };
        assert!(did_you_mean.is_empty());
        assert_eq!(find(" ", &people), Err(MatchError::Empty));
    }

    #[test]
    fn keys_match_exactly_or_by_a_long_enough_prefix() {
        let people = list(&["Dave", "Jordan"]);
        assert_eq!(find("0001abcd", &people), Ok(1));
        assert_eq!(find("0001", &people), Ok(1));
        // Too short to be taken as a key prefix, and in no name.
        assert!(matches!(
            find("000", &people),
            Err(MatchError::NotFound { .. })
        ));
        // One letter is not looked for inside names.
        assert!(matches!(
            find("v", &people),
            Err(MatchError::NotFound { .. })
        ));
    }

    #[test]
    fn the_same_id_under_two_names_counts_once() {
        let mut c = list(&["Threats"]);
        c[0].keys = vec!["threats".into()];
        assert_eq!(find("threat", &c), Ok(0));
    }

    #[test]
    fn fold_drops_case_and_accents() {
        assert_eq!(fold("Siobhán ZOË Renée"), "siobhan zoe renee");
    }
}
