//! `GET /safety`: the safeguarding statement's own words from
//! `mycase_core::safety` (and that the browser keeps history), nothing more (MyCase gives no advice). Open
//! without a session: these words are for anyone, at any time.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::error::WebError;
use crate::page::{self, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/safety", get(show))
}

#[derive(Template)]
#[template(path = "safety.html")]
struct SafetyPage {
    layout: Layout,
    lines: Vec<&'static str>,
}

async fn show(State(web): State<Web>, headers: HeaderMap) -> Result<Response, WebError> {
    let layout = if web.is_signed_in(&headers) {
        web.layout()
    } else {
        Layout::bare()
    };
    page::html(SafetyPage {
        layout,
        lines: mycase_core::safety::statement_for_browser(),
    })
}
