//! Sharing with an advocate (links with expiry, view limit and password) and the
//! journal's devices: the list, adding a phone by pairing code, revoking.

use std::sync::Arc;

use mycase_core::app::{
    self, AddedDevice, DeviceInfo, PairingRequest, PairingSession, RevokedDevice, ShareList,
    WithholdChoice,
};
use zeroize::Zeroizing;

use crate::error::FfiResult;
use crate::journal::Journal;
use crate::runtime::run;

/// A share to create: which entries, for how long, how many views.
#[derive(uniffi::Record)]
pub struct ShareRequest {
    /// Entry ids (hex); empty with no other condition means none.
    pub entry_ids: Vec<String>,
    /// Entries from this day on (`YYYY-MM-DD`), or empty.
    pub from: String,
    /// Up to and including this day, or empty.
    pub to: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    /// How long the link works: "7d", "48h", "2w" (empty: the default).
    pub expires: String,
    /// Opens allowed (0: the default).
    pub max_views: u32,
    /// A password the advocate must also type, if one.
    pub password: Option<String>,
    /// Whether the attachments go with it.
    pub include_attachments: bool,
    /// Keep photos' location metadata (off: shared as copies without it).
    pub keep_location: bool,
    /// Fields or words to leave out of this share (the advocate sees `[withheld]`).
    #[uniffi(default)]
    pub withhold: Vec<WithholdChoice>,
}

/// A created share.
#[derive(uniffi::Record)]
pub struct SharedLink {
    pub share_id: String,
    /// The link to give the advocate (its key is after the `#`: never logged).
    pub link: String,
    pub expires_at_ms: i64,
    pub max_views: u32,
    pub entries: u32,
    pub attachments: u32,
    /// What was shared, in words.
    pub description: String,
    /// Photos shared as copies without location metadata.
    pub location_removed: u32,
    /// Attachments whose location metadata could not be read (shared as they are).
    pub location_unread: Vec<String>,
}

/// Adding a device: show `code()` (or `qr_text()` as a QR code) on this device,
/// wait for the new device's request, then confirm the matching code it shows.
#[derive(uniffi::Object)]
pub struct Pairing {
    session: PairingSession,
}

#[uniffi::export]
impl Pairing {
    /// The pairing code to type on the new device.
    pub fn code(&self) -> String {
        self.session.code().to_string()
    }

    /// The text of the QR code (the server and the code).
    pub fn qr_text(&self) -> String {
        self.session.qr_text().to_string()
    }

    /// When the code stops working (ms since the epoch).
    pub fn expires_at_ms(&self) -> i64 {
        self.session.expires_at_ms()
    }

    /// Waits for the new device to ask (or the code to expire).
    pub async fn await_request(&self) -> FfiResult<PairingRequest> {
        let session = self.session.clone();
        run(async move { Ok(session.await_request().await?) }).await
    }

    /// Confirms with the matching code the new device shows: it joins the journal.
    pub async fn confirm(&self, matching_code: String) -> FfiResult<AddedDevice> {
        let session = self.session.clone();
        run(async move { Ok(session.confirm(&matching_code).await?) }).await
    }

    /// Gives up (the code stops working).
    pub async fn cancel(&self) -> FfiResult<()> {
        let session = self.session.clone();
        run(async move {
            session.cancel().await;
            Ok(())
        })
        .await
    }
}

#[uniffi::export]
impl Journal {
    /// Creates a share link for an advocate.
    pub async fn create_share(&self, request: ShareRequest) -> FfiResult<SharedLink> {
        let app = self.app.clone();
        run(async move {
            let input = app::ShareInput {
                entry_ids: request.entry_ids,
                from: request.from,
                to: request.to,
                categories: request.categories,
                tags: request.tags,
                expires: request.expires,
                max_views: request.max_views,
                password: request.password.map(Zeroizing::new),
                include_attachments: request.include_attachments,
                keep_location: request.keep_location,
                withhold: request.withhold,
            };
            let made = app.create_share(input).await?;
            Ok(SharedLink {
                link: made.link.to_string(),
                share_id: made.share_id.clone(),
                expires_at_ms: made.expires_at_ms,
                max_views: made.max_views,
                entries: made.entries,
                attachments: made.attachments,
                description: made.description.clone(),
                location_removed: made.location_removed,
                location_unread: made.location_unread.clone(),
            })
        })
        .await
    }

    /// The shares made, with when each was opened (as far as the server says).
    pub async fn shares(&self) -> FfiResult<ShareList> {
        let app = self.app.clone();
        run(async move { Ok(app.shares().await?) }).await
    }

    /// A share's link again (to copy it).
    pub async fn share_link(&self, share_id: String) -> FfiResult<String> {
        let app = self.app.clone();
        run(async move { Ok(app.share_link(&share_id).await?.to_string()) }).await
    }

    /// Ends a share at once.
    pub async fn revoke_share(&self, share_id: String) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move { Ok(app.revoke_share(&share_id).await?) }).await
    }

    /// The journal's devices, with last seen (asks the server).
    pub async fn devices(&self) -> FfiResult<Vec<DeviceInfo>> {
        let app = self.app.clone();
        run(async move { Ok(app.devices().await?) }).await
    }

    /// Revokes a device (by id or any unique part of its name): it erases itself
    /// at its next sync, and the journal's keys move on without it.
    pub async fn revoke_device(&self, device: String) -> FfiResult<RevokedDevice> {
        let app = self.app.clone();
        run(async move { Ok(app.revoke_device(&device).await?) }).await
    }

    /// Starts adding a device.
    pub async fn begin_pairing(&self) -> FfiResult<Arc<Pairing>> {
        let app = self.app.clone();
        run(async move {
            let session = app.begin_pairing().await?;
            Ok(Arc::new(Pairing { session }))
        })
        .await
    }
}
