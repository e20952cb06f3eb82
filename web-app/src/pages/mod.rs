//! Every route, and the layers every response passes. A feature page is a module
//! here with `pub fn routes() -> Router<Web>`, merged into `unlocked` below.

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;

use crate::error::WebError;
use crate::web::Web;
use crate::{assets, draft, error_page, events, guard, security_headers};

mod devices;
mod entries;
mod entry_form;
mod evidence;
mod exit;
mod export;
mod home;
mod lock;
mod login;
mod patterns;
mod people;
mod safety;
mod settings;
mod setup;
mod shares;
mod timeline;
mod unlock;
mod verify;

pub fn router(web: Web) -> Router {
    // Pages that need the journal open: a locked app sends them to /unlock.
    let unlocked = Router::new()
        .merge(home::routes())
        .merge(timeline::routes())
        .merge(entries::routes())
        .merge(people::routes())
        .merge(draft::routes())
        .merge(evidence::routes())
        .merge(patterns::routes())
        .merge(export::routes())
        .merge(shares::routes())
        .merge(devices::routes())
        .merge(settings::routes())
        .route_layer(from_fn_with_state(web.clone(), guard::require_unlocked));
    Router::new()
        .merge(unlocked)
        .merge(unlock::routes())
        .merge(setup::routes())
        .merge(lock::routes())
        .merge(login::routes())
        .merge(exit::routes())
        .merge(safety::routes())
        .merge(verify::routes())
        .merge(events::routes())
        .merge(assets::routes())
        .fallback(|| async { WebError::NotFound })
        .method_not_allowed_fallback(|| async { WebError::MethodNotAllowed })
        .layer(from_fn_with_state(web.clone(), guard::guard))
        .layer(from_fn(error_page::render))
        .layer(from_fn(security_headers::apply))
        .with_state(web)
}
