//! A copy of a photo without its location metadata, the picture data untouched.
//!
//! - EXIF: the GPS directory is erased in place (see `photo_metadata/tiff.rs`), so the
//!   rest of the EXIF data stays: the orientation (the photo still shows the
//!   right way up), when it was taken, the camera. Every EXIF block in the file
//!   is treated so, also those of embedded images (the EXIF thumbnail, a JPEG's
//!   further MPF images after its end).
//! - XMP that names a place is dropped whole (JPEG APP1 segments, PNG text
//!   chunks, the WebP `XMP ` chunk), and so is a JPEG's IPTC segment (APP13)
//!   that names a city, region or country.
//! - Nothing else changes: a JPEG's scans (its compressed picture data) and
//!   everything after them, PNG image chunks and WebP bitstreams are copied
//!   byte for byte. The containers are rewritten by `img-parts`, which keeps a
//!   JPEG's MPF offsets valid when a segment before them goes, recomputes PNG
//!   chunk checksums and the RIFF size.
//!
//! The copy is read again before it is returned: if anything in it still says
//! where the photo was taken, there is no copy ([`StripError::Remains`]).

use img_parts::jpeg::Jpeg;
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{WebP, CHUNK_EXIF, CHUNK_VP8X, CHUNK_XMP};
use img_parts::Bytes;
use zeroize::Zeroizing;

use super::{
    embedded_exif, iptc_names_place, location_metadata, mentions_place, png_xmp_names_place, tiff,
    LocationMetadata, PhotoKind, EXIF_PREFIX, XMP_EXTENSION_NAMESPACE, XMP_NAMESPACE,
};

/// A copy without location metadata. `Debug` shows what was removed, never
/// the bytes.
pub struct LocationFree {
    /// The copy's bytes.
    pub bytes: Zeroizing<Vec<u8>>,
    /// What the original had and the copy does not, in order.
    pub removed: Vec<LocationMetadata>,
}

impl std::fmt::Debug for LocationFree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocationFree")
            .field("len", &self.bytes.len())
            .field("removed", &self.removed)
            .finish()
    }
}

/// What stripping a file gave.
#[derive(Debug)]
pub enum Stripped {
    /// A JPEG, PNG or WebP photo that says nothing of where it was taken: it
    /// can be carried as it is.
    NoLocation,
    /// A copy without the location metadata the original has.
    Copy(LocationFree),
    /// Not a kind of file whose location metadata MyCase reads (only JPEG, PNG
    /// and WebP photos; HEIC, TIFF and videos can hold a place too).
    NotReadable,
}

/// Why no copy without location was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    /// The photo's structure could not be read.
    #[error("the photo says where it was taken, but its structure could not be read, so no copy without the location could be made")]
    Malformed,
    /// Location data remained after removing it.
    #[error("the photo still says where it was taken after its location data was removed (in a part MyCase does not rewrite)")]
    Remains,
}

/// The photo in `bytes` without its location metadata. The original bytes are
/// not changed (they are borrowed); a photo without location metadata gives
/// [`Stripped::NoLocation`] rather than a needless copy.
pub fn strip_location(bytes: &[u8]) -> Result<Stripped, StripError> {
    let Some(kind) = PhotoKind::of(bytes) else {
        return Ok(Stripped::NotReadable);
    };
    let removed = location_metadata(bytes);
    if removed.is_empty() {
        return Ok(Stripped::NoLocation);
    }
    let input = Bytes::copy_from_slice(bytes);
    let mut copy = match kind {
        PhotoKind::Jpeg => jpeg_copy(input, &removed)?,
        PhotoKind::Png => png_copy(input)?,
        PhotoKind::WebP => webp_copy(input)?,
    };
    // EXIF blocks anywhere (a JPEG's own and its embedded images'; a PNG's or
    // WebP's was handled in its chunk, so none is left for this).
    let blocks: Vec<_> = embedded_exif(&copy).map(|(tiff, _)| tiff).collect();
    for range in blocks {
        if let Some(data) = copy.get_mut(range) {
            tiff::erase_gps(data);
        }
    }
    if !location_metadata(&copy).is_empty() {
        return Err(StripError::Remains);
    }
    Ok(Stripped::Copy(LocationFree {
        bytes: copy,
        removed,
    }))
}

/// The encoded pieces of a rewritten image in one buffer.
fn collect(pieces: impl Iterator<Item = Bytes>) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    for piece in pieces {
        out.extend_from_slice(&piece);
    }
    out
}

fn is_xmp(marker: u8, body: &[u8]) -> bool {
    marker == 0xE1 && (body.starts_with(XMP_NAMESPACE) || body.starts_with(XMP_EXTENSION_NAMESPACE))
}

/// The JPEG without the XMP segments (all of them, when one names a place: an
/// extended XMP packet spans several) and IPTC segments that name a place.
fn jpeg_copy(input: Bytes, found: &[LocationMetadata]) -> Result<Zeroizing<Vec<u8>>, StripError> {
    let mut jpeg = Jpeg::from_bytes(input).map_err(|_| StripError::Malformed)?;
    let drop_xmp = found.contains(&LocationMetadata::Xmp);
    jpeg.segments_mut().retain(|s| {
        let body = s.contents();
        let place_xmp = drop_xmp && is_xmp(s.marker(), body);
        let place_iptc = s.marker() == 0xED && iptc_names_place(body);
        !place_xmp && !place_iptc
    });
    Ok(collect(jpeg.encoder()))
}

/// `data` (an EXIF chunk's) with its GPS directory erased.
fn without_gps(data: &[u8]) -> Bytes {
    let mut copy = data.to_vec();
    let start = if data.starts_with(EXIF_PREFIX) {
        EXIF_PREFIX.len()
    } else {
        0
    };
    if let Some(tiff_data) = copy.get_mut(start..) {
        tiff::erase_gps(tiff_data);
    }
    Bytes::from(copy)
}

fn png_copy(input: Bytes) -> Result<Zeroizing<Vec<u8>>, StripError> {
    let mut png = Png::from_bytes(input).map_err(|_| StripError::Malformed)?;
    let chunks = png.chunks_mut();
    chunks.retain(|c| {
        !(matches!(&c.kind(), b"iTXt" | b"tEXt" | b"zTXt")
            && png_xmp_names_place(c.kind(), c.contents()))
    });
    for chunk in chunks.iter_mut() {
        if &chunk.kind() == b"eXIf" {
            *chunk = PngChunk::new(chunk.kind(), without_gps(chunk.contents()));
        }
    }
    Ok(collect(png.encoder()))
}

/// The VP8X flag that says the file has an XMP chunk.
const VP8X_XMP_FLAG: u8 = 0b0000_0100;

fn webp_copy(input: Bytes) -> Result<Zeroizing<Vec<u8>>, StripError> {
    let mut webp = WebP::from_bytes(input).map_err(|_| StripError::Malformed)?;
    let chunks = webp.chunks_mut();
    chunks.retain(|c| {
        !(c.id() == CHUNK_XMP && c.content().data().is_some_and(|d| mentions_place(d)))
    });
    let has_xmp = chunks.iter().any(|c| c.id() == CHUNK_XMP);
    for chunk in chunks.iter_mut() {
        match (chunk.id(), chunk.content().data()) {
            (CHUNK_EXIF, Some(data)) => {
                *chunk = RiffChunk::new(CHUNK_EXIF, RiffContent::Data(without_gps(data)));
            }
            (CHUNK_VP8X, Some(data)) if !has_xmp => {
                let mut flags = data.to_vec();
                if let Some(first) = flags.first_mut() {
                    *first &= !VP8X_XMP_FLAG;
                }
                *chunk = RiffChunk::new(CHUNK_VP8X, RiffContent::Data(Bytes::from(flags)));
            }
            _ => {}
        }
    }
    Ok(collect(webp.encoder()))
}
