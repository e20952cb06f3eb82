//! The survivor's browser app that `mycase app` serves on 127.0.0.1: a thin HTTP
//! adapter over client-core's application API (`mycase_core::app`), its templates,
//! style and one small script built into the binary.
//!
//! Nothing a survivor can do lives here: handlers read a form, call `App`, and
//! answer a page or a redirect. What this crate owns is the frame every page
//! shares (see README.md): the local server's guards, the layout, quick exit,
//! unlock and idle lock, drafts, live events and per-session handles.

pub mod core_app;
pub mod error;
pub mod form;
pub mod handles;
pub mod page;
pub mod server;
pub mod web;

mod assets;
mod draft;
mod error_page;
mod events;
mod guard;
mod idle;
mod pages;
mod security_headers;
mod session;

pub use error::WebError;
pub use server::LocalServer;
pub use web::Web;
