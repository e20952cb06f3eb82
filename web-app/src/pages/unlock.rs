//! `/unlock`: the passphrase form. Wrong tries are slowed by the App; after too
//! many, the page says how long to wait.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::core_app::AppError;
use crate::error::WebError;
use crate::form::Form;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/unlock", get(show).post(submit))
}

#[derive(Template)]
#[template(path = "unlock.html")]
struct UnlockPage {
    layout: Layout,
    errors: FieldErrors,
    set_up: bool,
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    let status = web.app().status();
    if status.unlocked {
        return Ok(page::see_other("/"));
    }
    page::html(UnlockPage {
        layout: web.layout(),
        errors: FieldErrors::default(),
        set_up: status.set_up,
    })
}

#[derive(Deserialize)]
struct UnlockForm {
    passphrase: String,
}

async fn submit(
    State(web): State<Web>,
    Form(form): Form<UnlockForm>,
) -> Result<Response, WebError> {
    let passphrase = Zeroizing::new(form.passphrase);
    let again = |status, message: String| {
        page::html_with(
            status,
            UnlockPage {
                layout: web.layout(),
                errors: FieldErrors::one("passphrase", message),
                set_up: true,
            },
        )
    };
    if passphrase.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your passphrase".into(),
        );
    }
    match web.app().unlock(&passphrase).await {
        Ok(()) => Ok(page::see_other(
            &crate::draft::page_after_unlock(&web).await,
        )),
        Err(AppError::WrongPassphrase { wait_secs: 0 }) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The passphrase is not right. Check it and try again".into(),
        ),
        Err(AppError::WrongPassphrase { wait_secs }) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The passphrase is not right. Wait {wait_secs} seconds, then try again"),
        ),
        Err(AppError::TryLater { wait_secs }) => again(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many wrong tries. Wait {wait_secs} seconds, then try again"),
        ),
        Err(other) => Err(other.into()),
    }
}
