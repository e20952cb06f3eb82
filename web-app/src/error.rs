//! Every way a request can fail, and the one place each becomes a status.
//!
//! A handler returns `Result<Response, WebError>`; `into_response` sets the status
//! and attaches an [`ErrorReport`], and `error_page::render` (the layer every
//! response passes) turns that into an HTML page or, for a request that asked for
//! JSON, `{"error": "…"}`. Messages say what happened and what to do, never content.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::core_app::AppError;
use crate::page;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("This address does not belong to MyCase, so nothing was shown.")]
    WrongHost,
    #[error("Open MyCase from the link that `mycase app` printed when it started.")]
    NoSession,
    #[error(
        "This link has already been used. If MyCase is open in another tab, go back to it; \
         otherwise stop `mycase app` and start it again for a new link."
    )]
    SpentToken,
    #[error("This link is not the one `mycase app` printed. Open MyCase from that link.")]
    WrongToken,
    #[error(
        "This request did not come from MyCase's own page, so it was refused. Nothing was changed."
    )]
    CrossOrigin,
    #[error("MyCase takes nothing in its addresses. Nothing was changed.")]
    QueryString,
    #[error("MyCase's addresses never name an entry or a device. Nothing was changed.")]
    IdInAddress,
    #[error("The form could not be read ({0}). Nothing was changed.")]
    BadForm(&'static str),
    #[error("That is more than MyCase accepts in one go. Nothing was changed.")]
    TooLarge,
    #[error(
        "This page is no longer open (MyCase has been locked since). Find it again from the start."
    )]
    StaleHandle,
    #[error("There is no such page.")]
    NotFound,
    #[error("That cannot be done here.")]
    MethodNotAllowed,
    /// Answered with a redirect to the unlock page, not an error page.
    #[error("MyCase is locked.")]
    Locked,
    #[error("{0}")]
    App(#[source] AppError),
    #[error("The page could not be shown.")]
    Template(#[from] askama::Error),
}

impl From<AppError> for WebError {
    fn from(error: AppError) -> WebError {
        match error {
            // Both go to the unlock page, which says which it is.
            AppError::Locked | AppError::NotSetUp => WebError::Locked,
            other => WebError::App(other),
        }
    }
}

/// What the error layer renders; attached to the response by `WebError`.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub message: String,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::WrongHost => StatusCode::MISDIRECTED_REQUEST,
            WebError::NoSession
            | WebError::SpentToken
            | WebError::WrongToken
            | WebError::CrossOrigin => StatusCode::FORBIDDEN,
            WebError::QueryString | WebError::IdInAddress | WebError::BadForm(_) => {
                StatusCode::BAD_REQUEST
            }
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::StaleHandle => StatusCode::GONE,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Locked => StatusCode::SEE_OTHER,
            WebError::App(error) => app_status(error),
            WebError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The status for an `AppError` a page did not handle itself (a form shows
/// `InvalidInput` next to its field instead).
fn app_status(error: &AppError) -> StatusCode {
    match error {
        AppError::TryLater { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::WrongPassphrase { .. }
        | AppError::KeyNotAccepted
        | AppError::WeakPassphrase { .. }
        | AppError::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::AlreadySetUp => StatusCode::CONFLICT,
        AppError::Revoked | AppError::AccountDeleted => StatusCode::GONE,
        AppError::ServerUnreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::CertificateNotTrusted(_)
        | AppError::PairingFailed { .. }
        | AppError::RecoveryFailed { .. }
        | AppError::ServerRefused(_) => StatusCode::BAD_GATEWAY,
        // Never reach here: `From<AppError>` makes these a redirect to /unlock.
        AppError::NotSetUp | AppError::Locked => StatusCode::SEE_OTHER,
        AppError::Storage(_) | AppError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if matches!(self, WebError::Locked) {
            return page::see_other("/unlock");
        }
        let status = self.status();
        if status.is_server_error() {
            // The kind only: an error's words never carry content, but a log needs none.
            tracing::warn!(status = status.as_u16(), "web app request failed");
        }
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorReport {
            message: self.to_string(),
        });
        response
    }
}
