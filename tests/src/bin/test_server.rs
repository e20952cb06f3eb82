//! A real MyCase server on 127.0.0.1 (port chosen by the system) for test suites
//! written in other languages, which cannot use the Rust kit. It prints one JSON
//! line when it listens (`url`, `ca_cert` (a PEM file), `server_key`, `data_dir`),
//! then answers one JSON line per command read on stdin:
//!
//! - `stop`: shuts the server down (clients see it unreachable);
//! - `start`: starts it again on the same address and data;
//! - `tamper DEVICE_HEX`: plays a compromised server: flips one byte of the last
//!   record stored for that device (stopping and restarting around it);
//! - end of input: exits.
//!
//! Each answer is written after the command took effect, so the caller never waits
//! for readiness by time.

use std::io::{BufRead, Write};

use anyhow::{anyhow, bail, Context, Result};
use mycase_tests::server::TestServer;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<()> {
    let mut server = TestServer::start().await;
    let ca_cert = server.data_dir().join("test-client-ca.pem");
    std::fs::write(&ca_cert, server.ca_pem()).context("writing the CA certificate")?;
    say(&json!({
        "url": server.url(),
        "ca_cert": ca_cert,
        "server_key": server.server_key_hex(),
        "data_dir": server.data_dir(),
    }))?;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.context("reading a command")?;
        let mut words = line.split_whitespace();
        let answer = match (words.next(), words.next()) {
            (Some("stop"), None) => {
                server.stop().await;
                json!({"ok": true})
            }
            (Some("start"), None) => {
                server.start_again().await;
                json!({"ok": true})
            }
            (Some("tamper"), Some(device)) => {
                server.stop().await;
                let result = flip_last_record(&server, device);
                server.start_again().await;
                match result {
                    Ok(idx) => json!({"ok": true, "idx": idx}),
                    Err(e) => json!({"ok": false, "error": e.to_string()}),
                }
            }
            _ => json!({"ok": false, "error": format!("unknown command: {line}")}),
        };
        say(&answer)?;
    }
    server.stop().await;
    Ok(())
}

fn say(value: &serde_json::Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")?;
    out.flush()?;
    Ok(())
}

/// Flips the last byte of the newest record stored for `device_hex` (records are
/// keyed account, device, big-endian idx); its idx.
fn flip_last_record(server: &TestServer, device_hex: &str) -> Result<u64> {
    let device = hex::decode(device_hex).context("the device id is not hex")?;
    if device.len() != 16 {
        bail!("a device id is 16 bytes");
    }
    let db = sled::open(server.db_dir()).context("opening the stopped server's database")?;
    let records = db.open_tree("records")?;
    let mut newest: Option<(sled::IVec, sled::IVec)> = None;
    for item in records.iter() {
        let (key, value) = item?;
        if key.get(16..32) == Some(device.as_slice()) {
            newest = Some((key, value));
        }
    }
    let (key, value) = newest.ok_or_else(|| anyhow!("no record of that device is stored"))?;
    let mut altered = value.to_vec();
    if let Some(last) = altered.last_mut() {
        *last ^= 0x01;
    }
    records.insert(&key, altered)?;
    db.flush()?;
    let idx = key
        .get(32..40)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| anyhow!("a record key is 40 bytes"))?;
    Ok(idx)
}
