//! Turns an error response (one carrying an `ErrorReport`) into what the request
//! asked for: `{"error": "…"}` for JSON, otherwise the error page in the layout.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorReport;
use crate::page::Layout;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
}

fn wants_json(request: &Request) -> bool {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") || request.uri().path() == "/events"
}

fn heading(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "There is a problem",
        403 | 421 => "This cannot be opened here",
        404 | 410 => "Page not found",
        429 => "Please wait",
        _ => "Sorry, there is a problem",
    }
}

pub async fn render(request: Request, next: Next) -> Response {
    let json = wants_json(&request);
    let mut response = next.run(request).await;
    let Some(report) = response.extensions_mut().remove::<ErrorReport>() else {
        return response;
    };
    let status = response.status().as_u16();
    let (content_type, body) = if json {
        (
            "application/json",
            serde_json::json!({ "error": report.message }).to_string(),
        )
    } else {
        let page = ErrorPage {
            layout: Layout::bare(),
            heading: heading(status),
            message: &report.message,
        };
        match page.render() {
            Ok(html) => ("text/html; charset=utf-8", html),
            Err(_) => ("text/plain; charset=utf-8", report.message),
        }
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    *response.body_mut() = Body::from(body);
    response
}
