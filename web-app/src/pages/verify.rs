//! `/verify`: check an export file. The file is the upload's body (app.js's
//! `form[data-upload]`), the server's key arrives in `X-MyCase-Fields`. Works
//! while locked: checking needs no journal. The report is shown entry by entry,
//! then people, devices, attached files, and what no export proves.

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::core_app::{self as app, AppError, VerifiedItem, VerifyResult};
use crate::error::WebError;
use crate::form::read_body;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

/// The largest export file checked from the browser.
pub const VERIFY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<Web> {
    Router::new().route("/verify", get(show).post(check))
}

/// One item as the page shows it.
pub struct ItemView {
    pub kind: &'static str,
    pub short_id: String,
    pub title: Option<String>,
    pub when: Option<String>,
    pub ok: bool,
    pub holds: &'static str,
    pub failed: Vec<&'static str>,
    pub received_when: String,
    pub problems: Vec<String>,
    pub limits: Vec<String>,
}

impl From<&VerifiedItem> for ItemView {
    fn from(i: &VerifiedItem) -> Self {
        let failed = [
            (i.unchanged, "unchanged"),
            (i.signed, "signed by a device of the journal"),
            (i.received, "received by the server"),
            (i.complete, "complete"),
        ]
        .into_iter()
        .filter(|(held, _)| !held)
        .map(|(_, what)| what)
        .collect();
        ItemView {
            kind: i.kind.word(),
            short_id: i.id.chars().take(8).collect(),
            title: i.title.clone(),
            when: i.when.clone(),
            ok: i.ok,
            holds: i.kind.holds(),
            failed,
            received_when: i.received_when.clone(),
            problems: i.problems.clone(),
            limits: i.limits.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    errors: FieldErrors,
    server_key: String,
    report: Option<VerifyResult>,
    items: Vec<ItemView>,
}

fn page_of(web: &Web, errors: FieldErrors, server_key: String) -> VerifyPage {
    VerifyPage {
        layout: web.layout().in_section("/verify"),
        errors,
        server_key,
        report: None,
        items: Vec::new(),
    }
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(page_of(&web, FieldErrors::default(), String::new()))
}

/// The form's text fields, from `X-MyCase-Fields` (urlencoded).
fn server_key_field(headers: &HeaderMap) -> String {
    let raw = headers
        .get("x-mycase-fields")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .unwrap_or_default()
        .into_iter()
        .find(|(name, _)| name == "server_key")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default()
}

async fn check(
    State(web): State<Web>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let server_key = server_key_field(&headers);
    let invalid = |field: &'static str, message: String, key: String| {
        page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            page_of(&web, FieldErrors::one(field, message), key),
        )
    };
    let bytes = match read_body(body, VERIFY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(WebError::TooLarge) => return invalid(
            "file",
            "That file is larger than any export MyCase checks here: check it with `mycase verify`"
                .into(),
            server_key,
        ),
        Err(e) => return Err(e),
    };
    if server_key.is_empty() {
        return invalid(
            "server_key",
            "Enter the server's public key".into(),
            server_key,
        );
    }
    if bytes.is_empty() {
        return invalid("file", "Choose the export file to check".into(), server_key);
    }
    match app::verify_export(&bytes, &server_key) {
        Ok(report) => {
            let mut page = page_of(&web, FieldErrors::default(), server_key);
            page.items = report.items.iter().map(ItemView::from).collect();
            page.report = Some(report);
            page::html(page)
        }
        Err(AppError::InvalidInput {
            field: Some(field),
            reason,
        }) => {
            let id = if field == "server_key" {
                "server_key"
            } else {
                "file"
            };
            invalid(id, reason, server_key)
        }
        Err(e) => Err(e.into()),
    }
}
