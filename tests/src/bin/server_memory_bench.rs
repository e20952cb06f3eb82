//! How much memory the server needs: runs `mycase-server` as its own process,
//! fills it with accounts from real client devices, and reads the server's
//! resident memory from /proc.
//!
//! `cargo build --release -p mycase-server -p mycase-tests &&
//!  target/release/server-memory-bench [--accounts 1000] [--entries 10]
//!  [--attachment-every 20] [--cache-bytes 67108864]`
//!
//! Each account is a real device (client-core over gRPC/TLS): it registers,
//! writes `--entries` journal entries and syncs; every `--attachment-every`-th
//! account also attaches a 300 kB file. Printed: VmRSS when idle after start,
//! VmRSS and VmHWM (peak) after the load, and VmRSS of a fresh start on the
//! filled data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use futures_util::StreamExt;
use mycase_core::store::memory::MemoryStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::{Device, DeviceSetup};
use mycase_tests::fields;

struct Options {
    accounts: usize,
    entries: usize,
    attachment_every: usize,
    cache_bytes: u64,
}

fn options() -> Options {
    let mut o = Options {
        accounts: 1000,
        entries: 10,
        attachment_every: 20,
        cache_bytes: mycase_server::store::sled::CACHE_BYTES,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).expect("every option takes a value");
        match pair[0].as_str() {
            "--accounts" => o.accounts = value.parse().unwrap(),
            "--entries" => o.entries = value.parse().unwrap(),
            "--attachment-every" => o.attachment_every = value.parse().unwrap(),
            "--cache-bytes" => o.cache_bytes = value.parse().unwrap(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// `mycase-server` beside this binary (both built by the same cargo command).
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.with_file_name("mycase-server");
    assert!(
        path.exists(),
        "build the server first: cargo build --release -p mycase-server"
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the server and returns once it logged that it listens.
fn start_server(config: &Path) -> Child {
    let mut child = Command::new(server_binary())
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("mycase-server listening") {
            break;
        }
    }
    // Keep draining its log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

fn stop_server(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    child.wait().unwrap();
}

/// (VmRSS, VmHWM) in kB.
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else {
            total += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

async fn one_account(
    url: String,
    ca: String,
    i: usize,
    entries: usize,
    attachment: Option<PathBuf>,
) {
    let t = GrpcTransport::connect(&url, Some(&ca)).await.unwrap();
    let setup = DeviceSetup {
        server_url: url,
        ca_cert_pem: Some(ca),
        device_name: format!("device {i}"),
    };
    let (mut device, kit) = Device::create_in(MemoryStore::new(), setup).unwrap();
    device.register(&t, &kit, None).await.unwrap();
    let mut last = None;
    for n in 0..entries {
        last = Some(
            device
                .add_entry(fields(
                    &format!("incident {n}"),
                    &"he came to the house at night and would not leave. ".repeat(8),
                ))
                .unwrap(),
        );
    }
    device.sync(&t).await.unwrap();
    if let (Some(path), Some(entry)) = (attachment, last) {
        device
            .attach_file(&t, entry, &path, |_, _| {})
            .await
            .unwrap();
        device.sync(&t).await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let config = dir.path().join("mycase-server.toml");
    // Rate limits off: every device here comes from one address.
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\ncache_capacity_bytes = {}\n\
             [rate_limits]\nauth_per_address = 0\nauth_per_account = 0\n\
             appends_per_address = 0\nappends_per_account = 0\n\
             uploads_per_address = 0\nuploads_per_account = 0\n",
            data.display(),
            o.cache_bytes
        ),
    )
    .unwrap();
    let evidence = dir.path().join("evidence.jpg");
    std::fs::write(
        &evidence,
        (0..300_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>(),
    )
    .unwrap();

    let server = start_server(&config);
    let pid = server.id();
    let (idle_rss, _) = memory_kb(pid);
    let url = format!("https://127.0.0.1:{port}");
    let ca = std::fs::read_to_string(data.join("tls").join("cert.pem")).unwrap();

    let started = Instant::now();
    futures_util::stream::iter(0..o.accounts)
        .map(|i| {
            let attachment =
                (o.attachment_every > 0 && i % o.attachment_every == 0).then(|| evidence.clone());
            one_account(url.clone(), ca.clone(), i, o.entries, attachment)
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let load_secs = started.elapsed().as_secs_f64();
    let (loaded_rss, peak) = memory_kb(pid);
    stop_server(server);
    let on_disk = dir_bytes(&data);

    let server = start_server(&config);
    let (restarted_rss, _) = memory_kb(server.id());
    stop_server(server);

    let attachments = if o.attachment_every == 0 {
        0
    } else {
        o.accounts.div_ceil(o.attachment_every)
    };
    println!(
        "server-memory-bench: {} accounts x {} entries, {} attachments of 300 kB, sled cache bound {}",
        o.accounts,
        o.entries,
        attachments,
        mib(o.cache_bytes / 1024)
    );
    println!("  load took               {load_secs:.1} s");
    println!("  data directory          {}", mib(on_disk / 1024));
    println!("  RSS idle after start    {}", mib(idle_rss));
    println!("  RSS after the load      {}", mib(loaded_rss));
    println!("  peak RSS (VmHWM)        {}", mib(peak));
    println!("  RSS after a restart     {}", mib(restarted_rss));
}
