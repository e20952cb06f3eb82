//! `GET /events`: Server-Sent Events from `App::events()` for the open pages:
//! `sync` (the status indicator's words), `changed` (a list is out of date: app.js
//! fires `mycase:changed` on the document), `notice` (a banner, e.g. a new
//! device), `locked` (the page moves to the unlock page). Each event's data is a
//! small JSON object with no entry content; a comment every 20 s keeps the
//! connection open through idle stretches.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use crate::core_app::{AppEvent, SyncState};
use crate::web::Web;

const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn routes() -> Router<Web> {
    Router::new().route("/events", get(events))
}

/// The page-facing form of an App event (`None`: nothing a page shows).
fn page_event(event: &AppEvent) -> Option<Event> {
    let (name, data) = match event {
        AppEvent::Sync(state) => {
            let (state, words) = match state {
                SyncState::Synced => ("synced", "Up to date"),
                SyncState::Syncing => ("syncing", "Updating…"),
                SyncState::Offline => ("offline", "Offline: changes are kept here"),
            };
            (
                "sync",
                serde_json::json!({ "state": state, "words": words }),
            )
        }
        AppEvent::EntriesChanged => ("changed", serde_json::json!({})),
        AppEvent::NewDevice { device_name } => (
            "notice",
            serde_json::json!({
                "words": format!("A new device was added: {device_name}. If this was not you, remove it in Devices.")
            }),
        ),
        AppEvent::Locked => ("locked", serde_json::json!({})),
        AppEvent::Unlocked => return None,
    };
    Some(Event::default().event(name).data(data.to_string()))
}

fn stream_for(web: &Web) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let app_events = BroadcastStream::new(web.app().events())
        .filter_map(|event| async move { event.ok().as_ref().and_then(page_event) });
    let locks = BroadcastStream::new(web.locked_events())
        .map(|_| Event::default().event("locked").data("{}"));
    let keep_alive = stream::unfold((), |()| async {
        tokio::time::sleep(KEEP_ALIVE).await;
        Some((Event::default().comment(""), ()))
    });
    stream::select(stream::select(app_events, locks), keep_alive).map(Ok)
}

async fn events(State(web): State<Web>) -> Response {
    Sse::new(stream_for(&web)).into_response()
}
