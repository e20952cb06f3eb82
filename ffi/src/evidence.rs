//! Evidence and documents: attaching files from a path (with progress), saving an
//! attachment to a path, exporting the chronology to a path, checking an export.

use std::path::PathBuf;
use std::sync::Arc;

use mycase_core::app::{self, AttachedFile, AttachmentInfo, WithholdChoice};

use crate::entries::EntryFilter;
use crate::error::FfiResult;
use crate::journal::Journal;
use crate::runtime::run;

/// Told how far a file transfer has got.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` of `total` bytes.
    fn on_progress(&self, done: u64, total: u64);
}

/// Reports progress to the host's listener, if it gave one.
fn reporter(listener: Option<Arc<dyn ProgressListener>>) -> impl FnMut(u64, u64) + Send {
    move |done, total| {
        if let Some(l) = &listener {
            l.on_progress(done, total);
        }
    }
}

/// An export's format.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum ExportFormat {
    /// One self-contained page to read and print.
    Html,
    /// Everything, machine-readable.
    Json,
    /// Plain text.
    Markdown,
}

/// Which attachment files go beside an export.
#[derive(uniffi::Enum, Clone, Copy)]
pub enum AttachmentFiles {
    /// None.
    None,
    /// The files as recorded.
    Originals,
    /// Photos as copies without location metadata (the export names both checksums).
    WithoutLocation,
}

/// What to export, and how ([`Journal::export_with`]).
#[derive(uniffi::Record)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub filter: EntryFilter,
    /// Deleted entries too, each marked as deleted.
    #[uniffi(default)]
    pub include_deleted: bool,
    pub attachments: AttachmentFiles,
    /// Where to write the document.
    pub path: String,
    /// A case reference for the page's header (the survivor's choice).
    #[uniffi(default)]
    pub case_reference: Option<String>,
    /// A name for the page's header (the survivor's choice).
    #[uniffi(default)]
    pub name: Option<String>,
    /// Fields or words to leave out of this export.
    #[uniffi(default)]
    pub withhold: Vec<WithholdChoice>,
}

/// What an export wrote.
#[derive(uniffi::Record)]
pub struct ExportResult {
    /// The document's path.
    pub path: String,
    pub entries: u64,
    pub records: u64,
    pub with_receipts: u64,
    /// Where the attachment files went, if any did.
    pub attachments_dir: Option<String>,
    pub attachments_written: u64,
    pub attachments_missing: u64,
    /// Things the survivor should know (in plain words).
    pub notes: Vec<String>,
}

/// What checking an export found (as `mycase verify` reports it).
#[derive(uniffi::Record)]
pub struct VerifyReport {
    /// Everything checked out.
    pub ok: bool,
    /// The export's format as found.
    pub format: String,
    /// The verdict, line by line, in plain words.
    pub verdict: Vec<String>,
    /// What did not check out.
    pub problems: Vec<String>,
    /// What the export does not prove.
    pub not_proven: Vec<String>,
    /// How many items (entries, people, devices) were checked.
    pub items_checked: u64,
    /// How many attachment files beside it were checked.
    pub files_checked: u64,
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn path_text(p: &std::path::Path) -> String {
    p.display().to_string()
}

impl From<app::VerifyResult> for VerifyReport {
    fn from(r: app::VerifyResult) -> Self {
        VerifyReport {
            ok: r.ok,
            items_checked: count(r.items.len()),
            files_checked: count(r.files.len()),
            format: r.format,
            verdict: r.verdict,
            problems: r.problems,
            not_proven: r.not_proven,
        }
    }
}

/// Checks an export file (and the files beside it) against the server's key
/// (hex, as the charity publishes it). Needs no journal: anyone can check.
#[uniffi::export]
pub fn verify_export_file(path: String, server_key: String) -> FfiResult<VerifyReport> {
    Ok(app::verify_export_file(std::path::Path::new(&path), &server_key)?.into())
}

#[uniffi::export]
impl Journal {
    /// Attaches the file at `path` to an entry: encrypted, chunked, uploaded when
    /// the server is reachable (later otherwise).
    pub async fn attach_file(
        &self,
        entry_id: String,
        path: String,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> FfiResult<AttachedFile> {
        let app = self.app.clone();
        run(async move {
            Ok(app
                .attach_file(&entry_id, &PathBuf::from(path), reporter(progress))
                .await?)
        })
        .await
    }

    /// An entry's attachments.
    pub async fn attachments(&self, entry_id: String) -> FfiResult<Vec<AttachmentInfo>> {
        let app = self.app.clone();
        run(async move { Ok(app.attachments(&entry_id).await?) }).await
    }

    /// Saves an attachment to `path` (fetched from the server if not here, checked
    /// against its recorded hash); the path written.
    pub async fn save_attachment(
        &self,
        entry_id: String,
        attachment_id: String,
        path: String,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> FfiResult<String> {
        let app = self.app.clone();
        run(async move {
            let written = app
                .save_attachment(
                    &entry_id,
                    &attachment_id,
                    &PathBuf::from(path),
                    reporter(progress),
                )
                .await?;
            Ok(path_text(&written))
        })
        .await
    }

    /// Exports the chronology to `path`, attachment files beside it; deleted
    /// entries only with `include_deleted` (each marked as deleted).
    pub async fn export_to_path(
        &self,
        format: ExportFormat,
        filter: EntryFilter,
        include_deleted: bool,
        attachments: AttachmentFiles,
        path: String,
    ) -> FfiResult<ExportResult> {
        self.export_with(ExportOptions {
            format,
            filter,
            include_deleted,
            attachments,
            path,
            case_reference: None,
            name: None,
            withhold: Vec::new(),
        })
        .await
    }

    /// Exports as `options` say: [`Journal::export_to_path`] with a case
    /// reference and a name for the page's header, and fields or words of
    /// entries withheld from this export (each place reads `[withheld]`).
    pub async fn export_with(&self, options: ExportOptions) -> FfiResult<ExportResult> {
        let app = self.app.clone();
        run(async move {
            let ExportOptions {
                format,
                filter,
                include_deleted,
                attachments,
                path,
                case_reference,
                name,
                withhold,
            } = options;
            let choices = app::ExportChoices {
                format: match format {
                    ExportFormat::Html => app::ExportFormat::Html,
                    ExportFormat::Json => app::ExportFormat::Json,
                    ExportFormat::Markdown => app::ExportFormat::Markdown,
                },
                filter: filter.into(),
                include_deleted,
                case_reference,
                name,
                withhold,
            };
            let files = match attachments {
                AttachmentFiles::None => app::AttachmentFiles::None,
                AttachmentFiles::Originals => app::AttachmentFiles::Originals,
                AttachmentFiles::WithoutLocation => app::AttachmentFiles::WithoutLocation,
            };
            let s = app
                .export_to_path(&choices, files, &PathBuf::from(path))
                .await?;
            Ok(ExportResult {
                path: path_text(&s.path),
                entries: count(s.entries),
                records: count(s.records),
                with_receipts: count(s.with_receipts),
                attachments_dir: s.attachments_dir.as_deref().map(path_text),
                attachments_written: count(s.attachments_written),
                attachments_missing: count(s.attachments_missing),
                notes: s.notes,
            })
        })
        .await
    }
}
