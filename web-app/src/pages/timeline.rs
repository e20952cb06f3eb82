//! `/timeline`: entries by month, with a filters form and a search box. Every
//! filter arrives in a POST body and is kept in the session (never the address)
//! until it is cleared or MyCase locks. `/timeline/live` is the list alone, which
//! app.js fetches on `mycase:changed` so entries from other devices appear.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::core_app::{AppError, Category, MonthGroup, Person, TimelineQuery};
use crate::error::WebError;
use crate::form::Form;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

/// Where the session keeps the filter.
const KEPT_QUERY: &str = "timeline.query";

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/timeline", get(show).post(filter))
        .route("/timeline/clear", post(clear))
        .route("/timeline/live", get(live))
}

/// A month of entries as the list shows them, each with its handle.
pub struct MonthShown {
    pub label: String,
    pub entries: Vec<(String, crate::core_app::EntrySummary)>,
}

impl MonthShown {
    pub fn count_words(&self) -> String {
        match self.entries.len() {
            1 => "1 entry".into(),
            n => format!("{n} entries"),
        }
    }
}

fn shown(web: &Web, months: Vec<MonthGroup>) -> Vec<MonthShown> {
    months
        .into_iter()
        .map(|m| MonthShown {
            label: m.label,
            entries: m
                .entries
                .into_iter()
                .map(|e| (web.handles().handle(HandleKind::Entry, &e.id), e))
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    errors: FieldErrors,
    query: TimelineQuery,
    months: Vec<MonthShown>,
    categories: Vec<Category>,
    people: Vec<Person>,
    tags: Vec<String>,
    /// For the list: a filter or search is set.
    filtered: bool,
}

impl TimelinePage {
    fn has_category(&self, slug: &str) -> bool {
        self.query.categories.iter().any(|c| c == slug)
    }
    fn has_person(&self, id: &str) -> bool {
        self.query.people.iter().any(|p| p == id)
    }
    fn has_tag(&self, tag: &str) -> bool {
        self.query.tags.iter().any(|t| t == tag)
    }
    fn total(&self) -> usize {
        self.months.iter().map(|m| m.entries.len()).sum()
    }
}

#[derive(Template)]
#[template(path = "timeline_list.html")]
struct ListPart {
    months: Vec<MonthShown>,
    filtered: bool,
}

async fn page_with(
    web: &Web,
    query: TimelineQuery,
    months: Vec<MonthGroup>,
    errors: FieldErrors,
) -> Result<TimelinePage, WebError> {
    Ok(TimelinePage {
        layout: web.layout().in_section("/timeline"),
        errors,
        months: shown(web, months),
        categories: web.app().categories(),
        people: web.app().people().await?,
        tags: web.app().tags().await?,
        filtered: query.is_filtered(),
        query,
    })
}

fn kept(web: &Web) -> TimelineQuery {
    web.kept_value::<TimelineQuery>(KEPT_QUERY)
        .unwrap_or_default()
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    let query = kept(&web);
    let months = web.app().timeline(query.clone()).await?;
    page::html(page_with(&web, query, months, FieldErrors::default()).await?)
}

async fn live(State(web): State<Web>) -> Result<Response, WebError> {
    let query = kept(&web);
    let filtered = query.is_filtered();
    let months = web.app().timeline(query).await?;
    page::html(ListPart {
        months: shown(&web, months),
        filtered,
    })
}

fn query_of(fields: &[(String, String)]) -> TimelineQuery {
    let mut q = TimelineQuery::default();
    for (name, value) in fields {
        match name.as_str() {
            "from" => q.from = value.clone(),
            "to" => q.to = value.clone(),
            "categories" => q.categories.push(value.clone()),
            "people" => q.people.push(value.clone()),
            "tags" => q.tags.push(value.clone()),
            "words" => q.words = value.clone(),
            _ => {}
        }
    }
    q
}

/// The input a refused filter is shown on.
fn input_of(field: Option<&str>) -> &'static str {
    match field.unwrap_or_default() {
        "from" => "from",
        "to" => "to",
        "categories" => "categories",
        "people" => "people",
        _ => "words",
    }
}

async fn filter(
    State(web): State<Web>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let query = query_of(&fields);
    match web.app().timeline(query.clone()).await {
        Ok(_) => {
            web.keep(KEPT_QUERY, query);
            Ok(page::see_other("/timeline"))
        }
        Err(AppError::InvalidInput { field, reason }) => {
            let errors = FieldErrors::one(input_of(field.as_deref()), reason);
            // The list stays as it was under the filter kept before.
            let before = kept(&web);
            let months = web.app().timeline(before).await?;
            page::invalid(page_with(&web, query, months, errors).await?)
        }
        Err(other) => Err(other.into()),
    }
}

async fn clear(State(web): State<Web>) -> Result<Response, WebError> {
    web.forget(KEPT_QUERY);
    Ok(page::see_other("/timeline"))
}
