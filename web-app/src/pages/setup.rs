//! First run: `/setup` offers the three ways in: create a journal (server,
//! its certificate if self-signed as a file or pasted, device name, passphrase
//! twice), then the recovery kit shown once with a print view and "I have
//! written it down"; join with a pairing code (showing the matching code to
//! type on the other device); or recover with the kit.
//!
//! The kit is never stored: the page that shows it carries it in the form
//! that confirms it, so a missed tick can show it again.

use std::collections::BTreeMap;
use std::sync::Mutex;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::core_app::{AppError, JoinJournal, NewJournal, RecoverJournal};
use crate::error::WebError;
use crate::form::Form;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/setup", get(choose))
        .route("/setup/create", get(show_create).post(create))
        .route("/setup/kit", post(kit_written_down))
        .route("/setup/join", get(show_join).post(join))
        .route("/setup/join/wait", post(join_wait))
        .route("/setup/recover", get(show_recover).post(recover))
}

/// The largest certificate file taken (a PEM chain is a few kilobytes).
const MAX_CERT_BYTES: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "setup.html")]
struct ChoosePage {
    layout: Layout,
}

fn refuse_if_set_up(web: &Web) -> Option<Response> {
    web.app().status().set_up.then(|| page::see_other("/"))
}

async fn choose(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    page::html(ChoosePage {
        layout: web.layout(),
    })
}

/// What every way in asks: the server, its certificate, this device's name,
/// the passphrase twice. Kept as typed to show the form again (never the
/// passphrases or the certificate file).
#[derive(Default)]
struct Common {
    server_url: String,
    ca_cert_pem: String,
    device_name: String,
    passphrase: Zeroizing<String>,
    passphrase_again: Zeroizing<String>,
}

impl Common {
    fn check(&self, errors: &mut FieldErrors) {
        if !self.server_url.trim().starts_with("https://") {
            errors.add(
                "server_url",
                "Enter the server's address as your charity gave it, starting https://",
            );
        }
        if self.device_name.trim().is_empty() {
            errors.add(
                "device_name",
                "Give this computer a name, for example \"laptop\"",
            );
        }
        if self.passphrase.is_empty() {
            errors.add("passphrase", "Choose a passphrase");
        } else if *self.passphrase != *self.passphrase_again {
            errors.add("passphrase_again", "The two passphrases are not the same");
        }
    }

    fn ca(&self) -> Option<String> {
        let pem = self.ca_cert_pem.trim();
        (!pem.is_empty()).then(|| pem.to_owned())
    }
}

/// Where an App error of a set-up shows on its form (`None`: not a form error).
fn field_of(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::InvalidInput { field, .. } if field.as_deref() == Some("device_name") => {
            Some("device_name")
        }
        AppError::WeakPassphrase { .. } => Some("passphrase"),
        AppError::ServerUnreachable(_) => Some("server_url"),
        AppError::CertificateNotTrusted(_) => Some("ca_cert_pem"),
        AppError::PairingFailed { .. } => Some("pairing_code"),
        AppError::RecoveryFailed { .. } => Some("recovery_kit"),
        _ => None,
    }
}

/// The form's words for an App error of a set-up.
fn words_of(error: &AppError) -> String {
    match error {
        AppError::ServerUnreachable(_) => {
            "The server could not be reached at that address. Check it, and that this computer \
             is online"
                .into()
        }
        AppError::CertificateNotTrusted(_) => {
            "The server's certificate is not trusted. Give the certificate your charity gave \
             you, as a file or pasted"
                .into()
        }
        AppError::PairingFailed { reason, .. } | AppError::RecoveryFailed { reason, .. } => {
            sentence(reason)
        }
        other => other.to_string(),
    }
}

/// A core reason ("that is not…") as a sentence for a page.
pub(super) fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Template)]
#[template(path = "setup_create.html")]
struct CreatePage {
    layout: Layout,
    errors: FieldErrors,
    server_url: String,
    ca_cert_pem: String,
    device_name: String,
    invite: String,
}

async fn show_create(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    page::html(CreatePage {
        layout: web.layout(),
        errors: FieldErrors::default(),
        server_url: String::new(),
        ca_cert_pem: String::new(),
        device_name: String::new(),
        invite: String::new(),
    })
}

/// Reads the create form (multipart: it may carry the certificate as a file).
async fn read_create(mut parts: Multipart) -> Result<(Common, String, FieldErrors), WebError> {
    let mut common = Common::default();
    let mut invite = String::new();
    let mut errors = FieldErrors::default();
    let bad = |_| WebError::BadForm("a field is missing or not as expected");
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "ca_cert_file" {
            let bytes = field.bytes().await.map_err(|_| WebError::TooLarge)?;
            if bytes.is_empty() {
                continue;
            }
            if bytes.len() > MAX_CERT_BYTES {
                errors.add("ca_cert_file", "That file is too large to be a certificate");
                continue;
            }
            match String::from_utf8(bytes.to_vec()) {
                Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => common.ca_cert_pem = pem,
                _ => errors.add(
                    "ca_cert_file",
                    "That file is not a certificate (a .pem or .crt file with BEGIN CERTIFICATE)",
                ),
            }
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        match name.as_str() {
            "server_url" => common.server_url = value.trim().to_owned(),
            "ca_cert_pem" if common.ca_cert_pem.is_empty() => common.ca_cert_pem = value,
            "device_name" => common.device_name = value,
            "passphrase" => common.passphrase = Zeroizing::new(value),
            "passphrase_again" => common.passphrase_again = Zeroizing::new(value),
            "invite" => invite = value.trim().to_owned(),
            _ => {}
        }
    }
    Ok((common, invite, errors))
}

async fn create(State(web): State<Web>, parts: Multipart) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    let (common, invite, mut errors) = read_create(parts).await?;
    common.check(&mut errors);
    if errors.is_empty() {
        let new = NewJournal {
            server_url: common.server_url.clone(),
            ca_cert_pem: common.ca(),
            device_name: common.device_name.clone(),
            passphrase: common.passphrase.clone(),
            invite: (!invite.is_empty()).then(|| invite.clone()),
        };
        match web.app().create_journal(new).await {
            Ok(created) => {
                return kit_page(&web, created.recovery_kit, FieldErrors::default(), "/")
            }
            Err(e) => match field_of(&e) {
                Some(field) => errors.add(field, words_of(&e)),
                None => return Err(e.into()),
            },
        }
    }
    page::invalid(CreatePage {
        layout: web.layout(),
        errors,
        server_url: common.server_url,
        ca_cert_pem: common.ca_cert_pem,
        device_name: common.device_name,
        invite,
    })
}

#[derive(Template)]
#[template(path = "setup_kit.html")]
struct KitPage {
    layout: Layout,
    errors: FieldErrors,
    kit: Zeroizing<String>,
    next: &'static str,
}

/// The recovery kit, shown once, with a print view and the confirmation that
/// it was written down (then on to `next`).
pub(super) fn kit_page(
    web: &Web,
    kit: Zeroizing<String>,
    errors: FieldErrors,
    next: &'static str,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page::html_with(
        status,
        KitPage {
            layout: web.layout(),
            errors,
            kit,
            next,
        },
    )
}

#[derive(Deserialize)]
struct KitForm {
    kit: String,
    next: String,
    written_down: Option<String>,
}

async fn kit_written_down(
    State(web): State<Web>,
    Form(form): Form<KitForm>,
) -> Result<Response, WebError> {
    let kit = Zeroizing::new(form.kit);
    let next = if form.next == "/settings" {
        "/settings"
    } else {
        "/"
    };
    if form.written_down.is_none() {
        return kit_page(
            &web,
            kit,
            FieldErrors::one(
                "written_down",
                "Write the recovery kit down, then tick the box to say you have",
            ),
            next,
        );
    }
    Ok(page::see_other(next))
}

#[derive(Template)]
#[template(path = "setup_join.html")]
struct JoinPage {
    layout: Layout,
    errors: FieldErrors,
    server_url: String,
    ca_cert_pem: String,
    device_name: String,
}

async fn show_join(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    page::html(JoinPage {
        layout: web.layout(),
        errors: FieldErrors::default(),
        server_url: String::new(),
        ca_cert_pem: String::new(),
        device_name: String::new(),
    })
}

#[derive(Deserialize)]
struct JoinForm {
    server_url: String,
    #[serde(default)]
    ca_cert_pem: String,
    device_name: String,
    pairing_code: String,
    passphrase: String,
    passphrase_again: String,
}

/// A join waiting for the other device's confirmation, per running server.
static JOINS: Mutex<BTreeMap<u16, tokio::task::JoinHandle<Result<(), AppError>>>> =
    Mutex::new(BTreeMap::new());

fn joins(
) -> std::sync::MutexGuard<'static, BTreeMap<u16, tokio::task::JoinHandle<Result<(), AppError>>>> {
    JOINS.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Template)]
#[template(path = "setup_join_matching.html")]
struct MatchingPage {
    layout: Layout,
    matching_code: String,
}

async fn join(State(web): State<Web>, Form(form): Form<JoinForm>) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    let common = Common {
        server_url: form.server_url.trim().to_owned(),
        ca_cert_pem: form.ca_cert_pem,
        device_name: form.device_name,
        passphrase: Zeroizing::new(form.passphrase),
        passphrase_again: Zeroizing::new(form.passphrase_again),
    };
    let code = Zeroizing::new(form.pairing_code);
    let mut errors = FieldErrors::default();
    common.check(&mut errors);
    if code.trim().is_empty() {
        errors.add(
            "pairing_code",
            "Enter the pairing code your other device shows",
        );
    }
    if errors.is_empty() {
        let request = JoinJournal {
            server_url: common.server_url.clone(),
            ca_cert_pem: common.ca(),
            device_name: common.device_name.clone(),
            pairing_code: code,
            passphrase: common.passphrase.clone(),
        };
        // The join goes on after this answer (until the other device confirms):
        // the matching code comes back first, the outcome later.
        let (shown, matching) = oneshot::channel();
        let app = web.app().clone();
        let task = tokio::spawn(async move {
            app.join_journal(request, move |m| {
                let _ = shown.send(m);
            })
            .await
        });
        match matching.await {
            Ok(matching_code) => {
                if let Some(old) = joins().insert(web.port(), task) {
                    old.abort();
                }
                return page::html(MatchingPage {
                    layout: web.layout(),
                    matching_code,
                });
            }
            // It ended before showing a code: its error says why.
            Err(_) => {
                let e = match task.await {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => return Ok(page::see_other("/")),
                    Err(e) => AppError::Other(Box::new(e)),
                };
                match field_of(&e) {
                    Some(field) => errors.add(field, words_of(&e)),
                    None => return Err(e.into()),
                }
            }
        }
    }
    page::invalid(JoinPage {
        layout: web.layout(),
        errors,
        server_url: common.server_url,
        ca_cert_pem: common.ca_cert_pem,
        device_name: common.device_name,
    })
}

#[derive(Template)]
#[template(path = "setup_join_failed.html")]
struct JoinFailedPage {
    layout: Layout,
    reason: String,
}

/// Waits until the other device has confirmed (or refused) this one.
async fn join_wait(State(web): State<Web>) -> Result<Response, WebError> {
    let Some(task) = joins().remove(&web.port()) else {
        return Ok(page::see_other(if web.app().status().set_up {
            "/"
        } else {
            "/setup"
        }));
    };
    match task.await {
        Ok(Ok(())) => Ok(page::see_other("/")),
        Ok(Err(e @ AppError::PairingFailed { .. })) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            JoinFailedPage {
                layout: web.layout(),
                reason: words_of(&e),
            },
        ),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(AppError::Other(Box::new(e)).into()),
    }
}

#[derive(Template)]
#[template(path = "setup_recover.html")]
struct RecoverPage {
    layout: Layout,
    errors: FieldErrors,
    server_url: String,
    ca_cert_pem: String,
    device_name: String,
}

async fn show_recover(State(web): State<Web>) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    page::html(RecoverPage {
        layout: web.layout(),
        errors: FieldErrors::default(),
        server_url: String::new(),
        ca_cert_pem: String::new(),
        device_name: String::new(),
    })
}

#[derive(Deserialize)]
struct RecoverForm {
    server_url: String,
    #[serde(default)]
    ca_cert_pem: String,
    device_name: String,
    recovery_kit: String,
    passphrase: String,
    passphrase_again: String,
}

async fn recover(
    State(web): State<Web>,
    Form(form): Form<RecoverForm>,
) -> Result<Response, WebError> {
    if let Some(done) = refuse_if_set_up(&web) {
        return Ok(done);
    }
    let common = Common {
        server_url: form.server_url.trim().to_owned(),
        ca_cert_pem: form.ca_cert_pem,
        device_name: form.device_name,
        passphrase: Zeroizing::new(form.passphrase),
        passphrase_again: Zeroizing::new(form.passphrase_again),
    };
    let kit = Zeroizing::new(form.recovery_kit);
    let mut errors = FieldErrors::default();
    common.check(&mut errors);
    if kit.trim().is_empty() {
        errors.add(
            "recovery_kit",
            "Enter your recovery kit as you wrote it down",
        );
    }
    if errors.is_empty() {
        let request = RecoverJournal {
            server_url: common.server_url.clone(),
            ca_cert_pem: common.ca(),
            device_name: common.device_name.clone(),
            recovery_kit: kit,
            passphrase: common.passphrase.clone(),
        };
        match web.app().recover_journal(request).await {
            Ok(()) => return Ok(page::see_other("/")),
            Err(e) => match field_of(&e) {
                Some(field) => errors.add(field, words_of(&e)),
                None => return Err(e.into()),
            },
        }
    }
    page::invalid(RecoverPage {
        layout: web.layout(),
        errors,
        server_url: common.server_url,
        ca_cert_pem: common.ca_cert_pem,
        device_name: common.device_name,
    })
}
