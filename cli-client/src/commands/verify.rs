//! `mycase verify FILE --server-key KEY`: checks an export offline, entry by
//! entry, and each person and device it lists. Needs no MyCase home, passphrase
//! or network. Says what it proves for each item and, always, what no export
//! proves.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use mycase_core::app::{verdict, DEVICE_HOLDS, ENTRY_HOLDS, PERSON_HOLDS};
use mycase_core::evidence::verify::{verify_export_bytes, Checks, VerifyReport};

use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The export to check (the .json, .html or .pdf file `mycase export` wrote). The
    /// attachment files in FILE.attachments/ beside it are checked too.
    file: PathBuf,
    /// The server's receipt key, 64 hex digits (`mycase-server public-key` prints it).
    #[arg(long, value_name = "KEY")]
    server_key: String,
    /// Print JSON: the report per entry, person and device.
    #[arg(long)]
    json: bool,
}

/// One item's lines: `OK` with what holds, or `FAILED` with what does not;
/// then its problems and its limits.
fn item(kind: &str, id: &str, c: &Checks, holds: &str) -> String {
    let id = id.get(..8).unwrap_or(id);
    let mut out = if c.ok() {
        format!(
            "OK      {kind} {id}: {holds}; chain and device signature valid; \
             the server received it at {}",
            mycase_core::app::received_when(c)
        )
    } else {
        format!(
            "FAILED  {kind} {id}: unchanged {}, signed {}, received {}, complete {}",
            yes_no(c.unchanged),
            yes_no(c.signed),
            yes_no(c.received),
            yes_no(c.complete)
        )
    };
    for p in &c.problems {
        out.push_str(&format!("\n          - {p}"));
    }
    for l in &c.limits {
        out.push_str(&format!("\n          note: {l}"));
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

fn text_report(report: &VerifyReport) -> String {
    let mut lines: Vec<String> = Vec::new();
    for e in &report.entries {
        lines.push(item("entry", &e.entry_id, &e.checks, ENTRY_HOLDS));
    }
    for p in &report.people {
        lines.push(item("person", &p.person_id, &p.checks, PERSON_HOLDS));
    }
    for d in &report.devices {
        lines.push(item("device", &d.device_id, &d.checks, DEVICE_HOLDS));
    }
    for f in &report.files {
        let id = f.attachment_id.get(..8).unwrap_or(&f.attachment_id);
        lines.push(match (f.kind, f.status) {
            ("original", "matches") => format!(
                "OK      file {}: the recorded original of attachment {id} (SHA-256 matches)",
                f.path
            ),
            (_, "matches") => format!(
                "OK      file {}: a copy of attachment {id} without location data, as the export \
                 names it. It is NOT the recorded original (SHA-256 {}), which is not beside \
                 this export",
                f.path,
                f.original_sha256.as_deref().unwrap_or("?")
            ),
            (_, "missing") => format!("note    file {}: not beside the export", f.path),
            _ => format!(
                "FAILED  file {}: differs from what the export names",
                f.path
            ),
        });
    }
    lines.extend(report.problems.iter().map(|p| format!("FAILED  {p}")));
    lines.push("Not proven by this or any export:".into());
    lines.extend(report.not_proven.iter().map(|p| format!("  - {p}")));
    lines.extend(verdict(report));
    lines.join("\n")
}

pub fn run(args: Args) -> Result<()> {
    let key: [u8; 32] = hex::decode(args.server_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("--server-key: give the server's public key as 64 hex digits")?;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let folder = mycase_core::export::files::attachments_dir(&args.file);
    let (report, _) = verify_export_bytes(&bytes, &key, |relative| {
        let file = std::fs::File::open(folder.join(relative)).ok()?;
        mycase_core::attachment::digest_reader(file)
            .ok()
            .map(|d| d.sha256)
    })
    .with_context(|| format!("checking {}", args.file.display()))?;
    if args.json {
        output::print_json(&serde_json::json!({
            "ok": report.ok(),
            "format": report.format,
            "entries": report.entries,
            "people": report.people,
            "devices": report.devices,
            "files": report.files,
            "problems": report.problems,
            "not_proven": report.not_proven,
        }))?;
    } else {
        output::print_line(&text_report(&report))?;
    }
    if !report.ok() {
        bail!("the export did not verify");
    }
    Ok(())
}
