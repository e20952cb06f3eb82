//! The photos a v3 page shows inline: found in the page, each checked against
//! the file the signed records name (or the location-free copy the document
//! describes), so the page is rendered again with exactly those images. A
//! changed, swapped or removed photo is named on its entry.

use sha2::{Digest, Sha256};

use super::copies::attachment_files;
use super::verify::VerifyReport;
use crate::export::chronology::{is_shown_inline, photo_element_id, Photos};
use crate::export::model::ExportDocument;

/// The bytes of the image with element id `id` in `page`, if it is a base64
/// `data:` image.
fn image_in_page(page: &str, attachment_id: &str) -> Option<Vec<u8>> {
    let open = format!("<img id=\"{}\" ", photo_element_id(attachment_id));
    let start = page.find(&open)? + open.len();
    let tag = page.get(start..)?;
    let tag = tag.get(..tag.find('>')?)?;
    let src = tag.get(tag.find("src=\"data:")? + "src=\"data:".len()..)?;
    let src = src.get(..src.find('"')?)?;
    let (_, data) = src.split_once(";base64,")?;
    data_encoding::BASE64.decode(data.as_bytes()).ok()
}

/// The photos `doc` says its page shows, as found in `page` and checked; what
/// does not check out is reported on its entry and left out (so the page
/// rendered again differs from the file there too).
pub(super) fn photos_in_page(
    doc: &ExportDocument,
    page: &str,
    report: &mut VerifyReport,
) -> Photos {
    let files = attachment_files(doc);
    let mut photos = Photos::new();
    for id in &doc.presentation.photos_shown {
        let place = doc.entries.iter().enumerate().find_map(|(i, e)| {
            e.attachments
                .iter()
                .find(|a| &a.attachment_id == id)
                .map(|a| (i, a))
        });
        let Some((entry, attachment)) = place else {
            report.problems.push(format!(
                "the page shows a photo ({}) that is not an attachment of an exported entry",
                id.get(..8).unwrap_or(id)
            ));
            continue;
        };
        let mut fail = |problem: String| {
            if let Some(r) = report.entries.get_mut(entry) {
                r.checks.unchanged = false;
                r.checks.problems.push(problem);
            }
        };
        if !is_shown_inline(&attachment.media_type) {
            fail(format!(
                "{} is shown as a photo, but it is not a kind of image MyCase shows",
                attachment.name
            ));
            continue;
        }
        let Some(expected) = files.iter().find(|f| &f.attachment_id == id) else {
            continue;
        };
        match image_in_page(page, id) {
            Some(bytes) if hex::encode(Sha256::digest(&bytes)) == expected.sha256 => {
                photos.insert(id.clone(), bytes);
            }
            Some(_) => fail(format!(
                "the photo {} shown in the page is not the file the records name (its SHA-256 differs)",
                attachment.name
            )),
            None => fail(format!(
                "the photo {} is missing from the page",
                attachment.name
            )),
        }
    }
    photos
}
