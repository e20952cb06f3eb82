#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::contents::{self, Manifest, SharedAttachment, SharedEntry};
use super::format::{self, OpenError, Password, SealRandomness, ShareKey, HEADER_LEN};
use super::*;

/// Cheap for tests that do not exercise the password: below the opening minimum,
/// so those tests seal with the minimum instead when a password is involved.
const ITER: u32 = format::MIN_ITERATIONS;

fn entry(id: &str, text: &str, files: &[&[u8]]) -> SharedEntry {
    SharedEntry {
        id: id.into(),
        title: Some("Title".into()),
        text: text.into(),
        occurred: Some("2026-03-14 21:30".into()),
        categories: vec!["Threats".into()],
        tags: vec![],
        severity: Some(3),
        location: None,
        people: vec!["J".into()],
        injuries: None,
        police_references: vec![],
        actions_taken: vec![],
        impact: None,
        recorded_at_ms: 1,
        history: vec![],
        attachments: files
            .iter()
            .enumerate()
            .map(|(i, f)| SharedAttachment {
                name: format!("f{i}.bin"),
                media_type: "application/octet-stream".into(),
                size: f.len() as u64,
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(f)),
                location_removed: None,
            })
            .collect(),
    }
}

fn manifest(entries: Vec<SharedEntry>) -> Manifest {
    Manifest {
        format: contents::CONTENTS_FORMAT,
        created_at_ms: 5,
        description: "d".into(),
        entries,
    }
}

fn sealed_no_password() -> Sealed {
    let files: [&[u8]; 2] = [b"first file", b"second"];
    let m = manifest(vec![entry("aa", "hello", &files)]);
    seal_new(&m, &files, None).unwrap()
}

#[test]
fn roundtrip_with_attachments() {
    let s = sealed_no_password();
    let opened = open_bundle(&s.share_id, &s.key, None, &s.bundle).unwrap();
    assert_eq!(opened.manifest.entries[0].text, "hello");
    assert_eq!(opened.files.len(), 2);
    assert_eq!(&opened.files[0][..], b"first file");
    assert_eq!(&opened.files[1][..], b"second");
}

#[test]
fn wrong_key_is_told_apart() {
    let s = sealed_no_password();
    let other = ShareKey::random();
    assert_eq!(
        open_bundle(&s.share_id, &other, None, &s.bundle).unwrap_err(),
        ShareError::Open(OpenError::WrongKey)
    );
}

#[test]
fn another_share_id_is_refused() {
    let s = sealed_no_password();
    let mut id = s.share_id;
    id[0] ^= 1;
    assert!(open_bundle(&id, &s.key, None, &s.bundle).is_err());
}

#[test]
fn every_body_byte_tamper_is_altered() {
    let s = sealed_no_password();
    for i in HEADER_LEN..s.bundle.len() {
        let mut b = s.bundle.clone();
        b[i] ^= 0x40;
        assert_eq!(
            open_bundle(&s.share_id, &s.key, None, &b).unwrap_err(),
            ShareError::Open(OpenError::Altered),
            "byte {i}"
        );
    }
}

#[test]
fn every_header_byte_tamper_is_refused() {
    let s = sealed_no_password();
    for i in 0..HEADER_LEN {
        let mut b = s.bundle.clone();
        b[i] ^= 0x01;
        assert!(
            open_bundle(&s.share_id, &s.key, None, &b).is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn truncation_and_extension_are_refused() {
    let s = sealed_no_password();
    for len in [0, 8, 9, HEADER_LEN, HEADER_LEN + 15, s.bundle.len() - 1] {
        assert!(open_bundle(&s.share_id, &s.key, None, &s.bundle[..len]).is_err());
    }
    let mut longer = s.bundle.clone();
    longer.push(0);
    assert_eq!(
        open_bundle(&s.share_id, &s.key, None, &longer).unwrap_err(),
        ShareError::Open(OpenError::Altered)
    );
}

#[test]
fn password_right_wrong_missing() {
    let m = manifest(vec![entry("aa", "secret words", &[])]);
    let s = seal_new(&m, &[], Some(b"correct horse")).unwrap();
    assert!(format::header_info(&s.bundle).unwrap().has_password);
    let opened = open_bundle(&s.share_id, &s.key, Some(b"correct horse"), &s.bundle).unwrap();
    assert_eq!(opened.manifest.entries[0].text, "secret words");
    assert_eq!(
        open_bundle(&s.share_id, &s.key, Some(b"wrong"), &s.bundle).unwrap_err(),
        ShareError::Open(OpenError::WrongPassword)
    );
    assert_eq!(
        open_bundle(&s.share_id, &s.key, None, &s.bundle).unwrap_err(),
        ShareError::Open(OpenError::PasswordRequired)
    );
    // The key is checked before the password.
    assert_eq!(
        open_bundle(
            &s.share_id,
            &ShareKey::random(),
            Some(b"correct horse"),
            &s.bundle
        )
        .unwrap_err(),
        ShareError::Open(OpenError::WrongKey)
    );
}

#[test]
fn too_few_iterations_are_refused_when_opening() {
    let padded = contents::encode(&manifest(vec![]), &[]).unwrap();
    let key = ShareKey::random();
    let id = [7u8; 16];
    let weak = format::seal_with(
        &id,
        &key,
        Some(Password {
            password: b"pw",
            iterations: 1000,
        }),
        &padded,
        SealRandomness::fresh(),
    );
    assert_eq!(
        format::open(&id, &key, Some(b"pw"), &weak).unwrap_err(),
        OpenError::WeakPasswordProtection { iterations: 1000 }
    );
    let _ = ITER;
}

#[test]
fn an_attachment_not_matching_its_checksum_is_refused() {
    let files: [&[u8]; 1] = [b"real bytes"];
    let mut m = manifest(vec![entry("aa", "x", &files)]);
    m.entries[0].attachments[0].sha256 = hex::encode([0u8; 32]);
    let padded = contents::encode(&m, &files).unwrap();
    assert_eq!(
        contents::decode(&padded).unwrap_err(),
        ContentsError::AttachmentMismatch
    );
}

#[test]
fn link_roundtrip_and_incomplete() {
    let key = ShareKey::random();
    let id = [0xab; 16];
    let l = link::format("https://example.org:7443/", &id, &key);
    let parsed = link::parse(&l).unwrap();
    assert_eq!(parsed.server_url, "https://example.org:7443");
    assert_eq!(parsed.share_id, id);
    assert_eq!(parsed.key.as_bytes(), key.as_bytes());
    let cut = &l[..l.len() - 3];
    assert_eq!(link::parse(cut).unwrap_err(), LinkError::Incomplete);
    let no_key = l.split('#').next().unwrap();
    assert_eq!(link::parse(no_key).unwrap_err(), LinkError::Incomplete);
    assert_eq!(
        link::parse("http://x/s/ab#k").unwrap_err(),
        LinkError::NotALink
    );
}

#[test]
fn debug_never_shows_the_key() {
    let key = ShareKey::from_bytes([0x41; 32]);
    let shown = format!("{key:?}");
    assert!(!shown.contains("41") && !shown.contains("65"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn roundtrip_any_contents(text in ".{0,200}", file in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let files: [&[u8]; 1] = [&file];
        let m = manifest(vec![entry("bb", &text, &files)]);
        let s = seal_new(&m, &files, None).unwrap();
        let opened = open_bundle(&s.share_id, &s.key, None, &s.bundle).unwrap();
        prop_assert_eq!(&opened.manifest.entries[0].text, &text);
        prop_assert_eq!(&opened.files[0][..], &file[..]);
    }

    #[test]
    fn any_single_byte_change_is_refused(pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let s = sealed_no_password();
        let mut b = s.bundle.clone();
        let i = pos.index(b.len());
        b[i] ^= flip;
        prop_assert!(open_bundle(&s.share_id, &s.key, None, &b).is_err());
    }
}

/// A share of a photo that records where it was taken carries a copy without
/// it, whose manifest entry names the recorded original's checksum beside the
/// copy's; other files are carried as they are, and a video is named as a
/// file whose location MyCase cannot read.
#[test]
fn photos_are_carried_as_copies_without_location() {
    use crate::photo_metadata::{location_metadata, sample};
    use sha2::{Digest, Sha256};
    let photo = sample::jpeg_with_location();
    let plain_photo = sample::jpeg(&[]);
    let files: [&[u8]; 4] = [
        &photo,
        &plain_photo,
        b"%PDF-1.4 statement",
        b"\0\0\0\x18ftypqt  ",
    ];
    let mut m = manifest(vec![entry("aa", "x", &files)]);
    m.entries[0].attachments[3].name = "clip.mov".into();
    m.entries[0].attachments[3].media_type = "video/quicktime".into();
    let mut bytes: Vec<Zeroizing<Vec<u8>>> =
        files.iter().map(|f| Zeroizing::new(f.to_vec())).collect();
    let report = location::carry_copies_without_location(&mut m, &mut bytes).unwrap();
    assert_eq!(report.copies, 1);
    assert_eq!(report.unread, ["clip.mov"]);

    let att = &m.entries[0].attachments;
    let copy = att[0].location_removed.as_ref().unwrap();
    assert_eq!(copy.original_sha256, hex::encode(Sha256::digest(&photo)));
    assert_eq!(copy.original_size, photo.len() as u64);
    assert_eq!(copy.removed, ["EXIF GPS", "XMP location", "IPTC location"]);
    assert_eq!(att[0].sha256, hex::encode(Sha256::digest(&bytes[0][..])));
    assert_eq!(att[0].size, bytes[0].len() as u64);
    assert!(location_metadata(&bytes[0]).is_empty());
    for i in 1..4 {
        assert!(att[i].location_removed.is_none());
        assert_eq!(&bytes[i][..], files[i], "file {i} is carried as it is");
    }

    // The bundle holds the copy and checks it under the copy's checksum.
    let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
    let s = seal_new(&m, &refs, None).unwrap();
    let opened = open_bundle(&s.share_id, &s.key, None, &s.bundle).unwrap();
    assert!(location_metadata(&opened.files[0]).is_empty());
    assert!(opened.manifest == m);
}

#[test]
fn a_photo_no_copy_can_be_made_of_stops_the_share() {
    use crate::photo_metadata::sample;
    // A JPEG whose EXIF says where, but whose structure is broken after it.
    let mut photo = sample::jpeg_with_location();
    let scan = sample::scan_start(&photo);
    photo.truncate(scan + 1);
    let files: [&[u8]; 1] = [&photo];
    let mut m = manifest(vec![entry("aa", "x", &files)]);
    let mut bytes = vec![Zeroizing::new(photo.clone())];
    let err = location::carry_copies_without_location(&mut m, &mut bytes).unwrap_err();
    assert_eq!(err.name, "f0.bin");
    assert_eq!(&bytes[0][..], &photo[..], "the file is not changed");
}
