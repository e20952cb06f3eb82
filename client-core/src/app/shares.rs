//! Shares: chosen entries for an advocate, behind a link that opens in any
//! browser for a limited time; the list with when each was opened; revoking.
//!
//! The rules the CLI's `share create` and `share list` follow live here too
//! ([`parse_share_expiry`], [`summarize_shares`]), so both say the same.

use std::time::Duration;

use chrono::NaiveDate;
use mycase_proto::v1::{ShareInfo, ShareState as ServerShareState};
use zeroize::Zeroizing;

use super::{App, AppError};
use crate::journal::shares::ShareRecord;
use crate::journal::Journal;
use crate::share::select::Selection;
use crate::{ShareRequest, DEFAULT_SHARE_EXPIRY, MAX_SHARE_EXPIRY};

/// What to share and how, as the survivor chose it. Empty strings and lists mean
/// "not given"; at least one entry or one filter must be given.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ShareInput {
    /// Entries to share: their ids (hex), or at least 4 hex digits of each.
    pub entry_ids: Vec<String>,
    /// Also entries that happened on or after this day (`YYYY-MM-DD`).
    pub from: String,
    /// Also entries that happened up to and including this day (`YYYY-MM-DD`).
    pub to: String,
    /// Also entries in these categories (slugs or names).
    pub categories: Vec<String>,
    /// Also entries with these tags.
    pub tags: Vec<String>,
    /// How long the link works: `7d`, `36h`, `90m`; empty for 7 days. At most 31 days.
    pub expires: String,
    /// How many times it may be opened; 0 for no limit.
    pub max_views: u32,
    /// A password the advocate must type as well, if any (never empty).
    pub password: Option<Zeroizing<String>>,
    /// Include the entries' photos, recordings and documents.
    pub include_attachments: bool,
    /// Share photos as they are, with any place they record. Without it a photo
    /// that records where it was taken is shared as a copy without that.
    pub keep_location: bool,
    /// Fields or passages to withhold from this share (`mycase share create
    /// --withhold`); the advocate sees `[withheld]` there.
    pub withhold: Vec<crate::app::export::WithholdChoice>,
}

impl std::fmt::Debug for ShareInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareInput")
            .field("entries", &self.entry_ids.len())
            .field("expires", &self.expires)
            .field("max_views", &self.max_views)
            .field("has_password", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

/// A share just made: the link to hand over, and what it holds. `Debug` never
/// shows the link (it carries the key).
#[derive(Clone, PartialEq, Eq)]
pub struct SharedLink {
    /// The share's id (hex).
    pub share_id: String,
    /// The link: send it only to the person it is for.
    pub link: Zeroizing<String>,
    /// When the link stops working (the server's clock, Unix ms).
    pub expires_at_ms: i64,
    /// How many times it may be opened (0: no limit).
    pub max_views: u32,
    /// Entries shared.
    pub entries: u32,
    /// Attachments shared.
    pub attachments: u32,
    /// What it holds, in words ("3 chosen").
    pub description: String,
    /// Photos shared as copies without the place they record (the journal keeps
    /// the originals; the share names both checksums).
    pub location_removed: u32,
    /// Files shared as they are that may record a place MyCase cannot remove.
    pub location_unread: Vec<String>,
}

impl std::fmt::Debug for SharedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLink")
            .field("share_id", &self.share_id)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Where a share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareState {
    /// The link opens.
    Active,
    /// Its time ran out.
    Expired,
    /// It was revoked (from any of the journal's devices).
    Revoked,
    /// It was opened as many times as allowed.
    ViewLimitReached,
    /// The server holds it no more (ended and purged).
    Ended,
    /// The server names a state this version does not know.
    Unknown,
    /// The server could not be asked.
    NotChecked,
}

impl ShareState {
    /// A stable lower-case name (the CLI's `state` field).
    pub fn as_str(self) -> &'static str {
        match self {
            ShareState::Active => "active",
            ShareState::Expired => "expired",
            ShareState::Revoked => "revoked",
            ShareState::ViewLimitReached => "view limit reached",
            ShareState::Ended => "ended",
            ShareState::Unknown => "unknown",
            ShareState::NotChecked => "unknown (server not reached)",
        }
    }
}

/// One share in the survivor's list. No link or key in it.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareSummary {
    /// The share's id (hex).
    pub share_id: String,
    /// What it holds, in words.
    pub description: String,
    /// The entries it holds (hex ids).
    pub entry_ids: Vec<String>,
    /// When it was made (its device's clock, Unix ms).
    pub created_at_ms: i64,
    /// When the link stops working (Unix ms).
    pub expires_at_ms: i64,
    /// Views allowed (0: no limit).
    pub max_views: u32,
    /// Times opened so far, when the server could be asked.
    pub views: Option<u32>,
    /// When it was opened (the server's clock, to the second, Unix ms), oldest first.
    pub opened_at_ms: Vec<i64>,
    /// Where it stands.
    pub state: ShareState,
    /// A password protects it.
    pub has_password: bool,
    /// It carries attachments.
    pub includes_attachments: bool,
}

impl std::fmt::Debug for ShareSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareSummary")
            .field("share_id", &self.share_id)
            .field("state", &self.state)
            .field("views", &self.views)
            .finish_non_exhaustive()
    }
}

/// The survivor's shares, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareList {
    /// Every share the journal records.
    pub shares: Vec<ShareSummary>,
    /// The server answered, so views and states are current.
    pub server_reached: bool,
}

/// How long a share lasts, as typed: a number and a unit, `7d`, `36h` or `90m`;
/// empty for the default (7 days). Refused above 31 days.
pub fn parse_share_expiry(text: &str) -> Result<Duration, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_SHARE_EXPIRY);
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let bad = || {
        AppError::invalid(
            "expires",
            "Give a number and a unit, like 7d (days), 36h (hours) or 90m (minutes)",
        )
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit.trim() {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(bad()),
    };
    let expires = Duration::from_secs(n.saturating_mul(seconds));
    if expires > MAX_SHARE_EXPIRY {
        return Err(AppError::invalid(
            "expires",
            "A share can last at most 31 days",
        ));
    }
    if expires < Duration::from_secs(60) {
        return Err(AppError::invalid(
            "expires",
            "A share must last at least one minute",
        ));
    }
    Ok(expires)
}

fn day(field: &str, text: &str) -> Result<Option<NaiveDate>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::invalid(field, "Give a day as YYYY-MM-DD"))
}

/// The entries an input names, checked against the journal.
fn selection_of(input: &ShareInput, journal: &Journal) -> Result<Selection, AppError> {
    let entries = input
        .entry_ids
        .iter()
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            journal.resolve_entry_prefix(id).map_err(|e| {
                AppError::invalid("entries", format!("One of the chosen entries: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let categories = input
        .categories
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            crate::journal::categories::parse(c)
                .map(str::to_owned)
                .ok_or_else(|| AppError::invalid("categories", "Choose a category from the list"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let selection = Selection {
        entries,
        from: day("from", &input.from)?,
        to: day("to", &input.to)?,
        categories,
        tags: input
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    };
    if let (Some(from), Some(to)) = (selection.from, selection.to) {
        if from > to {
            return Err(AppError::invalid(
                "to",
                "The last day must be on or after the first day",
            ));
        }
    }
    if selection.is_empty() {
        return Err(AppError::invalid(
            "entries",
            "Choose at least one entry to share",
        ));
    }
    Ok(selection)
}

fn state_of(server: i32) -> ShareState {
    match ServerShareState::try_from(server) {
        Ok(ServerShareState::Active) => ShareState::Active,
        Ok(ServerShareState::Expired) => ShareState::Expired,
        Ok(ServerShareState::Revoked) => ShareState::Revoked,
        Ok(ServerShareState::Exhausted) => ShareState::ViewLimitReached,
        _ => ShareState::Unknown,
    }
}

/// The journal's shares joined with the server's view of them (`None`: the
/// server could not be asked), newest first. For shells that hold a
/// [`crate::Device`] themselves (the CLI); the app's [`App::shares`] uses it.
pub fn summarize_shares(recorded: &[ShareRecord], server: Option<&[ShareInfo]>) -> ShareList {
    let mut shares: Vec<ShareSummary> = recorded
        .iter()
        .map(|r| {
            let info = server.and_then(|list| list.iter().find(|s| s.share_id == r.share_id));
            let state = match (r.revoked_at_ms, info, server) {
                // The journal's word counts: a revocation from any device is final.
                (Some(_), _, _) => ShareState::Revoked,
                (None, Some(i), _) => state_of(i.state),
                (None, None, Some(_)) => ShareState::Ended,
                (None, None, None) => ShareState::NotChecked,
            };
            ShareSummary {
                share_id: hex::encode(r.share_id),
                description: r.description.clone(),
                entry_ids: r.entry_ids.iter().map(hex::encode).collect(),
                created_at_ms: r.created_at_ms,
                expires_at_ms: r.expires_at_ms,
                max_views: r.max_views,
                views: info.map(|i| i.views),
                opened_at_ms: info
                    .map(|i| {
                        i.opened_at_unix
                            .iter()
                            .map(|t| i64::try_from(*t).unwrap_or(i64::MAX / 1000) * 1000)
                            .collect()
                    })
                    .unwrap_or_default(),
                state,
                has_password: r.has_password,
                includes_attachments: r.includes_attachments,
            }
        })
        .collect();
    shares.sort_by_key(|s| std::cmp::Reverse(s.created_at_ms));
    ShareList {
        shares,
        server_reached: server.is_some(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn share_id_of(text: &str) -> Result<[u8; 16], AppError> {
    let bytes = hex::decode(text.trim()).map_err(|_| not_found())?;
    bytes.try_into().map_err(|_| not_found())
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "That share".into(),
    }
}

impl App {
    /// Makes a share of the chosen entries and uploads it sealed; the journal
    /// records it (so every device lists it and can revoke it). Bad input is
    /// refused before anything is sent.
    pub async fn create_share(&self, input: ShareInput) -> Result<SharedLink, AppError> {
        let expires_in = parse_share_expiry(&input.expires)?;
        if input.password.as_ref().is_some_and(|p| p.is_empty()) {
            return Err(AppError::invalid(
                "password",
                "The password is empty: type one, or choose no password",
            ));
        }
        // Checked before connecting, so a typo costs no round trip.
        let (selection, withholdings) = self
            .read(|d| {
                let journal = d.journal();
                Ok::<_, AppError>((
                    selection_of(&input, journal)?,
                    crate::app::export::withholdings_of(&input.withhold, journal)?,
                ))
            })
            .await??;
        let transport = self.connect().await?;
        let made = async {
            let mut device = self.device().await?;
            let created = device
                .create_share_withholding(
                    &transport,
                    ShareRequest {
                        selection,
                        expires_in,
                        max_views: input.max_views,
                        password: input.password,
                        include_attachments: input.include_attachments,
                        strip_location: !input.keep_location,
                    },
                    &withholdings,
                )
                .await?;
            let pending = device.pending_upload();
            drop(device);
            self.local_change(pending);
            Ok(SharedLink {
                share_id: hex::encode(created.share_id),
                link: created.link,
                expires_at_ms: created.expires_at_ms,
                max_views: input.max_views,
                entries: count(created.entries),
                attachments: count(created.attachments),
                description: created.description,
                location_removed: count(created.location.copies),
                location_unread: created.location.unread,
            })
        }
        .await;
        self.settle(made).await
    }

    /// The survivor's shares with views and opening times. Without the server
    /// the journal still lists them (`server_reached` false).
    pub async fn shares(&self) -> Result<ShareList, AppError> {
        let recorded = self.read(|d| d.journal().shares()).await?;
        let Ok(transport) = self.connect().await else {
            return Ok(summarize_shares(&recorded, None));
        };
        let asked = async {
            let device = self.device().await?;
            Ok(device.server_shares(&transport).await?)
        }
        .await;
        match self.settle(asked).await {
            Ok(server) => Ok(summarize_shares(&recorded, Some(&server))),
            Err(e @ (AppError::Revoked | AppError::AccountDeleted | AppError::Locked)) => Err(e),
            Err(_) => Ok(summarize_shares(&recorded, None)),
        }
    }

    /// The link of a share made earlier (on any device), to copy again.
    pub async fn share_link(&self, share_id: &str) -> Result<Zeroizing<String>, AppError> {
        let id = share_id_of(share_id)?;
        self.read(|d| {
            d.journal()
                .shares()
                .into_iter()
                .find(|s| s.share_id == id)
                .map(|s| crate::share::link::format(&s.server_url, &s.share_id, &s.link_key))
                .ok_or_else(not_found)
        })
        .await?
    }

    /// Ends a share at once: the server deletes its contents and the link stops
    /// working for good. `share_id` is its id, or at least 4 hex digits of it.
    pub async fn revoke_share(&self, share_id: &str) -> Result<(), AppError> {
        let id = self
            .read(|d| d.resolve_share(share_id))
            .await?
            .map_err(|e| match e {
                crate::ShareDeviceError::AmbiguousShare { .. } => {
                    AppError::invalid("share", e.to_string())
                }
                _ => not_found(),
            })?;
        let transport = self.connect().await?;
        let revoked = async {
            let mut device = self.device().await?;
            device.revoke_share(&transport, id).await?;
            let pending = device.pending_upload();
            drop(device);
            self.local_change(pending);
            Ok(())
        }
        .await;
        self.settle(revoked).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn expiry_is_read_as_the_cli_reads_it() {
        assert_eq!(parse_share_expiry("").unwrap(), DEFAULT_SHARE_EXPIRY);
        assert_eq!(
            parse_share_expiry("36h").unwrap(),
            Duration::from_secs(36 * 3600)
        );
        assert_eq!(
            parse_share_expiry(" 90m ").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(parse_share_expiry("31d").unwrap(), MAX_SHARE_EXPIRY);
        for bad in ["32d", "7", "d", "7w", "-1d", "0m", "99999999999999999999d"] {
            match parse_share_expiry(bad) {
                Err(AppError::InvalidInput { field: Some(f), .. }) => assert_eq!(f, "expires"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
