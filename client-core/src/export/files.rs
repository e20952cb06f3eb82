//! Writing an export: the document in its format, and the attachment files
//! beside it (`FILE.attachments/<attachment id>/<name>`), each checked against
//! its SHA-256 on the way, optionally as copies without location metadata.
//! Shared by `mycase export` and the application API; files are written whole
//! or not at all and readable by their owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::chronology::{self, Photos, MAX_INLINE_PHOTO_BYTES};
#[cfg(feature = "print-pdf")]
use super::html;
use super::model::{AttachmentCopy, ExportDocument, RecordProof};
use crate::journal::Journal;
use crate::photo_metadata::{copy_file_name, may_hold_unread_location, strip_location, Stripped};
use crate::store::LocalStore;
use crate::transport::Transport;
use crate::{AttachmentError, Device};

/// The three formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A page to read and print, with the patterns and the proof embedded.
    Html,
    /// Everything, machine-readable (right of access and portability).
    Json,
    /// Plain text.
    Markdown,
    /// The HTML chronology printed to PDF (by a local Chromium), with the page
    /// inside it so that it proves itself as the HTML does.
    Pdf,
}

impl ExportFormat {
    /// Its short name, as `mycase export --format` takes it and `--json` reports it.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Html => "html",
            ExportFormat::Json => "json",
            ExportFormat::Markdown => "md",
            ExportFormat::Pdf => "pdf",
        }
    }

    /// The file name extension (without the dot).
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// Its media type, for a download.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Html => "text/html; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Markdown => "text/markdown; charset=utf-8",
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

/// Why an export's files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportFileError {
    /// Fetching the attachment failed (or what the server sent did not check out).
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// A photo records a place and no copy without it could be made.
    #[error("no copy without its location data could be made")]
    Strip(#[source] crate::photo_metadata::StripError),
    /// The target exists; nothing is replaced.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    /// The document could not be encoded.
    #[error("encoding the export")]
    Encode(#[from] serde_json::Error),
    /// The PDF could not be made.
    #[error("making the PDF")]
    Pdf(#[from] super::pdf::PdfError),
    /// The page could not be printed.
    #[cfg(feature = "print-pdf")]
    #[error(transparent)]
    Print(#[from] super::pdf::print::PrintError),
    /// The browser printed pages that do not show exactly the page.
    #[error(
        "the browser printed pages that do not show exactly the chronology, so the PDF would not \
         verify; export HTML and print it from a browser instead"
    )]
    PrintedOtherwise,
    /// This build cannot print (the phone bindings: a phone prints the HTML).
    #[error("this MyCase cannot make PDFs: export HTML and print it")]
    NoPrinting,
    /// A file or folder could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// The document in `format`. For HTML (the plain-language chronology), the
/// patterns are figured as of `today`, which the page records so that `mycase
/// verify` renders the same page, and `photos` are shown where
/// `doc.presentation.photos_shown` says (see [`show_photos`]).
pub fn render(
    doc: &mut ExportDocument,
    journal: &Journal,
    format: ExportFormat,
    today: NaiveDate,
    photos: &Photos,
) -> Result<Vec<u8>, ExportFileError> {
    Ok(match format {
        ExportFormat::Json => serde_json::to_vec_pretty(doc)?,
        ExportFormat::Html => {
            doc.patterns_as_of = Some(today.to_string());
            chronology::render_page(doc, journal, photos).into_bytes()
        }
        ExportFormat::Markdown => chronology::render_markdown(doc, journal).into_bytes(),
        ExportFormat::Pdf => return Err(ExportFileError::NoPrinting),
    })
}

/// The document as a PDF: the HTML chronology (see [`render`]) printed by the
/// Chromium on this computer, with the page attached inside it for `mycase
/// verify`.
#[cfg(feature = "print-pdf")]
pub async fn render_pdf(
    doc: &mut ExportDocument,
    journal: &Journal,
    today: NaiveDate,
    photos: &Photos,
) -> Result<Vec<u8>, ExportFileError> {
    print_page(&render(doc, journal, ExportFormat::Html, today, photos)?).await
}

/// A rendered HTML chronology page printed to PDF, with the page inside it.
#[cfg(feature = "print-pdf")]
pub async fn print_page(page: &[u8]) -> Result<Vec<u8>, ExportFileError> {
    use super::pdf::{embed, print};
    let chromium = print::find_chromium().ok_or(print::PrintError::NoBrowser)?;
    let page = std::str::from_utf8(page).map_err(|_| super::pdf::PdfError::NotText)?;
    let printed = print::print_html(page, &chromium).await?;
    let pdf = embed::attach_page(&printed, page)?;
    // What is handed over must verify: the pages must show exactly the page
    // (a browser that drew something else, such as an image it could not
    // decode, is caught here rather than by the reader's `mycase verify`).
    let doc: ExportDocument = html::extract_document(page)
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or(super::pdf::PdfError::NoPage)?;
    let printed_doc = super::pdf::load(&pdf)?;
    if !crate::evidence::printed::shows_exactly(&printed_doc, page, &doc) {
        return Err(ExportFileError::PrintedOtherwise);
    }
    Ok(pdf)
}

/// Without printing (the phone bindings), a PDF cannot be made here.
#[cfg(not(feature = "print-pdf"))]
pub async fn print_page(_page: &[u8]) -> Result<Vec<u8>, ExportFileError> {
    Err(ExportFileError::NoPrinting)
}

/// The photos among the files written beside an export (at `dir`), read back
/// and checked against the SHA-256 the document gives them, for the HTML page
/// to show; names them, and the folder, in `doc.presentation`. A photo larger
/// than [`MAX_INLINE_PHOTO_BYTES`], or one that is not there or not as
/// recorded, is listed only.
pub fn show_photos(doc: &mut ExportDocument, dir: &Path) -> Photos {
    use sha2::{Digest, Sha256};
    let mut photos = Photos::new();
    let media_types: std::collections::BTreeMap<&str, (&str, u64)> = doc
        .entries
        .iter()
        .flat_map(|e| &e.attachments)
        .map(|a| (a.attachment_id.as_str(), (a.media_type.as_str(), a.size)))
        .collect();
    let mut shown = Vec::new();
    let mut any_written = false;
    for file in crate::evidence::copies::attachment_files(doc) {
        let Ok(bytes) = std::fs::read(dir.join(&file.path)) else {
            continue;
        };
        any_written = true;
        let Some((media_type, _)) = media_types.get(file.attachment_id.as_str()) else {
            continue;
        };
        if !chronology::is_shown_inline(media_type)
            || !chronology::draws_as_image(media_type, &bytes)
            || bytes.len() as u64 > MAX_INLINE_PHOTO_BYTES
            || hex::encode(Sha256::digest(&bytes)) != file.sha256
        {
            continue;
        }
        shown.push(file.attachment_id.clone());
        photos.insert(file.attachment_id, bytes);
    }
    doc.presentation.photos_shown = shown;
    doc.presentation.attachments_folder = any_written
        .then(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .flatten();
    photos
}

/// `FILE.attachments`, beside the export.
pub fn attachments_dir(out: &Path) -> PathBuf {
    let mut dir = out.as_os_str().to_owned();
    dir.push(".attachments");
    PathBuf::from(dir)
}

/// Every record the export discloses: its entries', people's and devices'.
pub fn proofs(doc: &ExportDocument) -> impl Iterator<Item = &RecordProof> {
    let m = &doc.manifest;
    m.operations
        .iter()
        .map(|o| &o.proof)
        .chain(m.person_operations.iter().map(|o| &o.proof))
        .chain(m.device_additions.iter().map(|o| &o.proof))
}

/// Whether the export lists any attachment (so its files need the server).
pub fn has_attachments(doc: &ExportDocument) -> bool {
    doc.entries.iter().any(|e| !e.attachments.is_empty())
}

/// Something to tell the survivor about one attachment file, in order.
#[derive(Debug)]
pub enum FileNote {
    /// The file may record where it was made in a way MyCase cannot remove, so
    /// it was written as it is.
    MayHoldUnreadLocation {
        /// Its file name.
        name: String,
    },
    /// The file was not written (the export still lists its SHA-256).
    NotWritten {
        /// The attachment (hex).
        attachment_id: String,
        /// Why.
        error: ExportFileError,
    },
}

/// What writing the attachment files gave.
#[derive(Debug, Default)]
pub struct WrittenFiles {
    /// Files written.
    pub written: usize,
    /// Attachments not written.
    pub missing: usize,
    /// The copies without location metadata among the files (for the document).
    pub copies: Vec<AttachmentCopy>,
    /// What to tell the survivor, in order.
    pub notes: Vec<FileNote>,
}

/// Fetches every exported attachment into `dir/<attachment id>/<its name>`,
/// each checked against its SHA-256 on the way. With `strip_location`, a photo
/// that records where it was taken is written instead as a copy without it
/// (`<name>.no-location.<ext>`), named in the returned copies; one of which no
/// copy can be made is not written at all. One attachment that fails is noted
/// and the others are still written.
pub async fn write_attachments<S: LocalStore, T: Transport>(
    device: &Device<S>,
    transport: &T,
    doc: &ExportDocument,
    dir: &Path,
    strip_location: bool,
) -> Result<WrittenFiles, ExportFileError> {
    let mut out = WrittenFiles::default();
    // Collected first: an iterator of closures held across the awaits below makes
    // this future not `Send` (a known rustc limit), and the phone bindings run it
    // on a multi-threaded runtime.
    let wanted: Vec<(&str, &str)> = doc
        .entries
        .iter()
        .flat_map(|e| {
            e.attachments
                .iter()
                .map(move |a| (e.id.as_str(), a.attachment_id.as_str()))
        })
        .collect();
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
            write_without_location(device, transport, entry_id, attachment, &target, &mut out).await
        } else {
            device
                .get_attachment(transport, entry_id, attachment, &target, |_, _| {})
                .await
                .map(|_| None)
                .map_err(ExportFileError::from)
        };
        match result {
            Ok(copy) => {
                out.written += 1;
                out.copies.extend(copy);
            }
            Err(error) => {
                out.missing += 1;
                out.notes.push(FileNote::NotWritten {
                    attachment_id: attachment.to_owned(),
                    error,
                });
            }
        }
    }
    Ok(out)
}

/// Writes one attachment, or its copy without location data when it records a
/// place; returns the copy's description if it wrote one.
async fn write_without_location<S: LocalStore, T: Transport>(
    device: &Device<S>,
    transport: &T,
    entry_id: [u8; 16],
    attachment: &str,
    target: &Path,
    out: &mut WrittenFiles,
) -> Result<Option<AttachmentCopy>, ExportFileError> {
    let view = device.find_attachment(&entry_id, attachment)?;
    let own_name = Path::new(&view.name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    let note_unread = |out: &mut WrittenFiles| {
        if may_hold_unread_location(&view.media_type) {
            out.notes.push(FileNote::MayHoldUnreadLocation {
                name: own_name.clone(),
            });
        }
    };
    // Only photos are read whole into memory; a video or document streams to disk.
    if !view.media_type.starts_with("image/") {
        note_unread(out);
        device
            .get_attachment(transport, entry_id, attachment, target, |_, _| {})
            .await?;
        return Ok(None);
    }
    let bytes = device.attachment_bytes(transport, &view).await?;
    match strip_location(&bytes).map_err(ExportFileError::Strip)? {
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
            note_unread(out);
            write_new_private(&target.join(&own_name), &bytes)?;
            Ok(None)
        }
    }
}

/// Writes a new file (never replacing one), whole or not at all, readable by
/// the owner only.
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), ExportFileError> {
    if path.exists() {
        return Err(ExportFileError::Exists(path.to_path_buf()));
    }
    write_private(path, bytes)
}

fn create_private_dir(dir: &Path) -> Result<(), ExportFileError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|source| ExportFileError::Write {
            path: dir.to_path_buf(),
            source,
        })
}

/// Writes `bytes` to `path` whole or not at all (replacing a file there),
/// readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ExportFileError> {
    let failed = |source| ExportFileError::Write {
        path: path.to_path_buf(),
        source,
    };
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
        return Err(failed(e));
    }
    std::fs::rename(&tmp, path).map_err(failed)
}
