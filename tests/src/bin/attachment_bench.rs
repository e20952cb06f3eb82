//! Attachment benchmark against a real server on loopback TLS.
//!
//! `cargo run --release -p mycase-tests --bin attachment-bench -- --mib N`
//!
//! Measures, in one run on one machine: upload (hash pass + seal + stream +
//! durable store + journal op), download (stream + open + verify + atomic write)
//! of an N MiB file, and raw chunk encryption and decryption with no network or
//! disk, so the network and storage costs can be read off the difference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use mycase_core::attachment::{file_key, nonce_prefix, open_chunk, seal_chunk, CHUNK_SIZE};
use mycase_tests::{fields, new_account_device, pair_device, TestServer};

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn parse_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let mut mib = 256;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--mib" | "-n" => {
                mib = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .expect("--mib takes a number");
                i += 2;
            }
            other => panic!("unknown argument {other}; usage: attachment-bench [--mib N]"),
        }
    }
    mib
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mib = parse_args();
    let bytes = mib * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.mp4");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut block = vec![0u8; CHUNK_SIZE];
        for c in 0..mib {
            for (i, b) in block.iter_mut().enumerate() {
                *b = ((i as u64 ^ c as u64).wrapping_mul(2654435761) >> 11) as u8;
            }
            f.write_all(&block).unwrap();
        }
        f.flush().unwrap();
    }

    // Raw chunk crypto: seal and open 1 MiB chunks in memory.
    let key = file_key(&[7; 32], &[9; 32]);
    let prefix = nonce_prefix(&key);
    let plain = vec![0x5au8; CHUNK_SIZE];
    let rounds = mib.clamp(16, 256);
    let t = Instant::now();
    let mut sealed = Vec::new();
    for i in 0..rounds {
        sealed = seal_chunk(&key, &prefix, i as u32, false, &plain);
    }
    let seal_time = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        let p = open_chunk(&key, &prefix, (rounds - 1) as u32, false, &sealed).unwrap();
        assert_eq!(p.len(), CHUNK_SIZE);
    }
    let open_time = t.elapsed();

    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a.add_entry(fields("video", "recording")).unwrap();
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;

    let t = Instant::now();
    let out = a.attach_file(&ta, entry, &path, |_, _| {}).await.unwrap();
    let up = t.elapsed();
    assert_eq!(out.uploaded_chunks, out.chunk_count);

    let t = Instant::now();
    let again = a.attach_file(&ta, entry, &path, |_, _| {}).await.unwrap();
    let dedup = t.elapsed();
    assert_eq!(again.uploaded_chunks, 0);

    b.sync(&tb).await.unwrap();
    let outdir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let written = b
        .get_attachment(&tb, entry, "evidence.mp4", outdir.path(), |_, _| {})
        .await
        .unwrap();
    let down = t.elapsed();
    assert_eq!(std::fs::metadata(&written).unwrap().len(), bytes as u64);

    println!(
        "attachment benchmark: {mib} MiB file, {} chunks of 1 MiB, loopback TLS, sled",
        out.chunk_count
    );
    println!(
        "  upload   (hash + seal + stream + durable store + op): {:8.1} MB/s  ({:.2?})",
        mb_per_s(bytes, up),
        up
    );
    println!(
        "  re-attach (hash + HaveChunks, nothing sent):          {:8.1} MB/s  ({:.2?})",
        mb_per_s(bytes, dedup),
        dedup
    );
    println!(
        "  download (stream + open + verify + write + rename):   {:8.1} MB/s  ({:.2?})",
        mb_per_s(bytes, down),
        down
    );
    println!(
        "  raw chunk seal (XChaCha20-Poly1305, 1 MiB chunks):    {:8.1} MB/s",
        mb_per_s(rounds * CHUNK_SIZE, seal_time)
    );
    println!(
        "  raw chunk open:                                       {:8.1} MB/s",
        mb_per_s(rounds * CHUNK_SIZE, open_time)
    );
}
