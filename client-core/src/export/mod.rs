//! Exports: the complete JSON document (with the manifest that proves it), a
//! self-contained HTML chronology and a plain-text Markdown one.

pub mod files;
pub mod html;
pub mod markdown;
pub mod model;

pub use files::ExportFormat;
pub use model::ExportDocument;
