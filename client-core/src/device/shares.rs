//! Making, listing and revoking shares from a device, and fetching and opening a
//! link (the I/O around the pure share modules).

use crate::evidence::withheld::{withhold_in_view, WithholdError, Withholding};
use std::time::Duration;

use mycase_proto::v1::ShareInfo;
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::device::attachments::AttachmentError;
use crate::journal::shares::{share_created, share_revoked, NewShare};
use crate::share::access::AccessToken;
use crate::share::link::ShareLink;
use crate::share::location::{carry_copies_without_location, LocationError, LocationReport};
use crate::share::select::{self, Selection};
use crate::share::{seal_new, ContentsError};
use crate::store::LocalStore;
use crate::transport::grpc::GrpcTransport;
use crate::transport::{Refusal, TransportError};
use crate::{Device, DeviceError};

/// The longest a share may live (the server enforces its own limit too).
pub const MAX_SHARE_EXPIRY: Duration = Duration::from_secs(31 * 24 * 3600);
/// How long a share lives unless asked otherwise.
pub const DEFAULT_SHARE_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest bundle a client will fetch (the server's default limit).
pub const MAX_SHARE_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

/// What to share and how. `Debug` never shows the password.
pub struct ShareRequest {
    /// Which entries to share.
    pub selection: Selection,
    /// How long the link works.
    pub expires_in: Duration,
    /// 0 = unlimited.
    pub max_views: u32,
    /// A password the advocate must also type, if any.
    pub password: Option<Zeroizing<String>>,
    /// Include the entries' attachments.
    pub include_attachments: bool,
    /// Carry photos that record where they were taken as copies without it
    /// (the journal keeps the originals; the share names both checksums).
    pub strip_location: bool,
}

impl std::fmt::Debug for ShareRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareRequest")
            .field("selection", &self.selection)
            .field("expires_in", &self.expires_in)
            .field("max_views", &self.max_views)
            .field("has_password", &self.password.is_some())
            .field("include_attachments", &self.include_attachments)
            .field("strip_location", &self.strip_location)
            .finish()
    }
}

/// A share made and recorded. `Debug` never shows the link.
pub struct CreatedShare {
    /// The share's id on the server.
    pub share_id: [u8; 16],
    /// The link to hand over (it holds the key: never log it).
    pub link: Zeroizing<String>,
    /// When the link stops working (Unix milliseconds, the server's clock).
    pub expires_at_ms: i64,
    /// Entries shared.
    pub entries: usize,
    /// Attachments shared.
    pub attachments: usize,
    /// The selection, in words.
    pub description: String,
    /// Size of the sealed bundle.
    pub bundle_bytes: usize,
    /// Photos carried as copies without location, and files that may record a
    /// place MyCase cannot read.
    pub location: LocationReport,
}

impl std::fmt::Debug for CreatedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedShare")
            .field("share_id", &hex::encode(self.share_id))
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Why making, listing or revoking a share failed.
#[derive(Debug, thiserror::Error)]
pub enum ShareDeviceError {
    /// The selection names nothing.
    #[error("nothing was selected to share")]
    NothingSelected,
    /// No entry matches the selection.
    #[error("no entry matches the selection")]
    NoMatchingEntry,
    /// The share would last longer than a share may.
    #[error("a share can last at most 31 days")]
    TooLong,
    /// The share would last less than a minute.
    #[error("a share must last at least one minute")]
    TooShort,
    /// No share has that id.
    #[error("no share has that id")]
    UnknownShare,
    /// More than one share starts with the id given.
    #[error("{candidates} shares start with that id; give more of it")]
    AmbiguousShare {
        /// How many.
        candidates: usize,
    },
    /// The device failed (store, journal, server refusal).
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// An attachment could not be fetched for the share.
    #[error("could not include an attachment")]
    Attachment(#[source] AttachmentError),
    /// The bundle could not be built.
    #[error("could not build the share")]
    Contents(#[source] ContentsError),
    /// A photo could not be copied without its location.
    #[error("could not make a copy without location data")]
    Location(#[source] LocationError),
    /// What was asked to be withheld cannot be withheld as asked.
    #[error(transparent)]
    Withhold(WithholdError),
    /// Talking to the server failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// Why fetching a link's bundle failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// `reason` is the server's: expired, revoked, view limit reached, unknown.
    #[error("{}", ended_message(.0))]
    Ended(String),
    /// The server refused the link's access token: the key part of the link is
    /// not this share's (cut short or changed). Nothing was counted.
    #[error("the link's key does not open this share: the link is incomplete or was changed (copy the whole link, including the part after #)")]
    WrongKey,
    /// Talking to the server failed otherwise.
    #[error(transparent)]
    Transport(TransportError),
}

/// The same words as the browser viewer's.
pub fn ended_message(reason: &str) -> &'static str {
    match reason {
        "expired" => "this share has ended: it has expired",
        "revoked" => "this share has ended: the person who shared it has withdrawn it",
        "view limit reached" => "this share has ended: it has been opened as many times as allowed",
        _ => "this share does not exist or has ended",
    }
}

impl<S: LocalStore> Device<S> {
    /// Builds, seals and uploads a share of the selected entries, then records it
    /// in the journal (sync afterwards so other devices list it). Nothing is
    /// recorded if the upload fails.
    pub async fn create_share(
        &mut self,
        transport: &GrpcTransport,
        request: ShareRequest,
    ) -> Result<CreatedShare, ShareDeviceError> {
        self.create_share_withholding(transport, request, &[]).await
    }

    /// [`Device::create_share`], withholding from this share alone the fields
    /// and passages `withholdings` name: each place reads
    /// [`crate::evidence::withheld::WITHHELD_MARK`], in the entry and in its
    /// history. (A share carries no proof, so this works on entries of any age.)
    pub async fn create_share_withholding(
        &mut self,
        transport: &GrpcTransport,
        request: ShareRequest,
        withholdings: &[Withholding],
    ) -> Result<CreatedShare, ShareDeviceError> {
        if request.selection.is_empty() {
            return Err(ShareDeviceError::NothingSelected);
        }
        if request.expires_in > MAX_SHARE_EXPIRY {
            return Err(ShareDeviceError::TooLong);
        }
        if request.expires_in < Duration::from_secs(60) {
            return Err(ShareDeviceError::TooShort);
        }
        let mut entries = select::selected_entries(&self.journal, &request.selection);
        if entries.is_empty() {
            return Err(ShareDeviceError::NoMatchingEntry);
        }
        for w in withholdings {
            if !entries.iter().any(|e| e.id == w.entry) {
                return Err(ShareDeviceError::Withhold(WithholdError::NotExported {
                    entry: crate::evidence::withheld::short_entry(&w.entry),
                }));
            }
        }
        for e in &mut entries {
            withhold_in_view(e, withholdings).map_err(ShareDeviceError::Withhold)?;
        }
        let description = request.selection.describe(entries.len());
        let (mut manifest, to_fetch) = select::manifest(
            &self.journal,
            &entries,
            request.include_attachments,
            description.clone(),
            now_ms(),
        );
        self.authenticate(transport).await?;
        let mut files = Vec::with_capacity(to_fetch.len());
        for att in &to_fetch {
            files.push(
                self.attachment_bytes(transport, att)
                    .await
                    .map_err(ShareDeviceError::Attachment)?,
            );
        }
        let location = if request.strip_location {
            carry_copies_without_location(&mut manifest, &mut files)
                .map_err(ShareDeviceError::Location)?
        } else {
            LocationReport::default()
        };
        let file_refs: Vec<&[u8]> = files.iter().map(|f| f.as_slice()).collect();
        let sealed = seal_new(
            &manifest,
            &file_refs,
            request.password.as_ref().map(|p| p.as_bytes()),
        )
        .map_err(ShareDeviceError::Contents)?;
        drop(files);
        let bundle_bytes = sealed.bundle.len();
        let expires_at_unix = transport
            .create_share(
                sealed.share_id,
                request.expires_in.as_secs(),
                request.max_views,
                sealed.bundle,
                AccessToken::of(&sealed.key).hash(),
            )
            .await?;
        let expires_at_ms = i64::try_from(expires_at_unix)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        let entry_ids: Vec<_> = entries.iter().map(|e| e.id).collect();
        let server_url = self.server_url().to_string();
        let body = share_created(&NewShare {
            share_id: sealed.share_id,
            link_key: &sealed.key,
            server_url: &server_url,
            entry_ids: &entry_ids,
            description: &description,
            expires_at_ms,
            max_views: request.max_views,
            has_password: request.password.is_some(),
            includes_attachments: request.include_attachments,
        });
        if let Err(e) = self.commit(vec![body]) {
            // Unrecorded, the survivor could not see or revoke it: end it now.
            let _ = transport.revoke_share(sealed.share_id).await;
            return Err(e.into());
        }
        Ok(CreatedShare {
            share_id: sealed.share_id,
            link: crate::share::link::format(&server_url, &sealed.share_id, &sealed.key),
            expires_at_ms,
            entries: entries.len(),
            attachments: to_fetch.len(),
            description,
            bundle_bytes,
            location,
        })
    }

    /// The share meant by an id prefix (at least 4 hex digits), from the journal.
    pub fn resolve_share(&self, prefix: &str) -> Result<[u8; 16], ShareDeviceError> {
        match self.journal.resolve_share(prefix).as_deref() {
            None | Some([]) => Err(ShareDeviceError::UnknownShare),
            Some([one]) => Ok(one.share_id),
            Some(many) => Err(ShareDeviceError::AmbiguousShare {
                candidates: many.len(),
            }),
        }
    }

    /// Ends a share on the server at once and records the revocation. A share
    /// the server no longer holds (ended, purged) is still recorded as revoked.
    pub async fn revoke_share(
        &mut self,
        transport: &GrpcTransport,
        share_id: [u8; 16],
    ) -> Result<(), ShareDeviceError> {
        self.authenticate(transport).await?;
        match transport.revoke_share(share_id).await {
            Ok(()) => {}
            Err(e) if e.refusal() == Some(&Refusal::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.commit(vec![share_revoked(share_id)])?;
        Ok(())
    }

    /// The server's view of this account's shares (views, opening times, state).
    pub async fn server_shares(
        &self,
        transport: &GrpcTransport,
    ) -> Result<Vec<ShareInfo>, ShareDeviceError> {
        self.authenticate(transport).await?;
        Ok(transport.list_shares().await?)
    }
}

/// Fetches a link's bundle (counts one view), proving to the server that this
/// is someone with the link. No device is needed.
pub async fn fetch_bundle(
    transport: &GrpcTransport,
    link: &ShareLink,
) -> Result<Vec<u8>, FetchError> {
    let token = AccessToken::of(&link.key);
    transport
        .fetch_share(link.share_id, token.as_bytes(), MAX_SHARE_BUNDLE_BYTES)
        .await
        .map_err(|e| match e.refusal() {
            Some(Refusal::ShareEnded { reason }) => FetchError::Ended(reason.clone()),
            Some(Refusal::PermissionDenied) => FetchError::WrongKey,
            _ => FetchError::Transport(e),
        })
}
