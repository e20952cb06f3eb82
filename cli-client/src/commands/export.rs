//! `mycase export`: the journal as a court-ready HTML chronology, a complete JSON
//! document (right of access and portability) or plain Markdown, each with the
//! proof `mycase verify` checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mycase_core::export::model::ExportFilter;
use mycase_core::export::{html, markdown};
use serde::Serialize;

use super::filter::FilterArgs;
use crate::connect;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Json,
    Md,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// html (to read and print), json (everything, machine-readable) or md (plain text).
    #[arg(long, value_enum)]
    format: Format,
    /// The file to write (replaced if it exists; readable by you only).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
    /// Do not fetch the attachment files into FILE.attachments/ (the export still
    /// lists each one with its SHA-256).
    #[arg(long)]
    no_attachments: bool,
    /// Print JSON: what was written.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct ExportedJson {
    out: String,
    format: &'static str,
    entries: usize,
    records: usize,
    with_receipts: usize,
    /// Where the attachment files were written, if any were.
    attachments_dir: Option<String>,
    attachments_written: usize,
    attachments_missing: usize,
}

/// `FILE.attachments`, beside the export.
fn attachments_dir(out: &Path) -> PathBuf {
    let mut dir = out.as_os_str().to_owned();
    dir.push(".attachments");
    PathBuf::from(dir)
}

/// Fetches every exported attachment into `dir/<attachment id>/<its name>`,
/// each checked against its SHA-256 on the way. Returns (written, missing).
async fn write_attachments(
    device: &mycase_core::Device<mycase_core::store::file::FileStore>,
    doc: &mycase_core::export::ExportDocument,
    dir: &Path,
) -> Result<(usize, usize)> {
    let wanted: Vec<(&str, &str)> = doc
        .entries
        .iter()
        .flat_map(|e| {
            e.attachments
                .iter()
                .map(move |a| (e.id.as_str(), a.attachment_id.as_str()))
        })
        .collect();
    if wanted.is_empty() {
        return Ok((0, 0));
    }
    let transport = connect::transport_for(device).await?;
    let (mut written, mut missing) = (0, 0);
    for (entry, attachment) in wanted {
        let Some(entry_id) = hex::decode(entry)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
        else {
            missing += 1;
            continue;
        };
        let target = dir.join(attachment);
        create_private_dir(&target)?;
        match device
            .get_attachment(&transport, entry_id, attachment, &target, |_, _| {})
            .await
        {
            Ok(_) => written += 1,
            Err(e) => {
                missing += 1;
                crate::say!("warning: attachment {attachment} was not written: {e}");
            }
        }
    }
    Ok((written, missing))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Writes `bytes` to `path` whole or not at all, readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Every record the export discloses: its entries', people's and devices'.
fn proofs(
    doc: &mycase_core::export::ExportDocument,
) -> impl Iterator<Item = &mycase_core::export::model::RecordProof> {
    let m = &doc.manifest;
    m.operations
        .iter()
        .map(|o| &o.proof)
        .chain(m.person_operations.iter().map(|o| &o.proof))
        .chain(m.device_additions.iter().map(|o| &o.proof))
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let filter = args.filter.to_filter(journal)?;
    let described = ExportFilter {
        from: args.filter.from.clone(),
        to: args.filter.to.clone(),
        categories: filter.categories.clone(),
        people: filter.people.iter().map(hex::encode).collect(),
        tags: filter.tags.clone(),
    };
    let mut doc = device
        .export_document(&filter, described)
        .context("building the export")?;
    let (bytes, format) = match args.format {
        Format::Json => (
            serde_json::to_vec_pretty(&doc).context("encoding the export")?,
            "json",
        ),
        Format::Html => {
            // The patterns are figured as of today, which the page then records,
            // so that `mycase verify` renders the same page.
            doc.patterns_as_of = Some(chrono::Local::now().date_naive().to_string());
            (html::render_page(&doc, journal).into_bytes(), "html")
        }
        Format::Md => (markdown::render(&doc).into_bytes(), "md"),
    };
    write_private(&args.out, &bytes)?;
    let dir = attachments_dir(&args.out);
    let (attachments_written, attachments_missing) = if args.no_attachments {
        (0, 0)
    } else {
        write_attachments(&device, &doc, &dir).await?
    };
    let summary = ExportedJson {
        attachments_dir: (attachments_written > 0).then(|| dir.display().to_string()),
        attachments_written,
        attachments_missing,
        out: args.out.display().to_string(),
        format,
        entries: doc.entries.len(),
        records: proofs(&doc).count(),
        with_receipts: proofs(&doc).filter(|p| p.receipt.is_some()).count(),
    };
    if args.json {
        return output::print_json(&summary);
    }
    let mut line = format!(
        "Exported {} {} to {} ({} records, {} with a server receipt).",
        summary.entries,
        if summary.entries == 1 {
            "entry"
        } else {
            "entries"
        },
        summary.out,
        summary.records,
        summary.with_receipts
    );
    if let Some(dir) = &summary.attachments_dir {
        line.push_str(&format!(
            "\n{} attachment files (checked against their SHA-256) in {dir}.",
            summary.attachments_written
        ));
    }
    if summary.attachments_missing > 0 {
        line.push_str(&format!(
            "\n{} attachment files could not be fetched (is the server reachable?); the export lists their SHA-256.",
            summary.attachments_missing
        ));
    }
    if summary.with_receipts < summary.records {
        line.push_str(
            "\nSome records have no server receipt yet: run `mycase sync`, then export again.",
        );
    }
    output::print_line(&line)
}
