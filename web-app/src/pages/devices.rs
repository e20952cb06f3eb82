//! Devices: `/devices` (the list, with when each was last seen and what to
//! worry about), adding a phone or computer (the pairing code as text and as a
//! QR code, then the matching code the new device shows), and revoking a device
//! with a confirmation.
//!
//! Pairing takes several requests, so the App's `PairingSession` is kept here
//! between them, one per running server; it ends itself when MyCase locks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use mycase_core::words::uk_time;
use serde::Deserialize;

use crate::core_app::{AppError, DeviceInfo, PairingSession, RevokedDevice};
use crate::error::WebError;
use crate::form::Form;
use crate::handles::HandleKind;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/devices", get(list))
        .route("/devices/add", get(show_pairing).post(begin))
        .route("/devices/add/wait", post(wait))
        .route("/devices/add/confirm", post(confirm))
        .route("/devices/add/cancel", post(cancel))
        .route("/devices/{handle}/revoke", get(confirm_revoke).post(revoke))
}

/// A pairing in progress, and the name of the device that asked (once one has).
struct Pairing {
    session: PairingSession,
    asked_name: Option<String>,
}

/// The pairing in progress for each running server (by port).
static PAIRINGS: Mutex<BTreeMap<u16, Pairing>> = Mutex::new(BTreeMap::new());

fn pairings() -> std::sync::MutexGuard<'static, BTreeMap<u16, Pairing>> {
    PAIRINGS.lock().unwrap_or_else(|p| p.into_inner())
}

fn current_pairing(web: &Web) -> Option<PairingSession> {
    pairings().get(&web.port()).map(|p| p.session.clone())
}

fn asked_name(web: &Web) -> Option<String> {
    pairings()
        .get(&web.port())
        .and_then(|p| p.asked_name.clone())
}

fn end_pairing(web: &Web) -> Option<PairingSession> {
    pairings().remove(&web.port()).map(|p| p.session)
}

struct DeviceRow {
    handle: String,
    name: String,
    added: String,
    last_seen: String,
    tags: Vec<(&'static str, &'static str)>,
    warnings: Vec<String>,
    can_revoke: bool,
}

fn row(web: &Web, d: &DeviceInfo) -> DeviceRow {
    let name = d.name.clone().unwrap_or_else(|| "Unknown device".into());
    let mut tags = Vec::new();
    if d.this_device {
        tags.push(("This device", "tag--green"));
    }
    if d.revoked {
        tags.push(("Revoked", "tag--grey"));
    }
    if !d.trusted {
        tags.push(("Not added by you", "tag--red"));
    }
    if d.set_up_with_kit {
        tags.push(("Set up with the recovery kit", "tag--yellow"));
    }
    let mut warnings = Vec::new();
    if !d.trusted {
        warnings.push(
            "This device is on the server, but none of your devices added it. It cannot read \
             your journal, but someone may be trying to add a device without you knowing. \
             Revoking it shuts it out."
                .to_owned(),
        );
    }
    if d.contested {
        warnings.push(
            "Two different key sets claim this device: one of your devices tried to give it \
             keys that are not its own. Revoke the device that did this if you do not know why."
                .to_owned(),
        );
    } else if d.key_change_attempts > 0 {
        warnings.push(
            "A device of this journal tried to give this device other keys; it was refused."
                .to_owned(),
        );
    }
    if let Some(why) = &d.changes_set_aside {
        warnings.push(format!(
            "Changes from this device are set aside and not shown: {why}."
        ));
    }
    if d.added_by_revoked_device {
        warnings.push(
            "It was added by a device that has since been revoked: revoke it too if you do not \
             recognise it."
                .to_owned(),
        );
    }
    DeviceRow {
        handle: web.handles().handle(HandleKind::Device, &d.device_id),
        name,
        added: d
            .added_at_ms
            .map(uk_time::recorded)
            .unwrap_or_else(|| "Not known".into()),
        last_seen: d
            .last_seen_ms
            .map(uk_time::recorded)
            .unwrap_or_else(|| "Not seen".into()),
        tags,
        warnings,
        can_revoke: !d.this_device && !d.revoked,
    }
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    layout: Layout,
    devices: Vec<DeviceRow>,
}

async fn list(State(web): State<Web>) -> Result<Response, WebError> {
    let devices = web.app().devices().await?;
    page::html(DevicesPage {
        layout: web.layout().in_section("/devices"),
        devices: devices.iter().map(|d| row(&web, d)).collect(),
    })
}

/// The pairing code's text as a QR code: an SVG drawn in Rust (no script).
fn qr_svg(text: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|_| WebError::NotFound)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // Inline in the page: the XML declaration goes, and the picture gets a name.
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"The pairing code as a QR code\" class=\"qr-code\"",
        1,
    ))
}

#[derive(Template)]
#[template(path = "device_pairing.html")]
struct PairingPage {
    layout: Layout,
    code: String,
    qr: String,
    server_url: String,
    expires: String,
}

fn pairing_page(web: &Web, session: &PairingSession) -> Result<Response, WebError> {
    page::html(PairingPage {
        layout: web.layout().in_section("/devices"),
        code: session.code().to_string(),
        qr: qr_svg(&session.qr_text())?,
        server_url: session.server_url().to_owned(),
        expires: uk_time::recorded(session.expires_at_ms()),
    })
}

/// Starts adding a device (a new code; one in progress is cancelled).
async fn begin(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(old) = end_pairing(&web) {
        old.cancel().await;
    }
    let session = web.app().begin_pairing().await?;
    pairings().insert(
        web.port(),
        Pairing {
            session: session.clone(),
            asked_name: None,
        },
    );
    pairing_page(&web, &session)
}

/// The code again (a reload); with none in progress, back to the list.
async fn show_pairing(State(web): State<Web>) -> Result<Response, WebError> {
    match current_pairing(&web) {
        Some(session) => pairing_page(&web, &session),
        None => Ok(page::see_other("/devices")),
    }
}

#[derive(Template)]
#[template(path = "device_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    errors: FieldErrors,
    name: String,
}

#[derive(Template)]
#[template(path = "device_pairing_ended.html")]
struct EndedPage {
    layout: Layout,
    reason: String,
}

fn ended(web: &Web, error: AppError) -> Result<Response, WebError> {
    match error {
        AppError::PairingFailed { reason, .. } => page::html_with(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            EndedPage {
                layout: web.layout().in_section("/devices"),
                reason: capitalised(&reason),
            },
        ),
        other => Err(other.into()),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Waits for the new device's request (the survivor typed the code there).
async fn wait(State(web): State<Web>) -> Result<Response, WebError> {
    let Some(session) = current_pairing(&web) else {
        return Ok(page::see_other("/devices"));
    };
    match session.await_request().await {
        Ok(request) => {
            if let Some(p) = pairings().get_mut(&web.port()) {
                p.asked_name = Some(request.name.clone());
            }
            page::html(ConfirmPage {
                layout: web.layout().in_section("/devices"),
                errors: FieldErrors::default(),
                name: request.name,
            })
        }
        Err(e) => {
            end_pairing(&web);
            ended(&web, e)
        }
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    matching_code: String,
}

#[derive(Template)]
#[template(path = "device_added.html")]
struct AddedPage {
    layout: Layout,
    name: String,
}

async fn confirm(
    State(web): State<Web>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let Some(session) = current_pairing(&web) else {
        return Ok(page::see_other("/devices"));
    };
    match session.confirm(&form.matching_code).await {
        Ok(added) => {
            end_pairing(&web);
            page::html(AddedPage {
                layout: web.layout().in_section("/devices"),
                name: added.name,
            })
        }
        Err(AppError::InvalidInput { reason, .. }) => match asked_name(&web) {
            Some(name) => page::invalid(ConfirmPage {
                layout: web.layout().in_section("/devices"),
                errors: FieldErrors::one("matching_code", reason),
                name,
            }),
            // Nobody has asked yet: the code is still what to show.
            None => pairing_page(&web, &session),
        },
        Err(e) => {
            end_pairing(&web);
            ended(&web, e)
        }
    }
}

async fn cancel(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(session) = end_pairing(&web) {
        session.cancel().await;
    }
    Ok(page::see_other("/devices"))
}

async fn find(web: &Web, handle: &str) -> Result<DeviceInfo, WebError> {
    let id = web.handles().resolve(HandleKind::Device, handle)?;
    web.app()
        .devices()
        .await?
        .into_iter()
        .find(|d| d.device_id == id)
        .ok_or(WebError::StaleHandle)
}

#[derive(Template)]
#[template(path = "device_revoke.html")]
struct RevokePage {
    layout: Layout,
    device: DeviceRow,
}

async fn confirm_revoke(
    State(web): State<Web>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let device = find(&web, &handle).await?;
    page::html(RevokePage {
        layout: web.layout().in_section("/devices"),
        device: row(&web, &device),
    })
}

#[derive(Template)]
#[template(path = "device_revoked.html")]
struct RevokedPage {
    layout: Layout,
    name: String,
    revoked: RevokedDevice,
    others: Vec<String>,
}

async fn revoke(State(web): State<Web>, Path(handle): Path<String>) -> Result<Response, WebError> {
    let id = web.handles().resolve(HandleKind::Device, &handle)?;
    let revoked = web.app().revoke_device(&id).await?;
    page::html(RevokedPage {
        layout: web.layout().in_section("/devices"),
        name: revoked
            .name
            .clone()
            .unwrap_or_else(|| "Unknown device".into()),
        others: revoked
            .devices_it_added
            .iter()
            .map(|d| d.name.clone().unwrap_or_else(|| "Unknown device".into()))
            .collect(),
        revoked,
    })
}
