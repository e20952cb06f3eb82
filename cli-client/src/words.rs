//! The words people type, at the terminal: a date read back before it is saved
//! (and a date in the future questioned), and a name picked with "did you mean".
//! The reading itself is `mycase_core::words`; this only asks and explains.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};
use mycase_core::words::{dates, matching, uk_time};
use mycase_proto::v1::OccurredAt;

/// `text` read as a date (see `mycase_core::words::dates`), with its read-back
/// shown on standard error ("Recorded as: March 2026, approximate"). A date in the
/// future is questioned at a terminal; without one it is refused unless `yes`
/// (so a script never stores a mistyped year without saying so).
pub fn when(flag: &str, text: &str, yes: bool) -> Result<(OccurredAt, String)> {
    let understood = dates::understand(text, now()).with_context(|| flag.to_string())?;
    crate::say!("Recorded as: {}", understood.read_back);
    if understood.in_future && !yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "{flag}: that is in the future; nothing was saved. If it is right, give --yes \
                 to record it anyway"
            );
        }
        if !future_confirmed()? {
            bail!("{flag}: not confirmed; nothing was saved");
        }
    }
    Ok((understood.occurred_at, understood.read_back))
}

/// A date written after the text (on the editor's "When:" line), at a terminal.
/// The text must not be lost: a date that is not understood, or a future one not
/// confirmed, is asked for again, and an empty answer saves without a date.
pub fn when_after_text(first: &str, yes: bool) -> Result<Option<OccurredAt>> {
    let mut typed = first.to_string();
    loop {
        match dates::understand(&typed, now()) {
            Ok(understood) => {
                crate::say!("Recorded as: {}", understood.read_back);
                if !understood.in_future || yes || future_confirmed()? {
                    return Ok(Some(understood.occurred_at));
                }
            }
            Err(e) => crate::say!("When: {e}"),
        }
        crate::say!("When it happened (or leave it empty to save the entry without a date):");
        typed = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut typed)
            .context("could not read the date")?;
        if read == 0 || typed.trim().is_empty() {
            crate::say!("Saved without a date; `mycase amend ID --when -` adds one.");
            return Ok(None);
        }
    }
}

fn now() -> chrono::NaiveDateTime {
    uk_time::uk_now(mycase_core::now_ms())
}

/// Asks "That is in the future — is that right?"; yes or y keeps it.
fn future_confirmed() -> Result<bool> {
    crate::say!("That is in the future — is that right? Type yes to keep it:");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("could not read the answer")?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// What is being picked, for the messages: "person"/"people", and the command
/// that lists them (`None`: the list is short and fixed, so the message gives it).
pub struct Kind {
    pub one: &'static str,
    pub many: &'static str,
    pub listed_by: Option<&'static str>,
}

pub const PERSON: Kind = Kind {
    one: "person",
    many: "people",
    listed_by: Some("`mycase people list`"),
};

pub const CATEGORY: Kind = Kind {
    one: "category",
    many: "categories",
    listed_by: None,
};

pub const DEVICE: Kind = Kind {
    one: "device",
    many: "devices",
    listed_by: Some("`mycase devices`"),
};

/// The one candidate `wanted` names, or an error that lists the candidates it
/// could be (several) or the closest names (none). What was typed is not repeated.
pub fn pick<Id: Clone + PartialEq>(
    flag: &str,
    kind: &Kind,
    wanted: &str,
    candidates: &[matching::Candidate<Id>],
) -> Result<Id> {
    let names = |found: &[matching::Candidate<Id>]| -> String {
        let names: Vec<String> = found.iter().map(|c| format!("\"{}\"", c.name)).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    };
    match matching::find(wanted, candidates) {
        Ok(id) => Ok(id),
        Err(matching::MatchError::Empty) => bail!("{flag}: give a name"),
        Err(matching::MatchError::Ambiguous { candidates }) => bail!(
            "{flag}: {} {} match that: {}; give more of the name",
            candidates.len(),
            kind.many,
            names(&candidates)
        ),
        Err(matching::MatchError::NotFound { did_you_mean }) if did_you_mean.is_empty() => {
            match kind.listed_by {
                Some(command) => bail!("{flag}: no {} has that name (see {command})", kind.one),
                None => bail!(
                    "{flag}: no {} has that name; choose from {}",
                    kind.one,
                    names(candidates)
                ),
            }
        }
        Err(matching::MatchError::NotFound { did_you_mean }) => bail!(
            "{flag}: no {} has that name; did you mean {}?",
            kind.one,
            names(&did_you_mean)
        ),
    }
}
