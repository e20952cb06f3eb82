//! Reading request bodies: `Form<T>` for the `application/x-www-form-urlencoded`
//! bodies app.js sends, with a size limit, and a clear 400/413 otherwise. Every
//! input (form fields, search words, filters) arrives this way, never in a query.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::WebError;

/// The most a form body may hold (long entries fit many times over). Routes that
/// take files read their body with `read_body` and their own, larger limit.
pub const FORM_LIMIT: usize = 256 * 1024;

/// A form body decoded into `T` (fields by name; `Option` for optional ones).
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, WebError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(WebError::BadForm("it was not sent as a form"));
        }
        let bytes = read_body(request.into_body(), FORM_LIMIT).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| WebError::BadForm("a field is missing or not as expected"))
    }
}

/// The whole body, refused past `limit` bytes (before reading more than that).
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, WebError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| WebError::TooLarge)
}
