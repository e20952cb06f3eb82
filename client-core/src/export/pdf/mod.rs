//! The chronology as a PDF that prints well and proves itself.
//!
//! The PDF is the HTML chronology (export format v3) printed by a local
//! Chromium ([`mod@print`], desktop clients only), with that page attached inside
//! it as an embedded file ([`embed`]): `mycase verify` takes the page out,
//! verifies it as it verifies an HTML export, and then reads the printed text
//! back ([`text`]) to check that the pages show exactly what the verified page
//! says, letter for letter (layout aside). A PDF whose text was edited fails,
//! naming the entry; one whose embedded page was edited fails as the page does.
//!
//! What this cannot check: the photos as printed (Chromium re-encodes them);
//! the embedded page's own photos are checked against the records.

pub mod embed;
#[cfg(feature = "print-pdf")]
pub mod print;
pub mod text;

/// Why a PDF could not be read, written or checked.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Not a PDF, or not one this reader can parse.
    #[error("not a readable PDF")]
    Unreadable(#[source] lopdf::Error),
    /// A PDF without the chronology page inside it.
    #[error("a PDF, but not a MyCase export: it carries no chronology page")]
    NoPage,
    /// More than one file claims to be the chronology page.
    #[error("the PDF carries more than one chronology page")]
    TwoPages,
    /// The page inside is not text.
    #[error("the chronology page inside the PDF is not UTF-8 text")]
    NotText,
    /// Writing the PDF failed.
    #[error("writing the PDF")]
    Write(#[source] std::io::Error),
    /// The PDF reader gave up on a malformed file (a panic inside it, caught).
    #[error("not a readable PDF: it is malformed")]
    Malformed,
}

/// `read`, with a panic inside the PDF reader on a malformed or hostile file
/// turned into [`PdfError::Malformed`]: bad input gets an answer, never a crash.
pub fn guarded<T>(read: impl FnOnce() -> Result<T, PdfError>) -> Result<T, PdfError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or(Err(PdfError::Malformed))
}

/// The PDF in `bytes`, parsed (see [`guarded`]).
pub fn load(bytes: &[u8]) -> Result<lopdf::Document, PdfError> {
    guarded(|| lopdf::Document::load_mem(bytes).map_err(PdfError::Unreadable))
}

/// Whether `bytes` is a PDF (by its header).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}
