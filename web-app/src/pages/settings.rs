//! Settings: `/settings` (idle lock time, and the way to each of the others),
//! the passphrase change, a new recovery kit, wiping this device and deleting
//! the account. Each that cannot be undone has its own confirmation page; the
//! passphrase change and the deletion take the passphrase again (the App checks
//! it, wrong tries slowed as at unlock).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::core_app::{AppError, MAX_IDLE_LOCK_MINUTES};
use crate::error::WebError;
use crate::form::Form;
use crate::page::{self, FieldErrors, Layout};
use crate::web::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/settings", get(show).post(set_idle))
        .route(
            "/settings/passphrase",
            get(show_passphrase).post(change_passphrase),
        )
        .route("/settings/recovery-kit", get(show_kit).post(renew_kit))
        .route("/settings/wipe", get(show_wipe).post(wipe))
        .route("/settings/delete-account", get(show_delete).post(delete))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    errors: FieldErrors,
    idle_minutes: String,
    max_minutes: u32,
    saved: bool,
}

fn settings_page(
    web: &Web,
    errors: FieldErrors,
    idle_minutes: String,
    saved: bool,
) -> SettingsPage {
    SettingsPage {
        layout: web.layout().in_section("/settings"),
        errors,
        idle_minutes,
        max_minutes: MAX_IDLE_LOCK_MINUTES,
        saved,
    }
}

async fn show(State(web): State<Web>) -> Result<Response, WebError> {
    let minutes = web.app().idle_lock_minutes().to_string();
    page::html(settings_page(&web, FieldErrors::default(), minutes, false))
}

#[derive(Deserialize)]
struct IdleForm {
    idle_minutes: String,
}

async fn set_idle(
    State(web): State<Web>,
    Form(form): Form<IdleForm>,
) -> Result<Response, WebError> {
    let refused = |message: String| {
        page::invalid(settings_page(
            &web,
            FieldErrors::one("idle_minutes", message),
            form.idle_minutes.clone(),
            false,
        ))
    };
    let Ok(minutes) = form.idle_minutes.trim().parse::<u32>() else {
        return refused(format!(
            "Give the number of minutes as a whole number from 1 to {MAX_IDLE_LOCK_MINUTES}"
        ));
    };
    match web.app().set_idle_lock_minutes(minutes) {
        Ok(()) => page::html(settings_page(
            &web,
            FieldErrors::default(),
            minutes.to_string(),
            true,
        )),
        Err(AppError::InvalidInput { reason, .. }) => refused(reason),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "settings_passphrase.html")]
struct PassphrasePage {
    layout: Layout,
    errors: FieldErrors,
    keep_keys: bool,
}

async fn show_passphrase(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(PassphrasePage {
        layout: web.layout().in_section("/settings"),
        errors: FieldErrors::default(),
        keep_keys: false,
    })
}

#[derive(Deserialize)]
struct PassphraseForm {
    current: String,
    new: String,
    new_again: String,
    keep_keys: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_done.html")]
struct DonePage {
    layout: Layout,
    heading: &'static str,
    lines: Vec<String>,
}

async fn change_passphrase(
    State(web): State<Web>,
    Form(form): Form<PassphraseForm>,
) -> Result<Response, WebError> {
    let current = Zeroizing::new(form.current);
    let new = Zeroizing::new(form.new);
    let new_again = Zeroizing::new(form.new_again);
    let keep_keys = form.keep_keys.is_some();
    let mut errors = FieldErrors::default();
    if current.is_empty() {
        errors.add("current", "Enter your passphrase as it is now");
    }
    if new.is_empty() {
        errors.add("new", "Choose a new passphrase");
    } else if *new != *new_again {
        errors.add("new_again", "The two new passphrases are not the same");
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match web.app().change_passphrase(&current, &new, keep_keys).await {
            Ok(changed) => {
                let mut lines = vec!["Use the new passphrase from now on.".to_owned()];
                if changed.keys_replaced {
                    lines.push(
                        "This device also moved to new keys: a copy of the old key file, even \
                         with the old passphrase, opens nothing written from now on."
                            .into(),
                    );
                } else if let Some(why) = changed.keys_not_replaced_because {
                    lines.push(format!(
                        "This device could not move to new keys ({why}), so a copy of the old \
                         key file with the old passphrase still opens it. Change the \
                         passphrase again when the server can be reached."
                    ));
                }
                return page::html(DonePage {
                    layout: web.layout().in_section("/settings"),
                    heading: "Your passphrase is changed",
                    lines,
                });
            }
            Err(AppError::WrongPassphrase { wait_secs }) => errors.add(
                "current",
                if wait_secs == 0 {
                    "That is not your passphrase as it is now".to_owned()
                } else {
                    format!(
                        "That is not your passphrase as it is now. Wait {wait_secs} seconds, then try again"
                    )
                },
            ),
            Err(AppError::TryLater { wait_secs }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add(
                    "current",
                    format!("Too many wrong tries. Wait {wait_secs} seconds, then try again"),
                )
            }
            Err(AppError::InvalidInput { reason, .. } | AppError::WeakPassphrase { reason }) => {
                errors.add("new", reason)
            }
            Err(other) => return Err(other.into()),
        }
    }
    page::html_with(
        status,
        PassphrasePage {
            layout: web.layout().in_section("/settings"),
            errors,
            keep_keys,
        },
    )
}

#[derive(Template)]
#[template(path = "settings_kit.html")]
struct KitFormPage {
    layout: Layout,
    errors: FieldErrors,
}

async fn show_kit(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(KitFormPage {
        layout: web.layout().in_section("/settings"),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
struct KitForm {
    current_kit: String,
}

async fn renew_kit(
    State(web): State<Web>,
    Form(form): Form<KitForm>,
) -> Result<Response, WebError> {
    let current = Zeroizing::new(form.current_kit);
    let refused = |message: String| {
        page::invalid(KitFormPage {
            layout: web.layout().in_section("/settings"),
            errors: FieldErrors::one("current_kit", message),
        })
    };
    if current.trim().is_empty() {
        return refused("Enter the recovery kit you have now".into());
    }
    match web.app().renew_recovery_kit(&current).await {
        Ok(renewed) => super::setup::kit_page(
            &web,
            renewed.recovery_kit,
            FieldErrors::default(),
            "/settings",
        ),
        Err(AppError::RecoveryFailed { reason, .. }) => refused(super::setup::sentence(&reason)),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "settings_wipe.html")]
struct WipePage {
    layout: Layout,
    errors: FieldErrors,
    unsent: u64,
    not_erased: &'static [&'static str],
}

async fn show_wipe(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(WipePage {
        layout: web.layout().in_section("/settings"),
        errors: FieldErrors::default(),
        unsent: web.app().status().sync.pending_upload,
        not_erased: &NOT_ERASED,
    })
}

#[derive(Deserialize)]
struct WipeForm {
    confirm: Option<String>,
    lose_unsent: Option<String>,
}

/// What MyCase cannot erase from a computer it was used on in a browser.
const NOT_ERASED: [&str; 3] = [
    "the browser's history, which may show that this app was open",
    "files you downloaded from MyCase (exports and attachments)",
    "the original files you attached (photos, recordings and documents are still where they were)",
];

#[derive(Template)]
#[template(path = "erased.html")]
struct ErasedPage {
    layout: Layout,
    heading: &'static str,
    lines: Vec<String>,
    not_erased: &'static [&'static str],
}

async fn wipe(State(web): State<Web>, Form(form): Form<WipeForm>) -> Result<Response, WebError> {
    if form.confirm.is_none() {
        return page::invalid(WipePage {
            layout: web.layout().in_section("/settings"),
            errors: FieldErrors::one(
                "confirm",
                "Tick the box to say you want to erase MyCase from this computer",
            ),
            unsent: web.app().status().sync.pending_upload,
            not_erased: &NOT_ERASED,
        });
    }
    // What this device wrote goes to the server first, if it can.
    let check = web.app().check_before_wipe().await?;
    let unsent = check.unsent_changes.unwrap_or(0);
    if unsent > 0 && form.lose_unsent.is_none() {
        return page::invalid(WipePage {
            layout: web.layout().in_section("/settings"),
            errors: FieldErrors::one(
                "lose_unsent",
                format!(
                    "{unsent} change{} made on this computer could not be sent to the server. \
                     Tick the box to erase anyway and lose {}",
                    if unsent == 1 { "" } else { "s" },
                    if unsent == 1 { "it" } else { "them" }
                ),
            ),
            unsent,
            not_erased: &NOT_ERASED,
        });
    }
    web.handles().clear();
    let outcome = web.app().wipe_device().await?;
    web.lock().await;
    let mut lines = vec![
        "MyCase is erased from this computer. The journal stays on the server: only your \
         recovery kit can bring it back here."
            .to_owned(),
    ];
    if !outcome.retired {
        lines.push(
            "This computer could not tell the server it was erased. From another of your \
             devices, revoke it, so that a copy of it could not sign in."
                .into(),
        );
    }
    page::html(ErasedPage {
        layout: Layout::bare(),
        heading: "MyCase is erased from this computer",
        lines,
        not_erased: &NOT_ERASED,
    })
}

#[derive(Template)]
#[template(path = "settings_delete.html")]
struct DeletePage {
    layout: Layout,
    errors: FieldErrors,
}

async fn show_delete(State(web): State<Web>) -> Result<Response, WebError> {
    page::html(DeletePage {
        layout: web.layout().in_section("/settings"),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
struct DeleteForm {
    confirm: Option<String>,
    passphrase: String,
}

async fn delete(
    State(web): State<Web>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let passphrase = Zeroizing::new(form.passphrase);
    let mut errors = FieldErrors::default();
    if form.confirm.is_none() {
        errors.add(
            "confirm",
            "Tick the box to say you want to delete your whole journal",
        );
    }
    if passphrase.is_empty() {
        errors.add("passphrase", "Enter your passphrase to confirm");
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match web.app().delete_account(&passphrase).await {
            Ok(()) => {
                web.lock().await;
                return page::html(ErasedPage {
                    layout: Layout::bare(),
                    heading: "Your journal is deleted",
                    lines: vec![
                        "Your journal is deleted from the server, with every entry, \
                         attachment and share, and MyCase is erased from this computer."
                            .into(),
                    ],
                    not_erased: &NOT_ERASED,
                });
            }
            Err(AppError::WrongPassphrase { .. }) => {
                errors.add("passphrase", "That is not your passphrase")
            }
            Err(AppError::TryLater { wait_secs }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add(
                    "passphrase",
                    format!("Too many wrong tries. Wait {wait_secs} seconds, then try again"),
                )
            }
            Err(other) => return Err(other.into()),
        }
    }
    page::html_with(
        status,
        DeletePage {
            layout: web.layout().in_section("/settings"),
            errors,
        },
    )
}
