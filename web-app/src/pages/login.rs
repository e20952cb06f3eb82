//! `GET /login?token=…`: the launch link. Spends the one-time token for the
//! session cookie and sends the browser on to an address without the token.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::error::WebError;
use crate::page;
use crate::session::TokenRefused;
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new().route("/login", get(login))
}

#[derive(Deserialize)]
struct LaunchLink {
    token: String,
}

async fn login(State(web): State<Web>, request: Request) -> Result<Response, WebError> {
    // Already signed in (the link opened twice in one browser): just go in.
    if web.is_signed_in(request.headers()) {
        return Ok(page::see_other("/"));
    }
    let link: LaunchLink = serde_urlencoded::from_str(request.uri().query().unwrap_or(""))
        .map_err(|_| WebError::WrongToken)?;
    let cookie = web
        .sessions()
        .exchange(&link.token)
        .map_err(|refused| match refused {
            TokenRefused::Spent => WebError::SpentToken,
            TokenRefused::Wrong => WebError::WrongToken,
        })?;
    let mut response = page::see_other("/");
    let set_cookie = HeaderValue::from_str(&web.sessions().set_cookie(&cookie))
        .map_err(|_| WebError::WrongToken)?;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie);
    Ok(response)
}
