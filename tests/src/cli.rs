//! Running the `mycase` binary in a clean environment. Cargo names the binary's
//! path (`CARGO_BIN_EXE_mycase`) only to cli-client's own tests, so the caller
//! gives it: `Mycase::new(env!("CARGO_BIN_EXE_mycase"))`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const PASS: &str = "correct horse battery staple";

/// The `mycase` binary at a path.
#[derive(Clone, Copy, Debug)]
pub struct Mycase {
    bin: &'static str,
}

impl Mycase {
    pub const fn new(bin: &'static str) -> Mycase {
        Mycase { bin }
    }

    /// The binary on `home` (none: no `--home` at all), with the test
    /// passphrase, no terminal input, and nothing inherited that would change what
    /// it does (home, invite, share password, recovery kit, editor).
    pub fn command(&self, home: Option<&Path>, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.bin);
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

    pub async fn run(&self, home: &Path, args: &[&str]) -> Output {
        output(self.command(Some(home), args)).await
    }

    /// Stdout of a run that must succeed.
    pub async fn ok(&self, home: &Path, args: &[&str]) -> String {
        stdout_of(self.run(home, args).await, args)
    }

    pub async fn ok_json(&self, home: &Path, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(home, args).await).unwrap()
    }

    /// Starts it on `home` with its standard input and output piped.
    pub fn spawn(&self, home: &Path, args: &[&str]) -> Running {
        Running::start(self.command(Some(home), args))
    }

    /// Pairs `new` to `existing` as a survivor does: `pair --json` on the existing
    /// device, `join --json` on the new one, and the matching code the new device
    /// prints typed into `pair`. Returns the join's and the pair's final JSON.
    pub async fn pair_cli(
        &self,
        server: &mycase_server::RunningServer,
        existing: &Path,
        new: &Path,
        name: &str,
    ) -> (Value, Value) {
        let mut pair = self.spawn(existing, &["pair", "--json"]);
        let code = pair.next_json().await["code"].as_str().unwrap().to_string();
        let server = server_args(server);
        let mut join = self.spawn(new, &join_args(&server, &code, name));
        let shown = join.next_json().await;
        let digits = shown["matching_code"].as_str().unwrap().to_string();
        assert_eq!(digits.len(), 6, "{shown}");
        let request = pair.next_json().await;
        assert_eq!(request["join_request"]["name"], name);
        pair.type_line(&digits);
        let joined = join.next_json().await;
        let paired = pair.next_json().await;
        for (what, out) in [("join", join.finish().await), ("pair", pair.finish().await)] {
            assert!(
                out.status.success(),
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(paired["paired"]["device_id"], joined["device_id"]);
        (joined, paired)
    }
}

/// Runs `cmd` off the async runtime (the server under test shares it).
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
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

/// How long a test waits for one line from a running `mycase`.
pub const LINE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A `mycase` still running, with its standard input and output piped.
pub struct Running {
    pub child: std::process::Child,
    pub stdin: Option<std::process::ChildStdin>,
    pub stdout: Option<std::io::BufReader<std::process::ChildStdout>>,
}

impl Running {
    /// Starts `cmd` with its standard input and output piped.
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(std::io::BufReader::new);
        Running {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line it prints, as JSON (fails the test after [`LINE_TIMEOUT`]).
    pub async fn next_json(&mut self) -> Value {
        let line = self.next_line().await;
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
    }

    /// The next line it prints (fails the test after [`LINE_TIMEOUT`]).
    pub async fn next_line(&mut self) -> String {
        use std::io::BufRead;
        let mut reader = self.stdout.take().unwrap();
        let (line, reader) = tokio::time::timeout(
            LINE_TIMEOUT,
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                (line, reader)
            }),
        )
        .await
        .expect("timed out waiting for a line")
        .unwrap();
        self.stdout = Some(reader);
        assert!(!line.is_empty(), "the process ended without printing");
        line
    }

    /// Types `line` (and a newline) on its standard input.
    pub fn type_line(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for it to end; its output (what it printed before is already read).
    pub async fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let child = self.child;
        tokio::time::timeout(
            LINE_TIMEOUT,
            tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
        )
        .await
        .expect("timed out waiting for the process to end")
        .unwrap()
    }
}

/// `join --json` arguments for `server`.
pub fn join_args<'a>(server: &'a [String; 2], code: &'a str, name: &'a str) -> Vec<&'a str> {
    vec![
        "join",
        "--server",
        &server[0],
        "--code",
        code,
        "--ca-cert",
        &server[1],
        "--device-name",
        name,
        "--json",
    ]
}

/// The server's URL and CA certificate path, as `join` takes them.
pub fn server_args(server: &mycase_server::RunningServer) -> [String; 2] {
    [
        server.url(),
        server.ca_cert_path().to_str().unwrap().to_string(),
    ]
}

/// Fails unless `dir` and everything under it is the owner's alone: directories
/// 0700, files 0600 (nothing for the group or others, whatever the umask was).
#[cfg(unix)]
pub fn assert_owner_only(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}, not {want:o}", path.display());
        seen += 1;
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        }
    }
    assert!(seen > 1, "{} is empty", dir.display());
}
