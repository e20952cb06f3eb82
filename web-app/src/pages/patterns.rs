//! `/patterns`: the figures and charts of `mycase patterns`, for every entry or
//! the ones a filter form (POST) selects. Each chart has its figures beside it
//! as a table, which is its text alternative.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::core_app::{AppError, EntryFilter, PatternsView};
use crate::error::WebError;
use crate::form::Form;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/patterns", get(show).post(filter))
}

/// The categories as checkboxes: `(slug, name, checked)`.
pub fn category_choices(chosen: &[String]) -> Vec<(&'static str, &'static str, bool)> {
    mycase_core::journal::categories::CATEGORIES
        .iter()
        .map(|(slug, name)| (*slug, *name, chosen.iter().any(|c| c == slug)))
        .collect()
}

/// The filter form's fields, shared with the export page.
#[derive(Debug, Default)]
pub struct FilterForm {
    pub from: String,
    pub to: String,
    pub category: Vec<String>,
    pub tag: String,
}

/// A form's fields in order (a repeated name, as ticked checkboxes give, is
/// several pairs).
pub type Fields = Vec<(String, String)>;

impl FilterForm {
    /// The filter's fields among a form's (others are left for the caller).
    pub fn from_fields(fields: &Fields) -> FilterForm {
        let mut form = FilterForm::default();
        for (name, value) in fields {
            match name.as_str() {
                "from" => form.from = value.clone(),
                "to" => form.to = value.clone(),
                "category" => form.category.push(value.clone()),
                "tag" => form.tag = value.clone(),
                _ => {}
            }
        }
        form
    }

    pub fn to_filter(&self) -> EntryFilter {
        EntryFilter {
            from: self.from.clone(),
            to: self.to.clone(),
            categories: self.category.clone(),
            people: Vec::new(),
            tags: self
                .tag
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// An `AppError` about one filter field as the form's error, or `None`.
pub fn field_error(error: &AppError) -> Option<FieldErrors> {
    match error {
        AppError::InvalidInput {
            field: Some(field),
            reason,
        } => {
            let id: &'static str = match field.as_str() {
                "from" => "from",
                "to" => "to",
                "categories" => "category",
                "withhold" => "withhold",
                _ => "tag",
            };
            Some(FieldErrors::one(id, reason.clone()))
        }
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "patterns.html")]
struct PatternsPage {
    layout: Layout,
    errors: FieldErrors,
    form: FilterForm,
    categories: Vec<(&'static str, &'static str, bool)>,
    view: Option<PatternsView>,
}

fn page_of(
    web: &Web,
    form: FilterForm,
    view: Option<PatternsView>,
    errors: FieldErrors,
) -> PatternsPage {
    PatternsPage {
        layout: web.layout().in_section("/patterns"),
        errors,
        categories: category_choices(&form.category),
        form,
        view,
    }
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    let view = web.app().patterns(&EntryFilter::default(), "").await?;
    page::html(page_of(
        &web,
        FilterForm::default(),
        Some(view),
        FieldErrors::default(),
    ))
}

async fn filter(State(web): State<Web>, Form(fields): Form<Fields>) -> Result<Response, WebError> {
    let form = FilterForm::from_fields(&fields);
    match web.app().patterns(&form.to_filter(), "").await {
        Ok(view) => page::html(page_of(&web, form, Some(view), FieldErrors::default())),
        Err(e) => match field_error(&e) {
            Some(errors) => page::invalid(page_of(&web, form, None, errors)),
            None => Err(e.into()),
        },
    }
}
