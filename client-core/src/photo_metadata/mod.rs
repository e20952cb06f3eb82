//! Location metadata in photos: whether a file says where it was taken, and a
//! copy of it that does not.
//!
//! Phones write GPS coordinates into a photo's EXIF data (in a JPEG, an APP1
//! segment holding a TIFF structure whose first directory may point to a GPS
//! directory; in PNG an `eXIf` chunk, in WebP an `EXIF` chunk), and editing
//! software copies places into XMP (`exif:GPSLatitude`, `photoshop:City`...) and
//! IPTC (city, sublocation, country). A photo of an injury taken at a refuge
//! says where the refuge is to whoever it is later shared with, so `mycase
//! attach` points it out, and shares and exports can carry a copy without it
//! ([`strip::strip_location`]).
//!
//! Pure and bounds-checked: any malformed structure reads as "no location
//! found" here; the stripping side refuses what it cannot rewrite. HEIC, TIFF
//! and video files can carry location too; they are not read.

pub mod strip;
mod tiff;

pub use strip::{strip_location, LocationFree, StripError, Stripped};

/// A kind of metadata that says where a photo was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocationMetadata {
    /// A GPS directory in the EXIF data (coordinates, altitude, area name).
    ExifGps,
    /// XMP data naming a place or coordinates.
    Xmp,
    /// IPTC data naming a city, sublocation, region or country.
    Iptc,
}

impl LocationMetadata {
    /// In words, for a note beside a copy: "EXIF GPS", "XMP location", ...
    pub fn describe(self) -> &'static str {
        match self {
            LocationMetadata::ExifGps => "EXIF GPS",
            LocationMetadata::Xmp => "XMP location",
            LocationMetadata::Iptc => "IPTC location",
        }
    }
}

/// The file name for a copy without location metadata: `photo.jpg` ->
/// `photo.no-location.jpg`, so a copy on disk never passes for the original.
pub fn copy_file_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.no-location.{ext}"),
        _ => format!("{name}.no-location"),
    }
}

/// Whether a file of `media_type` can record a place in a way MyCase does not
/// read (HEIC, AVIF and TIFF photos, videos, M4A recordings).
pub fn may_hold_unread_location(media_type: &str) -> bool {
    let t = media_type.to_ascii_lowercase();
    t.starts_with("video/")
        || matches!(
            t.as_str(),
            "image/heic" | "image/heif" | "image/avif" | "image/tiff" | "audio/mp4"
        )
}

/// The kinds of photo whose metadata is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhotoKind {
    Jpeg,
    Png,
    WebP,
}

pub(crate) const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
pub(crate) const EXIF_PREFIX: &[u8] = b"Exif\0\0";
pub(crate) const XMP_NAMESPACE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
pub(crate) const XMP_EXTENSION_NAMESPACE: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
pub(crate) const PHOTOSHOP_PREFIX: &[u8] = b"Photoshop 3.0\0";
/// The keyword of a PNG text chunk that holds XMP.
pub(crate) const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp\0";

impl PhotoKind {
    pub(crate) fn of(bytes: &[u8]) -> Option<PhotoKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoKind::Jpeg)
        } else if bytes.starts_with(&PNG_SIGNATURE) {
            Some(PhotoKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(PhotoKind::WebP)
        } else {
            None
        }
    }
}

/// Whether `head` (the start of a file, or all of it) is a photo whose metadata
/// says where it was taken.
pub fn has_location(head: &[u8]) -> bool {
    !location_metadata(head).is_empty()
}

/// What in `bytes` (a photo, or the start of one) says where it was taken;
/// empty for a photo without location metadata and for anything else.
pub fn location_metadata(bytes: &[u8]) -> Vec<LocationMetadata> {
    let mut found = Vec::new();
    match PhotoKind::of(bytes) {
        Some(PhotoKind::Jpeg) => jpeg_location(bytes, &mut found),
        Some(PhotoKind::Png) => png_location(bytes, &mut found),
        Some(PhotoKind::WebP) => webp_location(bytes, &mut found),
        None => return found,
    }
    // Embedded images (an EXIF thumbnail, a JPEG's further MPF images after its
    // end) carry EXIF data of their own.
    if embedded_exif(bytes).any(|(range, _)| tiff::has_gps_position(&bytes[range])) {
        found.push(LocationMetadata::ExifGps);
    }
    // XMP is text wherever it is, also in parts not walked above.
    if mentions_place(bytes) {
        found.push(LocationMetadata::Xmp);
    }
    found.sort();
    found.dedup();
    found
}

/// XMP properties that say where: coordinates, and places in words.
const XMP_PLACE_WORDS: [&[u8]; 10] = [
    b"GPSLatitude",
    b"GPSLongitude",
    b"GPSAreaInformation",
    b"GPSDestLatitude",
    b"LocationCreated",
    b"LocationShown",
    b"Iptc4xmpCore:Location",
    b"photoshop:City",
    b"photoshop:State",
    b"photoshop:Country",
];

/// Whether XMP text (or any bytes) names a place property.
pub(crate) fn mentions_place(bytes: &[u8]) -> bool {
    // One pass over the bytes (a photo is megabytes), trying the words only
    // where one could start.
    (0..bytes.len()).any(|at| {
        XMP_PLACE_WORDS
            .iter()
            .any(|word| word[0] == bytes[at] && bytes[at..].starts_with(word))
    })
}

/// IPTC datasets that say where (record 2): sublocation (92), city (90),
/// province or state (95), country code (100) and name (101), content location
/// code (26) and name (27).
const IPTC_PLACE_DATASETS: [u8; 7] = [26, 27, 90, 92, 95, 100, 101];

/// Whether a Photoshop APP13 segment's IPTC data names a place. Read loosely
/// (any IPTC dataset marker for a place), since a false "yes" only drops a
/// segment from a copy.
pub(crate) fn iptc_names_place(app13: &[u8]) -> bool {
    app13.starts_with(PHOTOSHOP_PREFIX)
        && app13
            .windows(3)
            .any(|w| w[0] == 0x1C && w[1] == 2 && IPTC_PLACE_DATASETS.contains(&w[2]))
}

/// The TIFF structure of every EXIF APP1 segment anywhere in `bytes` (the
/// range of its TIFF data, and of the whole segment).
pub(crate) fn embedded_exif(
    bytes: &[u8],
) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + '_ {
    bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == [0xFF, 0xE1])
        .filter_map(move |(at, _)| {
            let len = usize::from(u16::from_be_bytes([
                *bytes.get(at + 2)?,
                *bytes.get(at + 3)?,
            ]));
            let end = at.checked_add(2)?.checked_add(len)?;
            let body = bytes.get(at + 4..end)?;
            body.starts_with(EXIF_PREFIX)
                .then(|| (at + 4 + EXIF_PREFIX.len()..end, at..end))
        })
}

/// A JPEG's metadata segments before its first scan: (marker, body).
pub(crate) fn jpeg_segments(jpeg: &[u8]) -> impl Iterator<Item = (u8, &[u8])> + '_ {
    let mut at = 2usize;
    std::iter::from_fn(move || {
        // Fill bytes (0xFF) may stand before a marker.
        while jpeg.get(at) == Some(&0xFF) && jpeg.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        let marker = *jpeg.get(at + 1)?;
        // Start of scan or end of image: no metadata segments follow.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let body = jpeg.get(at + 4..at + 2 + len.max(2))?;
        at = at + 2 + len.max(2);
        Some((marker, body))
    })
}

fn jpeg_location(jpeg: &[u8], found: &mut Vec<LocationMetadata>) {
    for (marker, body) in jpeg_segments(jpeg) {
        let is_exif = marker == 0xE1 && body.starts_with(EXIF_PREFIX);
        let is_xmp = marker == 0xE1
            && (body.starts_with(XMP_NAMESPACE) || body.starts_with(XMP_EXTENSION_NAMESPACE));
        if is_exif && tiff::has_gps_position(&body[EXIF_PREFIX.len()..]) {
            found.push(LocationMetadata::ExifGps);
        } else if is_xmp && mentions_place(body) {
            found.push(LocationMetadata::Xmp);
        } else if marker == 0xED && iptc_names_place(body) {
            found.push(LocationMetadata::Iptc);
        }
    }
}

/// A PNG's chunks: (type, data), stopping where the file is cut short.
pub(crate) fn png_chunks(png: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> + '_ {
    let mut at = PNG_SIGNATURE.len();
    std::iter::from_fn(move || {
        let len = u32::from_be_bytes(png.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = png.get(at + 4..at + 8)?.try_into().ok()?;
        let data = png.get(at + 8..(at + 8).checked_add(len)?)?;
        at = at + 12 + len;
        Some((kind, data))
    })
}

/// The TIFF data of an `eXIf`/`EXIF` chunk (some writers keep the JPEG prefix).
pub(crate) fn chunk_tiff(data: &[u8]) -> &[u8] {
    data.strip_prefix(EXIF_PREFIX).unwrap_or(data)
}

/// Whether a PNG text chunk holds XMP (compressed XMP is not read: it counts
/// as naming a place, since it may).
pub(crate) fn png_xmp_names_place(kind: [u8; 4], data: &[u8]) -> bool {
    if !data.starts_with(PNG_XMP_KEYWORD) {
        return false;
    }
    match &kind {
        b"iTXt" => data.get(PNG_XMP_KEYWORD.len()) != Some(&0) || mentions_place(data),
        b"zTXt" => true,
        _ => mentions_place(data),
    }
}

fn png_location(png: &[u8], found: &mut Vec<LocationMetadata>) {
    for (kind, data) in png_chunks(png) {
        match &kind {
            b"eXIf" if tiff::has_gps_position(chunk_tiff(data)) => {
                found.push(LocationMetadata::ExifGps)
            }
            b"iTXt" | b"tEXt" | b"zTXt" if png_xmp_names_place(kind, data) => {
                found.push(LocationMetadata::Xmp)
            }
            _ => {}
        }
    }
}

/// A WebP file's chunks: (id, data), stopping where the file is cut short.
pub(crate) fn webp_chunks(webp: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> + '_ {
    let mut at = 12usize;
    std::iter::from_fn(move || {
        let id: [u8; 4] = webp.get(at..at + 4)?.try_into().ok()?;
        let len = u32::from_le_bytes(webp.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let data = webp.get(at + 8..(at + 8).checked_add(len)?)?;
        // Chunks are padded to an even size.
        at = at + 8 + len + (len & 1);
        Some((id, data))
    })
}

fn webp_location(webp: &[u8], found: &mut Vec<LocationMetadata>) {
    for (id, data) in webp_chunks(webp) {
        match &id {
            b"EXIF" if tiff::has_gps_position(chunk_tiff(data)) => {
                found.push(LocationMetadata::ExifGps)
            }
            b"XMP " if mentions_place(data) => found.push(LocationMetadata::Xmp),
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod sample;
#[cfg(test)]
mod tests;
