//! Entries: the record form (`/entries/new`, the `form[data-draft]`), one entry in
//! full (`/entries/{handle}`: every field, its history, conflicts to settle, and
//! the evidence pages' partial), amending, delete with a confirmation, the trash
//! and restore.
//! Each handler reads the form, calls one App method and answers.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use mycase_core::words::uk_time;

use super::entry_form::{all_errors, form_errors, Choices, EntryForm, SEVERITIES, WHEN_KINDS};
use crate::core_app::{Entry, HistoryKind, TrashedEntry};
use crate::error::WebError;
use crate::form::Form;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/entries/new", get(new_form).post(record))
        .route("/entries/{entry}", get(show))
        .route("/entries/{entry}/amend", get(amend_form).post(amend))
        .route("/entries/{entry}/delete", get(delete_confirm).post(delete))
        .route("/entries/{entry}/restore", post(restore))
        .route("/entries/{entry}/resolve", post(resolve))
        .route("/trash", get(trash))
}

#[derive(Template)]
#[template(path = "entries_form.html")]
struct FormPage {
    layout: Layout,
    errors: FieldErrors,
    form: EntryForm,
    choices: Choices,
    /// `None` for a new entry; the entry's handle to amend it.
    amending: Option<String>,
    when_kinds: &'static [(&'static str, &'static str)],
    severities: &'static [(&'static str, &'static str)],
}

impl FormPage {
    fn action(&self) -> String {
        match &self.amending {
            Some(handle) => format!("/entries/{handle}/amend"),
            None => "/entries/new".into(),
        }
    }
}

async fn choices(web: &Web) -> Result<Choices, WebError> {
    Ok(Choices {
        categories: web.app().categories(),
        people: web.app().people().await?,
        roles: web.app().roles(),
    })
}

async fn form_page(
    web: &Web,
    form: EntryForm,
    errors: FieldErrors,
    amending: Option<String>,
) -> Result<FormPage, WebError> {
    Ok(FormPage {
        layout: web.layout().in_section("/entries/new"),
        errors,
        form,
        choices: choices(web).await?,
        amending,
        when_kinds: &WHEN_KINDS,
        severities: &SEVERITIES,
    })
}

async fn new_form(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(form_page(&web, EntryForm::blank(), FieldErrors::default(), None).await?)
}

/// The form shown again with the App's refusal (and the future-date question).
async fn refused(
    web: &Web,
    mut form: EntryForm,
    errors: FieldErrors,
    amending: Option<String>,
) -> Result<Response, WebError> {
    if errors.get("confirm_future").is_some() {
        form.future_questioned = true;
    }
    page::invalid(form_page(web, form, errors, amending).await?)
}

async fn record(
    State(web): State<Web>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = EntryForm::from_fields(&fields);
    let input = match form.to_input() {
        Ok(input) => input,
        Err(errors) => return refused(&web, form, errors, None).await,
    };
    match web.app().add_entry(input.clone()).await {
        Ok(id) => {
            let handle = web.handles().handle(HandleKind::Entry, &id);
            Ok(page::see_other(&format!("/entries/{handle}")))
        }
        Err(e) => {
            let problems = web.app().entry_problems(&input).await?;
            refused(&web, form, all_errors(e, problems)?, None).await
        }
    }
}

/// One entry as the page shows it, its times in UK local time.
struct EntryShown {
    entry: Entry,
    handle: String,
    recorded: String,
    /// Per history item: (what, when, device, changes).
    history: Vec<HistoryShown>,
    people: Vec<String>,
}

struct HistoryShown {
    what: &'static str,
    at: String,
    device: String,
    changes: Vec<(String, String)>,
}

fn device_words(name: &Option<String>) -> String {
    name.clone()
        .unwrap_or_else(|| "a device no longer in the journal".into())
}

impl EntryShown {
    fn of(entry: Entry, handle: String) -> EntryShown {
        let history = entry
            .history
            .iter()
            .enumerate()
            .map(|(n, h)| HistoryShown {
                what: match h.kind {
                    HistoryKind::Created if n == 0 => "Recorded",
                    HistoryKind::Created => "Recorded again on another device",
                    HistoryKind::Amended => "Amended",
                    HistoryKind::Deleted => "Moved to the trash",
                    HistoryKind::Restored => "Restored from the trash",
                },
                at: uk_time::recorded(h.at_ms),
                device: device_words(&h.device.name),
                changes: h
                    .changes
                    .iter()
                    .map(|c| (c.label.clone(), c.value.clone()))
                    .collect(),
            })
            .collect();
        let people = entry
            .people
            .iter()
            .map(|p| match &p.role {
                Some(role) => format!("{} ({role})", p.name),
                None => p.name.clone(),
            })
            .collect();
        EntryShown {
            recorded: uk_time::recorded(entry.recorded_at_ms),
            history,
            people,
            handle,
            entry,
        }
    }

    fn categories(&self) -> String {
        self.entry
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn conflict_time(&self, ms: &i64) -> String {
        uk_time::recorded(*ms)
    }

    fn device_name(&self, name: &Option<String>) -> String {
        device_words(name)
    }
}

#[derive(Template)]
#[template(path = "entries_show.html")]
struct ShowPage {
    layout: Layout,
    errors: FieldErrors,
    shown: EntryShown,
    /// The evidence section (the evidence pages' partial).
    evidence: super::evidence::EvidenceSection,
}

async fn show_page(web: &Web, handle: String, errors: FieldErrors) -> Result<ShowPage, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    let entry = web.app().entry(&id).await?;
    Ok(ShowPage {
        layout: web.layout().in_section("/timeline"),
        errors,
        evidence: super::evidence::section(web, &id, FieldErrors::default()).await?,
        shown: EntryShown::of(entry, handle),
    })
}

async fn show(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    page::html(show_page(&web, handle, FieldErrors::default()).await?)
}

async fn amend_form(
    State(web): State<Web>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    let entry = web.app().entry(&id).await?;
    if entry.deleted {
        return Ok(page::see_other(&format!("/entries/{handle}")));
    }
    let form = EntryForm::from_input(&entry.to_input());
    page::html(form_page(&web, form, FieldErrors::default(), Some(handle)).await?)
}

async fn amend(
    State(web): State<Web>,
    Path(handle): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    let form = EntryForm::from_fields(&fields);
    let input = match form.to_input() {
        Ok(input) => input,
        Err(errors) => return refused(&web, form, errors, Some(handle)).await,
    };
    match web.app().amend_entry(&id, input.clone()).await {
        Ok(()) => Ok(page::see_other(&format!("/entries/{handle}"))),
        Err(e) => {
            let problems = web.app().entry_problems(&input).await?;
            refused(&web, form, all_errors(e, problems)?, Some(handle)).await
        }
    }
}

#[derive(Template)]
#[template(path = "entries_delete.html")]
struct DeletePage {
    layout: Layout,
    errors: FieldErrors,
    handle: String,
    title: Option<String>,
    when: Option<String>,
}

async fn delete_confirm(
    State(web): State<Web>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    let entry = web.app().entry(&id).await?;
    if entry.deleted {
        return Ok(page::see_other(&format!("/entries/{handle}")));
    }
    page::html(DeletePage {
        layout: web.layout().in_section("/timeline"),
        errors: FieldErrors::default(),
        handle,
        title: entry.title,
        when: entry.when.map(|w| w.display),
    })
}

#[derive(serde::Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

async fn delete(
    State(web): State<Web>,
    Path(handle): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    if form.confirm != "yes" {
        let entry = web.app().entry(&id).await?;
        return page::invalid(DeletePage {
            layout: web.layout().in_section("/timeline"),
            errors: FieldErrors::one(
                "confirm",
                "Tick the box to say you want to move this entry to the trash",
            ),
            handle,
            title: entry.title,
            when: entry.when.map(|w| w.display),
        });
    }
    web.app().delete_entry(&id).await?;
    Ok(page::see_other("/trash"))
}

async fn restore(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    web.app().restore_entry(&id).await?;
    Ok(page::see_other(&format!("/entries/{handle}")))
}

#[derive(serde::Deserialize)]
struct ResolveForm {
    field: String,
    #[serde(default)]
    choice: String,
}

async fn resolve(
    State(web): State<Web>,
    Path(handle): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Entry, &handle)?;
    if form.choice.is_empty() {
        let errors = FieldErrors::one(conflict_input(&form.field), "Choose the version to keep");
        return page::invalid(show_page(&web, handle, errors).await?);
    }
    match web
        .app()
        .resolve_conflict(&id, &form.field, &form.choice)
        .await
    {
        Ok(()) => Ok(page::see_other(&format!("/entries/{handle}"))),
        Err(e) => {
            let reason = match form_errors(e)?.iter().next() {
                Some(error) => error.message.clone(),
                None => "Choose the version to keep".into(),
            };
            let errors = FieldErrors::one(conflict_input(&form.field), reason);
            page::invalid(show_page(&web, handle, errors).await?)
        }
    }
}

/// The first radio of a conflict's versions (its id), for the error summary.
fn conflict_input(field: &str) -> &'static str {
    match field {
        "title" => "conflict-title",
        "text" => "conflict-text",
        "occurred_at" => "conflict-occurred_at",
        "categories" => "conflict-categories",
        "tags" => "conflict-tags",
        "severity" => "conflict-severity",
        "location" => "conflict-location",
        "people" => "conflict-people",
        "injuries" => "conflict-injuries",
        "police_references" => "conflict-police_references",
        "actions_taken" => "conflict-actions_taken",
        "impact" => "conflict-impact",
        _ => "conflicts",
    }
}

#[derive(Template)]
#[template(path = "entries_trash.html")]
struct TrashPage {
    layout: Layout,
    entries: Vec<(String, TrashedEntry, String)>,
}

async fn trash(State(web): State<Web>) -> Result<Response, WebError> {
    let entries = web
        .app()
        .trash()
        .await?
        .into_iter()
        .map(|t| {
            let handle = web.handles().handle(HandleKind::Entry, &t.entry.id);
            let until = uk_time::recorded(t.kept_until_ms);
            (handle, t, until)
        })
        .collect();
    page::html(TrashPage {
        layout: web.layout().in_section("/trash"),
        entries,
    })
}
