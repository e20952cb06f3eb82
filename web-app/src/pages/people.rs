//! `/people`: the people list entries refer to, adding someone, finding someone
//! by part of a name (with "did you mean"), and `/people/{handle}` to change a
//! person's name, role or notes.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::core_app::{AppError, Person, PersonMatch, Role};
use crate::error::WebError;
use crate::form::Form;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/people", get(list).post(add))
        .route("/people/find", post(find))
        .route("/people/{handle}", get(show).post(amend))
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    notes: String,
}

/// What a search for someone found, as the page shows it.
enum Found {
    Nothing,
    One(String, Person),
    Several(Vec<(String, Person)>),
    Nobody(Vec<(String, Person)>),
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    layout: Layout,
    errors: FieldErrors,
    people: Vec<(String, Person)>,
    roles: Vec<Role>,
    form: PersonForm,
    find_words: String,
    found: Found,
}

impl PeoplePage {
    fn entries_words(&self, n: &u32) -> String {
        match n {
            0 => "No entries".into(),
            1 => "1 entry".into(),
            n => format!("{n} entries"),
        }
    }
}

fn with_handles(web: &Web, people: Vec<Person>) -> Vec<(String, Person)> {
    people
        .into_iter()
        .map(|p| (web.handles().handle(HandleKind::Person, &p.id), p))
        .collect()
}

async fn people_page(
    web: &Web,
    errors: FieldErrors,
    form: PersonForm,
    find_words: String,
    found: Found,
) -> Result<PeoplePage, WebError> {
    Ok(PeoplePage {
        layout: web.layout().in_section("/people"),
        errors,
        people: with_handles(web, web.app().people().await?),
        roles: web.app().roles(),
        form,
        find_words,
        found,
    })
}

async fn list(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(
        people_page(
            &web,
            FieldErrors::default(),
            PersonForm::default(),
            String::new(),
            Found::Nothing,
        )
        .await?,
    )
}

/// The input an API field of a person is shown on.
fn input_of(field: Option<&str>) -> &'static str {
    match field.unwrap_or_default() {
        "person_role" => "role",
        "person_notes" => "notes",
        _ => "name",
    }
}

fn refusal(error: AppError) -> Result<FieldErrors, WebError> {
    match error {
        AppError::InvalidInput { field, reason } => {
            Ok(FieldErrors::one(input_of(field.as_deref()), reason))
        }
        other => Err(other.into()),
    }
}

async fn add(State(web): State<Web>, Form(form): Form<PersonForm>) -> Result<Response, WebError> {
    match web
        .app()
        .add_person(&form.name, &form.role, &form.notes)
        .await
    {
        Ok(_) => Ok(page::see_other("/people")),
        Err(e) => {
            let errors = refusal(e)?;
            page::invalid(people_page(&web, errors, form, String::new(), Found::Nothing).await?)
        }
    }
}

#[derive(serde::Deserialize)]
struct FindForm {
    #[serde(default)]
    words: String,
}

async fn find(State(web): State<Web>, Form(form): Form<FindForm>) -> Result<Response, WebError> {
    if form.words.trim().is_empty() {
        let errors = FieldErrors::one("find", "Enter a name, or part of one, to look for");
        return page::invalid(
            people_page(
                &web,
                errors,
                PersonForm::default(),
                form.words,
                Found::Nothing,
            )
            .await?,
        );
    }
    let found = match web.app().find_person(&form.words).await? {
        PersonMatch::One(p) => Found::One(web.handles().handle(HandleKind::Person, &p.id), p),
        PersonMatch::Several(people) => Found::Several(with_handles(&web, people)),
        PersonMatch::NoneFound { did_you_mean } => Found::Nobody(with_handles(&web, did_you_mean)),
    };
    page::html(
        people_page(
            &web,
            FieldErrors::default(),
            PersonForm::default(),
            form.words,
            found,
        )
        .await?,
    )
}

#[derive(Template)]
#[template(path = "people_person.html")]
struct PersonPage {
    layout: Layout,
    errors: FieldErrors,
    handle: String,
    person: Person,
    form: PersonForm,
    roles: Vec<Role>,
}

async fn person_page(
    web: &Web,
    handle: String,
    errors: FieldErrors,
    form: Option<PersonForm>,
) -> Result<PersonPage, WebError> {
    let id = web.handles().resolve(HandleKind::Person, &handle)?;
    let person = web.app().person(&id).await?;
    let form = form.unwrap_or_else(|| PersonForm {
        name: person.name.clone(),
        role: person
            .role
            .as_ref()
            .map(|r| r.slug.clone())
            .unwrap_or_default(),
        notes: person.notes.clone().unwrap_or_default(),
    });
    Ok(PersonPage {
        layout: web.layout().in_section("/people"),
        errors,
        handle,
        person,
        form,
        roles: web.app().roles(),
    })
}

async fn show(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    page::html(person_page(&web, handle, FieldErrors::default(), None).await?)
}

async fn amend(
    State(web): State<Web>,
    Path(handle): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Person, &handle)?;
    match web
        .app()
        .amend_person(&id, &form.name, &form.role, &form.notes)
        .await
    {
        Ok(()) => Ok(page::see_other("/people")),
        Err(AppError::InvalidInput {
            field: None,
            reason,
        }) => {
            let errors = FieldErrors::one("name", reason);
            page::invalid(person_page(&web, handle, errors, Some(form)).await?)
        }
        Err(e) => {
            let errors = refusal(e)?;
            page::invalid(person_page(&web, handle, errors, Some(form)).await?)
        }
    }
}
