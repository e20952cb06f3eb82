//! `GET /`: the start page once unlocked (the timeline replaces it).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::error::WebError;
use crate::page::{self, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/", get(show))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    device_name: Option<String>,
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(HomePage {
        layout: web.layout().in_section("/"),
        device_name: web.app().status().device_name,
    })
}
