//! Half-written forms that survive a lock. app.js sends a `form[data-draft]`'s
//! fields to `POST /draft` while someone types; they are kept only through
//! `App::save_draft` (sealed under the device's key, never plaintext on disk) and
//! offered back by `GET /draft` after unlocking. A successful submit discards it
//! (`POST /draft/discard`).
//!
//! The bytes handed to the App are this crate's versioned format, JSON:
//! `{"v":1,"form":"<data-draft name>","page":"<path>","fields":[["name","value"],…]}`
//! (frozen vector: tests/vectors/draft-v1.json).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{extract::State, Router};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::form::Form;
use crate::page;
use crate::web::Web;

pub const DRAFT_VERSION: u32 = 1;
/// The field that names the form (`data-draft`); fields starting with `_` are not kept.
const FORM_FIELD: &str = "_draft";
/// The field with the form's page (`location.pathname`).
const PAGE_FIELD: &str = "_page";
const MAX_FIELDS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub form: String,
    /// The page the form is on (a path), where unlocking leads back to.
    pub page: String,
    pub fields: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct Versioned {
    v: u32,
    #[serde(flatten)]
    draft: Draft,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DraftError {
    #[error(
        "the saved draft was written by a newer MyCase (format {0}); update MyCase to get it back"
    )]
    NewerVersion(u32),
    #[error("the saved draft could not be read")]
    Unreadable,
}

pub fn encode(draft: &Draft) -> Vec<u8> {
    let versioned = Versioned {
        v: DRAFT_VERSION,
        draft: draft.clone(),
    };
    // Serializing strings and numbers cannot fail.
    serde_json::to_vec(&versioned).unwrap_or_default()
}

pub fn decode(bytes: &[u8]) -> Result<Draft, DraftError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        v: u32,
    }
    let version = serde_json::from_slice::<VersionOnly>(bytes)
        .map_err(|_| DraftError::Unreadable)?
        .v;
    if version != DRAFT_VERSION {
        return Err(DraftError::NewerVersion(version));
    }
    serde_json::from_slice::<Versioned>(bytes)
        .map(|versioned| versioned.draft)
        .map_err(|_| DraftError::Unreadable)
}

/// A draft from a form body's fields, or why not.
fn from_fields(fields: Vec<(String, String)>) -> Result<Draft, WebError> {
    if fields.len() > MAX_FIELDS {
        return Err(WebError::BadForm("it has too many fields"));
    }
    let form = fields
        .iter()
        .find(|(name, _)| name == FORM_FIELD)
        .map(|(_, value)| value.clone())
        .filter(|form| !form.is_empty() && form.len() <= 64)
        .ok_or(WebError::BadForm("it does not say which form it is"))?;
    let page = fields
        .iter()
        .find(|(name, _)| name == PAGE_FIELD)
        .map(|(_, value)| value.clone())
        .filter(|page| is_app_path(page))
        .unwrap_or_else(|| "/".to_owned());
    let fields = fields
        .into_iter()
        .filter(|(name, _)| !name.starts_with('_'))
        .collect();
    Ok(Draft { form, page, fields })
}

/// A path of this app: no other origin, no query.
fn is_app_path(page: &str) -> bool {
    page.starts_with('/')
        && !page.starts_with("//")
        && !page.contains(['?', '#', '\\'])
        && page.len() <= 200
}

/// Where unlocking leads: the page of a saved draft, or the start.
pub async fn page_after_unlock(web: &Web) -> String {
    match web.app().draft().await {
        Ok(Some(bytes)) => decode(&bytes)
            .map(|draft| draft.page)
            .unwrap_or_else(|_| "/".to_owned()),
        _ => "/".to_owned(),
    }
}

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/draft", get(load).post(save))
        .route("/draft/discard", post(discard))
}

async fn save(
    State(web): State<Web>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let draft = from_fields(fields)?;
    web.app().save_draft(&encode(&draft)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn load(State(web): State<Web>) -> Result<Response, WebError> {
    let draft = match web.app().draft().await? {
        None => None,
        Some(bytes) => Some(decode(&bytes).map_err(|_| WebError::BadForm("the saved draft"))?),
    };
    Ok(page::json(serde_json::json!({ "draft": draft })))
}

async fn discard(State(web): State<Web>) -> Result<Response, WebError> {
    web.app().discard_draft()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_frozen_v1_draft_still_opens() {
        let bytes = include_bytes!("../tests/vectors/draft-v1.json");
        let draft = decode(bytes.trim_ascii()).unwrap();
        assert_eq!(draft.form, "entry");
        assert_eq!(draft.page, "/entries/new");
        assert_eq!(
            draft.fields,
            vec![
                ("title".to_owned(), "Shouting in the kitchen".to_owned()),
                ("occurred-day".to_owned(), "14".to_owned()),
                ("category".to_owned(), "threats".to_owned()),
                ("category".to_owned(), "coercive-control".to_owned()),
            ]
        );
        assert_eq!(encode(&draft), bytes.trim_ascii());
    }

    #[test]
    fn a_newer_draft_is_refused_with_what_to_do() {
        let error = decode(br#"{"v":2,"form":"entry","fields":[]}"#).unwrap_err();
        assert_eq!(error, DraftError::NewerVersion(2));
        assert!(error.to_string().contains("update MyCase"));
        assert_eq!(decode(b"not json").unwrap_err(), DraftError::Unreadable);
    }

    #[test]
    fn form_fields_become_a_draft_without_the_frame_fields() {
        let fields = vec![
            ("_draft".to_owned(), "entry".to_owned()),
            ("_page".to_owned(), "//elsewhere.example/".to_owned()),
            ("title".to_owned(), "t".to_owned()),
            ("_other".to_owned(), "x".to_owned()),
        ];
        let draft = from_fields(fields).unwrap();
        assert_eq!(draft.form, "entry");
        assert_eq!(draft.page, "/");
        assert_eq!(draft.fields, vec![("title".to_owned(), "t".to_owned())]);
        assert!(from_fields(vec![("title".to_owned(), "t".to_owned())]).is_err());
    }
}
