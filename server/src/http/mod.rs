//! The share viewer over plain HTTP routes, on the same port as gRPC.
//!
//! - `GET /s/{id}`: the viewer page, the same bytes for every id (it never says
//!   whether a share exists).
//! - `GET /s/viewer.js`, `GET /s/viewer.css`: the page's own script and style.
//! - `GET /s/{id}/bundle`: the ciphertext, counting one view; an ended or unknown
//!   share answers 410 with `{"ended": "<reason>"}`.
//!
//! The script reads the key from the link's fragment (never sent here) and
//! decrypts in the browser. Every response carries a strict CSP, no referrer,
//! nosniff and no-store.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::service::shares::{end_reason, open_share};
use crate::service::Shared;
use crate::store::{ShareOpen, Store};

const VIEWER_HTML: &str = include_str!("viewer.html");
const VIEWER_JS: &str = include_str!("viewer.js");
const VIEWER_CSS: &str = include_str!("viewer.css");

/// Only the page's own script and style; decrypted files as blob: URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; media-src blob:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router<S: Store>(shared: Arc<Shared<S>>) -> Router {
    Router::new()
        .route(
            "/s/viewer.js",
            get(|| async { asset("text/javascript; charset=utf-8", VIEWER_JS) }),
        )
        .route(
            "/s/viewer.css",
            get(|| async { asset("text/css; charset=utf-8", VIEWER_CSS) }),
        )
        .route(
            "/s/{id}",
            get(|| async { asset("text/html; charset=utf-8", VIEWER_HTML) }),
        )
        .route("/s/{id}/bundle", get(bundle::<S>))
        .with_state(shared)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    respond(StatusCode::OK, content_type, body.to_string().into_bytes())
}

/// Every response: the body with the headers that keep the page to itself.
fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    response
}

fn ended(reason: &'static str) -> Response {
    respond(
        StatusCode::GONE,
        "application/json",
        format!("{{\"ended\":\"{reason}\"}}").into_bytes(),
    )
}

async fn bundle<S: Store>(
    State(shared): State<Arc<Shared<S>>>,
    Path(id): Path<String>,
) -> Response {
    let Some(share_id) = hex::decode(&id)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
    else {
        return ended("unknown");
    };
    match open_share(&shared, share_id).await {
        Ok(ShareOpen::Opened(bundle)) => {
            respond(StatusCode::OK, "application/octet-stream", bundle)
        }
        Ok(ShareOpen::Ended(end)) => ended(end_reason(end)),
        Ok(ShareOpen::Unknown) => ended("unknown"),
        Err(e) => {
            tracing::error!(error = %e, "share fetch failed");
            respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "application/json",
                b"{\"error\":\"the server could not read the share; try again later\"}".to_vec(),
            )
        }
    }
}
