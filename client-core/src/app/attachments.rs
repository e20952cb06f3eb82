//! Evidence: attaching files to an entry (from a path, as a phone does, or from
//! bytes, as the web app's upload gives them) and getting them back, checked.
//!
//! A file is sealed in chunks and every chunk stored on the server before the
//! journal records it, so attaching needs the server; the journal operation is
//! then sent by the sync service. A fetched file is checked chunk by chunk and
//! whole against the SHA-256 the journal recorded: a tampered, swapped or
//! withheld chunk is [`AppError::ServerRefused`] and nothing is written.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{App, AppError};
use crate::ids::EntryId;
use crate::journal::AttachmentView;
use crate::photo_metadata::has_location;

/// How much of a photo is read to look for location data (where it usually is).
const LOCATION_HEAD: u64 = 128 * 1024;

/// What attaching one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    /// The new attachment's id within its entry, hex.
    pub attachment_id: String,
    /// The file's size in bytes.
    pub size: u64,
    /// How many sealed chunks it is stored as.
    pub chunks: u64,
    /// Chunks sent now.
    pub uploaded_chunks: u64,
    /// Chunks the server already held (the same file attached before, or an
    /// interrupted upload resumed).
    pub skipped_chunks: u64,
    /// The file is a photo that records where it was taken. The attachment keeps
    /// it as it is; shares and exports can carry a copy without it.
    pub location_metadata: bool,
}

/// How a shell can show an attachment in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentDisplay {
    /// A photo a browser shows as an image (JPEG, PNG, GIF, WebP).
    Image,
    /// A recording to play.
    Audio,
    /// A video to play.
    Video,
    /// A PDF, to open in its own view.
    Pdf,
    /// Anything else: offered as a download only (an SVG or HTML file could run
    /// script if shown in the app's own pages).
    DownloadOnly,
}

impl AttachmentDisplay {
    /// The display for a file of `media_type`.
    pub fn of(media_type: &str) -> AttachmentDisplay {
        let t = media_type.to_ascii_lowercase();
        match t.as_str() {
            "image/jpeg" | "image/png" | "image/gif" | "image/webp" => AttachmentDisplay::Image,
            "application/pdf" => AttachmentDisplay::Pdf,
            t if t.starts_with("audio/") => AttachmentDisplay::Audio,
            t if t.starts_with("video/") => AttachmentDisplay::Video,
            _ => AttachmentDisplay::DownloadOnly,
        }
    }
}

/// One attachment of an entry, as recorded.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Its id within its entry, hex.
    pub attachment_id: String,
    /// The file name it was attached under.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// How a shell can show it.
    pub display: AttachmentDisplay,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex, as the journal recorded it.
    pub sha256: String,
    /// When it was attached (the attaching device's clock, Unix ms).
    pub attached_at_ms: i64,
}

impl std::fmt::Debug for AttachmentInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentInfo")
            .field("attachment_id", &self.attachment_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl AttachmentInfo {
    /// A neutral file name for a download (`evidence.jpg`): the original name
    /// may say what happened or who was there, and a browser keeps download
    /// names in its history. Only a short plain extension is kept.
    pub fn download_name(&self) -> String {
        let ext = self
            .name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .filter(|e| {
                !e.is_empty() && e.len() <= 5 && e.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        match ext {
            Some(ext) => format!("evidence.{ext}"),
            None => "evidence".into(),
        }
    }
}

impl From<&AttachmentView> for AttachmentInfo {
    fn from(a: &AttachmentView) -> Self {
        AttachmentInfo {
            attachment_id: hex::encode(a.attachment_id),
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            display: AttachmentDisplay::of(&a.media_type),
            size: a.size,
            sha256: hex::encode(&a.sha256),
            attached_at_ms: a.recorded_at_ms,
        }
    }
}

/// An attachment's bytes, checked, with what a shell needs to serve them.
pub struct AttachmentBytes {
    /// The attachment, as recorded.
    pub info: AttachmentInfo,
    /// The file's bytes (wiped from memory when dropped).
    pub bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for AttachmentBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentBytes")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Whether the file at `path` is a photo that records where it was taken (read
/// from its first 128 KiB; an unreadable file says no, and fails when attached).
pub fn file_records_location(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(LOCATION_HEAD).read_to_end(&mut head))
        .is_ok()
        && has_location(&head)
}

/// An entry id given in full (32 hex digits), as the API hands them out.
pub(super) fn entry_id(hex_id: &str) -> Result<EntryId, AppError> {
    hex::decode(hex_id.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .ok_or_else(|| AppError::NotFound {
            what: "That entry".into(),
        })
}

/// An attachment id given in full (32 hex digits).
fn attachment_id(hex_id: &str) -> Result<String, AppError> {
    let id = hex_id.trim().to_ascii_lowercase();
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(AppError::NotFound {
            what: "That attachment".into(),
        })
    }
}

/// The name an uploaded file is attached under: the last part of what the
/// browser sent, without control characters; "attachment" if nothing is left.
fn upload_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "attachment".into()
    } else {
        clean.to_owned()
    }
}

impl App {
    /// Attaches the file at `path` to the entry `entry_id` (hex). The file is
    /// read twice (to hash, then to seal), never held whole in memory.
    /// `progress(done, total)` counts bytes stored on the server.
    pub async fn attach_file(
        &self,
        entry_id: &str,
        path: &Path,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<AttachedFile, AppError> {
        let id = self::entry_id(entry_id)?;
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Err(AppError::invalid("file", "Choose a file, not a folder"));
        };
        if !path.is_file() {
            return Err(AppError::invalid("file", "That file could not be found"));
        }
        let location = file_records_location(path);
        self.attach(id, &name, location, || std::fs::File::open(path), progress)
            .await
    }

    /// Attaches `bytes` (an upload) to the entry `entry_id` (hex) under the file
    /// name `name` (its folders, if any, dropped).
    pub async fn attach_bytes(
        &self,
        entry_id: &str,
        name: &str,
        bytes: &[u8],
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<AttachedFile, AppError> {
        let id = self::entry_id(entry_id)?;
        if bytes.is_empty() {
            return Err(AppError::invalid("file", "The file chosen is empty"));
        }
        let head = &bytes[..bytes.len().min(LOCATION_HEAD as usize)];
        let location = has_location(head);
        self.attach(
            id,
            &upload_name(name),
            location,
            || Ok(Cursor::new(bytes)),
            progress,
        )
        .await
    }

    async fn attach<R: std::io::Read + std::io::Seek + Send>(
        &self,
        id: EntryId,
        name: &str,
        location: bool,
        open: impl Fn() -> std::io::Result<R> + Send,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<AttachedFile, AppError> {
        // An unknown entry is refused before the server is asked anything.
        self.read(|d| d.journal().entry(&id).is_some())
            .await?
            .then_some(())
            .ok_or_else(|| AppError::NotFound {
                what: "That entry".into(),
            })?;
        let transport = self.connect().await?;
        let result = async {
            let mut device = self.device().await?;
            let out = device
                .attach_unsynced(&transport, id, name, open, progress)
                .await?;
            let pending = device.pending_upload();
            drop(device);
            self.local_change(pending);
            Ok(AttachedFile {
                attachment_id: hex::encode(out.attachment_id),
                size: out.size,
                chunks: out.chunk_count,
                uploaded_chunks: out.uploaded_chunks,
                skipped_chunks: out.skipped_chunks,
                location_metadata: location,
            })
        }
        .await;
        self.settle(result).await
    }

    /// The attachments of the entry `entry_id` (hex), in the order attached.
    pub async fn attachments(&self, entry_id: &str) -> Result<Vec<AttachmentInfo>, AppError> {
        let id = self::entry_id(entry_id)?;
        self.read(|d| {
            d.journal()
                .entry(&id)
                .map(|e| e.attachments.iter().map(AttachmentInfo::from).collect())
        })
        .await?
        .ok_or_else(|| AppError::NotFound {
            what: "That entry".into(),
        })
    }

    /// The attachment `attachment_id` (hex) of the entry `entry_id` (hex).
    async fn attachment_view(
        &self,
        entry_id: EntryId,
        attachment_id: &str,
    ) -> Result<AttachmentView, AppError> {
        let wanted = self::attachment_id(attachment_id)?;
        // By id only: a file may be named like another's id.
        let found = self
            .read(|d| {
                d.journal().entry(&entry_id).map(|e| {
                    e.attachments
                        .iter()
                        .find(|a| hex::encode(a.attachment_id) == wanted)
                        .cloned()
                })
            })
            .await?;
        match found {
            None => Err(AppError::NotFound {
                what: "That entry".into(),
            }),
            Some(None) => Err(AppError::NotFound {
                what: "That attachment".into(),
            }),
            Some(Some(view)) => Ok(view),
        }
    }

    /// An attachment's bytes in memory (for the browser), fetched from the server
    /// and checked against the SHA-256 the journal recorded.
    pub async fn attachment_bytes(
        &self,
        entry_id: &str,
        attachment_id: &str,
    ) -> Result<AttachmentBytes, AppError> {
        let id = self::entry_id(entry_id)?;
        let view = self.attachment_view(id, attachment_id).await?;
        let transport = self.connect().await?;
        let result = async {
            let device = self.device().await?;
            let bytes = device.attachment_bytes(&transport, &view).await?;
            Ok(AttachmentBytes {
                info: AttachmentInfo::from(&view),
                bytes,
            })
        }
        .await;
        self.settle(result).await
    }

    /// Writes an attachment to `out` (a new file, or a folder to put it in under
    /// its own name), streamed and checked; the file appears under its final name
    /// only once complete, and an existing file is never replaced. Returns the
    /// path written.
    pub async fn save_attachment(
        &self,
        entry_id: &str,
        attachment_id: &str,
        out: &Path,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<PathBuf, AppError> {
        let id = self::entry_id(entry_id)?;
        let view = self.attachment_view(id, attachment_id).await?;
        let wanted = hex::encode(view.attachment_id);
        let transport = self.connect().await?;
        let result = async {
            let device = self.device().await?;
            Ok(device
                .get_attachment(&transport, id, &wanted, out, progress)
                .await?)
        }
        .await;
        self.settle(result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raster_images_are_shown_inline() {
        assert_eq!(
            AttachmentDisplay::of("image/JPEG"),
            AttachmentDisplay::Image
        );
        assert_eq!(
            AttachmentDisplay::of("image/svg+xml"),
            AttachmentDisplay::DownloadOnly
        );
        assert_eq!(
            AttachmentDisplay::of("text/html"),
            AttachmentDisplay::DownloadOnly
        );
        assert_eq!(AttachmentDisplay::of("audio/mp4"), AttachmentDisplay::Audio);
        assert_eq!(AttachmentDisplay::of("video/mp4"), AttachmentDisplay::Video);
        assert_eq!(
            AttachmentDisplay::of("application/pdf"),
            AttachmentDisplay::Pdf
        );
    }

    #[test]
    fn download_names_say_nothing_of_the_original() {
        let info = |name: &str| AttachmentInfo {
            attachment_id: "00".repeat(16),
            name: name.into(),
            media_type: "image/jpeg".into(),
            display: AttachmentDisplay::Image,
            size: 1,
            sha256: String::new(),
            attached_at_ms: 0,
        };
        assert_eq!(
            info("bruises from Dave.JPG").download_name(),
            "evidence.jpg"
        );
        assert_eq!(info("no extension").download_name(), "evidence");
        assert_eq!(info("odd.\"quoted\"").download_name(), "evidence");
    }

    #[test]
    fn an_upload_keeps_only_its_own_name() {
        assert_eq!(upload_name("C:\\Users\\me\\photo.jpg"), "photo.jpg");
        assert_eq!(upload_name("../../etc/passwd"), "passwd");
        assert_eq!(upload_name("a\u{0}b\n.png"), "ab.png");
        assert_eq!(upload_name(".."), "attachment");
        assert_eq!(upload_name(""), "attachment");
    }
}
