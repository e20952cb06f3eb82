//! `POST /lock` ("Lock now", and app.js's idle timer) and `POST /keepalive`
//! (someone is using the page: the guard has already postponed the idle lock).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::page;
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/lock", post(lock))
        .route("/keepalive", post(|| async { StatusCode::NO_CONTENT }))
}

async fn lock(State(web): State<Web>) -> Response {
    web.lock();
    page::see_other("/unlock").into_response()
}
