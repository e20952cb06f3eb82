//! `mycase verify FILE --server-key KEY`: checks an export offline, entry by
//! entry. Needs no MyCase home, passphrase or network.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use mycase_core::evidence::verify::{verify_export_text, EntryReport};

use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The export to check (the .json or .html file `mycase export` wrote).
    file: PathBuf,
    /// The server's receipt key, 64 hex digits (`mycase-server public-key` prints it).
    #[arg(long, value_name = "KEY")]
    server_key: String,
    /// Print JSON: the report per entry.
    #[arg(long)]
    json: bool,
}

fn line(r: &EntryReport) -> String {
    let id = r.entry_id.get(..8).unwrap_or(&r.entry_id);
    if r.ok() {
        let when = match (r.received_at.first(), r.received_at.last()) {
            (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
            (Some(first), _) => first.clone(),
            _ => String::new(),
        };
        return format!(
            "OK      entry {id}: unchanged since it was recorded; chain and device signature valid; \
             the server received it at {when}"
        );
    }
    let mut out = format!(
        "FAILED  entry {id}: unchanged {}, signed {}, received {}",
        yes_no(r.unchanged),
        yes_no(r.signed),
        yes_no(r.received)
    );
    for p in &r.problems {
        out.push_str(&format!("\n          - {p}"));
    }
    out
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "NO"
    }
}

pub fn run(args: Args) -> Result<()> {
    let key: [u8; 32] = hex::decode(args.server_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("--server-key: give the server's public key as 64 hex digits")?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let report = verify_export_text(&text, &key)
        .with_context(|| format!("checking {}", args.file.display()))?;
    let failed = report.entries.iter().filter(|e| !e.ok()).count();
    if args.json {
        output::print_json(&serde_json::json!({
            "ok": report.ok(),
            "entries": report.entries,
            "problems": report.problems,
        }))?;
    } else {
        let mut lines: Vec<String> = report.entries.iter().map(line).collect();
        lines.extend(report.problems.iter().map(|p| format!("FAILED  {p}")));
        lines.push(if report.ok() {
            format!("All {} entries verified.", report.entries.len())
        } else {
            format!(
                "Verification FAILED: {failed} of {} entries{}.",
                report.entries.len(),
                if report.problems.is_empty() {
                    ""
                } else {
                    ", and the document itself"
                }
            )
        });
        output::print_line(&lines.join("\n"))?;
    }
    if !report.ok() {
        bail!("the export did not verify");
    }
    Ok(())
}
