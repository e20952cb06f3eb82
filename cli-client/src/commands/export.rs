//! `mycase export`: the journal as a court-ready HTML chronology, a complete JSON
//! document (right of access and portability) or plain Markdown, each with the
//! proof `mycase verify` checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mycase_core::export::model::{AttachmentCopy, ExportFilter};
use mycase_core::export::{html, markdown};
use mycase_core::photo_metadata::{
    copy_file_name, may_hold_unread_location, strip_location, Stripped,
};
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
    /// Write photos that record where they were taken as copies without that
    /// data (NAME.no-location.EXT) instead of the originals; the export names
    /// both checksums. Without it the files are the originals, as recorded.
    #[arg(long, conflicts_with = "no_attachments")]
    strip_location: bool,
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
    /// How many of the files written are copies without location data.
    location_copies: usize,
}

/// `FILE.attachments`, beside the export.
fn attachments_dir(out: &Path) -> PathBuf {
    let mut dir = out.as_os_str().to_owned();
    dir.push(".attachments");
    PathBuf::from(dir)
}

/// What writing the attachment files gave.
#[derive(Default)]
struct Written {
    written: usize,
    missing: usize,
    copies: Vec<AttachmentCopy>,
}

/// Fetches every exported attachment into `dir/<attachment id>/<its name>`,
/// each checked against its SHA-256 on the way. With `strip_location`, a photo
/// that records where it was taken is written instead as a copy without it
/// (`<name>.no-location.<ext>`), named in the returned copies; one of which no
/// copy can be made is not written at all.
async fn write_attachments(
    device: &mycase_core::Device<mycase_core::store::file::FileStore>,
    doc: &mycase_core::export::ExportDocument,
    dir: &Path,
    strip_location: bool,
) -> Result<Written> {
    let wanted: Vec<(&str, &str)> = doc
        .entries
        .iter()
        .flat_map(|e| {
            e.attachments
                .iter()
                .map(move |a| (e.id.as_str(), a.attachment_id.as_str()))
        })
        .collect();
    let mut out = Written::default();
    if wanted.is_empty() {
        return Ok(out);
    }
    let transport = connect::transport_for(device).await?;
    for (entry, attachment) in wanted {
        let Some(entry_id) = hex::decode(entry)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
        else {
            out.missing += 1;
            continue;
        };
        let target = dir.join(attachment);
        create_private_dir(&target)?;
        let result = if strip_location {
            write_without_location(device, &transport, entry_id, attachment, &target).await
        } else {
            device
                .get_attachment(&transport, entry_id, attachment, &target, |_, _| {})
                .await
                .map(|_| None)
                .map_err(anyhow::Error::from)
        };
        match result {
            Ok(copy) => {
                out.written += 1;
                out.copies.extend(copy);
            }
            Err(e) => {
                out.missing += 1;
                crate::say!(
                    "warning: attachment {attachment} was not written: {}",
                    crate::advice::explain(&e)
                );
            }
        }
    }
    Ok(out)
}

/// Writes one attachment, or its copy without location data when it records a
/// place; returns the copy's description if it wrote one.
async fn write_without_location(
    device: &mycase_core::Device<mycase_core::store::file::FileStore>,
    transport: &mycase_core::transport::grpc::GrpcTransport,
    entry_id: [u8; 16],
    attachment: &str,
    target: &Path,
) -> Result<Option<AttachmentCopy>> {
    let view = device.find_attachment(&entry_id, attachment)?;
    let own_name = Path::new(&view.name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    let warn_unread = || {
        if may_hold_unread_location(&view.media_type) {
            crate::say!(
                "⚠ {own_name} may record where it was made; MyCase cannot remove that from \
                 this kind of file, so it is written as it is."
            );
        }
    };
    // Only photos are read whole into memory; a video or document streams to disk.
    if !view.media_type.starts_with("image/") {
        warn_unread();
        device
            .get_attachment(transport, entry_id, attachment, target, |_, _| {})
            .await?;
        return Ok(None);
    }
    let bytes = device.attachment_bytes(transport, &view).await?;
    match strip_location(&bytes).context("no copy without its location data could be made")? {
        Stripped::Copy(copy) => {
            let name = copy_file_name(&own_name);
            write_new_private(&target.join(&name), &copy.bytes)?;
            Ok(Some(AttachmentCopy::of(
                attachment,
                &view.sha256,
                &copy,
                format!("{attachment}/{name}"),
            )))
        }
        Stripped::NoLocation => {
            write_new_private(&target.join(&own_name), &bytes)?;
            Ok(None)
        }
        Stripped::NotReadable => {
            warn_unread();
            write_new_private(&target.join(&own_name), &bytes)?;
            Ok(None)
        }
    }
}

/// Writes a new file (never replacing one), whole or not at all, readable by
/// the owner only.
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.exists() {
        anyhow::bail!("{} already exists", path.display());
    }
    write_private(path, bytes)
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
    // The files first: the document names the copies among them.
    let dir = attachments_dir(&args.out);
    let files = if args.no_attachments {
        Written::default()
    } else {
        write_attachments(&device, &doc, &dir, args.strip_location).await?
    };
    doc.attachment_copies = files.copies;
    let (bytes, format) = match args.format {
        Format::Json => (
            serde_json::to_vec_pretty(&doc).context("encoding the export")?,
            "json",
        ),
        Format::Html => {
            // The patterns are figured as of today, which the page then records,
            // so that `mycase verify` renders the same page.
            doc.patterns_as_of = Some(
                mycase_core::words::uk_time::uk_now(mycase_core::now_ms())
                    .date()
                    .to_string(),
            );
            (html::render_page(&doc, journal).into_bytes(), "html")
        }
        Format::Md => (markdown::render(&doc).into_bytes(), "md"),
    };
    write_private(&args.out, &bytes)?;
    let summary = ExportedJson {
        attachments_dir: (files.written > 0).then(|| dir.display().to_string()),
        attachments_written: files.written,
        attachments_missing: files.missing,
        location_copies: doc.attachment_copies.len(),
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
    if summary.location_copies > 0 {
        line.push_str(&format!(
            "\n{} of them are copies without location data (NAME.no-location.EXT), not the \
             originals; the export names both checksums.",
            summary.location_copies
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
