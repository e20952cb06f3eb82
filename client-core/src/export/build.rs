//! Building the export document from an unlocked device.

use crate::device::{now_ms, Device};
use crate::evidence::disclose::{record_subkey, DiscloseError};
use crate::journal::{categories, EntryView, OpId};
use crate::query::Filter;
use crate::store::LocalStore;
use mycase_proto::wire::record_hash;

use super::model::{
    self, rfc3339, ExportCategory, ExportDevice, ExportDocument, ExportFilter, ExportPerson,
    ExportReceipt, ExportRecord, Manifest, ManifestOperation, Provenances, EXPORT_FORMAT,
};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("an entry's operation is not in the local store")]
    MissingRecord,
    #[error("no trusted key is known for a device that wrote an exported entry")]
    UnknownDevice,
    #[error("a record cannot be disclosed")]
    Disclose(#[from] DiscloseError),
}

/// Every exported operation, and which entry it belongs to.
fn operations_of(entries: &[EntryView]) -> Vec<(OpId, [u8; 16])> {
    let mut ops = Vec::new();
    for e in entries {
        ops.extend(e.history.iter().map(|r| (r.op, e.id)));
        ops.extend(e.attachments.iter().map(|a| (a.added_by, e.id)));
    }
    ops
}

impl<S: LocalStore> Device<S> {
    /// The export of the entries `filter` selects (live and deleted), with the
    /// people list, categories, devices and the manifest that proves them.
    pub fn export_document(
        &self,
        filter: &Filter,
        described: ExportFilter,
    ) -> Result<ExportDocument, ExportError> {
        let journal = self.journal();
        let mut entries: Vec<EntryView> = journal
            .entries()
            .into_iter()
            .chain(journal.deleted_entries())
            .filter(|e| filter.matches(e))
            .collect();
        entries.sort_by_key(EntryView::timeline_key);

        let account = self.secrets.account_id;
        let mut known = Provenances::new();
        let mut operations = Vec::new();
        for (op, entry_id) in operations_of(&entries) {
            let log = self.store.log(&op.device);
            let position = usize::try_from(op.idx.saturating_sub(1))
                .map_err(|_| ExportError::MissingRecord)?;
            let record = log.get(position).ok_or(ExportError::MissingRecord)?;
            let hash = hex::encode(record_hash(&account, record));
            let receipt = self.store.receipt(&op.device, op.idx).copied();
            known.insert(op, (hash.clone(), receipt.map(|r| r.server_time_ms)));
            // The records after this one up to the first that carries a signature.
            let chain: Vec<ExportRecord> = if record.signature.is_empty() {
                let rest = log.get(position + 1..).unwrap_or(&[]);
                let end = rest
                    .iter()
                    .position(|r| !r.signature.is_empty())
                    .map_or(rest.len(), |i| i + 1);
                rest[..end].iter().map(ExportRecord::from_record).collect()
            } else {
                Vec::new()
            };
            let device_key = self
                .trusted_key(&op.device)
                .ok_or(ExportError::UnknownDevice)?;
            operations.push(ManifestOperation {
                entry_id: hex::encode(entry_id),
                record: ExportRecord::from_record(record),
                record_hash: hash,
                subkey: hex::encode(*record_subkey(&self.secrets.keyring, record)?),
                device_public_key: hex::encode(device_key),
                chain,
                receipt: receipt.map(|r| ExportReceipt {
                    server_time_ms: r.server_time_ms,
                    server_time: i64::try_from(r.server_time_ms)
                        .map(rfc3339)
                        .unwrap_or_default(),
                    signature: hex::encode(r.signature),
                }),
            });
        }

        let days: Vec<String> = entries
            .iter()
            .filter_map(|e| crate::query::happened_on(e).map(|d| d.to_string()))
            .collect();
        Ok(ExportDocument {
            format: EXPORT_FORMAT.to_string(),
            generated_at: rfc3339(now_ms()),
            generated_by: hex::encode(self.secrets.device_id),
            filter: described,
            first_day: days.iter().min().cloned(),
            last_day: days.iter().max().cloned(),
            entries: entries.iter().map(|e| model::entry(e, &known)).collect(),
            people: journal
                .people()
                .iter()
                .map(|p| ExportPerson {
                    id: hex::encode(p.id),
                    name: p.name.clone(),
                    role: p.role.clone(),
                    notes: p.notes.clone(),
                    recorded_at: rfc3339(p.recorded_at_ms),
                })
                .collect(),
            categories: categories::CATEGORIES
                .iter()
                .map(|(slug, name)| ExportCategory {
                    slug: slug.to_string(),
                    name: name.to_string(),
                })
                .collect(),
            devices: journal
                .devices()
                .iter()
                .map(|d| ExportDevice {
                    device_id: hex::encode(d.device_id),
                    name: d.name.clone(),
                    sign_public_key: hex::encode(d.sign_public_key),
                    added_at: rfc3339(d.added_at_ms),
                })
                .collect(),
            manifest: Manifest {
                account_id: hex::encode(account),
                server_key: self.store.sync_state().server_key.map(hex::encode),
                operations,
            },
        })
    }
}
