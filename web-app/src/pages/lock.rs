//! `POST /lock` ("Lock now", and app.js's idle timer), `POST /keepalive`
//! (someone is using the page: the guard has already postponed the idle lock)
//! and `POST /notices/dismiss` (the new-device banner's button).

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
        .route("/notices/dismiss", post(dismiss_notices))
}

/// Hides the new-device banner (each notice is shown once per device anyway).
async fn dismiss_notices(State(web): State<Web>) -> Response {
    web.app().dismiss_notices();
    page::see_other("/").into_response()
}

async fn lock(State(web): State<Web>) -> Response {
    web.lock().await;
    page::see_other("/unlock").into_response()
}
