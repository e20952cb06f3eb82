//! Entry content typed at a prompt instead of on the command line.
//!
//! Whatever follows a flag (`--title "He broke the door"`) is kept in the shell's
//! history file, which `mycase wipe` cannot erase, and is visible to other
//! programs in the process list while MyCase runs. Every content flag therefore
//! takes `-`, meaning "ask me": at a terminal MyCase prompts for it; from a pipe it
//! reads it from standard input, one line per field in the order the flags are
//! handled (a list reads lines up to an empty one). When content does arrive as
//! a flag, the command says so once, on standard error.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};

/// Asks for the fields given as `-` and remembers which came as flags.
#[derive(Debug, Default)]
pub struct Content {
    flagged: Vec<&'static str>,
}

/// The value that means "ask me".
pub const ASK: &str = "-";

impl Content {
    /// One field: `None` stays `None`, `-` is asked for, anything else is taken
    /// as given (and noted for the warning).
    pub fn one(
        &mut self,
        flag: &'static str,
        label: &str,
        value: Option<String>,
    ) -> Result<Option<String>> {
        match value {
            Some(v) if v == ASK => ask_line(flag, label).map(Some),
            Some(v) => {
                self.note(flag, &v);
                Ok(Some(v))
            }
            None => Ok(None),
        }
    }

    /// A repeated field: values given are kept; each `-` among them asks for any
    /// number of values, one per line.
    pub fn many(
        &mut self,
        flag: &'static str,
        label: &str,
        values: Vec<String>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            if v == ASK {
                out.extend(ask_lines(flag, label)?);
            } else {
                self.note(flag, &v);
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Notes content that came as a flag or a command-line word.
    pub fn note(&mut self, flag: &'static str, value: &str) {
        if !value.trim().is_empty() && !self.flagged.contains(&flag) {
            self.flagged.push(flag);
        }
    }

    /// The warning, once, if anything came on the command line.
    pub fn warn(&self) {
        if self.flagged.is_empty() {
            return;
        }
        let flags = self.flagged.join(", ");
        crate::say!(
            "note: what you gave in {flags} is now in your shell's history, which MyCase cannot \
             erase. To keep it out next time, give - instead (for example `--title -`) and type \
             it when asked."
        );
    }
}

/// One line for `flag`, prompted at a terminal.
fn ask_line(flag: &str, label: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        crate::say!("{label}:");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("{flag}: could not read it from standard input"))?;
    let line = line.trim_end_matches(['\n', '\r']).to_string();
    if line.trim().is_empty() {
        bail!("{flag}: nothing was typed; nothing was saved");
    }
    Ok(line)
}

/// Lines for a repeated `flag` up to an empty line (or the end of the input).
fn ask_lines(flag: &str, label: &str) -> Result<Vec<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        crate::say!("{label}, one per line (an empty line ends the list):");
    }
    let mut out = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.with_context(|| format!("{flag}: could not read standard input"))?;
        if line.trim().is_empty() {
            break;
        }
        out.push(line.trim().to_string());
    }
    Ok(out)
}
