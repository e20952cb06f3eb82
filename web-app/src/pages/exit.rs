//! `GET /exit`: quick exit. app.js replaces the page with this one
//! (`location.replace`, so the tab's history entry goes too); it locks at once
//! and shows a page with nothing of MyCase on it. A GET so that it works as a
//! plain link too; it only ever removes access.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::error::WebError;
use crate::page;
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/exit", get(exit))
}

#[derive(Template)]
#[template(path = "exit.html")]
struct ExitPage;

async fn exit(State(web): State<Web>, headers: HeaderMap) -> Result<Response, WebError> {
    // Someone else (without the session) can only see the neutral page.
    if web.is_signed_in(&headers) {
        web.lock().await;
    }
    page::html(ExitPage)
}
