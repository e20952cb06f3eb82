//! Location metadata in photos: whether a file carries where it was taken.
//!
//! Phones write GPS coordinates into a JPEG's EXIF data (an APP1 segment holding
//! a TIFF structure whose first directory may point to a GPS directory). A photo
//! of an injury taken at a refuge says where the refuge is to whoever the photo
//! is later shared with, so `mycase attach` points it out. Pure and
//! bounds-checked: any malformed structure reads as "no location found".
//! (PNG and WebP can carry EXIF too, and HEIC does so inside ISO-BMFF boxes; only
//! JPEG is read for now.)

/// The EXIF tag of the pointer to the GPS directory.
const GPS_IFD_POINTER: u16 = 0x8825;
/// GPS tags that place the photo: latitude (2) and longitude (4), with their refs.
const GPS_POSITION_TAGS: [u16; 4] = [1, 2, 3, 4];

/// Whether `head` (the start of a file; EXIF is in its first 64 KiB) is a JPEG
/// whose EXIF data records where it was taken.
pub fn has_location(head: &[u8]) -> bool {
    exif_tiff(head).is_some_and(tiff_has_gps_position)
}

/// The TIFF structure inside a JPEG's EXIF APP1 segment.
fn exif_tiff(jpeg: &[u8]) -> Option<&[u8]> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2usize;
    loop {
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        let marker = *jpeg.get(at + 1)?;
        // Start of scan or end of image: no metadata segments follow.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let body = jpeg.get(at + 4..at + 2 + len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return body.get(6..);
        }
        at = at + 2 + len;
    }
}

fn tiff_has_gps_position(tiff: &[u8]) -> bool {
    let Some(order) = ByteOrder::of(tiff) else {
        return false;
    };
    let Some(ifd0) = order.u32(tiff, 4) else {
        return false;
    };
    let Some(gps) = order
        .entries(tiff, ifd0 as usize)
        .find(|(tag, _)| *tag == GPS_IFD_POINTER)
        .map(|(_, value)| value)
    else {
        return false;
    };
    order
        .entries(tiff, gps as usize)
        .any(|(tag, _)| GPS_POSITION_TAGS.contains(&tag))
}

#[derive(Clone, Copy)]
enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    fn of(tiff: &[u8]) -> Option<ByteOrder> {
        match tiff.get(..4)? {
            [b'I', b'I', 42, 0] => Some(ByteOrder::Little),
            [b'M', b'M', 0, 42] => Some(ByteOrder::Big),
            _ => None,
        }
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let x: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::Little => u16::from_le_bytes(x),
            ByteOrder::Big => u16::from_be_bytes(x),
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let x: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            ByteOrder::Little => u32::from_le_bytes(x),
            ByteOrder::Big => u32::from_be_bytes(x),
        })
    }

    /// A directory's (tag, value or offset) pairs; empty if it is out of bounds.
    fn entries(self, tiff: &[u8], at: usize) -> impl Iterator<Item = (u16, u32)> + '_ {
        let count = self.u16(tiff, at).unwrap_or(0);
        (0..usize::from(count)).map_while(move |i| {
            let entry = at.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
            Some((self.u16(tiff, entry)?, self.u32(tiff, entry + 8)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG with an EXIF segment (big-endian TIFF), optionally with a
    /// GPS directory holding a latitude.
    fn jpeg(with_gps: bool) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        // IFD0: one entry, the GPS pointer (type LONG) to offset 26.
        tiff.extend_from_slice(&1u16.to_be_bytes());
        let tag = if with_gps { GPS_IFD_POINTER } else { 0x0110 };
        tiff.extend_from_slice(&tag.to_be_bytes());
        tiff.extend_from_slice(&4u16.to_be_bytes());
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&26u32.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        // GPS IFD: GPSLatitudeRef "N".
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend_from_slice(&2u16.to_be_bytes());
        tiff.extend_from_slice(&2u32.to_be_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_be_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1];
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn a_photo_with_gps_is_found_and_one_without_is_not() {
        assert!(has_location(&jpeg(true)));
        assert!(!has_location(&jpeg(false)));
        assert!(!has_location(b"%PDF-1.4"));
        assert!(!has_location(&[]));
    }

    #[test]
    fn cut_or_garbled_files_read_as_no_location() {
        let full = jpeg(true);
        for cut in 0..full.len() {
            let _ = has_location(&full[..cut]);
        }
        let mut garbled = full.clone();
        for i in 0..garbled.len() {
            garbled[i] ^= 0xA5;
            let _ = has_location(&garbled);
            garbled[i] ^= 0xA5;
        }
        assert!(has_location(&garbled));
    }
}
