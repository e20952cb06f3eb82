//! Checking an export offline: for each entry, that the disclosed records fold to
//! exactly the exported content, that a device signature covers each record's
//! chain, and that the server's receipt for each record verifies under the key
//! the verifier was given. Needs no device, journal key or network.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::export::model::{self, ExportDocument, ExportEntry, ManifestOperation, Provenances};
use crate::ids::{id_from_slice, AccountId};
use crate::journal::{Journal, OpId};
use crate::receipts;
use crate::record::{verify_run, Head};
use crate::store::StoredReceipt;

use super::disclose::open_operation;

/// What `mycase verify` found for one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryReport {
    pub entry_id: String,
    /// The disclosed records fold to exactly the exported entry: every field,
    /// every amendment and its time, every attachment's SHA-256.
    pub unchanged: bool,
    /// Each record chains to a record signed by its device's key.
    pub signed: bool,
    /// Each record has a server receipt that verifies under the given key.
    pub received: bool,
    /// The server's receipt times, one per record, in history order.
    pub received_at: Vec<String>,
    /// What failed, in words (empty when all holds).
    pub problems: Vec<String>,
}

impl EntryReport {
    pub fn ok(&self) -> bool {
        self.unchanged && self.signed && self.received && self.problems.is_empty()
    }
}

/// The whole verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: Vec<EntryReport>,
    /// Problems not tied to one entry (the document itself).
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.entries.iter().all(EntryReport::ok)
    }
}

/// A disclosed operation that checked out, with what the entry needs of it.
struct Opened {
    id: OpId,
    op: mycase_proto::v1::Operation,
    record_hash: String,
    received_ms: Option<u64>,
}

fn parse_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim()).ok()?.try_into().ok()
}

/// Checks one manifest operation; pushes what fails onto `report`.
fn check_operation(
    account: &AccountId,
    server_key: &[u8; 32],
    entry_id: &[u8; 16],
    m: &ManifestOperation,
    report: &mut EntryReport,
) -> Option<Opened> {
    let at = format!("record {}:{}", short(&m.record.device_id), m.record.idx);
    let Some(record) = m.record.to_record() else {
        report.unchanged = false;
        report
            .problems
            .push(format!("{at}: the sealed record is malformed"));
        return None;
    };
    let Some(device) = id_from_slice(&record.device_id) else {
        report.unchanged = false;
        report.problems.push(format!("{at}: bad device id"));
        return None;
    };
    let hash = mycase_proto::wire::record_hash(account, &record);
    if hex::encode(hash) != m.record_hash {
        report.unchanged = false;
        report
            .problems
            .push(format!("{at}: the record hash does not match the record"));
    }

    // Chain and device signature: this record and the chain up to a signed one.
    let chain: Option<Vec<_>> = std::iter::once(Some(record.clone()))
        .chain(m.chain.iter().map(model::ExportRecord::to_record))
        .collect();
    let signed = match (chain, parse_key(&m.device_public_key)) {
        (Some(chain), Some(key)) => {
            let prev: Option<[u8; 32]> = record.prev_hash.as_slice().try_into().ok();
            let head = prev.map(|hash| Head {
                idx: record.idx.saturating_sub(1),
                hash,
            });
            match head.map(|h| verify_run(account, &device, &key, &h, &chain)) {
                Some(Ok(run)) if run.covered == chain.len() => true,
                Some(Ok(_)) => {
                    report
                        .problems
                        .push(format!("{at}: no device signature covers it"));
                    false
                }
                Some(Err(e)) => {
                    report
                        .problems
                        .push(format!("{at}: signature or chain: {e}"));
                    false
                }
                None => {
                    report.problems.push(format!("{at}: malformed prev_hash"));
                    false
                }
            }
        }
        _ => {
            report
                .problems
                .push(format!("{at}: malformed chain or device key"));
            false
        }
    };
    report.signed &= signed;

    // The server's receipt, under the key the verifier trusts.
    let receipt = m.receipt.as_ref().and_then(|r| {
        let signature: [u8; 64] = hex::decode(&r.signature).ok()?.try_into().ok()?;
        Some(StoredReceipt {
            server_time_ms: r.server_time_ms,
            signature,
        })
    });
    match (&m.receipt, receipt) {
        (None, _) => {
            report.received = false;
            report.problems.push(format!("{at}: no server receipt"));
        }
        (Some(shown), Some(r))
            if receipts::verify_hash(
                server_key,
                account,
                &record.device_id,
                record.idx,
                &hash,
                &r,
            ) =>
        {
            let time = i64::try_from(r.server_time_ms)
                .map(model::rfc3339)
                .unwrap_or_default();
            if shown.server_time != time {
                report.received = false;
                report
                    .problems
                    .push(format!("{at}: the receipt's written time was altered"));
            }
            report.received_at.push(time);
        }
        (Some(_), _) => {
            report.received = false;
            report.problems.push(format!(
                "{at}: the server receipt does not verify under the given server key \
                 (receipt altered, record altered, or another server)"
            ));
        }
    }
    // The entry shows the receipt's time as the manifest states it; whether the
    // receipt verifies is reported above.
    let received_ms = m.receipt.as_ref().map(|r| r.server_time_ms);

    // The content: open with the disclosed subkey.
    let Some(subkey) = parse_key(&m.subkey) else {
        report.unchanged = false;
        report
            .problems
            .push(format!("{at}: malformed disclosed key"));
        return None;
    };
    let op = match open_operation(account, &record, &subkey) {
        Ok(op) => op,
        Err(e) => {
            report.unchanged = false;
            report.problems.push(format!("{at}: {e}"));
            return None;
        }
    };
    if !operation_is_for(&op, entry_id) {
        report.unchanged = false;
        report
            .problems
            .push(format!("{at}: the record is about another entry"));
        return None;
    }
    Some(Opened {
        id: OpId {
            device,
            idx: record.idx,
        },
        op,
        record_hash: hex::encode(hash),
        received_ms,
    })
}

fn operation_is_for(op: &mycase_proto::v1::Operation, entry_id: &[u8; 16]) -> bool {
    use mycase_proto::v1::operation::Body;
    let id = match &op.body {
        Some(Body::EntryCreated(b)) => &b.entry_id,
        Some(Body::EntryAmended(b)) => &b.entry_id,
        Some(Body::EntryDeleted(b)) => &b.entry_id,
        Some(Body::EntryRestored(b)) => &b.entry_id,
        Some(Body::AttachmentAdded(b)) => &b.entry_id,
        _ => return false,
    };
    id.as_slice() == entry_id.as_slice()
}

fn short(hex_id: &str) -> &str {
    hex_id.get(..8).unwrap_or(hex_id)
}

/// Names a difference between the recorded and the exported entry in words.
fn describe(path: &str, exported: &ExportEntry) -> String {
    let what = if path.contains("sha256") {
        "attachment SHA-256"
    } else if path.starts_with("attachments") {
        "attachment"
    } else if path.contains("received_at") {
        "receipt time"
    } else if path.starts_with("history[") {
        let i: usize = path
            .trim_start_matches("history[")
            .split(']')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        match exported.history.get(i).map(|r| r.kind.as_str()) {
            Some("amended") if path.contains("recorded_at") => "amendment time",
            Some("amended") => "amendment",
            Some("created") if path.contains("recorded_at") => "recorded time",
            Some("created") => "original text",
            _ => "history",
        }
    } else if path.starts_with("occurred_at") {
        "occurred time"
    } else if path.starts_with("recorded_at") {
        "recorded time"
    } else if path.starts_with("text") || path.starts_with("title") {
        "entry text"
    } else {
        "entry field"
    };
    format!("{what} differs from what was recorded ({path})")
}

/// Paths where two JSON values differ.
fn diff(path: &str, recorded: &Value, exported: &Value, out: &mut Vec<String>) {
    match (recorded, exported) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(
                    &sub,
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (a, b) if a != b => out.push(path.to_string()),
        _ => {}
    }
}

/// Verifies one exported entry against its manifest operations.
fn verify_entry(
    account: &AccountId,
    server_key: &[u8; 32],
    entry: &ExportEntry,
    ops: &[&ManifestOperation],
) -> EntryReport {
    let mut report = EntryReport {
        entry_id: entry.id.clone(),
        unchanged: true,
        signed: true,
        received: true,
        received_at: Vec::new(),
        problems: Vec::new(),
    };
    let Some(entry_id) = hex::decode(&entry.id).ok().and_then(|b| id_from_slice(&b)) else {
        report.unchanged = false;
        report.problems.push("the entry id is malformed".into());
        return report;
    };
    if ops.is_empty() {
        report.unchanged = false;
        report.signed = false;
        report.received = false;
        report
            .problems
            .push("the manifest holds no record for this entry".into());
        return report;
    }
    let mut journal = Journal::new();
    let mut known = Provenances::new();
    let mut device_keys: BTreeMap<String, &str> = BTreeMap::new();
    for m in ops {
        if let Some(prev) = device_keys.insert(m.record.device_id.clone(), &m.device_public_key) {
            if prev != m.device_public_key {
                report.signed = false;
                report
                    .problems
                    .push("records of one device name different device keys".into());
            }
        }
        if let Some(opened) = check_operation(account, server_key, &entry_id, m, &mut report) {
            known.insert(opened.id, (opened.record_hash, opened.received_ms));
            journal.insert(opened.id, opened.op);
        }
    }
    let Some(view) = journal.entry(&entry_id) else {
        report.unchanged = false;
        report
            .problems
            .push("the records do not include the entry's creation".into());
        return report;
    };
    let recorded = serde_json::to_value(model::entry(&view, &known)).unwrap_or(Value::Null);
    let exported = serde_json::to_value(entry).unwrap_or(Value::Null);
    let mut paths = Vec::new();
    diff("", &recorded, &exported, &mut paths);
    if !paths.is_empty() {
        report.unchanged = false;
        report
            .problems
            .extend(paths.iter().map(|p| describe(p, entry)));
    }
    report
}

/// Verifies a whole export document under the server key the verifier trusts.
pub fn verify_document(doc: &ExportDocument, server_key: &[u8; 32]) -> VerifyReport {
    let mut problems = Vec::new();
    if doc.format != model::EXPORT_FORMAT {
        problems.push(format!("unknown export format {:?}", doc.format));
    }
    let account: Option<AccountId> = hex::decode(&doc.manifest.account_id)
        .ok()
        .and_then(|b| id_from_slice(&b));
    let Some(account) = account else {
        problems.push("the manifest's account id is malformed".into());
        return VerifyReport {
            entries: Vec::new(),
            problems,
        };
    };
    let mut by_entry: BTreeMap<&str, Vec<&ManifestOperation>> = BTreeMap::new();
    for m in &doc.manifest.operations {
        by_entry.entry(m.entry_id.as_str()).or_default().push(m);
    }
    let entries: Vec<EntryReport> = doc
        .entries
        .iter()
        .map(|e| {
            let ops = by_entry.remove(e.id.as_str()).unwrap_or_default();
            verify_entry(&account, server_key, e, &ops)
        })
        .collect();
    if !by_entry.is_empty() {
        problems.push(format!(
            "the manifest holds records of {} entries that are not in the export",
            by_entry.len()
        ));
    }
    VerifyReport { entries, problems }
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyInputError {
    #[error("not a MyCase export: no embedded export document was found")]
    NoDocument,
    #[error("the export document is not readable")]
    Json(#[from] serde_json::Error),
}

/// Verifies an export file's text: the JSON export, or the HTML export (its
/// embedded document, and that each entry's visible text on the page is exactly
/// what the verified document renders to).
pub fn verify_export_text(
    text: &str,
    server_key: &[u8; 32],
) -> Result<VerifyReport, VerifyInputError> {
    use crate::export::html;
    if text.trim_start().starts_with('{') {
        let doc: ExportDocument = serde_json::from_str(text)?;
        return Ok(verify_document(&doc, server_key));
    }
    let embedded = html::extract_document(text).ok_or(VerifyInputError::NoDocument)?;
    let doc: ExportDocument = serde_json::from_str(embedded)?;
    let mut report = verify_document(&doc, server_key);
    let names = html::person_names(&doc);
    // The page outside the embedded document.
    let page = text.replacen(embedded, "", 1);
    let shown = page.matches(r#"<article class="entry""#).count();
    if shown != doc.entries.len() {
        report.problems.push(format!(
            "the page shows {shown} entries but its embedded document holds {}",
            doc.entries.len()
        ));
    }
    for (entry, r) in doc.entries.iter().zip(report.entries.iter_mut()) {
        if !page.contains(&html::entry_article(entry, &names)) {
            r.unchanged = false;
            r.problems.push(
                "the page's visible text for this entry differs from its recorded content".into(),
            );
        }
    }
    Ok(report)
}
