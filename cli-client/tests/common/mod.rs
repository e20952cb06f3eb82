//! What the CLI tests share: the `mycase` binary in a clean environment, and a
//! real server on 127.0.0.1:0 in-process. Each test binary uses a part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const PASS: &str = "correct horse battery staple";

/// The `mycase` binary on `home` (none: no `--home` at all), with the test
/// passphrase, no terminal input, and nothing inherited that would change what
/// it does (home, invite, share password, recovery kit, editor).
pub fn mycase(home: Option<&Path>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    if let Some(home) = home {
        cmd.arg("--home").arg(home);
    }
    cmd.args(args)
        .env("MYCASE_PASSPHRASE", PASS)
        .env_remove("MYCASE_HOME")
        .env_remove("MYCASE_INVITE")
        .env_remove("MYCASE_SHARE_PASSWORD")
        .env_remove("MYCASE_RECOVERY_KIT")
        .env_remove("EDITOR")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` off the async runtime (the server under test shares it).
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

pub async fn run(home: &Path, args: &[&str]) -> Output {
    output(mycase(Some(home), args)).await
}

/// Stdout of a run that must succeed.
pub fn stdout_of(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "mycase {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub async fn ok(home: &Path, args: &[&str]) -> String {
    stdout_of(run(home, args).await, args)
}

pub async fn ok_json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args).await).unwrap()
}

/// A server on 127.0.0.1:0 over `data`, with `tweak` applied to its config.
pub async fn start_server(
    data: &Path,
    tweak: impl FnOnce(&mut mycase_server::ServerConfig),
) -> mycase_server::RunningServer {
    let mut config = mycase_server::ServerConfig::new(data);
    config.listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    mycase_server::start(config).await.unwrap()
}
