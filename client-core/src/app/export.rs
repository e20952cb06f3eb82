//! Export: the journal as HTML, JSON or Markdown, with the proof `verify`
//! checks — as bytes for a download, or to a file with the attachment files
//! beside it, as `mycase export` writes them.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::patterns::EntryFilter;
use super::{App, AppError};
use crate::export::files::{self, ExportFileError, FileNote};
use crate::export::model::ExportFilter;
use crate::export::ExportDocument;
use crate::journal::Journal;

pub use crate::export::ExportFormat;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChoices {
    /// The format.
    pub format: ExportFormat,
    /// Which entries.
    pub filter: EntryFilter,
    /// Deleted entries too, each marked as deleted (`mycase export
    /// --include-deleted`). Left out by default: a reader takes every entry of a
    /// chronology as standing.
    pub include_deleted: bool,
    /// A case reference for the header of the HTML page (the survivor's
    /// choice; not part of the records).
    pub case_reference: Option<String>,
    /// A name for the header of the HTML page (the survivor's choice).
    pub name: Option<String>,
    /// Fields or passages to withhold from this export alone (`mycase export
    /// --withhold`); each place reads `[withheld]` and the rest stays proven.
    pub withhold: Vec<WithholdChoice>,
}

/// One field or passage to withhold from an export.
#[derive(Clone, PartialEq, Eq)]
pub struct WithholdChoice {
    /// The entry, by any unique prefix of its id.
    pub entry: String,
    /// The field: title, text, location, injuries or impact.
    pub field: String,
    /// The words to withhold wherever they appear; `None` withholds the whole field.
    pub words: Option<String>,
}

impl WithholdChoice {
    /// `ENTRY:FIELD` or `ENTRY:FIELD:WORDS` as typed; `None` for anything else.
    pub fn parse(spec: &str) -> Option<Self> {
        let (entry, field, words) = crate::evidence::withheld::split_spec(spec.trim())?;
        Some(WithholdChoice {
            entry: entry.to_owned(),
            field: field.to_owned(),
            words: words.map(str::to_owned),
        })
    }
}

impl std::fmt::Debug for WithholdChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithholdChoice")
            .field("entry", &self.entry)
            .field("field", &self.field)
            .field("words", &self.words.as_ref().map(|w| w.len()))
            .finish()
    }
}

/// The withholdings `choices` name, read against `journal`.
fn withholdings(
    choices: &ExportChoices,
    journal: &Journal,
) -> Result<Vec<crate::evidence::withheld::Withholding>, AppError> {
    withholdings_of(&choices.withhold, journal)
}

/// `choices` read against `journal`: each entry by its id prefix, each field by name.
pub(crate) fn withholdings_of(
    choices: &[WithholdChoice],
    journal: &Journal,
) -> Result<Vec<crate::evidence::withheld::Withholding>, AppError> {
    choices
        .iter()
        .map(|w| {
            crate::evidence::withheld::Withholding::resolve(
                &w.entry,
                &w.field,
                w.words.as_deref(),
                journal,
            )
            .map_err(|e| AppError::InvalidInput {
                field: Some("withhold".into()),
                reason: e.to_string(),
            })
        })
        .collect()
}

impl ExportChoices {
    /// What the survivor chose to put in the header, trimmed; blank is none.
    fn heading(&self, doc: &mut ExportDocument) {
        let given = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        doc.presentation.case_reference = given(&self.case_reference);
        doc.presentation.name = given(&self.name);
    }
}

/// The attachment files written beside an export on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentFiles {
    /// None: the export still lists each attachment with its SHA-256.
    None,
    /// The originals, as recorded.
    Originals,
    /// Photos that record where they were taken as copies without that data
    /// (`NAME.no-location.EXT`); the export names both checksums.
    WithoutLocation,
}

/// An export as bytes, for a download. Attachment files are not in it (each is
/// listed with its SHA-256, and can be downloaded from its entry).
pub struct ExportedDocument {
    /// A neutral file name for it (`export-YYYY-MM-DD.html`).
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// The document (wiped from memory when dropped).
    pub bytes: Zeroizing<Vec<u8>>,
    /// Entries in it.
    pub entries: usize,
    /// Records it discloses.
    pub records: usize,
    /// How many of those have a server receipt (the rest: sync, then export again).
    pub with_receipts: usize,
}

impl std::fmt::Debug for ExportedDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportedDocument")
            .field("entries", &self.entries)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

/// What exporting to a file wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The document written.
    pub path: PathBuf,
    /// Entries in it.
    pub entries: usize,
    /// Records it discloses.
    pub records: usize,
    /// How many of those have a server receipt.
    pub with_receipts: usize,
    /// Where the attachment files are, if any were written.
    pub attachments_dir: Option<PathBuf>,
    /// Attachment files written.
    pub attachments_written: usize,
    /// Attachments that could not be fetched (the export lists their SHA-256).
    pub attachments_missing: usize,
    /// How many of the files written are copies without location data.
    pub location_copies: usize,
    /// What to tell the survivor about single files, in plain words.
    pub notes: Vec<String>,
}

impl EntryFilter {
    /// The filter as the export document records it.
    fn described(
        &self,
        journal: &Journal,
        include_deleted: bool,
    ) -> Result<ExportFilter, AppError> {
        let query = self.to_query(journal)?;
        let given = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        Ok(ExportFilter {
            from: given(&self.from),
            to: given(&self.to),
            categories: query.categories,
            people: query.people.iter().map(hex::encode).collect(),
            tags: query.tags,
            include_deleted,
        })
    }
}

fn export_error(e: ExportFileError) -> AppError {
    match e {
        e @ ExportFileError::NoPrinting => AppError::invalid("format", e.to_string()),
        #[cfg(feature = "print-pdf")]
        ExportFileError::Print(p @ crate::export::pdf::print::PrintError::NoBrowser) => {
            AppError::invalid("format", p.to_string())
        }
        ExportFileError::Attachment(a) => a.into(),
        ExportFileError::Exists(_) => AppError::invalid("out", e.to_string()),
        e @ ExportFileError::Write { .. } => AppError::Storage(Box::new(e)),
        e => AppError::Other(Box::new(e)),
    }
}

fn note_words(note: &FileNote) -> String {
    match note {
        FileNote::MayHoldUnreadLocation { name } => format!(
            "{name} may record where it was made; MyCase cannot remove that from this kind of \
             file, so it is written as it is."
        ),
        FileNote::NotWritten {
            attachment_id,
            error,
        } => format!("Attachment {attachment_id} was not written: {error}."),
    }
}

fn counts(doc: &ExportDocument) -> (usize, usize) {
    let records = files::proofs(doc).count();
    let with_receipts = files::proofs(doc).filter(|p| p.receipt.is_some()).count();
    (records, with_receipts)
}

/// What is rendered for `format`: a PDF is its HTML page, printed after.
fn page_format(format: ExportFormat) -> ExportFormat {
    match format {
        ExportFormat::Pdf => ExportFormat::Html,
        other => other,
    }
}

fn today() -> chrono::NaiveDate {
    crate::words::uk_time::uk_now(crate::now_ms()).date()
}

impl App {
    /// The export `choices` ask for, as bytes for a download. Works offline.
    pub async fn export(&self, choices: &ExportChoices) -> Result<ExportedDocument, AppError> {
        let day = today();
        let mut exported = self
            .read(|d| {
                let journal = d.journal();
                let query = choices.filter.to_query(journal)?;
                let mut doc = d.export_document_withholding(
                    &query,
                    choices.filter.described(journal, choices.include_deleted)?,
                    &withholdings(choices, journal)?,
                )?;
                choices.heading(&mut doc);
                let bytes = files::render(
                    &mut doc,
                    journal,
                    page_format(choices.format),
                    day,
                    &Default::default(),
                )
                .map_err(export_error)?;
                let (records, with_receipts) = counts(&doc);
                Ok::<_, AppError>(ExportedDocument {
                    file_name: format!("export-{day}.{}", choices.format.extension()),
                    media_type: choices.format.media_type().to_owned(),
                    bytes: Zeroizing::new(bytes),
                    entries: doc.entries.len(),
                    records,
                    with_receipts,
                })
            })
            .await??;
        if choices.format == ExportFormat::Pdf {
            // Printed outside the journal's lock: it takes seconds.
            let page = std::mem::take(&mut *exported.bytes);
            exported.bytes = Zeroizing::new(files::print_page(&page).await.map_err(export_error)?);
            drop(Zeroizing::new(page));
        }
        Ok(exported)
    }

    /// Writes the export to `out` (replaced if it exists; readable by its owner
    /// only), and the attachment files `attachments` asks for into
    /// `out.attachments/`, fetched from the server and checked. One attachment
    /// that cannot be fetched is noted, not fatal.
    pub async fn export_to_path(
        &self,
        choices: &ExportChoices,
        attachments: AttachmentFiles,
        out: &Path,
    ) -> Result<ExportSummary, AppError> {
        let (mut doc, wants_files) = self
            .read(|d| {
                let journal = d.journal();
                let query = choices.filter.to_query(journal)?;
                let doc = d.export_document_withholding(
                    &query,
                    choices.filter.described(journal, choices.include_deleted)?,
                    &withholdings(choices, journal)?,
                )?;
                let wants = attachments != AttachmentFiles::None && files::has_attachments(&doc);
                Ok::<_, AppError>((doc, wants))
            })
            .await??;
        let dir = files::attachments_dir(out);
        let written = if wants_files {
            let transport = self.connect().await?;
            let result = async {
                let device = self.device().await?;
                files::write_attachments(
                    &device,
                    &transport,
                    &doc,
                    &dir,
                    attachments == AttachmentFiles::WithoutLocation,
                )
                .await
                .map_err(export_error)
            }
            .await;
            self.settle(result).await?
        } else {
            files::WrittenFiles::default()
        };
        doc.attachment_copies = written.copies;
        choices.heading(&mut doc);
        let photos = match choices.format {
            ExportFormat::Html | ExportFormat::Pdf => files::show_photos(&mut doc, &dir),
            _ => Default::default(),
        };
        let day = today();
        let (records, with_receipts) = counts(&doc);
        let bytes = self
            .read(|d| {
                files::render(
                    &mut doc,
                    d.journal(),
                    page_format(choices.format),
                    day,
                    &photos,
                )
                .map(Zeroizing::new)
                .map_err(export_error)
            })
            .await??;
        let bytes = match choices.format {
            ExportFormat::Pdf => {
                Zeroizing::new(files::print_page(&bytes).await.map_err(export_error)?)
            }
            _ => bytes,
        };
        files::write_private(out, &bytes).map_err(export_error)?;
        Ok(ExportSummary {
            path: out.to_path_buf(),
            entries: doc.entries.len(),
            records,
            with_receipts,
            attachments_dir: (written.written > 0).then_some(dir),
            attachments_written: written.written,
            attachments_missing: written.missing,
            location_copies: doc.attachment_copies.len(),
            notes: written.notes.iter().map(note_words).collect(),
        })
    }
}
