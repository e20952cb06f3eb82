//! `GET /events`: Server-Sent Events from `App::events()` for the open pages:
//! `sync` (the status indicator's words), `changed` (a list is out of date: app.js
//! fires `mycase:changed` on the document), `notice` (a banner, e.g. a new
//! device), `locked` (the page moves to the unlock page). Each event's data is a
//! small JSON object with no entry content; a comment every 20 s keeps the
//! connection open through idle stretches. The stream starts with the sync
//! status as it is, so nothing between the page's load and its connection is missed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use crate::core_app::{AppEvent, DeviceNotice, SyncState, SyncStatus};
use crate::web::Web;

const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn routes() -> Router<Web> {
    Router::new().route("/events", get(events))
}

/// The indicator's state (a CSS hook) and words for a sync status.
pub fn sync_words(status: &SyncStatus) -> (&'static str, String) {
    let words = match status.state {
        SyncState::Stopped => "Waiting to sync".to_owned(),
        SyncState::Syncing => "Syncing…".to_owned(),
        SyncState::UpToDate => "Up to date".to_owned(),
        SyncState::Offline => "Offline: changes are kept on this computer".to_owned(),
        SyncState::Failed => match &status.problem {
            Some(problem) => format!("Not synced: {problem}"),
            None => "Not synced".to_owned(),
        },
    };
    (status.state.as_str(), words)
}

/// The banner's words for a device added to the journal.
pub fn notice_words(notice: &DeviceNotice) -> String {
    if notice.with_recovery_kit {
        format!(
            "A device called \"{}\" was set up with the recovery kit. If that was not you, someone else has the kit.",
            notice.name
        )
    } else {
        format!(
            "A device called \"{}\" was added. If that was not you, remove it in Devices.",
            notice.name
        )
    }
}

/// The page-facing form of an App event (`None`: nothing a page shows).
fn page_event(event: &AppEvent) -> Option<Event> {
    let (name, data) = match event {
        AppEvent::Sync(status) => {
            let (state, words) = sync_words(status);
            (
                "sync",
                serde_json::json!({ "state": state, "words": words }),
            )
        }
        AppEvent::JournalChanged { .. } | AppEvent::LocalChange => {
            ("changed", serde_json::json!({}))
        }
        AppEvent::NewDevices(notices) => (
            "notice",
            serde_json::json!({
                "words": notices.iter().map(notice_words).collect::<Vec<_>>().join(" ")
            }),
        ),
        AppEvent::Locked | AppEvent::Erased { .. } => ("locked", serde_json::json!({})),
        AppEvent::Unlocked => return None,
    };
    Some(Event::default().event(name).data(data.to_string()))
}

fn stream_for(web: &Web) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    // Subscribed before the status is read, so no change falls between the two:
    // the page hears where syncing stands now, then every change after.
    let app_events = BroadcastStream::new(web.app().events())
        .filter_map(|event| async move { event.ok().as_ref().and_then(page_event) });
    let now = stream::iter(page_event(&AppEvent::Sync(web.app().status().sync)));
    let locks = BroadcastStream::new(web.locked_events())
        .map(|_| Event::default().event("locked").data("{}"));
    let keep_alive = stream::unfold((), |()| async {
        tokio::time::sleep(KEEP_ALIVE).await;
        Some((Event::default().comment(""), ()))
    });
    now.chain(stream::select(
        stream::select(app_events, locks),
        keep_alive,
    ))
    .map(Ok)
}

async fn events(State(web): State<Web>) -> Response {
    Sse::new(stream_for(&web)).into_response()
}
