#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::sample::{self, Order};
use super::strip::{strip_location, StripError, Stripped};
use super::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn copy_of(bytes: &[u8]) -> strip::LocationFree {
    match strip_location(bytes).unwrap() {
        Stripped::Copy(copy) => copy,
        other => panic!("expected a copy, got {other:?}"),
    }
}

#[test]
fn the_committed_fixture_is_the_sample_photo() {
    let committed = include_bytes!("../../tests/fixtures/photo-with-location.jpg");
    assert_eq!(committed.as_slice(), sample::jpeg_with_location());
}

#[test]
#[ignore = "writes the committed fixture; run only when the sample changes"]
fn write_fixture() {
    if std::env::var_os("MYCASE_WRITE_VECTORS").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/photo-with-location.jpg"
        );
        std::fs::write(path, sample::jpeg_with_location()).unwrap();
    }
}

#[test]
fn a_photo_with_gps_is_found_and_one_without_is_not() {
    for order in [Order::Big, Order::Little] {
        let with = sample::jpeg(&[sample::exif_segment(&sample::exif_tiff(order, true))]);
        assert_eq!(location_metadata(&with), [LocationMetadata::ExifGps]);
        let without = sample::jpeg(&[sample::exif_segment(&sample::exif_tiff(order, false))]);
        assert!(!has_location(&without));
    }
    assert_eq!(
        location_metadata(&sample::jpeg_with_location()),
        [
            LocationMetadata::ExifGps,
            LocationMetadata::Xmp,
            LocationMetadata::Iptc
        ]
    );
    assert!(!has_location(&sample::jpeg(&[sample::xmp_segment(
        sample::XMP_WITHOUT_PLACE
    )])));
    assert!(!has_location(b"%PDF-1.4"));
    assert!(!has_location(&[]));
}

#[test]
fn a_jpeg_copy_has_no_location_and_the_same_picture() {
    for order in [Order::Big, Order::Little] {
        let original = sample::jpeg(&[
            sample::exif_segment(&sample::exif_tiff(order, true)),
            sample::xmp_segment(sample::XMP_WITH_PLACE),
            sample::iptc_segment(),
        ]);
        let before = original.clone();
        let copy = copy_of(&original);
        assert_eq!(original, before, "the original is not touched");
        assert_eq!(
            copy.removed,
            [
                LocationMetadata::ExifGps,
                LocationMetadata::Xmp,
                LocationMetadata::Iptc
            ]
        );
        assert!(location_metadata(&copy.bytes).is_empty());
        // The coordinates are gone from the bytes, not only unreferenced.
        assert!(contains(&original, &sample::latitude_bytes(order)));
        assert!(!contains(&copy.bytes, &sample::latitude_bytes(order)));
        assert!(!contains(&copy.bytes, b"London"));
        // The picture data (tables, frame, scan, end) is byte for byte the same.
        let scan = |b: &[u8]| b[sample::scan_start(b)..].to_vec();
        assert_eq!(scan(&copy.bytes), scan(&original));
        assert!(copy.bytes.ends_with(&sample::picture()));
        // The rest of the EXIF data stays: orientation, date and time, the
        // thumbnail's directory; the EXIF segment keeps its length.
        let exif = |b: &[u8]| {
            embedded_exif(b)
                .next()
                .map(|(t, s)| (b[t].to_vec(), s.len()))
        };
        let (tiff, len) = exif(&copy.bytes).unwrap();
        assert_eq!(len, exif(&original).unwrap().1);
        assert!(contains(&tiff, sample::DATE_TIME));
        let plain = sample::exif_tiff(order, false);
        assert_eq!(&tiff[..8], &plain[..8]);
        // IFD0 now has the two entries of a photo without GPS (orientation, and
        // date and time, whose value stays where it was).
        assert_eq!(&tiff[8..10], &plain[8..10]);
        assert_eq!(&tiff[10..30], &plain[10..30]);
        assert!(!tiff::has_gps_position(&tiff));
    }
}

#[test]
fn the_thumbnail_directory_stays_linked_after_the_gps_pointer_goes() {
    let mut tiff_data = sample::exif_tiff(Order::Little, true);
    assert!(tiff::erase_gps(&mut tiff_data));
    assert!(!tiff::erase_gps(&mut tiff_data), "nothing left to erase");
    // IFD0 at 8 has 2 entries; its next link points to IFD1, which still holds
    // the orientation entry.
    let count = u16::from_le_bytes([tiff_data[8], tiff_data[9]]);
    assert_eq!(count, 2);
    let next_at = 8 + 2 + 12 * 2;
    let ifd1 = u32::from_le_bytes(tiff_data[next_at..next_at + 4].try_into().unwrap()) as usize;
    assert_eq!(
        u16::from_le_bytes([tiff_data[ifd1 + 2], tiff_data[ifd1 + 3]]),
        0x0112
    );
}

#[test]
fn a_photo_without_location_is_not_copied_and_other_files_are_not_read() {
    let plain = sample::jpeg(&[sample::exif_segment(&sample::exif_tiff(Order::Big, false))]);
    assert!(matches!(strip_location(&plain), Ok(Stripped::NoLocation)));
    assert!(matches!(
        strip_location(b"%PDF-1.4 a statement"),
        Ok(Stripped::NotReadable)
    ));
    // XMP that names no place is kept when EXIF GPS is removed.
    let original = sample::jpeg(&[
        sample::exif_segment(&sample::exif_tiff(Order::Big, true)),
        sample::xmp_segment(sample::XMP_WITHOUT_PLACE),
    ]);
    let copy = copy_of(&original);
    assert_eq!(copy.removed, [LocationMetadata::ExifGps]);
    assert!(contains(&copy.bytes, sample::XMP_WITHOUT_PLACE.as_bytes()));
}

#[test]
fn embedded_images_after_the_end_lose_their_location_too() {
    // A phone's MPF file: the main image, then a further image after its end.
    let mut original = sample::jpeg_with_location();
    let second = sample::jpeg(&[sample::exif_segment(&sample::exif_tiff(
        Order::Little,
        true,
    ))]);
    original.extend_from_slice(&second);
    let copy = copy_of(&original);
    assert!(location_metadata(&copy.bytes).is_empty());
    assert!(!contains(
        &copy.bytes,
        &sample::latitude_bytes(Order::Little)
    ));
    // The embedded image keeps its length and its own picture data.
    let tail = &copy.bytes[copy.bytes.len() - second.len()..];
    assert_eq!(
        tail[sample::scan_start(tail)..],
        second[sample::scan_start(&second)..]
    );
}

#[test]
fn a_png_copy_has_no_location_and_the_same_image_data() {
    let original = sample::png(&[
        sample::png_chunk(b"eXIf", &sample::exif_tiff(Order::Big, true)),
        sample::png_xmp(sample::XMP_WITH_PLACE),
    ]);
    assert_eq!(
        location_metadata(&original),
        [LocationMetadata::ExifGps, LocationMetadata::Xmp]
    );
    let copy = copy_of(&original);
    assert!(location_metadata(&copy.bytes).is_empty());
    assert!(!contains(&copy.bytes, &sample::latitude_bytes(Order::Big)));
    // Still a PNG whose every checksum holds, with the same image data.
    let png =
        img_parts::png::Png::from_bytes(img_parts::Bytes::copy_from_slice(&copy.bytes)).unwrap();
    let idat = png.chunk_by_type(*b"IDAT").unwrap();
    assert_eq!(&idat.contents()[..], sample::PNG_IDAT);
    let exif = png.chunk_by_type(*b"eXIf").unwrap();
    assert!(contains(exif.contents(), sample::DATE_TIME));
    assert!(png.chunk_by_type(*b"iTXt").is_none());
}

#[test]
fn a_webp_copy_has_no_location_and_the_same_bitstream() {
    let original = sample::webp(
        &sample::exif_tiff(Order::Little, true),
        sample::XMP_WITH_PLACE,
    );
    assert_eq!(
        location_metadata(&original),
        [LocationMetadata::ExifGps, LocationMetadata::Xmp]
    );
    let copy = copy_of(&original);
    assert!(location_metadata(&copy.bytes).is_empty());
    assert!(!contains(
        &copy.bytes,
        &sample::latitude_bytes(Order::Little)
    ));
    let riff_size = u32::from_le_bytes(copy.bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_size + 8, copy.bytes.len(), "the RIFF size is right");
    let chunks: Vec<_> = webp_chunks(&copy.bytes).collect();
    let find = |id: &[u8; 4]| chunks.iter().find(|(i, _)| i == id).map(|(_, d)| *d);
    assert_eq!(find(b"VP8L"), Some(sample::WEBP_BITSTREAM));
    assert!(find(b"XMP ").is_none());
    // The VP8X flags still say EXIF, no longer XMP.
    assert_eq!(find(b"VP8X").unwrap()[0], 0b0000_1000);
}

/// Whatever a file holds, stripping never panics, and a copy it returns never
/// says where the photo was taken.
#[test]
fn cut_or_garbled_photos_never_give_a_copy_with_location() {
    let full = sample::jpeg_with_location();
    let check = |bytes: &[u8]| match strip_location(bytes) {
        Ok(Stripped::Copy(copy)) => assert!(location_metadata(&copy.bytes).is_empty()),
        Ok(Stripped::NoLocation) => assert!(!has_location(bytes)),
        Ok(Stripped::NotReadable) | Err(StripError::Malformed | StripError::Remains) => {}
    };
    for cut in 0..full.len() {
        check(&full[..cut]);
    }
    let mut garbled = full.clone();
    for i in 0..garbled.len() {
        for flip in [0x01, 0xA5, 0xFF] {
            garbled[i] ^= flip;
            check(&garbled);
            garbled[i] ^= flip;
        }
    }
    assert_eq!(garbled, full);
    for tiff_cut in 0..sample::exif_tiff(Order::Big, true).len() {
        let mut t = sample::exif_tiff(Order::Big, true);
        t.truncate(tiff_cut);
        let _ = tiff::has_gps_position(&t);
        tiff::erase_gps(&mut t);
    }
}
