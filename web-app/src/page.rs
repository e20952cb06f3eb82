//! What every page handler uses: the layout data, form errors and the three ways
//! to answer (a page, a form with errors, a redirect).

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::WebError;

/// The sections in the header's navigation, in order: `(path, label)`. A feature
/// page adds its line here.
pub const SECTIONS: &[(&str, &str)] = &[
    ("/", "Home"),
    ("/timeline", "Timeline"),
    ("/entries/new", "Record"),
    ("/people", "People"),
    ("/patterns", "Patterns"),
    ("/export", "Export"),
    ("/verify", "Check an export"),
    ("/shares", "Sharing"),
    ("/devices", "Devices"),
    ("/settings", "Settings"),
];

/// What the base layout (`templates/base.html`) needs; every page struct has a
/// `layout: Layout` field, made with `Web::layout`.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Shows the navigation, the sync status, "Lock now", and starts the idle timer
    /// and live events in app.js.
    pub unlocked: bool,
    pub idle_lock_minutes: u32,
    /// The section this page belongs to (a path in `SECTIONS`), marked as current.
    pub section: &'static str,
    /// The sync indicator as the page first shows it (live events update it).
    pub sync_state: &'static str,
    pub sync_words: String,
    /// New-device notices not yet dismissed, as banner words.
    pub notices: Vec<String>,
}

impl Layout {
    /// The layout for pages shown without a session (errors, the refusal page).
    pub fn bare() -> Layout {
        Layout {
            unlocked: false,
            idle_lock_minutes: 0,
            section: "",
            sync_state: "stopped",
            sync_words: String::new(),
            notices: Vec::new(),
        }
    }

    /// Marks the page's section in the navigation.
    pub fn in_section(mut self, section: &'static str) -> Layout {
        self.section = section;
        self
    }

    pub fn is_current(&self, path: &str) -> bool {
        self.section == path
    }

    pub fn sections(&self) -> &'static [(&'static str, &'static str)] {
        SECTIONS
    }
}

/// One field's error: `field` is the input's `id` (the summary links to it).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A form's errors, in the order of the fields: the error summary lists them and
/// each field shows its own.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
}

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn one(field: &'static str, message: impl Into<String>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }
}

/// A page, 200.
pub fn html(page: impl Template) -> Result<Response, WebError> {
    html_with(StatusCode::OK, page)
}

/// A form shown again with its errors, 422.
pub fn invalid(page: impl Template) -> Result<Response, WebError> {
    html_with(StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub fn html_with(status: StatusCode, page: impl Template) -> Result<Response, WebError> {
    let body = page.render()?;
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}

/// A JSON answer, 200 (for app.js's own calls; pages answer HTML).
pub fn json(value: serde_json::Value) -> Response {
    let mut response = (StatusCode::OK, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A page that only reloads the start page from this origin (see
/// `guard::arrives_from_elsewhere`).
pub fn reload_here() -> Response {
    let mut response = (
        StatusCode::OK,
        "<!DOCTYPE html><html lang=\"en-GB\"><meta charset=\"utf-8\"><title>Notes</title>\
         <meta http-equiv=\"refresh\" content=\"0;url=/\"></html>",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// 303 to another page of the app (a path, never a query string: inputs travel
/// in POST bodies).
pub fn see_other(path: &str) -> Response {
    let location = if path.starts_with('/') && !path.starts_with("//") && !path.contains('?') {
        HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/"))
    } else {
        HeaderValue::from_static("/")
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_inside_the_app_and_carry_no_query() {
        let location = |path| see_other(path).headers()[header::LOCATION].clone();
        assert_eq!(location("/unlock"), "/unlock");
        assert_eq!(location("//elsewhere.example/"), "/");
        assert_eq!(location("https://elsewhere.example/"), "/");
        assert_eq!(location("/search?words=x"), "/");
    }

    #[test]
    fn field_errors_are_found_by_field() {
        let errors = FieldErrors::one("passphrase", "Enter your passphrase");
        assert_eq!(errors.get("passphrase"), Some("Enter your passphrase"));
        assert_eq!(errors.get("other"), None);
        assert!(!errors.is_empty());
    }
}
