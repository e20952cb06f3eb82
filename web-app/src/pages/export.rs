//! `/export`: the journal as HTML, PDF, JSON or Markdown, downloaded. The same
//! choices as `mycase export` for which entries; the attachment files are not in
//! the download (each is listed with its SHA-256 and downloadable from its
//! entry; `mycase export` writes them beside the file).

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::patterns::{category_choices, field_error, Fields, FilterForm};
use crate::core_app::{ExportChoices, ExportFormat, WithholdChoice};
use crate::error::WebError;
use crate::form::Form;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/export", get(show).post(export))
}

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    layout: Layout,
    errors: FieldErrors,
    form: FilterForm,
    format: String,
    include_deleted: bool,
    case_reference: String,
    name_on_document: String,
    withhold: String,
    categories: Vec<(&'static str, &'static str, bool)>,
}

/// What was typed into the header fields, kept for the form shown again.
#[derive(Default)]
struct Heading {
    case_reference: String,
    name_on_document: String,
    /// What to withhold, one `ENTRY:FIELD[:WORDS]` per line.
    withhold: String,
}

impl Heading {
    fn from_fields(fields: &Fields) -> Self {
        let value = |wanted: &str| {
            fields
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Heading {
            case_reference: value("case_reference"),
            name_on_document: value("name_on_document"),
            withhold: value("withhold"),
        }
    }

    /// The withholdings typed, one per non-blank line; `None` for a line that
    /// is not `ENTRY:FIELD[:WORDS]`.
    fn withholdings(&self) -> Option<Vec<WithholdChoice>> {
        self.withhold
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(WithholdChoice::parse)
            .collect()
    }

    fn given(text: &str) -> Option<String> {
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    }
}

fn page_of(
    web: &Web,
    form: FilterForm,
    format: String,
    include_deleted: bool,
    heading: Heading,
    errors: FieldErrors,
) -> ExportPage {
    ExportPage {
        layout: web.layout().in_section("/export"),
        errors,
        categories: category_choices(&form.category),
        form,
        format,
        include_deleted,
        case_reference: heading.case_reference,
        name_on_document: heading.name_on_document,
        withhold: heading.withhold,
    }
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(page_of(
        &web,
        FilterForm::default(),
        String::new(),
        false,
        Heading::default(),
        FieldErrors::default(),
    ))
}

async fn export(State(web): State<Web>, Form(fields): Form<Fields>) -> Result<Response, WebError> {
    let filter = FilterForm::from_fields(&fields);
    let include_deleted = fields
        .iter()
        .any(|(name, value)| name == "include_deleted" && value == "yes");
    let format = fields
        .iter()
        .find(|(name, _)| name == "format")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let chosen = match format.as_str() {
        "html" => ExportFormat::Html,
        "json" => ExportFormat::Json,
        "md" => ExportFormat::Markdown,
        "pdf" => ExportFormat::Pdf,
        _ => {
            return page::invalid(page_of(
                &web,
                filter,
                format,
                include_deleted,
                Heading::from_fields(&fields),
                FieldErrors::one("format", "Choose a format"),
            ))
        }
    };
    let heading = Heading::from_fields(&fields);
    let Some(withhold) = heading.withholdings() else {
        return page::invalid(page_of(
            &web,
            filter,
            format,
            include_deleted,
            heading,
            FieldErrors::one(
                "withhold",
                "Write each line as the entry's number, a colon and what to leave out, for example 3f2a91c0:location",
            ),
        ));
    };
    let choices = ExportChoices {
        format: chosen,
        filter: filter.to_filter(),
        include_deleted,
        case_reference: Heading::given(&heading.case_reference),
        name: Heading::given(&heading.name_on_document),
        withhold,
    };
    match web.app().export(&choices).await {
        Ok(doc) => {
            let mut response = (StatusCode::OK, doc.bytes.to_vec()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&doc.media_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.file_name))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            );
            Ok(response)
        }
        Err(e) => match field_error(&e) {
            Some(errors) => page::invalid(page_of(
                &web,
                filter,
                format,
                include_deleted,
                heading,
                errors,
            )),
            None => Err(e.into()),
        },
    }
}
