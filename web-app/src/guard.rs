//! The request guard every request passes, in this order:
//!
//! 1. the `Host` header is this server's own (`127.0.0.1:PORT` or `localhost:PORT`):
//!    a page on another name that resolves here (DNS rebinding) is refused;
//! 2. no query string (inputs travel in POST bodies; addresses carry no content),
//!    except the launch link's token on `/login`, and no id in the path (pages
//!    address things by handle; an id there is a page's mistake, refused at once);
//! 3. a session cookie, except on the few public routes (assets, the launch link,
//!    quick exit and the safety page);
//! 4. a state-changing request (anything but GET/HEAD) comes from this origin
//!    (`Origin` and `Sec-Fetch-Site` say so when present, and at least one is) and
//!    carries `X-MyCase-Request: 1`, which no cross-site form can set;
//! 5. signed-in activity postpones the idle lock.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::web::Web;

/// The header app.js sends with every state-changing request.
pub const REQUEST_HEADER: &str = "x-mycase-request";

/// Routes that answer without a session.
fn is_public(path: &str) -> bool {
    path.starts_with("/assets/") || matches!(path, "/login" | "/exit" | "/safety" | "/favicon.ico")
}

/// Routes whose requests do not count as activity for the idle lock.
fn is_passive(path: &str) -> bool {
    // `/timeline/live` is app.js refreshing a list for another device's change.
    path == "/events"
        || path == "/timeline/live"
        || path.starts_with("/assets/")
        || path == "/favicon.ico"
}

pub async fn guard(State(web): State<Web>, request: Request, next: Next) -> Response {
    if arrives_from_elsewhere(&web, &request) {
        return crate::page::reload_here();
    }
    match check(&web, &request) {
        Ok(signed_in) => {
            if signed_in && !is_passive(request.uri().path()) {
                web.idle().touch();
            }
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The start page reached from outside the app (the page `mycase app` opens the
/// browser with is a local file; a link clicked elsewhere): the browser holds
/// back a `SameSite=Strict` cookie on such a navigation, and on the launch link's
/// redirect, so the page reloads itself from here, with the cookie. It shows
/// nothing and changes nothing, and a request without the cookie is refused
/// as ever.
fn arrives_from_elsewhere(web: &Web, request: &Request) -> bool {
    let headers = request.headers();
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    request.method() == Method::GET
        && request.uri().path() == "/"
        && request.uri().query().is_none()
        && text("sec-fetch-mode") == Some("navigate")
        && matches!(text("sec-fetch-site"), Some("cross-site" | "same-site"))
        && check_host(web.port(), headers).is_ok()
        && !web.is_signed_in(headers)
}

/// Whether the request is signed in, or why it is refused.
fn check(web: &Web, request: &Request) -> Result<bool, WebError> {
    let headers = request.headers();
    check_host(web.port(), headers)?;
    let path = request.uri().path();
    if request.uri().query().is_some() && path != "/login" {
        return Err(WebError::QueryString);
    }
    if carries_an_id(path) {
        return Err(WebError::IdInAddress);
    }
    let signed_in = web.is_signed_in(headers);
    if !signed_in && !is_public(path) {
        return Err(WebError::NoSession);
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        check_same_origin(web.port(), headers)?;
    }
    Ok(signed_in)
}

/// Ids are 32 hex digits (`mycase_core::ids`); a handle (16 base32 letters) can
/// never hold a run of 24.
fn carries_an_id(path: &str) -> bool {
    const RUN: usize = 24;
    let mut run = 0;
    for c in path.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= RUN {
            return true;
        }
    }
    false
}

fn check_host(port: u16, headers: &HeaderMap) -> Result<(), WebError> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .ok_or(WebError::WrongHost)?;
    if host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}") {
        Ok(())
    } else {
        Err(WebError::WrongHost)
    }
}

fn check_same_origin(port: u16, headers: &HeaderMap) -> Result<(), WebError> {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    let origin = text(header::ORIGIN.as_str());
    let fetch_site = text("sec-fetch-site");
    let origin_ok = origin.map(|origin| {
        origin == format!("http://127.0.0.1:{port}") || origin == format!("http://localhost:{port}")
    });
    let fetch_site_ok = fetch_site.map(|site| site == "same-origin");
    let same_origin = match (origin_ok, fetch_site_ok) {
        (None, None) => false,
        (origin_ok, fetch_site_ok) => origin_ok != Some(false) && fetch_site_ok != Some(false),
    };
    if same_origin && text(REQUEST_HEADER) == Some("1") {
        Ok(())
    } else {
        Err(WebError::CrossOrigin)
    }
}

/// For the feature routes: a locked app sends the page to the unlock page.
pub async fn require_unlocked(State(web): State<Web>, request: Request, next: Next) -> Response {
    if web.app().is_unlocked() {
        next.run(request).await
    } else {
        WebError::Locked.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn an_id_in_the_path_is_caught_and_a_handle_is_not() {
        assert!(carries_an_id("/entries/0123456789abcdef0123456789abcdef"));
        assert!(carries_an_id("/devices/0123456789ABCDEF01234567/revoke"));
        assert!(!carries_an_id("/entries/abcdefabcdefabcd"));
        assert!(!carries_an_id("/entries/new"));
        assert!(!carries_an_id("/assets/app.js"));
    }

    #[test]
    fn only_its_own_host() {
        assert!(check_host(8080, &headers(&[("host", "127.0.0.1:8080")])).is_ok());
        assert!(check_host(8080, &headers(&[("host", "localhost:8080")])).is_ok());
        for host in [
            "127.0.0.1:8081",
            "evil.example:8080",
            "127.0.0.1",
            "localhost",
        ] {
            let map = HeaderMap::from_iter([(header::HOST, HeaderValue::from_static(host))]);
            assert!(check_host(8080, &map).is_err(), "{host}");
        }
        assert!(check_host(8080, &HeaderMap::new()).is_err());
    }

    #[test]
    fn same_origin_needs_the_header_and_no_contrary_word() {
        let ok = |pairs| check_same_origin(8080, &headers(pairs)).is_ok();
        assert!(ok(&[
            ("origin", "http://127.0.0.1:8080"),
            ("x-mycase-request", "1")
        ]));
        assert!(ok(&[
            ("sec-fetch-site", "same-origin"),
            ("x-mycase-request", "1")
        ]));
        assert!(!ok(&[("origin", "http://127.0.0.1:8080")]));
        assert!(!ok(&[("x-mycase-request", "1")]));
        assert!(!ok(&[
            ("origin", "http://127.0.0.1:9999"),
            ("x-mycase-request", "1")
        ]));
        assert!(!ok(&[
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-site"),
            ("x-mycase-request", "1")
        ]));
        assert!(!ok(&[("origin", "null"), ("x-mycase-request", "1")]));
    }
}
