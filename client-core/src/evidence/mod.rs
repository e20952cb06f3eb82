//! Evidence: proving what an export says without revealing the journal key.
//!
//! - [`disclose`]: the per-record XChaCha subkey that opens one record alone;
//! - [`parents`]: what each entry (and person) operation says it was written after;
//! - [`verify`]: the offline check `mycase verify` runs over an export;
//! - [`copies`]: the attachment files beside an export, and copies of them
//!   without location metadata;
//! - [`photos`]: the photos a chronology page shows, checked against the records;
//! - [`printed`]: that a PDF's pages show exactly the page it carries;
//! - [`withheld`]: a text or passage withheld from one export, and what a
//!   record's texts show.
//!
//! The manifest itself is built with the export ([`crate::export`]).

pub mod copies;
pub mod disclose;
pub mod parents;
pub mod photos;
pub mod printed;
pub mod verify;
pub mod withheld;
