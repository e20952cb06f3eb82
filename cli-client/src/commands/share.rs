//! `mycase share create|open|list|revoke`: share chosen entries with an advocate
//! through a link that opens in any browser, for a limited time.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use mycase_core::app::{parse_share_expiry, summarize_shares};
use mycase_core::share::contents::{LocationRemoved, SharedAttachment};
use mycase_core::share::{self, format, Opened, Selection, ShareError};
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::{fetch_bundle, ShareRequest};
use serde_json::json;
use zeroize::Zeroizing;

use crate::{connect, output};

const PASSWORD_ENV: &str = "MYCASE_SHARE_PASSWORD";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Share chosen entries: prints a link that opens in any browser.
    Create(CreateArgs),
    /// Open a share link in the terminal (no MyCase account needed).
    Open(OpenArgs),
    /// Your shares: what each contains, when it expires, when it was opened.
    List(ListArgs),
    /// End a share at once (the link stops working for good).
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// An entry to share (at least 4 hex digits of its id); repeat for more.
    #[arg(long = "entry", value_name = "ID")]
    entries: Vec<String>,
    /// Entries that happened on or after this date (1/3/2026, 1 March 2026, March 2026...).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Entries that happened up to and including this date (a month counts to its last day).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Entries in this category, by name or any unique part of it (repeatable).
    #[arg(long = "category", value_name = "C")]
    categories: Vec<String>,
    /// Entries with this tag (repeatable).
    #[arg(long = "tag", value_name = "T")]
    tags: Vec<String>,
    /// How long the link works: like 7d, 36h, 90m (default 7d, at most 31d).
    #[arg(long, value_name = "DURATION")]
    expires: Option<String>,
    /// How many times the share may be opened (default: no limit).
    #[arg(long, value_name = "N")]
    max_views: Option<u32>,
    /// Protect the share with a password too (asked, or from MYCASE_SHARE_PASSWORD).
    #[arg(long)]
    password: bool,
    /// Include the entries' attachments (photos, audio, documents).
    #[arg(long)]
    include_attachments: bool,
    /// Share photos as they are, with any location data they record. Without
    /// it, a photo that records where it was taken is shared as a copy without
    /// that data (your journal keeps the original; the share names both).
    #[arg(long)]
    keep_location: bool,
    /// Withhold from this share a field of an entry (ENTRY:FIELD) or a passage
    /// of it (ENTRY:FIELD:WORDS), wherever it was set or appears, in every
    /// version: the advocate sees `[withheld]` there. Fields: title, text,
    /// location, injuries, impact. Repeat for more.
    #[arg(long, value_name = "ENTRY:FIELD[:WORDS]")]
    withhold: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct OpenArgs {
    /// The whole link, including the part after # (its key). Leave it out (or give
    /// -) to paste it when asked: on the command line the key would stay in the
    /// shell's history.
    link: Option<String>,
    /// Write the entries (share.json, entries.txt) and attachments into DIR
    /// instead of printing them.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Trust this certificate for the server (a charity's self-signed server).
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The share's id (at least 4 hex digits of it).
    id: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    match args.command {
        Command::Create(a) => create(home, a).await,
        Command::Open(a) => open(home, a).await,
        Command::List(a) => list(home, a).await,
        Command::Revoke(a) => revoke(home, a).await,
    }
}

fn share_password(confirm: bool) -> Result<Zeroizing<String>> {
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => return Ok(Zeroizing::new(p)),
        Ok(_) => bail!("{PASSWORD_ENV} is set but empty"),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{PASSWORD_ENV} is not valid UTF-8"),
        Err(std::env::VarError::NotPresent) => {}
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .with_context(|| {
                format!("could not read the password from the terminal (or set {PASSWORD_ENV})")
            })
    };
    let password = read("Share password: ")?;
    if password.is_empty() {
        bail!("the password is empty");
    }
    if confirm && *read("The same password again: ")? != *password {
        bail!("the two passwords differ");
    }
    Ok(password)
}

async fn create(home: &Path, args: CreateArgs) -> Result<()> {
    // The app's rules, so every shell accepts and refuses the same.
    let expires_in =
        parse_share_expiry(args.expires.as_deref().unwrap_or_default()).context("--expires")?;
    let mut device = connect::open_device(home)?;
    let journal = device.journal();
    let selection = Selection {
        entries: args
            .entries
            .iter()
            .map(|id| journal.resolve_entry_prefix(id))
            .collect::<Result<_, _>>()
            .context("--entry")?,
        from: super::filter::day("--from", args.from.as_deref(), super::filter::End::First)?,
        to: super::filter::day("--to", args.to.as_deref(), super::filter::End::Last)?,
        categories: super::fields::categories(&args.categories)?
            .map(|l| l.values)
            .unwrap_or_default(),
        tags: args.tags.clone(),
    };
    let withholdings = args
        .withhold
        .iter()
        .map(|spec| mycase_core::evidence::withheld::Withholding::parse(spec, journal))
        .collect::<Result<Vec<_>, _>>()
        .context("--withhold")?;
    let password = args.password.then(|| share_password(true)).transpose()?;
    let transport = connect::transport_for(&device).await?;
    let created = device
        .create_share_withholding(
            &transport,
            ShareRequest {
                selection,
                expires_in,
                max_views: args.max_views.unwrap_or(0),
                password,
                include_attachments: args.include_attachments,
                strip_location: !args.keep_location,
            },
            &withholdings,
        )
        .await
        .context("could not create the share")?;
    for name in &created.location.unread {
        crate::say!(
            "⚠ {name} may record where it was made; MyCase cannot remove that from this kind \
             of file, so it is shared as it is."
        );
    }
    // So the survivor's other devices list the share too.
    let synced = device.sync(&transport).await.is_ok();
    if args.json {
        output::print_json(&json!({
            "share_id": hex::encode(created.share_id),
            "link": created.link.as_str(),
            "expires_at": output::rfc3339(created.expires_at_ms),
            "max_views": args.max_views.unwrap_or(0),
            "entries": created.entries,
            "attachments": created.attachments,
            "has_password": args.password,
            "description": created.description,
            "location_removed": created.location.copies,
            "location_unread": created.location.unread,
            "synced": synced,
        }))?;
    } else {
        output::print_line(&format!(
            "Shared {} (until {}{}).",
            created.description,
            output::uk_time(created.expires_at_ms),
            args.max_views
                .map(|n| format!(", at most {n} views"))
                .unwrap_or_default(),
        ))?;
        output::print_line(
            "Send this link only to the person it is for; anyone with it can open the share:",
        )?;
        output::print_line(&created.link)?;
        match created.location.copies {
            0 => {}
            n => output::print_line(&format!(
                "{} shared as {} without location data (your journal keeps the \
                 {}; the share names both checksums).",
                if n == 1 {
                    "1 photo is".to_string()
                } else {
                    format!("{n} photos are")
                },
                if n == 1 { "a copy" } else { "copies" },
                if n == 1 { "original" } else { "originals" },
            ))?,
        }
        if !synced {
            output::print_line(
                "(Your other devices will list this share after the next `mycase sync`.)",
            )?;
        }
    }
    Ok(())
}

/// The certificate to trust for a link's server: `--ca-cert`, else this
/// device's own server certificate when the link is on that server, else none
/// (the system's roots).
fn trust_for(home: &Path, server_url: &str, ca_cert: Option<&Path>) -> Result<Option<String>> {
    if let Some(path) = ca_cert {
        return std::fs::read_to_string(path)
            .map(Some)
            .with_context(|| format!("could not read the CA certificate {}", path.display()));
    }
    if mycase_core::is_initialised(home) {
        let device = connect::open_device(home)?;
        if device.server_url().trim_end_matches('/') == server_url {
            return Ok(device.ca_cert_pem().map(str::to_owned));
        }
    }
    Ok(None)
}

/// Fetches and opens a link: the same failures, in the same words, as the browser.
async fn open_link(home: &Path, link_text: &str, ca_cert: Option<&Path>) -> Result<Opened> {
    let link = share::link::parse(link_text)?;
    let ca = trust_for(home, &link.server_url, ca_cert)?;
    let transport: GrpcTransport = connect::connect(&link.server_url, ca.as_deref()).await?;
    let bundle = fetch_bundle(&transport, &link).await?;
    let info = format::header_info(&bundle).map_err(ShareError::from)?;
    let password = if info.has_password {
        Some(share_password(false)?)
    } else {
        None
    };
    let opened = share::open_bundle(
        &link.share_id,
        &link.key,
        password.as_ref().map(|p| p.as_bytes()),
        &bundle,
    )?;
    Ok(opened)
}

async fn open(home: &Path, args: OpenArgs) -> Result<()> {
    let link = Zeroizing::new(
        crate::content::Content::default()
            .one(
                "LINK",
                "The share link (all of it, with the part after #)",
                Some(args.link.unwrap_or_else(|| crate::content::ASK.to_string())),
            )?
            .unwrap_or_default(),
    );
    let opened = open_link(home, &link, args.ca_cert.as_deref()).await?;
    match &args.out {
        Some(dir) => {
            let written = write_out(dir, &opened)?;
            if args.json {
                output::print_json(&json!({
                    "out": dir.display().to_string(),
                    "entries": opened.manifest.entries.len(),
                    "files": written,
                }))?;
            } else {
                output::print_line(&format!(
                    "Wrote {} entries and {} attachments to {}.",
                    opened.manifest.entries.len(),
                    opened.files.len(),
                    dir.display()
                ))?;
            }
        }
        None if args.json => {
            output::print_json(&opened.manifest)?;
        }
        None => output::print_text(&chronology(&opened))?,
    }
    Ok(())
}

/// The entries in the order they happened, with every field and the history.
fn chronology(opened: &Opened) -> String {
    let m = &opened.manifest;
    let mut s = format!(
        "Shared record: {} (shared {})\n",
        m.description,
        output::uk_time(m.created_at_ms)
    );
    for e in &m.entries {
        s.push_str(&format!(
            "\n== {} ==\n",
            e.title.as_deref().unwrap_or("Untitled entry")
        ));
        let mut line = |label: &str, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                s.push_str(&format!("{label}: {v}\n"));
            }
        };
        line(
            "When it happened",
            e.occurred.as_deref().map(|o| {
                mycase_core::journal::occurred::parse(o)
                    .map(|at| mycase_core::words::dates::read_back(&at))
                    .unwrap_or_else(|_| o.to_string())
            }),
        );
        line("Categories", Some(e.categories.join(", ")));
        line("Tags", Some(e.tags.join(", ")));
        line("Severity", e.severity.map(|n| format!("{n} of 5")));
        line("Location", e.location.clone());
        line("People", Some(e.people.join(", ")));
        line("Injuries", e.injuries.clone());
        line("Police references", Some(e.police_references.join(", ")));
        line("Actions taken", Some(e.actions_taken.join(", ")));
        line("Impact", e.impact.clone());
        line("First recorded", Some(output::uk_time(e.recorded_at_ms)));
        s.push('\n');
        s.push_str(&e.text);
        s.push('\n');
        for a in &e.attachments {
            s.push_str(&format!(
                "Attachment: {} ({}, {} bytes)\n",
                a.name, a.media_type, a.size
            ));
            if let Some(copy) = &a.location_removed {
                s.push_str(&copy_note(a, copy));
            }
        }
        if !e.history.is_empty() {
            s.push_str("History:\n");
            for rev in &e.history {
                s.push_str(&format!(
                    "  {} {}\n",
                    rev.kind,
                    output::uk_time(rev.recorded_at_ms)
                ));
                for c in &rev.changes {
                    s.push_str(&format!("    {}: {}\n", c.field, c.value));
                }
            }
        }
    }
    s
}

/// What a reader is told of a copy without location data.
fn copy_note(a: &SharedAttachment, copy: &LocationRemoved) -> String {
    format!(
        "  This is a copy without location data (removed: {}), SHA-256 {}.\n  \
         It is not the recorded original, which has SHA-256 {} ({} bytes).\n",
        copy.removed.join(", "),
        a.sha256,
        copy.original_sha256,
        copy.original_size
    )
}

/// A file name that stays inside the output directory.
fn safe_name(name: &str, index: usize) -> String {
    let base: String = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .collect();
    let base = base.trim_start_matches('.');
    format!(
        "{:02}-{}",
        index + 1,
        if base.is_empty() { "attachment" } else { base }
    )
}

/// Writes share.json, entries.txt and attachments/ into `dir` (created; existing
/// files are never replaced). Returns the files written. This is decrypted
/// evidence: the directories it creates are owner-only (0700) and the files
/// 0600, whatever the umask (a directory that already existed keeps its mode: it
/// is the survivor's).
fn write_out(dir: &Path, opened: &Opened) -> Result<Vec<String>> {
    let mut dirs = std::fs::DirBuilder::new();
    dirs.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        dirs.mode(0o700);
    }
    dirs.create(dir.join("attachments"))
        .with_context(|| format!("could not create {}", dir.display()))?;
    let mut written = Vec::new();
    let mut write = |path: PathBuf, bytes: &[u8]| -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).with_context(|| {
            format!("could not create {} (it may already exist)", path.display())
        })?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("could not write {}", path.display()))?;
        written.push(path.display().to_string());
        Ok(())
    };
    let manifest = serde_json::to_vec_pretty(&opened.manifest).context("encoding share.json")?;
    write(dir.join("share.json"), &manifest)?;
    write(dir.join("entries.txt"), chronology(opened).as_bytes())?;
    let names = opened.manifest.entries.iter().flat_map(|e| &e.attachments);
    for (i, (att, bytes)) in names.zip(&opened.files).enumerate() {
        let name = match &att.location_removed {
            Some(_) => mycase_core::photo_metadata::copy_file_name(&att.name),
            None => att.name.clone(),
        };
        write(dir.join("attachments").join(safe_name(&name, i)), bytes)?;
    }
    Ok(written)
}

async fn list(home: &Path, args: ListArgs) -> Result<()> {
    let device = connect::open_device(home)?;
    let recorded = device.journal().shares();
    // The server knows views and opening times; without it, the journal still lists.
    let server = match connect::transport_for(&device).await {
        Ok(t) => device.server_shares(&t).await.ok(),
        Err(_) => None,
    };
    let listed = summarize_shares(&recorded, server.as_deref());
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for s in &listed.shares {
        json_rows.push(json!({
            "share_id": s.share_id,
            "contains": s.description,
            "entry_ids": s.entry_ids,
            "created_at": output::rfc3339(s.created_at_ms),
            "expires_at": output::rfc3339(s.expires_at_ms),
            "max_views": s.max_views,
            "views": s.views,
            "opened_at": s.opened_at_ms.iter().map(|t| output::rfc3339(*t)).collect::<Vec<_>>(),
            "state": s.state.as_str(),
            "has_password": s.has_password,
            "includes_attachments": s.includes_attachments,
        }));
        rows.push(vec![
            s.share_id.chars().take(8).collect(),
            output::truncate(&s.description, 40),
            output::uk_time(s.expires_at_ms),
            match (s.views, s.max_views) {
                (Some(v), 0) => v.to_string(),
                (Some(v), max) => format!("{v}/{max}"),
                (None, _) => "?".into(),
            },
            s.opened_at_ms
                .last()
                .map(|t| output::uk_time(*t))
                .unwrap_or_else(|| "never".into()),
            s.state.as_str().to_string(),
        ]);
    }
    if args.json {
        output::print_json(&json!({ "shares": json_rows }))?;
    } else if rows.is_empty() {
        output::print_line("No shares yet (`mycase share create` makes one).")?;
    } else {
        output::print_line(&output::table(
            &["ID", "CONTAINS", "EXPIRES", "VIEWS", "LAST OPENED", "STATE"],
            &rows,
        ))?;
    }
    Ok(())
}

async fn revoke(home: &Path, args: RevokeArgs) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let share_id = device.resolve_share(&args.id)?;
    let transport = connect::transport_for(&device).await?;
    device
        .revoke_share(&transport, share_id)
        .await
        .context("could not revoke the share")?;
    let synced = device.sync(&transport).await.is_ok();
    if args.json {
        output::print_json(
            &json!({ "share_id": hex::encode(share_id), "revoked": true, "synced": synced }),
        )?;
    } else {
        output::print_line(
            "Revoked: the link no longer opens, and its contents are deleted from the server.",
        )?;
    }
    Ok(())
}
