//! Sharing: `/shares` (the list, with views and when each was opened),
//! `/shares/new` (choose entries, expiry, view limit, password), the link with a
//! copy button, and revoking with a confirmation. Entries and shares are named
//! by handles; the link (it holds the key) is shown on a page, never in an address.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use mycase_core::words::uk_time;
use zeroize::Zeroizing;

use crate::core_app::{AppError, EntrySummary, ShareInput, ShareState, ShareSummary};
use crate::error::WebError;
use crate::form::Form;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/shares", get(list))
        .route("/shares/new", get(new).post(create))
        .route("/shares/{handle}/link", get(link))
        .route("/shares/{handle}/revoke", get(confirm_revoke).post(revoke))
}

/// The expiry choices offered (the App takes any of its own durations).
const EXPIRIES: &[(&str, &str)] = &[
    ("1d", "1 day"),
    ("7d", "7 days"),
    ("14d", "14 days"),
    ("31d", "31 days (the longest allowed)"),
];

struct ShareRow {
    handle: String,
    description: String,
    state: &'static str,
    state_class: &'static str,
    expires: String,
    views: String,
    /// Each time it was opened, newest first, in UK time.
    opened: Vec<String>,
    has_password: bool,
    can_revoke: bool,
}

fn row(web: &Web, s: &ShareSummary) -> ShareRow {
    let (state, state_class) = match s.state {
        ShareState::Active => ("Open", "tag--green"),
        ShareState::Expired => ("Expired", "tag--grey"),
        ShareState::Revoked => ("Revoked", "tag--grey"),
        ShareState::ViewLimitReached => ("View limit reached", "tag--grey"),
        ShareState::Ended => ("Ended", "tag--grey"),
        ShareState::Unknown | ShareState::NotChecked => ("Not known now", "tag--yellow"),
    };
    ShareRow {
        handle: web.handles().handle(HandleKind::Share, &s.share_id),
        description: s.description.clone(),
        state,
        state_class,
        expires: uk_time::recorded(s.expires_at_ms),
        views: match (s.views, s.max_views) {
            (Some(v), 0) => format!("{v} (no limit)"),
            (Some(v), max) => format!("{v} of {max}"),
            (None, _) => "Not known now".into(),
        },
        opened: s
            .opened_at_ms
            .iter()
            .rev()
            .map(|t| uk_time::recorded(*t))
            .collect(),
        has_password: s.has_password,
        can_revoke: !matches!(s.state, ShareState::Revoked | ShareState::Ended),
    }
}

#[derive(Template)]
#[template(path = "shares.html")]
struct SharesPage {
    layout: Layout,
    shares: Vec<ShareRow>,
    server_reached: bool,
}

async fn list(State(web): State<Web>) -> Result<Response, WebError> {
    let listed = web.app().shares().await?;
    page::html(SharesPage {
        layout: web.layout().in_section("/shares"),
        shares: listed.shares.iter().map(|s| row(&web, s)).collect(),
        server_reached: listed.server_reached,
    })
}

struct EntryChoice {
    handle: String,
    title: String,
    when: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "share_new.html")]
struct NewSharePage {
    layout: Layout,
    errors: FieldErrors,
    entries: Vec<EntryChoice>,
    expiries: &'static [(&'static str, &'static str)],
    expires: String,
    max_views: String,
    include_attachments: bool,
    keep_location: bool,
}

fn choices(web: &Web, entries: &[EntrySummary], chosen: &[String]) -> Vec<EntryChoice> {
    entries
        .iter()
        .map(|e| {
            let handle = web.handles().handle(HandleKind::Entry, &e.id);
            EntryChoice {
                checked: chosen.contains(&handle),
                handle,
                title: e.title.clone().unwrap_or_else(|| "Untitled entry".into()),
                when: e.when.clone().unwrap_or_else(|| "Date not known".into()),
            }
        })
        .collect()
}

async fn new(State(web): State<Web>) -> Result<Response, WebError> {
    let entries = web.app().entries().await?;
    page::html(NewSharePage {
        layout: web.layout().in_section("/shares"),
        errors: FieldErrors::default(),
        entries: choices(&web, &entries, &[]),
        expiries: EXPIRIES,
        expires: "7d".into(),
        max_views: String::new(),
        include_attachments: false,
        keep_location: false,
    })
}

/// The new-share form, read from its pairs (the entry checkboxes repeat a name).
#[derive(Default)]
struct NewShareForm {
    entries: Vec<String>,
    expires: String,
    max_views: String,
    password: Zeroizing<String>,
    include_attachments: bool,
    keep_location: bool,
}

impl NewShareForm {
    fn read(pairs: Vec<(String, String)>) -> NewShareForm {
        let mut form = NewShareForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "entry" => form.entries.push(value),
                "expires" => form.expires = value,
                "max_views" => form.max_views = value,
                "password" => form.password = Zeroizing::new(value),
                "include_attachments" => form.include_attachments = true,
                "keep_location" => form.keep_location = true,
                _ => {}
            }
        }
        form
    }
}

/// Where the App's field names show on this form.
fn field_id(field: Option<&str>) -> &'static str {
    match field {
        Some("expires") => "expires",
        Some("password") => "password",
        Some("max_views") => "max_views",
        _ => "entries",
    }
}

#[derive(Template)]
#[template(path = "share_link.html")]
struct ShareLinkPage {
    layout: Layout,
    heading: &'static str,
    link: Zeroizing<String>,
    description: String,
    expires: String,
    location_removed: u32,
    location_unread: Vec<String>,
}

async fn create(
    State(web): State<Web>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = NewShareForm::read(pairs);
    let mut errors = FieldErrors::default();
    let mut entry_ids = Vec::new();
    for handle in &form.entries {
        entry_ids.push(web.handles().resolve(HandleKind::Entry, handle)?);
    }
    let max_views = match form.max_views.trim() {
        "" => Some(0),
        text => text.parse::<u32>().ok(),
    };
    if max_views.is_none() {
        errors.add(
            "max_views",
            "Give the number of times it may be opened as a whole number, or leave it empty",
        );
    }
    if errors.is_empty() {
        let input = ShareInput {
            entry_ids,
            expires: form.expires.clone(),
            max_views: max_views.unwrap_or(0),
            password: (!form.password.is_empty()).then(|| form.password.clone()),
            include_attachments: form.include_attachments,
            keep_location: form.keep_location,
            ..Default::default()
        };
        match web.app().create_share(input).await {
            Ok(made) => {
                return page::html(ShareLinkPage {
                    layout: web.layout().in_section("/shares"),
                    heading: "Your share link",
                    link: made.link,
                    description: made.description,
                    expires: uk_time::recorded(made.expires_at_ms),
                    location_removed: made.location_removed,
                    location_unread: made.location_unread,
                })
            }
            Err(AppError::InvalidInput { field, reason }) => {
                errors.add(field_id(field.as_deref()), reason)
            }
            Err(other) => return Err(other.into()),
        }
    }
    let entries = web.app().entries().await?;
    page::invalid(NewSharePage {
        layout: web.layout().in_section("/shares"),
        errors,
        entries: choices(&web, &entries, &form.entries),
        expiries: EXPIRIES,
        expires: form.expires,
        max_views: form.max_views,
        include_attachments: form.include_attachments,
        keep_location: form.keep_location,
    })
}

async fn find(web: &Web, handle: &str) -> Result<ShareSummary, WebError> {
    let id = web.handles().resolve(HandleKind::Share, handle)?;
    web.app()
        .shares()
        .await?
        .shares
        .into_iter()
        .find(|s| s.share_id == id)
        .ok_or(WebError::StaleHandle)
}

async fn link(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    let share = find(&web, &handle).await?;
    let link = web.app().share_link(&share.share_id).await?;
    page::html(ShareLinkPage {
        layout: web.layout().in_section("/shares"),
        heading: "Share link",
        link,
        description: share.description,
        expires: uk_time::recorded(share.expires_at_ms),
        location_removed: 0,
        location_unread: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "share_revoke.html")]
struct RevokePage {
    layout: Layout,
    share: ShareRow,
}

async fn confirm_revoke(
    State(web): State<Web>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let share = find(&web, &handle).await?;
    page::html(RevokePage {
        layout: web.layout().in_section("/shares"),
        share: row(&web, &share),
    })
}

async fn revoke(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Share, &handle)?;
    web.app().revoke_share(&id).await?;
    Ok(page::see_other("/shares"))
}
