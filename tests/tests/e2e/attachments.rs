#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Evidence attachments through a real server: byte-identical on another device,
//! dedup, resume after an interrupted upload, tampering by the server detected,
//! and nothing readable (content or file name) in the server's data directory.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use mycase_core::AttachmentError;
use mycase_tests::{
    contains, fields, files_under, marker, new_account_device, pair_device, HostileTransport,
    Tamper, TestServer,
};

const MIB: usize = 1024 * 1024;

/// A file of `len` bytes that carries `mark` at its start, middle and end, with
/// varied bytes elsewhere so no two chunks are alike.
fn evidence(dir: &Path, name: &str, len: usize, mark: &str) -> std::path::PathBuf {
    let mut data: Vec<u8> = (0..len as u64)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for at in [0, len / 2, len - mark.len()] {
        data[at..at + mark.len()].copy_from_slice(mark.as_bytes());
    }
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    path
}

fn no_partial_files(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachment_arrives_identical_dedups_and_the_server_sees_nothing() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("photo", "photo of the bruise")).unwrap();
    a.sync(&ta).await.unwrap();

    let files = tempfile::tempdir().unwrap();
    let mark = marker(24);
    let name = format!("bruise-{}.jpg", marker(12));
    let path = evidence(files.path(), &name, 8 * MIB + 12345, &mark);
    let original = std::fs::read(&path).unwrap();

    let mut calls = 0u32;
    let out = a
        .attach_file(&ta, entry, &path, |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .await
        .unwrap();
    assert_eq!(out.chunk_count, 9);
    assert_eq!(out.uploaded_chunks, 9);
    assert_eq!(out.size, original.len() as u64);
    assert!(calls >= 9);

    // The entry lists it with its name and a guessed media type.
    let view = a.journal().entry(&entry).unwrap();
    assert_eq!(view.attachments.len(), 1);
    assert_eq!(view.attachments[0].name, name);
    assert_eq!(view.attachments[0].media_type, "image/jpeg");

    // Device B gets it byte-identical.
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    b.sync(&tb).await.unwrap();
    let outdir = tempfile::tempdir().unwrap();
    let written = b
        .get_attachment(&tb, entry, &name, outdir.path(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(written, outdir.path().join(&name));
    assert!(std::fs::read(&written).unwrap() == original);
    // By id too, to an explicit file name; never overwriting.
    let id = hex::encode(view.attachments[0].attachment_id);
    let second = outdir.path().join("copy.bin");
    b.get_attachment(&tb, entry, &id, &second, |_, _| {})
        .await
        .unwrap();
    assert!(std::fs::read(&second).unwrap() == original);
    let err = b
        .get_attachment(&tb, entry, &id, &second, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::Exists(_)), "{err}");
    no_partial_files(outdir.path());

    // Attaching the same file again (here to another entry) uploads nothing.
    let other = a.add_entry(fields("again", "same photo")).unwrap();
    let again = a.attach_file(&ta, other, &path, |_, _| {}).await.unwrap();
    assert_eq!(again.uploaded_chunks, 0);
    assert_eq!(again.skipped_chunks, 9);

    // Nothing of the file's content or name in the server's data directory.
    let mut scanned = 0;
    for f in files_under(server.data_dir()) {
        let bytes = std::fs::read(&f).unwrap();
        scanned += bytes.len();
        assert!(
            !contains(&bytes, mark.as_bytes()),
            "content marker in {f:?}"
        );
        assert!(!contains(&bytes, name.as_bytes()), "file name in {f:?}");
    }
    assert!(scanned > 8 * MIB, "the chunks are on disk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_with_the_missing_chunks() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("audio", "recording")).unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = evidence(files.path(), "call.m4a", 12 * MIB + 7, &marker(16));

    // The first upload is cut off after 6 of its 13 chunks, as a lost connection
    // would cut it.
    let cut = HostileTransport::new(server.transport().await);
    cut.set(Tamper::CutUploadAfter(6));
    let err = a
        .attach_file(&cut, entry, &path, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttachmentError::UploadInterrupted | AttachmentError::Incomplete
        ),
        "{err}"
    );
    assert!(a.journal().entry(&entry).unwrap().attachments.is_empty());

    let out = a.attach_file(&ta, entry, &path, |_, _| {}).await.unwrap();
    assert_eq!(out.chunk_count, 13);
    assert!(
        out.skipped_chunks >= 5 && out.uploaded_chunks >= 1,
        "resumed: {out:?}"
    );
    assert_eq!(
        out.skipped_chunks, 6,
        "exactly the chunks that got through are kept"
    );
    assert_eq!(out.skipped_chunks + out.uploaded_chunks, 13);

    let outdir = tempfile::tempdir().unwrap();
    let got = a
        .get_attachment(&ta, entry, "call.m4a", outdir.path(), |_, _| {})
        .await
        .unwrap();
    assert!(std::fs::read(got).unwrap() == std::fs::read(&path).unwrap());
}

/// One stored chunk: its file on the server and its sealed bytes.
type StoredChunk = (PathBuf, Vec<u8>);

/// Rewrites the server's stored chunk files with the server stopped.
fn edit_chunks(data_dir: &Path, edit: impl FnOnce(Vec<StoredChunk>)) {
    let all: Vec<StoredChunk> = files_under(&data_dir.join("chunks"))
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    edit(all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_by_the_server_is_detected() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("doc", "letter")).unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = evidence(files.path(), "letter.pdf", 3 * MIB + 100, &marker(16));
    a.attach_file(&ta, entry, &path, |_, _| {}).await.unwrap();
    let outdir = tempfile::tempdir().unwrap();
    let out = outdir.path().join("letter.pdf");

    // Swap two full chunks.
    server.stop().await;
    let mut originals = Vec::new();
    edit_chunks(server.data_dir(), |all| {
        originals = all.clone();
        let full: Vec<_> = all.iter().filter(|(_, v)| v.len() == MIB + 16).collect();
        assert!(full.len() >= 2);
        std::fs::write(&full[0].0, &full[1].1).unwrap();
        std::fs::write(&full[1].0, &full[0].1).unwrap();
    });
    server.start_again().await;
    let err = a
        .get_attachment(&ta, entry, "letter.pdf", &out, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, AttachmentError::Chunk(_)),
        "swap detected: {err}"
    );
    assert!(!out.exists());
    no_partial_files(outdir.path());

    // Cut the last chunk short (the swap undone), then remove it altogether.
    server.stop().await;
    edit_chunks(server.data_dir(), |all| {
        for (path, bytes) in &originals {
            std::fs::write(path, bytes).unwrap();
        }
        let (path, bytes) = all.iter().find(|(_, v)| v.len() < MIB + 16).unwrap();
        std::fs::write(path, &bytes[..bytes.len() - 1]).unwrap();
    });
    server.start_again().await;
    let err = a
        .get_attachment(&ta, entry, "letter.pdf", &out, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::Chunk(_)), "cut: {err}");

    server.stop().await;
    edit_chunks(server.data_dir(), |all| {
        let (path, _) = all.iter().find(|(_, v)| v.len() < MIB + 16).unwrap();
        std::fs::remove_file(path).unwrap();
    });
    server.start_again().await;
    let err = a
        .get_attachment(&ta, entry, "letter.pdf", &out, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, AttachmentError::Transport(_)),
        "missing chunk: {err}"
    );
    assert!(!out.exists());
    no_partial_files(outdir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_while_attaching_is_refused_and_poisons_nothing() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("photo", "of the door")).unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = evidence(files.path(), "door.jpg", 3 * MIB + 7, &marker(16));

    // The progress callback first runs between the hashing pass and the upload
    // pass: change a byte in the last chunk there, keeping the size.
    let changed = Cell::new(false);
    let err = a
        .attach_file(&ta, entry, &path, |_, _| {
            if !changed.replace(true) {
                let mut bytes = std::fs::read(&path).unwrap();
                let at = bytes.len() - 3;
                bytes[at] ^= 0xff;
                std::fs::write(&path, &bytes).unwrap();
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, AttachmentError::FileChanged), "{err}");
    assert!(a.journal().entry(&entry).unwrap().attachments.is_empty());

    // Attaching the file as it is now works, byte for byte: nothing stored under
    // the old hash's addresses got in the way.
    a.attach_file(&ta, entry, &path, |_, _| {}).await.unwrap();
    let outdir = tempfile::tempdir().unwrap();
    let got = a
        .get_attachment(&ta, entry, "door.jpg", outdir.path(), |_, _| {})
        .await
        .unwrap();
    assert!(std::fs::read(got).unwrap() == std::fs::read(&path).unwrap());
}

/// The sizes of the files the server keeps beside its database (chunks, shares).
fn stored_files(server: &TestServer) -> std::collections::BTreeMap<PathBuf, u64> {
    files_under(server.data_dir())
        .into_iter()
        .filter(|p| !p.starts_with(server.db_dir()))
        .map(|p| {
            let len = std::fs::metadata(&p).unwrap().len();
            (p, len)
        })
        .collect()
}

/// Attaches a file of `len` bytes; its chunk count and the sizes of the files
/// the server stored for it, smallest first.
async fn attach_and_measure<S: mycase_core::store::LocalStore>(
    server: &TestServer,
    a: &mut mycase_core::Device<S>,
    ta: &mycase_core::transport::grpc::GrpcTransport,
    entry: [u8; 16],
    dir: &Path,
    len: usize,
    name: &str,
) -> (u64, Vec<u64>) {
    let before = stored_files(server);
    let path = evidence(dir, name, len, "M");
    let out = a.attach_file(ta, entry, &path, |_, _| {}).await.unwrap();
    let mut new: Vec<u64> = stored_files(server)
        .into_iter()
        .filter(|(p, _)| !before.contains_key(p))
        .map(|(_, len)| len)
        .collect();
    new.sort_unstable();
    (out.chunk_count, new)
}

/// Chunk sizes on the server do not give a file's exact size away (issue 10,
/// item 14): files of 10 and 3000 bytes are stored as chunks of one size, and a
/// file of 1 MiB + 5000 bytes ends in a chunk of its padded length, not 5000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stores_padded_chunks() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("files", "x")).unwrap();
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let (one, small) = attach_and_measure(&server, &mut a, &ta, entry, dir, 10, "a.txt").await;
    let (also_one, bigger) =
        attach_and_measure(&server, &mut a, &ta, entry, dir, 3000, "b.txt").await;
    assert_eq!((one, also_one), (1, 1));
    assert_eq!(small.len(), 1, "{small:?}");
    assert_eq!(
        small, bigger,
        "10 and 3000 bytes look the same on the server"
    );
    let (two, large) =
        attach_and_measure(&server, &mut a, &ta, entry, dir, MIB + 5000, "c.bin").await;
    assert_eq!(two, 2);
    assert_eq!(large.len(), 2, "{large:?}");
    // 5000 bytes are padded to 5120 (Padmé); the full chunk stays 1 MiB.
    assert_eq!(large[1] - large[0], (MIB - 5120) as u64, "{large:?}");
    // And every file still arrives intact on another device.
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    b.sync(&tb).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "c.bin"] {
        let written = b
            .get_attachment(&tb, entry, name, out.path(), |_, _| {})
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(written).unwrap(),
            std::fs::read(dir.join(name)).unwrap()
        );
    }
}
