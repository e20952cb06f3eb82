//! `mycase attach ID FILE...`: adds files to an entry as evidence. Each is sealed
//! in chunks on this device, uploaded (skipping chunks the server already holds,
//! so an interrupted upload resumes), then recorded in the journal and synced.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// The files to attach (kept byte for byte; nothing is re-encoded).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON object per file.
    #[arg(long)]
    json: bool,
}

/// A progress bar on standard error, drawn only on a terminal and only once a
/// transfer has taken longer than a moment.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    wanted: bool,
    shown: bool,
}

/// How long a transfer runs before its bar appears.
const QUIET_FOR: Duration = Duration::from_millis(400);

impl Progress {
    pub fn new(label: &str, json: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        Progress {
            bar,
            started: Instant::now(),
            wanted: !json && std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        if self.wanted && !self.shown && self.started.elapsed() > QUIET_FOR && done < total {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// What the bar says: the file name, shortened.
pub fn label(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output::truncate(&name, 24)
}

/// Whether the file is a photo that records where it was taken (read from its
/// first 128 KiB, where the metadata usually is; an unreadable file is reported
/// later).
fn carries_location(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(128 * 1024).read_to_end(&mut head))
        .is_ok()
        && mycase_core::photo_metadata::has_location(&head)
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let entry = device
        .journal()
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    let transport = connect::transport_for(&device).await?;
    for file in &args.files {
        let location = carries_location(file);
        if location {
            crate::say!(
                "⚠ {} records where it was taken (location data in the photo). The attached \
                 file keeps it, as it is. Shares carry a copy without it (unless you give \
                 --keep-location), and so does `mycase export --strip-location`; an export \
                 without that flag, or the file itself, shows that place to whoever sees it.",
                file.display()
            );
        }
        let mut progress = Progress::new(&label(file), args.json);
        let result = device
            .attach_file(&transport, entry, file, |done, total| {
                progress.update(done, total)
            })
            .await;
        progress.finish();
        let out = result.with_context(|| format!("could not attach {}", file.display()))?;
        if args.json {
            output::print_json(&json!({
                "file": file.display().to_string(),
                "entry_id": hex::encode(entry),
                "attachment_id": hex::encode(out.attachment_id),
                "size": out.size,
                "chunks": out.chunk_count,
                "uploaded_chunks": out.uploaded_chunks,
                "skipped_chunks": out.skipped_chunks,
                "location_metadata": location,
            }))?;
        } else {
            let resumed = if out.skipped_chunks > 0 {
                format!(
                    " ({} of {} chunks were already on the server)",
                    out.skipped_chunks, out.chunk_count
                )
            } else {
                String::new()
            };
            output::print_line(&format!(
                "Attached {} ({} bytes) as {}{resumed}.",
                file.display(),
                out.size,
                hex::encode(out.attachment_id)
            ))?;
        }
    }
    Ok(())
}
