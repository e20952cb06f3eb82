//! Headless Chromium for browser tests: the share viewer and the HTML export.
//!
//! CI installs Debian's `chromium` (see `.ci/run`) and sets
//! `MYCASE_REQUIRE_CHROMIUM=1`, so a missing browser fails the run there; on a
//! developer's machine without it, browser tests say they were skipped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

/// The longest one browser run may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// A Chromium binary found on this machine.
#[derive(Clone, Debug)]
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// `$MYCASE_CHROMIUM`, else the first of chromium, chromium-browser,
    /// google-chrome on `PATH`.
    pub fn find() -> Option<Chromium> {
        if let Some(path) = std::env::var_os("MYCASE_CHROMIUM") {
            return Some(Chromium { path: path.into() });
        }
        let dirs = std::env::var_os("PATH")?;
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in std::env::split_paths(&dirs) {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(Chromium { path: candidate });
                }
            }
        }
        None
    }

    /// The browser for a test, or `None` (after saying the test is skipped) when
    /// it is absent and `MYCASE_REQUIRE_CHROMIUM` is not set. With it set, a
    /// missing browser fails the test.
    pub fn for_test(test: &str) -> Option<Chromium> {
        match Chromium::find() {
            Some(chromium) => Some(chromium),
            None if std::env::var_os("MYCASE_REQUIRE_CHROMIUM").is_some() => {
                panic!("{test}: MYCASE_REQUIRE_CHROMIUM is set but no chromium was found")
            }
            None => {
                eprintln!("SKIPPED {test}: chromium not found (install Debian's `chromium` or set MYCASE_CHROMIUM)");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads `url`, lets its scripts run (network fetches and timers included,
    /// up to `budget` of virtual time), and returns the resulting DOM as HTML.
    /// Self-signed test certificates are accepted.
    pub async fn dump_dom(&self, url: &str, budget: Duration) -> anyhow::Result<String> {
        let out = self
            .run(&[
                format!("--virtual-time-budget={}", budget.as_millis()),
                "--dump-dom".into(),
                url.into(),
            ])
            .await?;
        String::from_utf8(out).context("chromium printed a DOM that is not UTF-8")
    }

    /// Prints `url` to a PDF file at `pdf` (no header or footer), after its
    /// scripts ran for up to `budget` of virtual time.
    pub async fn print_to_pdf(&self, url: &str, pdf: &Path, budget: Duration) -> anyhow::Result<()> {
        self.run(&[
            format!("--virtual-time-budget={}", budget.as_millis()),
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            url.into(),
        ])
        .await?;
        let bytes = std::fs::read(pdf).with_context(|| format!("reading {}", pdf.display()))?;
        if !bytes.starts_with(b"%PDF-") {
            bail!("chromium did not write a PDF to {}", pdf.display());
        }
        Ok(())
    }

    async fn run(&self, args: &[String]) -> anyhow::Result<Vec<u8>> {
        let profile = tempfile::tempdir().context("creating a browser profile directory")?;
        let mut command = tokio::process::Command::new(&self.path);
        command
            // The flags Debian's chromium needs headless as root in a closed
            // network: no sandbox, no GPU, and no background connections (they
            // are refused here and slow every start).
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--ignore-certificate-errors",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(RUN_LIMIT, command.output())
            .await
            .context("chromium did not finish in time")?
            .with_context(|| format!("starting {}", self.path.display()))?;
        if !output.status.success() {
            bail!(
                "chromium failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(output.stdout)
    }
}
