//! The share viewer over plain HTTP routes, on the same port as gRPC.
//!
//! - `GET /s/{id}`: the viewer page, the same bytes for every id (it never says
//!   whether a share exists).
//! - `GET /s/viewer.js`, `GET /s/viewer.css`: the page's own script and style.
//! - `GET /s/{id}/bundle` with `Authorization: Bearer <access token, hex>`: the
//!   ciphertext, streamed from storage, counting one view. Without the link's
//!   access token (for a share made with one) it answers 403 and counts nothing;
//!   an ended or unknown share answers 410 with `{"ended": "<reason>"}`. HEAD is
//!   refused (405): only a real fetch by someone holding the link counts.
//!
//! The script reads the key from the link's fragment (never sent here), derives
//! the access token from it and decrypts in the browser. Every response carries
//! a strict CSP, no referrer, nosniff, no-store, HSTS and a same-origin opener
//! policy.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use crate::api::shares::{bundle_pieces, end_reason, open_share};
use crate::api::Shared;
use crate::error::ServerError;
use crate::store::{ShareOpen, Store};

const VIEWER_HTML: &str = include_str!("viewer.html");
const VIEWER_JS: &str = include_str!("viewer.js");
const VIEWER_CSS: &str = include_str!("viewer.css");

/// Only the page's own script and style; decrypted files as blob: URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; media-src blob:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// Browsers that once reached the viewer over HTTPS never try plain HTTP for it
/// again (two years, the usual preload figure).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000";

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
        // An explicit HEAD handler: axum would otherwise answer HEAD by running
        // the GET handler, which counts a view.
        .route("/s/{id}/bundle", get(bundle::<S>).head(no_head))
        .with_state(shared)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    respond(StatusCode::OK, content_type, Body::from(body))
}

/// Every response: the body with the headers that keep the page to itself.
fn respond(status: StatusCode, content_type: &'static str, body: Body) -> Response {
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
    set(
        headers,
        header::STRICT_TRANSPORT_SECURITY,
        STRICT_TRANSPORT_SECURITY,
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn json(status: StatusCode, body: String) -> Response {
    respond(status, "application/json", Body::from(body))
}

fn ended(reason: &'static str) -> Response {
    json(StatusCode::GONE, format!("{{\"ended\":\"{reason}\"}}"))
}

async fn no_head() -> Response {
    let mut response = json(
        StatusCode::METHOD_NOT_ALLOWED,
        "{\"error\":\"fetch the bundle with GET\"}".into(),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET"));
    response
}

/// The access token from `Authorization: Bearer <hex>`; empty if absent or
/// malformed (which a share made with a token then refuses).
fn access_token(headers: &HeaderMap) -> Vec<u8> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| hex::decode(t.trim()).ok())
        .unwrap_or_default()
}

/// The client's address, as tonic's TLS listener records it (for rate limits).
fn peer(request: &Request) -> Option<SocketAddr> {
    let ext = request.extensions();
    ext.get::<TlsConnectInfo<TcpConnectInfo>>()
        .and_then(|i| i.get_ref().remote_addr())
        .or_else(|| ext.get::<TcpConnectInfo>().and_then(|i| i.remote_addr()))
}

async fn bundle<S: Store>(
    State(shared): State<Arc<Shared<S>>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers();
    let Some(share_id) = hex::decode(&id)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
    else {
        return ended("unknown");
    };
    match open_share(&shared, peer(&request), share_id, access_token(headers)).await {
        Ok(ShareOpen::Opened(bundle)) => {
            let len = bundle.len();
            let mut response = respond(
                StatusCode::OK,
                "application/octet-stream",
                Body::from_stream(bundle_pieces(bundle)),
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            response
        }
        Ok(ShareOpen::Ended(end)) => ended(end_reason(end)),
        Ok(ShareOpen::Unknown) => ended("unknown"),
        Err(ServerError::ShareAccessDenied) => {
            json(StatusCode::FORBIDDEN, "{\"error\":\"wrong-key\"}".into())
        }
        Err(ServerError::Limit(_)) => json(
            StatusCode::TOO_MANY_REQUESTS,
            "{\"error\":\"too many requests; wait a minute and try again\"}".into(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "share fetch failed");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                "{\"error\":\"the server could not read the share; try again later\"}".into(),
            )
        }
    }
}
