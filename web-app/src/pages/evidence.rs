//! An entry's evidence: shown in place (photos, recordings, videos; a PDF opens in
//! its own view), every file downloadable, and files attached by picker or drag
//! and drop with a progress bar.
//!
//! - `GET /entries/{entry}/evidence`: the evidence section on its own page. The
//!   entry page includes the same partial (`templates/evidence_section.html`):
//!   give its page struct an `evidence: EvidenceSection` field made by
//!   [`section`], and `{% include "evidence_section.html" %}` where it goes.
//! - `POST /entries/{entry}/attachments`: the upload. Its body is the file
//!   itself (app.js's `form[data-upload]`), its name in `X-MyCase-File-Name`;
//!   the one route with a large body limit.
//! - `GET /attachments/{handle}` shows a file, `GET /attachments/{handle}/download`
//!   downloads it, under a neutral name. Only photos, recordings, videos and PDFs
//!   are ever served to be shown; anything else (an SVG or HTML file could run
//!   script in the app's origin) is a download only.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::core_app::{AppError, AttachmentDisplay, AttachmentInfo};
use crate::error::WebError;
use crate::form::read_body;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

/// The largest file one upload takes (it is held in memory while it is sealed).
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/entries/{entry}/evidence", get(show))
        .route("/entries/{entry}/attachments", post(upload))
        .route("/attachments/{handle}", get(view))
        .route("/attachments/{handle}/download", get(download))
}

/// One file in the section.
pub struct EvidenceItem {
    pub handle: String,
    pub name: String,
    /// `image`, `audio`, `video`, `pdf` or `download`.
    pub display: &'static str,
    pub size: String,
    pub media_type: String,
}

/// What the partial `evidence_section.html` shows.
pub struct EvidenceSection {
    pub entry_handle: String,
    pub items: Vec<EvidenceItem>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    layout: Layout,
    evidence: EvidenceSection,
}

fn display_word(display: AttachmentDisplay) -> &'static str {
    match display {
        AttachmentDisplay::Image => "image",
        AttachmentDisplay::Audio => "audio",
        AttachmentDisplay::Video => "video",
        AttachmentDisplay::Pdf => "pdf",
        AttachmentDisplay::DownloadOnly => "download",
    }
}

fn size_words(bytes: u64) -> String {
    const KB: u64 = 1024;
    match bytes {
        b if b < KB => format!("{b} bytes"),
        b if b < KB * KB => format!("{:.0} KB", b as f64 / KB as f64),
        b => format!("{:.1} MB", b as f64 / (KB * KB) as f64),
    }
}

/// The handle of an attachment: it names both the entry and the file.
fn attachment_key(entry_id: &str, attachment_id: &str) -> String {
    format!("{entry_id}:{attachment_id}")
}

/// The evidence section of the entry `entry_id` (hex).
pub async fn section(
    web: &Web,
    entry_id: &str,
    errors: FieldErrors,
) -> Result<EvidenceSection, WebError> {
    let items = web
        .app()
        .attachments(entry_id)
        .await?
        .iter()
        .map(|a: &AttachmentInfo| EvidenceItem {
            handle: web.handles().handle(
                HandleKind::Attachment,
                &attachment_key(entry_id, &a.attachment_id),
            ),
            name: a.name.clone(),
            display: display_word(a.display),
            size: size_words(a.size),
            media_type: a.media_type.clone(),
        })
        .collect();
    Ok(EvidenceSection {
        entry_handle: web.handles().handle(HandleKind::Entry, entry_id),
        items,
        errors,
    })
}

async fn show(State(web): State<Web>, Path(entry): Path<String>) -> Result<Response, WebError> {
    let entry_id = web.handles().resolve(HandleKind::Entry, &entry)?;
    page::html(EvidencePage {
        layout: web.layout(),
        evidence: section(&web, &entry_id, FieldErrors::default()).await?,
    })
}

/// The uploaded file's name, from `X-MyCase-File-Name` (percent-encoded UTF-8).
fn file_name(headers: &HeaderMap) -> String {
    let raw = headers
        .get("x-mycase-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    percent_decode(raw).unwrap_or_default()
}

/// `encodeURIComponent`'s output back to text; `None` if it is not.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(b) = rest.next() {
        if b == b'%' {
            let hi = (rest.next()? as char).to_digit(16)?;
            let lo = (rest.next()? as char).to_digit(16)?;
            bytes.push((hi * 16 + lo) as u8);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}

async fn upload(
    State(web): State<Web>,
    Path(entry): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let entry_id = web.handles().resolve(HandleKind::Entry, &entry)?;
    let again = |status: StatusCode, message: String| {
        let web = web.clone();
        let entry_id = entry_id.clone();
        async move {
            page::html_with(
                status,
                EvidencePage {
                    layout: web.layout(),
                    evidence: section(&web, &entry_id, FieldErrors::one("file", message)).await?,
                },
            )
        }
    };
    let bytes = match read_body(body, UPLOAD_LIMIT).await {
        Ok(bytes) => bytes,
        Err(WebError::TooLarge) => {
            return again(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The file is larger than MyCase takes from the browser ({} MB): attach it with `mycase attach`",
                    UPLOAD_LIMIT / (1024 * 1024)
                ),
            )
            .await
        }
        Err(e) => return Err(e),
    };
    if bytes.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file to attach".into(),
        )
        .await;
    }
    let name = file_name(&headers);
    match web
        .app()
        .attach_bytes(&entry_id, &name, &bytes, |_, _| {})
        .await
    {
        Ok(_) => Ok(page::see_other(&format!("/entries/{entry}/evidence"))),
        Err(AppError::InvalidInput { reason, .. }) => {
            again(StatusCode::UNPROCESSABLE_ENTITY, reason).await
        }
        Err(e @ AppError::ServerUnreachable(_)) => {
            again(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{e}: the file was not attached. Try again when this computer is online"),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `inline` or `attachment`, with a neutral file name (quoted: it is plain ASCII).
fn disposition(kind: &str, info: &AttachmentInfo) -> HeaderValue {
    HeaderValue::from_str(&format!("{kind}; filename=\"{}\"", info.download_name()))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

async fn serve(web: &Web, handle: &str, download: bool) -> Result<Response, WebError> {
    let key = web.handles().resolve(HandleKind::Attachment, handle)?;
    let (entry_id, attachment_id) = key.split_once(':').ok_or(WebError::StaleHandle)?;
    let file = web.app().attachment_bytes(entry_id, attachment_id).await?;
    let shown = !download && file.info.display != AttachmentDisplay::DownloadOnly;
    let content_type = if shown {
        HeaderValue::from_str(&file.info.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    let disposition = disposition(if shown { "inline" } else { "attachment" }, &file.info);
    let mut response = (StatusCode::OK, file.bytes.to_vec()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

async fn view(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    serve(&web, &handle, false).await
}

async fn download(
    State(web): State<Web>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    serve(&web, &handle, true).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_names_come_back_from_percent_encoding() {
        assert_eq!(percent_decode("caf%C3%A9.jpg").unwrap(), "café.jpg");
        assert_eq!(percent_decode("a%2"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
