//! Photos built for tests: a real (8x8 grey, baseline) JPEG picture, EXIF data
//! with and without a GPS directory, XMP and IPTC that name a place, and PNG
//! and WebP files carrying them. The committed fixture
//! `tests/fixtures/photo-with-location.jpg` is [`jpeg_with_location`]'s output
//! (a test holds it to that).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{EXIF_PREFIX, PHOTOSHOP_PREFIX, XMP_NAMESPACE};

/// The latitude written into the samples: 51° 30' 26.46" (as three rationals),
/// so a test can look for these bytes in a copy.
pub(crate) const LATITUDE: [(u32, u32); 3] = [(51, 1), (30, 1), (2646, 100)];
pub(crate) const LONGITUDE: [(u32, u32); 3] = [(0, 1), (7, 1), (3960, 100)];
pub(crate) const DATE_TIME: &[u8; 20] = b"2026:03:14 21:30:05\0";
/// EXIF orientation 6: the camera was turned; viewers rotate the picture.
pub(crate) const ORIENTATION: u16 = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Little,
    Big,
}

struct Writer {
    order: Order,
    out: Vec<u8>,
}

impl Writer {
    fn u16(&mut self, v: u16) {
        match self.order {
            Order::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            Order::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn u32(&mut self, v: u32) {
        match self.order {
            Order::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            Order::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn entry(&mut self, tag: u16, kind: u16, count: u32, value: u32) {
        self.u16(tag);
        self.u16(kind);
        self.u32(count);
        self.u32(value);
    }
    /// An inline value of up to 4 bytes, left-aligned as TIFF wants.
    fn entry_bytes(&mut self, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        self.u16(tag);
        self.u16(kind);
        self.u32(count);
        self.out.extend_from_slice(&value);
    }
    fn rationals(&mut self, values: &[(u32, u32); 3]) {
        for (n, d) in values {
            self.u32(*n);
            self.u32(*d);
        }
    }
}

/// The bytes the latitude rationals take in `order`.
pub(crate) fn latitude_bytes(order: Order) -> Vec<u8> {
    let mut w = Writer {
        order,
        out: Vec::new(),
    };
    w.rationals(&LATITUDE);
    w.out
}

/// A TIFF structure: IFD0 with orientation, date and time, and (with `gps`) a
/// GPS directory holding latitude and longitude; then IFD1 (a thumbnail's
/// directory, holding only its orientation), linked from IFD0.
pub(crate) fn exif_tiff(order: Order, gps: bool) -> Vec<u8> {
    let mut w = Writer {
        order,
        out: match order {
            Order::Little => b"II\x2a\0".to_vec(),
            Order::Big => b"MM\0\x2a".to_vec(),
        },
    };
    w.u32(8);
    let ifd0_entries: u16 = if gps { 3 } else { 2 };
    let ifd0_end = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
    let date_at = ifd0_end;
    let gps_at = date_at + 20;
    let gps_len = 2 + 5 * 12 + 4;
    let lat_at = gps_at + gps_len;
    let lon_at = lat_at + 24;
    let ifd1_at = if gps { lon_at + 24 } else { gps_at };
    w.u16(ifd0_entries);
    let orientation = match order {
        Order::Little => ORIENTATION.to_le_bytes(),
        Order::Big => ORIENTATION.to_be_bytes(),
    };
    w.entry_bytes(0x0112, 3, 1, [orientation[0], orientation[1], 0, 0]);
    w.entry(0x0132, 2, 20, date_at);
    if gps {
        w.entry(0x8825, 4, 1, gps_at);
    }
    w.u32(ifd1_at);
    w.out.extend_from_slice(DATE_TIME);
    if gps {
        w.u16(5);
        w.entry_bytes(0, 1, 4, [2, 3, 0, 0]);
        w.entry_bytes(1, 2, 2, *b"N\0\0\0");
        w.entry(2, 5, 3, lat_at);
        w.entry_bytes(3, 2, 2, *b"W\0\0\0");
        w.entry(4, 5, 3, lon_at);
        w.u32(0);
        w.rationals(&LATITUDE);
        w.rationals(&LONGITUDE);
    }
    assert_eq!(w.out.len() as u32, ifd1_at);
    w.u16(1);
    w.entry_bytes(0x0112, 3, 1, [orientation[0], orientation[1], 0, 0]);
    w.u32(0);
    w.out
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The EXIF APP1 segment for `tiff`.
pub(crate) fn exif_segment(tiff: &[u8]) -> Vec<u8> {
    segment(0xE1, &[EXIF_PREFIX, tiff].concat())
}

/// XMP that names where the photo was taken, as editing software writes it.
pub(crate) const XMP_WITH_PLACE: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:GPSLatitude="51,30.441N" exif:GPSLongitude="0,7.66W" photoshop:City="London"/></rdf:RDF></x:xmpmeta>"#;
/// XMP that says nothing of a place.
pub(crate) const XMP_WITHOUT_PLACE: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Camera"/></rdf:RDF></x:xmpmeta>"#;

pub(crate) fn xmp_segment(xmp: &str) -> Vec<u8> {
    segment(0xE1, &[XMP_NAMESPACE, xmp.as_bytes()].concat())
}

/// A Photoshop APP13 segment whose IPTC data names a city (2:90 "London").
pub(crate) fn iptc_segment() -> Vec<u8> {
    let mut iptc = vec![0x1C, 2, 90, 0, 6];
    iptc.extend_from_slice(b"London");
    let mut body = PHOTOSHOP_PREFIX.to_vec();
    body.extend_from_slice(b"8BIM");
    body.extend_from_slice(&0x0404u16.to_be_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&u32::try_from(iptc.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&iptc);
    body.push(0);
    segment(0xED, &body)
}

/// The picture: tables, frame, one scan of an 8x8 grey block, end of image.
/// Huffman tables with one code each (DC difference 0; end of block), so the
/// scan is the two bits `00` padded with ones.
pub(crate) fn picture() -> Vec<u8> {
    let mut out = segment(0xDB, &[[0u8].as_slice(), &[1u8; 64]].concat());
    out.extend(segment(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
    let mut table = [0u8; 18];
    table[1] = 1;
    out.extend(segment(0xC4, &table));
    table[0] = 0x10;
    out.extend(segment(0xC4, &table));
    out.extend(segment(0xDA, &[1, 1, 0x00, 0, 63, 0]));
    out.extend_from_slice(&[0x3F, 0xFF, 0xD9]);
    out
}

/// A JPEG: SOI, a JFIF APP0, then `metadata` segments, then [`picture`].
pub(crate) fn jpeg(metadata: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    for m in metadata {
        out.extend_from_slice(m);
    }
    out.extend(picture());
    out
}

/// A photo as a phone writes it: EXIF with GPS (big-endian), XMP and IPTC
/// naming the place.
pub(crate) fn jpeg_with_location() -> Vec<u8> {
    jpeg(&[
        exif_segment(&exif_tiff(Order::Big, true)),
        xmp_segment(XMP_WITH_PLACE),
        iptc_segment(),
    ])
}

/// Where a JPEG's first scan starts (its SOS marker).
pub(crate) fn scan_start(jpeg: &[u8]) -> usize {
    jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap()
}

/// A PNG chunk (length, type, data, CRC) built with img-parts.
pub(crate) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    use img_parts::png::PngChunk;
    let mut out = Vec::new();
    for piece in PngChunk::new(*kind, img_parts::Bytes::copy_from_slice(data)).encoder() {
        out.extend_from_slice(&piece);
    }
    out
}

/// A 1x1 PNG's image data chunk (zlib stream of one RGBA pixel row).
pub(crate) const PNG_IDAT: &[u8] = &[
    0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff,
];

/// A 1x1 PNG with `extra` chunks before its image data.
pub(crate) fn png(extra: &[Vec<u8>]) -> Vec<u8> {
    let mut out = super::PNG_SIGNATURE.to_vec();
    out.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
    for c in extra {
        out.extend_from_slice(c);
    }
    out.extend(png_chunk(b"IDAT", PNG_IDAT));
    out.extend(png_chunk(b"IEND", b""));
    out
}

/// A PNG text chunk holding XMP (iTXt, uncompressed).
pub(crate) fn png_xmp(xmp: &str) -> Vec<u8> {
    let mut data = super::PNG_XMP_KEYWORD.to_vec();
    data.extend_from_slice(&[0, 0, 0, 0]);
    data.extend_from_slice(xmp.as_bytes());
    png_chunk(b"iTXt", &data)
}

/// The bytes standing in for a lossless bitstream in [`webp`] (never decoded).
pub(crate) const WEBP_BITSTREAM: &[u8] = &[0x2f, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44];

fn riff_chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// An extended WebP file: VP8X (flags for EXIF and XMP), the bitstream, an
/// EXIF chunk with `tiff` and an XMP chunk with `xmp`.
pub(crate) fn webp(tiff: &[u8], xmp: &str) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(
        b"VP8X",
        &[0b0000_1100, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ));
    body.extend(riff_chunk(b"VP8L", WEBP_BITSTREAM));
    body.extend(riff_chunk(b"EXIF", tiff));
    body.extend(riff_chunk(b"XMP ", xmp.as_bytes()));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend(body);
    out
}
