//! The chronology page inside its PDF: an embedded file (ISO 32000 §7.11.4)
//! named [`PAGE_NAME`], listed in the catalog's `EmbeddedFiles` name tree and
//! as an associated file (`AF`, relationship `Source`: the pages are printed
//! from it). A PDF reader lists it as an attachment, so a reader can open the
//! page itself too.

use lopdf::{dictionary, Document, Object, ObjectId, Stream};

use super::PdfError;

/// The embedded file's name.
pub const PAGE_NAME: &str = "chronology.html";

fn unreadable(e: lopdf::Error) -> PdfError {
    PdfError::Unreadable(e)
}

/// `pdf` with `page` attached as the page it was printed from.
pub fn attach_page(pdf: &[u8], page: &str) -> Result<Vec<u8>, PdfError> {
    let mut doc = super::load(pdf)?;
    let mut file = Stream::new(
        dictionary! {
            "Type" => "EmbeddedFile",
            "Subtype" => Object::Name(b"text/html".to_vec()),
            "Params" => dictionary! { "Size" => page.len() as i64 },
        },
        page.as_bytes().to_vec(),
    );
    // Flate: the page is mostly the JSON of the records, which compresses well.
    let _ = file.compress();
    let file_id = doc.add_object(file);
    let spec_id = doc.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal(PAGE_NAME),
        "UF" => Object::string_literal(PAGE_NAME),
        "AFRelationship" => "Source",
        "Desc" => Object::string_literal("The MyCase page these pages were printed from, with the records that prove it"),
        "EF" => dictionary! { "F" => file_id },
    });
    let entry = vec![
        Object::string_literal(PAGE_NAME),
        Object::Reference(spec_id),
    ];
    // The catalog's name dictionary may be its own object (Chromium writes one
    // for link destinations) or inline.
    let names_ref = doc
        .catalog()
        .map_err(unreadable)?
        .get(b"Names")
        .ok()
        .and_then(|n| n.as_reference().ok());
    let embedded = dictionary! { "Names" => entry };
    match names_ref {
        Some(id) => {
            doc.get_dictionary_mut(id)
                .map_err(unreadable)?
                .set("EmbeddedFiles", embedded);
        }
        None => {
            let catalog = doc.catalog_mut().map_err(unreadable)?;
            match catalog.get_mut(b"Names").and_then(Object::as_dict_mut) {
                Ok(names) => names.set("EmbeddedFiles", embedded),
                Err(_) => catalog.set("Names", dictionary! { "EmbeddedFiles" => embedded }),
            }
        }
    }
    doc.catalog_mut()
        .map_err(unreadable)?
        .set("AF", vec![Object::Reference(spec_id)]);
    let mut out = Vec::with_capacity(pdf.len() + page.len());
    doc.save_to(&mut out).map_err(PdfError::Write)?;
    Ok(out)
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> Result<&'a Object, PdfError> {
    doc.dereference(object).map(|(_, o)| o).map_err(unreadable)
}

/// The `(name, file specification)` pairs of a name tree's leaves, following
/// `Kids` (bounded: a hostile file cannot make this loop).
fn leaves(doc: &Document, node: &Object, depth: usize, out: &mut Vec<(Vec<u8>, ObjectId)>) {
    let Ok(node) = resolve(doc, node).and_then(|o| o.as_dict().map_err(unreadable)) else {
        return;
    };
    if let Ok(names) = node.get(b"Names").and_then(Object::as_array) {
        for pair in names.chunks(2) {
            if let [name, Object::Reference(spec)] = pair {
                if let Ok(Object::String(name, _)) = resolve(doc, name) {
                    out.push((name.clone(), *spec));
                }
            }
        }
    }
    if depth < 8 {
        if let Ok(kids) = node.get(b"Kids").and_then(Object::as_array) {
            for kid in kids.iter().take(64) {
                leaves(doc, kid, depth + 1, out);
            }
        }
    }
}

/// The chronology page a MyCase PDF carries.
pub fn embedded_page(pdf: &[u8]) -> Result<String, PdfError> {
    let doc = super::load(pdf)?;
    embedded_page_of(&doc)
}

/// [`embedded_page`] of a loaded document.
pub fn embedded_page_of(doc: &Document) -> Result<String, PdfError> {
    super::guarded(|| page_in(doc))
}

fn page_in(doc: &Document) -> Result<String, PdfError> {
    let catalog = doc.catalog().map_err(unreadable)?;
    let names = catalog.get(b"Names").map_err(|_| PdfError::NoPage)?;
    let names = resolve(doc, names)?
        .as_dict()
        .map_err(|_| PdfError::NoPage)?;
    let tree = names.get(b"EmbeddedFiles").map_err(|_| PdfError::NoPage)?;
    let mut found = Vec::new();
    leaves(doc, tree, 0, &mut found);
    let mut pages = found
        .iter()
        .filter(|(name, _)| name == PAGE_NAME.as_bytes());
    let (_, spec) = pages.next().ok_or(PdfError::NoPage)?;
    if pages.next().is_some() {
        return Err(PdfError::TwoPages);
    }
    let file = doc
        .get_dictionary(*spec)
        .and_then(|spec| spec.get(b"EF"))
        .and_then(|ef| resolve(doc, ef).map_err(|_| lopdf::Error::ObjectNotFound((0, 0))))
        .and_then(Object::as_dict)
        .and_then(|ef| ef.get(b"F"))
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_object(id))
        .and_then(Object::as_stream)
        .map_err(|_| PdfError::NoPage)?;
    let bytes = file
        .decompressed_content()
        .unwrap_or_else(|_| file.content.clone());
    String::from_utf8(bytes).map_err(|_| PdfError::NotText)
}
