//! Exports: the complete JSON document (with the manifest that proves it), a
//! self-contained HTML chronology (the v3 plain-language page; the v2 page
//! stays for the exports made with it) and a plain-text Markdown one.

pub mod chronology;
pub mod files;
pub mod html;
pub mod model;
pub mod pdf;

pub use files::ExportFormat;
pub use model::ExportDocument;
