//! Frozen share vectors: bundles sealed by this version of MyCase, committed to
//! the repository. The Rust opener here and the browser viewer's script (see
//! tests/tests/e2e/share_browser.rs) must both open them, or links already sent to
//! advocates stop working.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it share_vectors -- --ignored`
//! writes them (only for a new format version, never to make a failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::share::contents::{
    self, Manifest, SharedAttachment, SharedChange, SharedEntry, SharedRevision,
};
use mycase_core::share::format::{self, OpenError, Password, SealRandomness, ShareKey};
use mycase_core::share::{open_bundle, ShareError};
use sha2::{Digest, Sha256};

const ATTACHMENT: &[u8] = b"Photo description: the broken door, taken the next morning.\n";

fn dir() -> PathBuf {
    mycase_tests::vectors::client_core_dir()
}

fn params() -> BTreeMap<String, String> {
    mycase_tests::vectors::read(&dir().join("share-v1.txt"))
}

fn share_id(p: &BTreeMap<String, String>) -> [u8; 16] {
    hex::decode(&p["share_id"]).unwrap().try_into().unwrap()
}

fn key(p: &BTreeMap<String, String>) -> ShareKey {
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(p["key"].as_bytes())
        .unwrap();
    ShareKey::from_bytes(bytes.try_into().unwrap())
}

fn manifest() -> Manifest {
    Manifest {
        format: contents::CONTENTS_FORMAT,
        created_at_ms: 1_773_600_000_000,
        description: "2 entries: 2 chosen".into(),
        entries: vec![
            SharedEntry {
                id: "0102030405060708090a0b0c0d0e0f10".into(),
                title: Some("Vector entry one".into()),
                text: "VECTOR-MARKER-ONE: he took my phone and read my messages.".into(),
                occurred: Some("2026-03-01 19:30".into()),
                categories: vec!["Coercive or controlling behaviour".into()],
                tags: vec!["phone".into()],
                severity: Some(3),
                location: Some("Home".into()),
                people: vec!["J (ex-partner)".into()],
                injuries: None,
                police_references: vec![],
                actions_taken: vec!["Told my sister".into()],
                impact: Some("I felt watched.".into()),
                recorded_at_ms: 1_772_393_400_000,
                history: vec![SharedRevision {
                    kind: "created".into(),
                    recorded_at_ms: 1_772_393_400_000,
                    changes: vec![SharedChange {
                        field: "Title".into(),
                        value: "Vector entry one".into(),
                    }],
                }],
                attachments: vec![],
            },
            SharedEntry {
                id: "1112131415161718191a1b1c1d1e1f20".into(),
                title: Some("Vector entry two".into()),
                text: "VECTOR-MARKER-TWO: the front door was broken when I came home.".into(),
                occurred: Some("2026-03-14".into()),
                categories: vec!["Damage to property".into()],
                tags: vec![],
                severity: Some(4),
                location: None,
                people: vec![],
                injuries: None,
                police_references: vec!["CAD 1234".into()],
                actions_taken: vec!["Reported to police".into()],
                impact: None,
                recorded_at_ms: 1_773_500_000_000,
                history: vec![
                    SharedRevision {
                        kind: "created".into(),
                        recorded_at_ms: 1_773_500_000_000,
                        changes: vec![],
                    },
                    SharedRevision {
                        kind: "amended".into(),
                        recorded_at_ms: 1_773_510_000_000,
                        changes: vec![SharedChange {
                            field: "Police references".into(),
                            value: "CAD 1234".into(),
                        }],
                    },
                ],
                attachments: vec![SharedAttachment {
                    name: "door.txt".into(),
                    media_type: "text/plain".into(),
                    size: ATTACHMENT.len() as u64,
                    sha256: hex::encode(Sha256::digest(ATTACHMENT)),
                    location_removed: None,
                }],
            },
        ],
    }
}

#[test]
#[ignore = "writes the frozen vectors; run only for a new format version"]
fn write_vectors() {
    if std::env::var_os("MYCASE_WRITE_VECTORS").is_none() {
        return;
    }
    let share_id = [0x5a; 16];
    let key = ShareKey::from_bytes(std::array::from_fn(|i| i as u8 * 7 + 1));
    let padded = contents::encode(&manifest(), &[ATTACHMENT]).unwrap();
    let plain = format::seal_with(
        &share_id,
        &key,
        None,
        &padded,
        SealRandomness {
            salt: [0; 16],
            nonce: [0x11; 12],
        },
    );
    let with_password = format::seal_with(
        &share_id,
        &key,
        Some(Password {
            password: "correct horse battery".as_bytes(),
            iterations: format::MIN_ITERATIONS,
        }),
        &padded,
        SealRandomness {
            salt: [0x22; 16],
            nonce: [0x33; 12],
        },
    );
    std::fs::write(dir().join("share-v1.bin"), plain).unwrap();
    std::fs::write(dir().join("share-v1-password.bin"), with_password).unwrap();
    std::fs::write(
        dir().join("share-v1.txt"),
        format!(
            "# Share bundle format v1 vectors (client-core/src/format/share_bundle.rs).\n\
             # share-v1.bin: no password; share-v1-password.bin: the password below.\n\
             share_id = {}\nkey = {}\npassword = correct horse battery\n",
            hex::encode(share_id),
            data_encoding::BASE64URL_NOPAD.encode(key.as_bytes())
        ),
    )
    .unwrap();
}

fn bundle(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap()
}

#[test]
fn share_v1_opens_to_the_frozen_manifest() {
    let p = params();
    let opened = open_bundle(&share_id(&p), &key(&p), None, &bundle("share-v1.bin")).unwrap();
    assert!(opened.manifest == manifest());
    assert_eq!(opened.files.len(), 1);
    assert_eq!(&opened.files[0][..], ATTACHMENT);
}

#[test]
fn share_v1_with_password_opens_only_with_it() {
    let p = params();
    let b = bundle("share-v1-password.bin");
    assert!(format::header_info(&b).unwrap().has_password);
    let opened = open_bundle(&share_id(&p), &key(&p), Some(p["password"].as_bytes()), &b).unwrap();
    assert!(opened.manifest == manifest());
    assert_eq!(
        open_bundle(&share_id(&p), &key(&p), Some(b"wrong"), &b).unwrap_err(),
        ShareError::Open(OpenError::WrongPassword)
    );
}

/// The access token a link's key derives, frozen: the server holds the hashes of
/// tokens for links already sent, and the viewer's WebCrypto derivation must
/// match (tests/tests/e2e/share_browser.rs uploads the v1 vector with this hash).
#[test]
fn share_access_token_v1_is_frozen() {
    use mycase_core::share::AccessToken;
    let p: BTreeMap<String, String> = std::fs::read_to_string(dir().join("share-access-v1.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap();
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    assert_eq!(p["key"], params()["key"]);
    let token = AccessToken::of(&key(&p));
    assert_eq!(hex::encode(token.as_bytes()), p["access_token"]);
    assert_eq!(hex::encode(token.hash()), p["access_token_hash"]);
    // Not any of the keys that seal the bundle.
    assert_ne!(token.as_bytes(), key(&p).as_bytes());
    assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
}

// ---- A copy without location metadata (tests/vectors/share-v1-location-removed.*) ----

/// The photo the copy in the vector was made from (the committed fixture).
fn fixture_photo() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photo-with-location.jpg"),
    )
    .unwrap()
}

fn location_params() -> BTreeMap<String, String> {
    mycase_tests::vectors::read(&dir().join("share-v1-location-removed.txt"))
}

fn location_manifest(copy_sha256: &str, copy_size: u64) -> Manifest {
    let photo = fixture_photo();
    Manifest {
        format: contents::CONTENTS_FORMAT,
        created_at_ms: 1_773_600_000_000,
        description: "1 entry: 1 chosen".into(),
        entries: vec![SharedEntry {
            id: "2122232425262728292a2b2c2d2e2f30".into(),
            title: Some("Vector entry with a photo".into()),
            text: "VECTOR-MARKER-PHOTO: the bruise on my arm, the morning after.".into(),
            occurred: Some("2026-03-14".into()),
            categories: vec!["Physical abuse".into()],
            tags: vec![],
            severity: Some(4),
            location: None,
            people: vec![],
            injuries: Some("Bruise".into()),
            police_references: vec![],
            actions_taken: vec![],
            impact: None,
            recorded_at_ms: 1_773_500_000_000,
            history: vec![],
            attachments: vec![SharedAttachment {
                name: "arm.jpg".into(),
                media_type: "image/jpeg".into(),
                size: copy_size,
                sha256: copy_sha256.into(),
                location_removed: Some(contents::LocationRemoved {
                    original_sha256: hex::encode(Sha256::digest(&photo)),
                    original_size: photo.len() as u64,
                    removed: vec![
                        "EXIF GPS".into(),
                        "XMP location".into(),
                        "IPTC location".into(),
                    ],
                }),
            }],
        }],
    }
}

#[test]
#[ignore = "writes the frozen vector; run only for a new format version"]
fn write_location_removed_vector() {
    use mycase_core::photo_metadata::{strip_location, Stripped};
    if std::env::var_os("MYCASE_WRITE_VECTORS").is_none() {
        return;
    }
    let Stripped::Copy(copy) = strip_location(&fixture_photo()).unwrap() else {
        panic!("the fixture records a place");
    };
    let copy_sha = hex::encode(Sha256::digest(&copy.bytes[..]));
    let manifest = location_manifest(&copy_sha, copy.bytes.len() as u64);
    let share_id = [0x6b; 16];
    let key = ShareKey::from_bytes(std::array::from_fn(|i| i as u8 * 5 + 3));
    let padded = contents::encode(&manifest, &[&copy.bytes[..]]).unwrap();
    let bundle = format::seal_with(
        &share_id,
        &key,
        None,
        &padded,
        SealRandomness {
            salt: [0; 16],
            nonce: [0x44; 12],
        },
    );
    std::fs::write(dir().join("share-v1-location-removed.bin"), bundle).unwrap();
    std::fs::write(
        dir().join("share-v1-location-removed.txt"),
        format!(
            "# Share bundle format v1 with a copy without location metadata (client-core/src/share/contents.rs).\n\
             # Made from tests/fixtures/photo-with-location.jpg. Do not edit.\n\
             share_id = {}\nkey = {}\naccess_token_hash = {}\ncopy_sha256 = {copy_sha}\ncopy_size = {}\n",
            hex::encode(share_id),
            data_encoding::BASE64URL_NOPAD.encode(key.as_bytes()),
            hex::encode(mycase_core::share::AccessToken::of(&key).hash()),
            copy.bytes.len()
        ),
    )
    .unwrap();
}

/// A bundle carrying a copy without location metadata opens to the manifest
/// that says so (both checksums), and the copy it holds records no place.
#[test]
fn share_v1_with_a_copy_without_location_opens_and_says_so() {
    use mycase_core::photo_metadata::location_metadata;
    let p = location_params();
    let opened = open_bundle(
        &share_id(&p),
        &key(&p),
        None,
        &bundle("share-v1-location-removed.bin"),
    )
    .unwrap();
    let expected = location_manifest(&p["copy_sha256"], p["copy_size"].parse().unwrap());
    assert!(opened.manifest == expected);
    let copy = &opened.files[0];
    assert_eq!(hex::encode(Sha256::digest(&copy[..])), p["copy_sha256"]);
    assert!(location_metadata(copy).is_empty());
    // The copy is not the original, whose checksum the manifest names.
    let original = fixture_photo();
    assert!(!location_metadata(&original).is_empty());
    let att = &opened.manifest.entries[0].attachments[0];
    assert_ne!(att.sha256, hex::encode(Sha256::digest(&original)));
}
