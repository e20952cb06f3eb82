//! The local web app over real TCP, attacked and used with raw HTTP requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks;
mod entries_pages;
mod evidence_pages;
mod flows;
mod harness;
mod headers;
mod raw_http;
mod sharing_pages;
