//! `mycase export`: the journal as a court-ready HTML chronology, a complete JSON
//! document (right of access and portability) or plain Markdown, each with the
//! proof `mycase verify` checks.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mycase_core::export::files::{self, ExportFileError, FileNote, WrittenFiles};
use mycase_core::export::model::ExportFilter;
use mycase_core::export::ExportFormat;
use serde::Serialize;

use super::filter::FilterArgs;
use crate::connect;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Json,
    Md,
    Pdf,
}

impl From<Format> for ExportFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Html => ExportFormat::Html,
            Format::Json => ExportFormat::Json,
            Format::Md => ExportFormat::Markdown,
            Format::Pdf => ExportFormat::Pdf,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// html (to read and print), pdf (the same, printed to A4 by the Chromium on
    /// this computer), json (everything, machine-readable) or md (plain text).
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
    /// Put deleted entries in too, each marked as deleted (left out by default).
    #[arg(long)]
    include_deleted: bool,
    /// A case reference to print in the header of every page (yours to choose:
    /// a court, police or solicitor's reference). Not part of the records.
    #[arg(long, visible_alias = "case-ref", value_name = "REFERENCE")]
    case_reference: Option<String>,
    /// A name to print on the document (yours to choose, or none). Not part of
    /// the records.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Withhold from this export a field of an entry (ENTRY:FIELD, e.g.
    /// 3f2a91c0:location) or a passage of it (ENTRY:FIELD:WORDS, e.g.
    /// "3f2a91c0:text:12 Elm Road"), wherever it was set or appears, in every
    /// version. The document marks each place `[withheld]`, and verify still
    /// proves everything else. Fields: title, text, location, injuries, impact.
    /// Repeat for more.
    #[arg(long, value_name = "ENTRY:FIELD[:WORDS]")]
    withhold: Vec<String>,
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
    /// How many entries words were withheld from.
    entries_with_withheld: usize,
}

/// Fetches the attachment files beside the export (see
/// [`files::write_attachments`]), saying on standard error what was not written.
async fn write_attachments(
    device: &mycase_core::Device<mycase_core::store::file::FileStore>,
    doc: &mycase_core::export::ExportDocument,
    dir: &Path,
    strip_location: bool,
) -> Result<WrittenFiles> {
    if !files::has_attachments(doc) {
        return Ok(WrittenFiles::default());
    }
    let transport = connect::transport_for(device).await?;
    let mut written =
        files::write_attachments(device, &transport, doc, dir, strip_location).await?;
    for note in std::mem::take(&mut written.notes) {
        match note {
            FileNote::MayHoldUnreadLocation { name } => crate::say!(
                "⚠ {name} may record where it was made; MyCase cannot remove that from \
                 this kind of file, so it is written as it is."
            ),
            FileNote::NotWritten {
                attachment_id,
                error,
            } => {
                // The fetch's own error, so its advice is found.
                let why = match error {
                    ExportFileError::Attachment(e) => crate::advice::explain_error(e),
                    e => crate::advice::explain_error(e),
                };
                crate::say!("warning: attachment {attachment_id} was not written: {why}")
            }
        }
    }
    Ok(written)
}

/// What was typed, trimmed; nothing for blank.
fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
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
        include_deleted: args.include_deleted,
    };
    let withholdings = args
        .withhold
        .iter()
        .map(|spec| mycase_core::evidence::withheld::Withholding::parse(spec, journal))
        .collect::<Result<Vec<_>, _>>()
        .context("what to withhold")?;
    let mut doc = device
        .export_document_withholding(&filter, described, &withholdings)
        .context("building the export")?;
    // The files first: the document names the copies among them.
    let dir = files::attachments_dir(&args.out);
    let written = if args.no_attachments {
        WrittenFiles::default()
    } else {
        write_attachments(&device, &doc, &dir, args.strip_location).await?
    };
    doc.attachment_copies = written.copies;
    let format = ExportFormat::from(args.format);
    doc.presentation.case_reference = given(args.case_reference);
    doc.presentation.name = given(args.name);
    let photos = match format {
        ExportFormat::Html | ExportFormat::Pdf => files::show_photos(&mut doc, &dir),
        _ => Default::default(),
    };
    let today = mycase_core::words::uk_time::uk_now(mycase_core::now_ms()).date();
    let bytes = match format {
        ExportFormat::Pdf => files::render_pdf(&mut doc, journal, today, &photos).await?,
        _ => files::render(&mut doc, journal, format, today, &photos)?,
    };
    files::write_private(&args.out, &bytes)?;
    let summary = ExportedJson {
        attachments_dir: (written.written > 0).then(|| dir.display().to_string()),
        attachments_written: written.written,
        attachments_missing: written.missing,
        location_copies: doc.attachment_copies.len(),
        entries_with_withheld: doc
            .entries
            .iter()
            .filter(|e| !e.withheld.is_empty())
            .count(),
        out: args.out.display().to_string(),
        format: format.name(),
        entries: doc.entries.len(),
        records: files::proofs(&doc).count(),
        with_receipts: files::proofs(&doc).filter(|p| p.receipt.is_some()).count(),
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
    if summary.entries_with_withheld > 0 {
        line.push_str(&format!(
            "\nWords withheld from {} {} as asked; each place reads [withheld], and the rest is still proven.",
            summary.entries_with_withheld,
            if summary.entries_with_withheld == 1 {
                "entry"
            } else {
                "entries"
            }
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
