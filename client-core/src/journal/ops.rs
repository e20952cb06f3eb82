//! Builders for operation bodies. The caller wraps a body with its clock, causal
//! context and device time ([`operation`]), because those belong to the device's log
//! and sync state, not to the journal model. The `parents` of entry and person
//! operations are filled in when the device commits them
//! ([`crate::evidence::parents`]), from the records it holds.

use mycase_proto::v1::{
    operation::Body, AttachmentAdded, DeviceAdded, EntryAmended, EntryCreated, EntryDeleted,
    EntryFields, EntryRestored, Hlc, Operation, PersonAdded, PersonAmended, PersonFields,
    VersionVector,
};

use super::{DeviceId, EntryId, PersonId};

/// A new entry with its original fields (never overwritten later).
pub fn create_entry(entry_id: EntryId, fields: EntryFields) -> Body {
    Body::EntryCreated(EntryCreated {
        entry_id: entry_id.to_vec(),
        fields: Some(fields),
    })
}

/// Sets the fields present in `fields`; earlier values stay in the history.
pub fn amend_entry(entry_id: EntryId, fields: EntryFields) -> Body {
    Body::EntryAmended(EntryAmended {
        entry_id: entry_id.to_vec(),
        fields: Some(fields),
        parents: Vec::new(),
    })
}

/// Moves an entry to the deleted list (nothing is erased; it can be restored).
pub fn delete_entry(entry_id: EntryId) -> Body {
    Body::EntryDeleted(EntryDeleted {
        entry_id: entry_id.to_vec(),
        parents: Vec::new(),
    })
}

/// Brings a deleted entry back.
pub fn restore_entry(entry_id: EntryId) -> Body {
    Body::EntryRestored(EntryRestored {
        entry_id: entry_id.to_vec(),
        parents: Vec::new(),
    })
}

/// Adds someone to the people list.
pub fn add_person(person_id: PersonId, fields: PersonFields) -> Body {
    Body::PersonAdded(PersonAdded {
        person_id: person_id.to_vec(),
        fields: Some(fields),
    })
}

/// Sets the fields of a person present in `fields`.
pub fn amend_person(person_id: PersonId, fields: PersonFields) -> Body {
    Body::PersonAmended(PersonAmended {
        person_id: person_id.to_vec(),
        fields: Some(fields),
        parents: Vec::new(),
    })
}

/// What is known about one uploaded file, to fetch and check its chunks later.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// The attachment's id within its entry.
    pub attachment_id: [u8; 16],
    /// The file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// SHA-256 of the plaintext.
    pub sha256: [u8; 32],
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// How many chunks.
    pub chunk_count: u64,
    /// The key epoch its chunks are sealed under.
    pub key_epoch: u32,
    /// See [`crate::format::attachment::ChunkFormat`].
    pub chunk_format: u32,
}

/// Attaches an uploaded file (its chunks already on the server) to an entry.
pub fn attachment_added(entry_id: EntryId, meta: AttachmentMeta) -> Body {
    Body::AttachmentAdded(AttachmentAdded {
        entry_id: entry_id.to_vec(),
        attachment_id: meta.attachment_id.to_vec(),
        name: meta.name,
        media_type: meta.media_type,
        size: meta.size,
        sha256: meta.sha256.to_vec(),
        chunk_size: meta.chunk_size,
        chunk_count: meta.chunk_count,
        key_epoch: meta.key_epoch,
        parents: Vec::new(),
        chunk_format: meta.chunk_format,
    })
}

/// Adds a device and its public keys to the journal's roster.
pub fn device_added(
    device_id: DeviceId,
    sign_public_key: [u8; 32],
    dh_public_key: [u8; 32],
    name: &str,
) -> Body {
    Body::DeviceAdded(DeviceAdded {
        device_id: device_id.to_vec(),
        sign_public_key: sign_public_key.to_vec(),
        dh_public_key: dh_public_key.to_vec(),
        name: name.to_owned(),
        recovery_certificate: Vec::new(),
    })
}

/// A complete operation: `hlc` from [`super::hlc::next`], `deps` the author's
/// applied vector (including its own previous idx), `recorded_at_ms` the device
/// clock.
pub fn operation(hlc: Hlc, deps: VersionVector, recorded_at_ms: i64, body: Body) -> Operation {
    Operation {
        hlc: Some(hlc),
        deps: Some(deps),
        recorded_at_ms,
        body: Some(body),
        sealed_texts: Vec::new(),
    }
}

impl std::fmt::Debug for AttachmentMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentMeta")
            .field("attachment_id", &hex::encode(self.attachment_id))
            .field("size", &self.size)
            .field("chunk_count", &self.chunk_count)
            .finish_non_exhaustive()
    }
}
