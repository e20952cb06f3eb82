//! Building the export document from an unlocked device.
//!
//! Only what the selected entries involve goes in: the people they name (now or
//! in their history) and the devices that wrote any of it, with the devices that
//! added those (so each device's key is vouched for by a record in the file).
//! Every listed entry, person and device comes with the records that prove it.

use std::collections::{BTreeMap, BTreeSet};

use mycase_proto::v1::{EntryFields, Record};

use crate::clock::now_ms;
use crate::device::Device;
use crate::evidence::disclose::{record_subkey, DiscloseError};
use crate::evidence::withheld::{
    choose, covered_pieces, disclose, short_entry, unmatched, Choice, WithholdError, Withholding,
};
use crate::format::record::{open_record_texts, OperationError};
use crate::format::withholdable::{entry_fields, plain_text, OpenedText};
use crate::journal::{DeviceId, EntryView, OpId, PersonId};
use crate::query::Filter;
use crate::store::LocalStore;
use mycase_proto::wire::record_hash;

use crate::export::model::{
    self, rfc3339, DeviceAddition, ExportDocument, ExportFilter, ExportReceipt, ExportRecord,
    Manifest, ManifestOperation, PersonOperation, Provenances, RecordProof, TextDisclosure,
    EXPORT_FORMAT,
};

/// Why an export could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An exported operation has no record in the local store.
    #[error("an entry's operation is not in the local store")]
    MissingRecord,
    /// No trusted key is known for a device that wrote an exported entry.
    #[error("no trusted key is known for a device that wrote an exported entry")]
    UnknownDevice,
    /// A record could not be disclosed (its subkey derived).
    #[error("a record cannot be disclosed")]
    Disclose(#[from] DiscloseError),
    /// A stored record's texts could not be opened.
    #[error("an entry's record could not be read")]
    Operation(#[from] OperationError),
    /// What the survivor asked to withhold cannot be withheld as asked.
    #[error(transparent)]
    Withhold(#[from] WithholdError),
}

/// The withholdings asked for one entry, each with whether it matched yet.
struct Wanted<'a> {
    asked: Vec<(&'a Withholding, bool)>,
}

impl<'a> Wanted<'a> {
    fn for_entry(all: &'a [Withholding], entry: &[u8; 16]) -> Self {
        Wanted {
            asked: all
                .iter()
                .filter(|w| &w.entry == entry)
                .map(|w| (w, false))
                .collect(),
        }
    }

    /// The choice for one sealed text; marks what it matched.
    fn choose(&mut self, text: &OpenedText) -> Choice {
        let asked = self
            .asked
            .iter_mut()
            .filter(|(w, _)| w.field == text.field)
            .map(|(w, matched)| (*w, matched));
        choose(&text.text, asked)
    }

    /// Refuses a withholding of a text `fields` holds in the open (an older
    /// record, or one written without sealed texts).
    fn refuse_open_texts(
        &self,
        entry: &[u8; 16],
        fields: &EntryFields,
    ) -> Result<(), WithholdError> {
        for (w, _) in &self.asked {
            let Some(text) = plain_text(fields, w.field) else {
                continue;
            };
            let hit = w
                .passage
                .as_deref()
                .is_none_or(|p| covered_pieces(text, p).is_some());
            if hit {
                return Err(WithholdError::OlderRecord {
                    entry: short_entry(entry),
                    field: w.field.as_str(),
                });
            }
        }
        Ok(())
    }

    /// An error for the first withholding that matched nothing.
    fn unmatched(&self) -> Result<(), WithholdError> {
        match self.asked.iter().find(|(_, matched)| !matched) {
            None => Ok(()),
            Some((w, _)) => Err(unmatched(w)),
        }
    }
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

/// The people the entries name, now or in any revision (conflicting values
/// are revisions' values too).
fn people_of(entries: &[EntryView]) -> BTreeSet<PersonId> {
    entries
        .iter()
        .flat_map(|e| {
            e.people.iter().chain(
                e.history
                    .iter()
                    .flat_map(|r| r.fields.people.iter().flat_map(|list| list.values.iter())),
            )
        })
        .filter_map(|id| hex::decode(id).ok()?.try_into().ok())
        .collect()
}

impl<S: LocalStore> Device<S> {
    /// How a record's texts are shown, given what is withheld from its entry.
    fn texts_of(
        &self,
        record: &Record,
        entry: &[u8; 16],
        wanted: &mut Wanted,
    ) -> Result<Vec<TextDisclosure>, ExportError> {
        let (op, texts) =
            open_record_texts(&self.secrets.account_id, &self.secrets.keyring, record)?;
        if let Some(fields) = entry_fields(&op) {
            wanted.refuse_open_texts(entry, fields)?;
        }
        Ok(texts
            .iter()
            .map(|t| disclose(t, &wanted.choose(t)))
            .collect())
    }

    /// The record proof of one operation (its texts shown whole).
    fn proof_of(&self, op: OpId) -> Result<(RecordProof, String, Option<u64>), ExportError> {
        self.proof_withholding(op, &[0; 16], &mut Wanted { asked: Vec::new() })
    }

    /// The record proof of one operation of `entry`, withholding what is wanted.
    fn proof_withholding(
        &self,
        op: OpId,
        entry: &[u8; 16],
        wanted: &mut Wanted,
    ) -> Result<(RecordProof, String, Option<u64>), ExportError> {
        let account = self.secrets.account_id;
        let log = self.store.log(&op.device);
        let position =
            usize::try_from(op.idx.saturating_sub(1)).map_err(|_| ExportError::MissingRecord)?;
        let record = log.get(position).ok_or(ExportError::MissingRecord)?;
        let hash = hex::encode(record_hash(&account, record));
        let receipt = self.store.receipt(&op.device, op.idx).copied();
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
        let proof = RecordProof {
            record: ExportRecord::from_record(record),
            record_hash: hash.clone(),
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
            texts: self.texts_of(record, entry, wanted)?,
        };
        Ok((proof, hash, receipt.map(|r| r.server_time_ms)))
    }

    /// The export of the entries `filter` selects (deleted ones only when
    /// `described.include_deleted`, so the document says what it holds), with
    /// the people and devices they involve, the categories, and the manifest
    /// that proves them.
    pub fn export_document(
        &self,
        filter: &Filter,
        described: ExportFilter,
    ) -> Result<ExportDocument, ExportError> {
        self.export_document_withholding(filter, described, &[])
    }

    /// [`Device::export_document`], withholding from this document alone the
    /// fields and passages `withholdings` name. Each must match something in a
    /// selected entry, and an entry's withheld text reads
    /// [`crate::evidence::withheld::WITHHELD_MARK`] exactly as a verifier
    /// folds it from the disclosed records.
    pub fn export_document_withholding(
        &self,
        filter: &Filter,
        described: ExportFilter,
        withholdings: &[Withholding],
    ) -> Result<ExportDocument, ExportError> {
        for w in withholdings {
            crate::evidence::withheld::check(w)?;
        }
        let journal = self.journal();
        let mut entries: Vec<EntryView> = journal
            .entries()
            .into_iter()
            .chain(if described.include_deleted {
                journal.deleted_entries()
            } else {
                Vec::new()
            })
            .filter(|e| filter.matches(e))
            .collect();
        entries.sort_by_key(EntryView::timeline_key);

        let mut authors: BTreeSet<DeviceId> = BTreeSet::new();
        let mut known = Provenances::new();
        let mut operations = Vec::new();
        for w in withholdings {
            if !entries.iter().any(|e| e.id == w.entry) {
                return Err(WithholdError::NotExported {
                    entry: short_entry(&w.entry),
                }
                .into());
            }
        }
        let mut wanted: BTreeMap<[u8; 16], Wanted> = entries
            .iter()
            .map(|e| (e.id, Wanted::for_entry(withholdings, &e.id)))
            .collect();
        for (op, entry_id) in operations_of(&entries) {
            let (proof, hash, received) = match wanted.get_mut(&entry_id) {
                Some(w) => self.proof_withholding(op, &entry_id, w)?,
                None => self.proof_of(op)?,
            };
            known.insert(op, (hash, received));
            authors.insert(op.device);
            operations.push(ManifestOperation {
                entry_id: hex::encode(entry_id),
                proof,
            });
        }

        let people: Vec<_> = people_of(&entries)
            .iter()
            .filter_map(|id| journal.person(id))
            .collect();
        let mut person_operations = Vec::new();
        for p in &people {
            for op in journal.person_ops(&p.id) {
                authors.insert(op.device);
                person_operations.push(PersonOperation {
                    person_id: hex::encode(p.id),
                    proof: self.proof_of(op)?.0,
                });
            }
        }

        // The authors, and whoever added them, back to a device that added itself.
        let roster = journal.devices();
        let mut listed: BTreeSet<DeviceId> = BTreeSet::new();
        let mut pending: Vec<DeviceId> = authors.into_iter().collect();
        while let Some(id) = pending.pop() {
            if !listed.insert(id) {
                continue;
            }
            let view = roster
                .iter()
                .find(|d| d.device_id == id)
                .ok_or(ExportError::UnknownDevice)?;
            pending.push(view.added_by.device);
        }
        let devices: Vec<_> = roster
            .iter()
            .filter(|d| listed.contains(&d.device_id))
            .collect();
        let mut device_additions = Vec::new();
        for d in &devices {
            device_additions.push(DeviceAddition {
                device_id: hex::encode(d.device_id),
                proof: self.proof_of(d.added_by)?.0,
            });
        }

        for w in wanted.values() {
            w.unmatched()?;
        }
        let (first_day, last_day) = model::day_range(&entries);
        let mut doc = ExportDocument {
            format: EXPORT_FORMAT.to_string(),
            generated_at: rfc3339(now_ms()),
            generated_by: hex::encode(self.secrets.device_id),
            filter: described,
            first_day,
            last_day,
            entries: entries.iter().map(|e| model::entry(e, &known)).collect(),
            people: people.iter().map(model::person).collect(),
            categories: model::categories(),
            devices: devices.iter().map(|d| model::device(d)).collect(),
            patterns_as_of: None,
            attachment_copies: Vec::new(),
            presentation: Default::default(),
            manifest: Manifest {
                account_id: hex::encode(self.secrets.account_id),
                server_key: self.store.sync_state().server_key.map(hex::encode),
                operations,
                person_operations,
                device_additions,
            },
        };
        if !withholdings.is_empty() {
            withhold_in_entries(&mut doc, &known)?;
        }
        Ok(doc)
    }
}

/// Replaces each entry something was withheld from with what its disclosed
/// records fold to (the withheld words marked), as the verifier reads it. An
/// entry that does not fold back is an error, never left showing every word.
fn withhold_in_entries(doc: &mut ExportDocument, known: &Provenances) -> Result<(), ExportError> {
    let (journal, withheld) = crate::evidence::verify::fold_disclosed(doc);
    for e in &mut doc.entries {
        let Some(w) = withheld.get(&e.id).filter(|w| !w.is_empty()) else {
            continue;
        };
        let view = hex::decode(&e.id)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .and_then(|id| journal.entry(&id))
            .ok_or(ExportError::MissingRecord)?;
        *e = model::entry(&view, known);
        e.withheld = w.clone();
    }
    Ok(())
}
