//! Checking an export offline. For each entry, person and device the document
//! lists: that the disclosed records fold to exactly what it shows, that a
//! signature by a device the document's own device records vouch for covers each
//! record's chain, that the server's receipt for each record verifies under the
//! key the verifier was given, and that no operation a shown one was written
//! after is left out. For an HTML file, also that the page is exactly what
//! MyCase renders from the verified document. Needs no device, journal key or
//! network. What this cannot prove is stated in [`VerifyReport::not_proven`].

use std::collections::{BTreeMap, BTreeSet};

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{Operation, Record};
use serde::Serialize;
use serde_json::Value;

use crate::export::model::{
    self, ExportDocument, ExportEntry, ExportRecord, ExportWithheld, Provenances, RecordProof,
    EXPORT_FORMAT, EXPORT_FORMAT_V1, EXPORT_FORMAT_V2, EXPORT_FORMAT_V3,
};
use crate::format::receipts;
use crate::format::receipts::StoredReceipt;
use crate::format::record::{verify_run, Head};
use crate::ids::{id_from_slice, AccountId, DeviceId};
use crate::journal::{Journal, OpId};

use super::copies::FileReport;
use super::disclose::{open_operation, weakly_bound};
use super::parents::{missing_parents, parents_of, subject_of, Subject};
use super::withheld::{show_texts, summarize, Shown, WITHHELD_MARK};

/// What holds for one listed entry, person or device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checks {
    /// The disclosed records fold to exactly what the document shows (every
    /// field, every amendment and its time, every attachment's metadata).
    pub unchanged: bool,
    /// Each record chains to one signed by its device, whose key a disclosed
    /// device record vouches for.
    pub signed: bool,
    /// Each record has a server receipt that verifies under the given key.
    pub received: bool,
    /// Every operation a disclosed one names as written before it is disclosed.
    pub complete: bool,
    /// The server's receipt times, one per record, in document order.
    pub received_at: Vec<String>,
    /// What failed, in words (empty when all holds).
    pub problems: Vec<String>,
    /// What holds only in a weaker form, in words; these do not fail the check.
    pub limits: Vec<String>,
}

impl Checks {
    fn new() -> Self {
        Checks {
            unchanged: true,
            signed: true,
            received: true,
            complete: true,
            received_at: Vec::new(),
            problems: Vec::new(),
            limits: Vec::new(),
        }
    }

    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.unchanged && self.signed && self.received && self.complete && self.problems.is_empty()
    }

    fn fail_unchanged(&mut self, problem: String) {
        self.unchanged = false;
        self.problems.push(problem);
    }
}

/// What `mycase verify` found for one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryReport {
    /// The entry (hex).
    pub entry_id: String,
    /// What was checked, and what failed.
    #[serde(flatten)]
    pub checks: Checks,
}

/// What `mycase verify` found for one person on the people list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonReport {
    /// The person (hex).
    pub person_id: String,
    /// What was checked, and what failed.
    #[serde(flatten)]
    pub checks: Checks,
}

/// What `mycase verify` found for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    /// The device (hex).
    pub device_id: String,
    /// What was checked, and what failed.
    #[serde(flatten)]
    pub checks: Checks,
}

impl EntryReport {
    /// Whether every check of the entry passed.
    pub fn ok(&self) -> bool {
        self.checks.ok()
    }
}

/// The whole verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The export format the document says it is.
    pub format: String,
    /// Each entry in the document.
    pub entries: Vec<EntryReport>,
    /// Each person in the document.
    pub people: Vec<PersonReport>,
    /// Each device in the document.
    pub devices: Vec<DeviceReport>,
    /// The attachment files beside the export, when they were looked at.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileReport>,
    /// Problems not tied to one item (the document or the page itself).
    pub problems: Vec<String>,
    /// What a verified export still does not prove, in plain words.
    pub not_proven: Vec<String>,
}

impl VerifyReport {
    /// Whether everything checked out.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
            && self.entries.iter().all(|e| e.checks.ok())
            && self.people.iter().all(|p| p.checks.ok())
            && self.devices.iter().all(|d| d.checks.ok())
    }
}

/// What no export proves, whatever its records.
pub const NOT_PROVEN: [&str; 5] = [
    "Operations written after the export are not in it, and the latest operation on an entry or person can be left out unnoticed: nothing written before it can name it.",
    "That every entry matching the export's filter is included: the file holds the entries the exporting device chose.",
    "When the export was made and by which device: that is the exporting device's word.",
    "When things happened and when they were recorded: those are the author's words and its device's clock. The server's receipt shows only that the server held the record by the receipt's time.",
    "Who held a device when it wrote: a signature shows which device wrote a record, not who used it.",
];

/// A disclosed record that opened, with what is needed of it.
struct Opened<'a> {
    id: OpId,
    op: Operation,
    hash: [u8; 32],
    record: Record,
    proof: &'a RecordProof,
    at: String,
    shown: Shown,
}

fn parse_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim()).ok()?.try_into().ok()
}

fn short(hex_id: &str) -> &str {
    hex_id.get(..8).unwrap_or(hex_id)
}

/// Opens one disclosed record with its disclosed key; pushes what fails.
fn open<'a>(
    account: &AccountId,
    proof: &'a RecordProof,
    checks: &mut Checks,
) -> Option<Opened<'a>> {
    let at = format!(
        "record {}:{}",
        short(&proof.record.device_id),
        proof.record.idx
    );
    let Some(record) = proof.record.to_record() else {
        checks.fail_unchanged(format!("{at}: the sealed record is malformed"));
        return None;
    };
    let Some(device) = id_from_slice(&record.device_id) else {
        checks.fail_unchanged(format!("{at}: bad device id"));
        return None;
    };
    let hash = mycase_proto::wire::record_hash(account, &record);
    if hex::encode(hash) != proof.record_hash {
        checks.fail_unchanged(format!("{at}: the record hash does not match the record"));
    }
    let Some(subkey) = parse_key(&proof.subkey) else {
        checks.fail_unchanged(format!("{at}: malformed disclosed key"));
        return None;
    };
    let mut op = match open_operation(account, &record, &subkey) {
        Ok(op) => op,
        Err(e) => {
            checks.fail_unchanged(format!("{at}: {e}"));
            return None;
        }
    };
    let shown = match show_texts(&mut op, record.format_version, &proof.texts) {
        Ok(shown) => shown,
        Err(e) => {
            checks.fail_unchanged(format!("{at}: {e}"));
            return None;
        }
    };
    if weakly_bound(&record) {
        checks.limits.push(format!(
            "{at} was written by an older MyCase (record format {}), which did not commit to its key: \
             the disclosed key opens it, but a record built to read two ways cannot be ruled out",
            record.format_version
        ));
    }
    Some(Opened {
        id: OpId {
            device,
            idx: record.idx,
        },
        op,
        hash,
        record,
        proof,
        at,
        shown,
    })
}

/// Checks the chain from `o` to a signed record under `key`.
fn check_signature(account: &AccountId, key: Option<[u8; 32]>, o: &Opened, checks: &mut Checks) {
    let at = &o.at;
    let Some(key) = key else {
        checks.signed = false;
        checks.problems.push(format!(
            "{at}: no device record in the export vouches for the key of device {}, which wrote it",
            short(&o.proof.record.device_id)
        ));
        return;
    };
    if parse_key(&o.proof.device_public_key) != Some(key) {
        checks.signed = false;
        checks.problems.push(format!(
            "{at}: signature check: the device key given beside the record is not the one the device records vouch for"
        ));
    }
    let chain: Option<Vec<Record>> = std::iter::once(Some(o.record.clone()))
        .chain(o.proof.chain.iter().map(ExportRecord::to_record))
        .collect();
    let Some(chain) = chain else {
        checks.signed = false;
        checks.problems.push(format!("{at}: malformed chain"));
        return;
    };
    let Ok(prev) = <[u8; 32]>::try_from(o.record.prev_hash.as_slice()) else {
        checks.signed = false;
        checks.problems.push(format!("{at}: malformed prev_hash"));
        return;
    };
    let head = Head {
        idx: o.record.idx.saturating_sub(1),
        hash: prev,
    };
    match verify_run(account, &o.id.device, &key, &head, &chain) {
        Ok(run) if run.covered == chain.len() => {}
        Ok(_) => {
            checks.signed = false;
            checks
                .problems
                .push(format!("{at}: no device signature covers it"));
        }
        Err(e) => {
            checks.signed = false;
            checks
                .problems
                .push(format!("{at}: signature or chain: {e}"));
        }
    }
}

/// Checks `o`'s receipt under the server key; returns its time as the
/// document states it (the entry shows that; whether it verifies is reported).
fn check_receipt(
    account: &AccountId,
    server_key: &[u8; 32],
    o: &Opened,
    checks: &mut Checks,
) -> Option<u64> {
    let at = &o.at;
    let Some(shown) = &o.proof.receipt else {
        checks.received = false;
        checks.problems.push(format!(
            "{at}: no server receipt: nothing shows when, or whether, the server received this record"
        ));
        return None;
    };
    let signature: Option<[u8; 64]> = hex::decode(&shown.signature)
        .ok()
        .and_then(|s| s.try_into().ok());
    let verified = signature.is_some_and(|signature| {
        receipts::verify_hash(
            server_key,
            account,
            &o.record.device_id,
            o.record.idx,
            &o.hash,
            &StoredReceipt {
                server_time_ms: shown.server_time_ms,
                signature,
            },
        )
    });
    if !verified {
        checks.received = false;
        checks.problems.push(format!(
            "{at}: the server receipt does not verify under the given server key \
             (receipt altered, record altered, or another server)"
        ));
        return Some(shown.server_time_ms);
    }
    let time = i64::try_from(shown.server_time_ms)
        .map(model::rfc3339)
        .unwrap_or_default();
    if shown.server_time != time {
        checks.received = false;
        checks
            .problems
            .push(format!("{at}: the receipt's written time was altered"));
    }
    checks.received_at.push(time);
    Some(shown.server_time_ms)
}

/// Requires that every parent a disclosed operation names is disclosed too.
fn check_complete(opened: &[Opened], what: &str, checks: &mut Checks) {
    let named: Vec<([u8; 32], &[Vec<u8>])> = opened
        .iter()
        .map(|o| {
            let parents = o.op.body.as_ref().and_then(parents_of).unwrap_or(&[]);
            (o.hash, parents)
        })
        .collect();
    for missing in missing_parents(named.iter().copied()) {
        checks.complete = false;
        let by: Vec<&str> = opened
            .iter()
            .filter(|o| {
                o.op.body
                    .as_ref()
                    .and_then(parents_of)
                    .is_some_and(|p| p.contains(&missing))
            })
            .map(|o| o.at.as_str())
            .collect();
        checks.problems.push(format!(
            "an operation on this {what} is left out: {} was written after record {}, which the export does not include (an amendment, deletion, restore or attachment was omitted)",
            by.join(", "),
            hex::encode(&missing).get(..16).unwrap_or_default()
        ));
    }
    for o in opened {
        let body = o.op.body.as_ref();
        if body.and_then(parents_of).is_some_and(<[Vec<u8>]>::is_empty) {
            checks.limits.push(format!(
                "{} names no earlier operation (written by an older MyCase): an operation left out before it would not be detected",
                o.at
            ));
        }
    }
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

fn paths_differing<T: Serialize>(recorded: &T, exported: &T) -> Vec<String> {
    let recorded = serde_json::to_value(recorded).unwrap_or(Value::Null);
    let exported = serde_json::to_value(exported).unwrap_or(Value::Null);
    let mut paths = Vec::new();
    diff("", &recorded, &exported, &mut paths);
    paths
}

/// One listed item's disclosed records, opened.
struct Item<'a> {
    checks: Checks,
    opened: Vec<Opened<'a>>,
}

fn open_all<'a>(
    account: &AccountId,
    proofs: &[&'a RecordProof],
    subject: Option<Subject>,
    what: &str,
) -> Item<'a> {
    let mut checks = Checks::new();
    let mut opened = Vec::new();
    if proofs.is_empty() {
        checks.fail_unchanged(format!("the manifest holds no record for this {what}"));
        checks.signed = false;
        checks.received = false;
    }
    for proof in proofs {
        let Some(o) = open(account, proof, &mut checks) else {
            continue;
        };
        let about = o.op.body.as_ref().and_then(subject_of);
        if subject.is_some() && about != subject {
            checks.fail_unchanged(format!("{}: the record is about another {what}", o.at));
            continue;
        }
        opened.push(o);
    }
    Item { checks, opened }
}

/// Signatures (under the roster's keys, or for a v1 document the key given
/// beside each record) and receipts of one item's records.
fn check_records(
    account: &AccountId,
    server_key: &[u8; 32],
    roster: Option<&BTreeMap<DeviceId, [u8; 32]>>,
    item: &mut Item,
) -> Provenances {
    let mut known = Provenances::new();
    for o in &item.opened {
        let key = match roster {
            Some(roster) => roster.get(&o.id.device).copied(),
            None => parse_key(&o.proof.device_public_key),
        };
        check_signature(account, key, o, &mut item.checks);
        let received = check_receipt(account, server_key, o, &mut item.checks);
        known.insert(o.id, (hex::encode(o.hash), received));
    }
    known
}

fn group<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a str,
    proof: impl Fn(&'a T) -> &'a RecordProof,
) -> BTreeMap<&'a str, Vec<&'a RecordProof>> {
    let mut by: BTreeMap<&str, Vec<&RecordProof>> = BTreeMap::new();
    for i in items {
        by.entry(key(i)).or_default().push(proof(i));
    }
    by
}

fn hex_id(id: &str) -> Option<[u8; 16]> {
    hex::decode(id).ok().and_then(|b| id_from_slice(&b))
}

/// The report and the journal folded from every disclosed record.
fn verify_with_journal(doc: &ExportDocument, server_key: &[u8; 32]) -> (VerifyReport, Journal) {
    let mut report = VerifyReport {
        format: doc.format.clone(),
        entries: Vec::new(),
        people: Vec::new(),
        devices: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
        not_proven: NOT_PROVEN.iter().map(|s| s.to_string()).collect(),
    };
    let v1 = doc.format == EXPORT_FORMAT_V1;
    if v1 {
        report.problems.push(format!(
            "this export was made by an older MyCase ({EXPORT_FORMAT_V1}): its entries can be checked, \
             but not its people list or devices, nor that no amendment or deletion was left out; \
             ask for a new export"
        ));
    } else if ![EXPORT_FORMAT, EXPORT_FORMAT_V3, EXPORT_FORMAT_V2].contains(&doc.format.as_str()) {
        report
            .problems
            .push(format!("unknown export format {:?}", doc.format));
        return (report, Journal::new());
    }
    let withholds = doc.entries.iter().any(|e| !e.withheld.is_empty())
        || doc
            .manifest
            .operations
            .iter()
            .any(|m| !m.proof.texts.is_empty());
    if doc.format != EXPORT_FORMAT && withholds {
        report.problems.push(format!(
            "the document says it is {} but shows texts as only {EXPORT_FORMAT} does: it was altered",
            doc.format
        ));
    }
    if doc.format != EXPORT_FORMAT && doc.format != EXPORT_FORMAT_V3 && !doc.presentation.is_empty()
    {
        report.problems.push(format!(
            "the document says it is {} but holds a header or photos only {EXPORT_FORMAT} has: it was altered",
            doc.format
        ));
    }
    let Some(account) = hex_id(&doc.manifest.account_id) else {
        report
            .problems
            .push("the manifest's account id is malformed".into());
        return (report, Journal::new());
    };
    let manifest = &doc.manifest;
    let mut entry_proofs = group(&manifest.operations, |m| &m.entry_id, |m| &m.proof);
    let mut person_proofs = group(&manifest.person_operations, |m| &m.person_id, |m| &m.proof);
    let mut device_proofs = group(&manifest.device_additions, |m| &m.device_id, |m| &m.proof);

    let mut entries: Vec<Item> = doc
        .entries
        .iter()
        .map(|e| {
            let proofs = entry_proofs.remove(e.id.as_str()).unwrap_or_default();
            let subject = hex_id(&e.id).map(Subject::Entry);
            let mut item = open_all(&account, &proofs, subject, "entry");
            if subject.is_none() {
                item.checks
                    .fail_unchanged("the entry id is malformed".into());
            }
            item
        })
        .collect();
    let mut people: Vec<Item> = doc
        .people
        .iter()
        .map(|p| {
            let proofs = person_proofs.remove(p.id.as_str()).unwrap_or_default();
            open_all(
                &account,
                &proofs,
                hex_id(&p.id).map(Subject::Person),
                "person",
            )
        })
        .collect();
    let mut devices: Vec<Item> = doc
        .devices
        .iter()
        .map(|d| {
            let proofs = device_proofs.remove(d.device_id.as_str()).unwrap_or_default();
            let mut item = open_all(&account, &proofs, None, "device");
            let adds = |o: &Opened| {
                matches!(&o.op.body, Some(Body::DeviceAdded(a)) if hex::encode(&a.device_id) == d.device_id)
            };
            if item.opened.len() != 1 || !item.opened.iter().all(adds) {
                item.checks.fail_unchanged(
                    "the export does not hold exactly one record adding this device".into(),
                );
            }
            item
        })
        .collect();
    for (left, what) in [
        (entry_proofs.len(), "entries that are not in the export"),
        (person_proofs.len(), "people who are not on its people list"),
        (device_proofs.len(), "devices it does not list"),
    ] {
        if left > 0 {
            report
                .problems
                .push(format!("the manifest holds records of {left} {what}"));
        }
    }
    if v1 {
        let newer = entries
            .iter()
            .flat_map(|i| &i.opened)
            .any(|o| !weakly_bound(&o.record));
        if newer || !doc.manifest.person_operations.is_empty() {
            report.problems.push(format!(
                "the document says it is {EXPORT_FORMAT_V1} but holds records only a newer MyCase writes: it was altered"
            ));
        }
    }

    let mut journal = Journal::new();
    for o in [&entries, &people, &devices]
        .into_iter()
        .flatten()
        .flat_map(|i| &i.opened)
    {
        journal.insert(o.id, o.op.clone());
    }
    let roster: BTreeMap<DeviceId, [u8; 32]> = journal
        .devices()
        .iter()
        .map(|d| (d.device_id, d.sign_public_key))
        .collect();
    let roster = (!v1).then_some(&roster);
    let listed: BTreeSet<&str> = doc.devices.iter().map(|d| d.device_id.as_str()).collect();

    // Entries.
    let mut views = Vec::new();
    for (e, mut item) in doc.entries.iter().zip(entries.drain(..)) {
        let known = check_records(&account, server_key, roster, &mut item);
        if !v1 {
            check_complete(&item.opened, "entry", &mut item.checks);
            let unlisted = unlisted_authors(&item_authors(&item.opened), &listed);
            item.checks.problems.extend(unlisted);
        }
        match hex_id(&e.id).and_then(|id| journal.entry(&id)) {
            Some(view) => {
                let mut recorded = model::entry(&view, &known);
                recorded.withheld = summarize(item.opened.iter().flat_map(|o| &o.shown.withheld));
                if !recorded.withheld.is_empty() {
                    item.checks.limits.push(withheld_limit(&recorded.withheld));
                }
                if item.opened.iter().any(|o| o.shown.typed_mark) {
                    item.checks.limits.push(format!(
                        "its words include \"{WITHHELD_MARK}\" as they were written: that is not a redaction"
                    ));
                }
                let paths = paths_differing(&recorded, e);
                for p in &paths {
                    item.checks.fail_unchanged(describe(p, e));
                }
                views.push(view);
            }
            None if item.opened.is_empty() => {}
            None => item
                .checks
                .fail_unchanged("the records do not include the entry's creation".into()),
        }
        report.entries.push(EntryReport {
            entry_id: e.id.clone(),
            checks: item.checks,
        });
    }
    if v1 {
        return (report, journal);
    }

    // People.
    for (p, mut item) in doc.people.iter().zip(people.drain(..)) {
        check_records(&account, server_key, roster, &mut item);
        check_complete(&item.opened, "person", &mut item.checks);
        match hex_id(&p.id).and_then(|id| journal.person(&id)) {
            Some(view) => {
                for path in paths_differing(&model::person(&view), p) {
                    item.checks.fail_unchanged(format!(
                        "the person's {path} differs from what was recorded"
                    ));
                }
            }
            None if item.opened.is_empty() => {}
            None => item
                .checks
                .fail_unchanged("the records do not include the person's addition".into()),
        }
        let mut checks = item.checks;
        checks
            .problems
            .extend(unlisted_authors(&item_authors(&item.opened), &listed));
        report.people.push(PersonReport {
            person_id: p.id.clone(),
            checks,
        });
    }

    // Devices.
    let roster_views = journal.devices();
    for (d, mut item) in doc.devices.iter().zip(devices.drain(..)) {
        check_records(&account, server_key, roster, &mut item);
        match roster_views
            .iter()
            .find(|v| hex::encode(v.device_id) == d.device_id)
        {
            Some(view) => {
                for path in paths_differing(&model::device(view), d) {
                    item.checks.fail_unchanged(format!(
                        "the device's {path} differs from what was recorded"
                    ));
                }
                if view.added_by.device == view.device_id {
                    item.checks.limits.push(
                        "it added itself: the journal's first device, or one set up from the recovery kit; \
                         the server's receipt is what places it in this account"
                            .into(),
                    );
                }
            }
            None if item.opened.is_empty() => {}
            None => item
                .checks
                .fail_unchanged("the records do not add this device".into()),
        }
        let mut checks = item.checks;
        checks
            .problems
            .extend(unlisted_authors(&item_authors(&item.opened), &listed));
        report.devices.push(DeviceReport {
            device_id: d.device_id.clone(),
            checks,
        });
    }

    // The document around them.
    if doc.categories != model::categories() {
        report.problems.push(
            "the categories list differs from the one MyCase defines (a category was renamed)"
                .into(),
        );
    }
    let (first_day, last_day) = model::day_range(&views);
    if (first_day.as_ref(), last_day.as_ref()) != (doc.first_day.as_ref(), doc.last_day.as_ref())
        && views.len() == doc.entries.len()
    {
        report.problems.push(
            "the first or last day given for the export differs from its entries' days".into(),
        );
    }
    super::copies::check_copies(doc, &mut report);
    let mut in_order = views.clone();
    in_order.sort_by_key(crate::journal::EntryView::timeline_key);
    if in_order != views {
        report.problems.push(
            "the entries are not in the order they happened, as the document says they are".into(),
        );
    }
    (report, journal)
}

/// What the verifier says of an entry from which the survivor withheld words.
fn withheld_limit(withheld: &[ExportWithheld]) -> String {
    let what: Vec<String> = withheld
        .iter()
        .map(|w| {
            let field = w.field.replace('_', " ");
            if w.part {
                format!("part of the {field}")
            } else {
                format!("the {field}")
            }
        })
        .collect();
    format!(
        "the survivor withheld {} from this copy (shown as {WITHHELD_MARK}): the words shown are proven, what was withheld is not in the file",
        what.join(", ")
    )
}

/// The entries the document's disclosed records fold to, with what each
/// withholds: exactly what a verifier reads. The exporter takes the entries it
/// withholds from out of this, so both sides agree by construction.
pub(crate) fn fold_disclosed(
    doc: &ExportDocument,
) -> (Journal, BTreeMap<String, Vec<ExportWithheld>>) {
    let mut journal = Journal::new();
    let mut withheld: BTreeMap<String, Vec<ExportWithheld>> = BTreeMap::new();
    let Some(account) = hex_id(&doc.manifest.account_id) else {
        return (journal, withheld);
    };
    let mut checks = Checks::new();
    let m = &doc.manifest;
    let entry_proofs = m.operations.iter().map(|o| (Some(&o.entry_id), &o.proof));
    let others = m
        .person_operations
        .iter()
        .map(|o| &o.proof)
        .chain(m.device_additions.iter().map(|o| &o.proof))
        .map(|p| (None, p));
    for (entry, proof) in entry_proofs.chain(others) {
        if let Some(o) = open(&account, proof, &mut checks) {
            if let Some(entry) = entry {
                withheld
                    .entry(entry.clone())
                    .or_default()
                    .extend(o.shown.withheld.iter().cloned());
            }
            journal.insert(o.id, o.op);
        }
    }
    let withheld = withheld
        .into_iter()
        .map(|(id, all)| (id, summarize(&all)))
        .collect();
    (journal, withheld)
}

fn item_authors(opened: &[Opened]) -> BTreeSet<String> {
    opened
        .iter()
        .map(|o| o.proof.record.device_id.clone())
        .collect()
}

/// A problem for each author the document's device list leaves out.
fn unlisted_authors(authors: &BTreeSet<String>, listed: &BTreeSet<&str>) -> Vec<String> {
    authors
        .iter()
        .filter(|a| !listed.contains(a.as_str()))
        .map(|a| {
            format!(
                "written by device {}, which the export does not list",
                short(a)
            )
        })
        .collect()
}

/// Verifies a whole export document under the server key the verifier trusts.
pub fn verify_document(doc: &ExportDocument, server_key: &[u8; 32]) -> VerifyReport {
    verify_with_journal(doc, server_key).0
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyInputError {
    /// The file holds no embedded export document.
    #[error("not a MyCase export: no embedded export document was found")]
    NoDocument,
    /// The embedded document is not readable JSON of the export format.
    #[error("the export document is not readable")]
    Json(#[from] serde_json::Error),
    /// A PDF that does not carry a readable chronology page.
    #[error(transparent)]
    Pdf(#[from] crate::export::pdf::PdfError),
    /// Neither a PDF nor text.
    #[error("not a MyCase export: the file is neither a PDF nor text")]
    NotText,
}

/// Where `page` first differs from `rendered`, in words, with a short excerpt
/// of the page there (control characters shown escaped).
fn first_difference(page: &str, rendered: &str) -> String {
    let at = page
        .char_indices()
        .zip(rendered.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(page.len().min(rendered.len()));
    let excerpt: String = page
        .get(at..)
        .unwrap_or_default()
        .chars()
        .take(48)
        .flat_map(char::escape_default)
        .collect();
    format!(
        "the page is not the one MyCase renders from its verified records: it differs at byte {at} \
         ({} bytes against {}), where the file reads \"{excerpt}\"; text was added, hidden, restyled \
         or changed, so what a reader sees is not proven",
        page.len(),
        rendered.len()
    )
}

/// Verifies an export file's text: the JSON export, or the HTML export (its
/// embedded document, and that the page is exactly what MyCase renders from it).
pub fn verify_export_text(
    text: &str,
    server_key: &[u8; 32],
) -> Result<VerifyReport, VerifyInputError> {
    Ok(verify_text(text, server_key)?.0)
}

/// [`verify_export_text`], and the attachment files beside the export:
/// `sha256_of(path)` hashes the file at `path` under the attachments folder
/// (`<attachment id>/<file name>`), or gives `None` when there is none. A file
/// that differs from what the export names fails the report; a copy without
/// location data is reported as such, never as the original.
pub fn verify_export_with_files(
    text: &str,
    server_key: &[u8; 32],
    sha256_of: impl FnMut(&str) -> Option<[u8; 32]>,
) -> Result<VerifyReport, VerifyInputError> {
    Ok(verify_export_document(text, server_key, sha256_of)?.0)
}

/// [`verify_export_with_files`], and the document the file carries (what it
/// claims, for showing beside the report; the report says what of it holds).
pub fn verify_export_document(
    text: &str,
    server_key: &[u8; 32],
    sha256_of: impl FnMut(&str) -> Option<[u8; 32]>,
) -> Result<(VerifyReport, ExportDocument), VerifyInputError> {
    let (mut report, doc) = verify_text(text, server_key)?;
    super::copies::check_files(&doc, &mut report, sha256_of);
    Ok((report, doc))
}

/// [`verify_export_document`] for a file's bytes: a PDF export (the page it
/// carries, verified as an HTML export is, and that its printed pages show
/// exactly that page), or the text of a JSON or HTML export.
pub fn verify_export_bytes(
    bytes: &[u8],
    server_key: &[u8; 32],
    sha256_of: impl FnMut(&str) -> Option<[u8; 32]>,
) -> Result<(VerifyReport, ExportDocument), VerifyInputError> {
    if !crate::export::pdf::is_pdf(bytes) {
        let text = std::str::from_utf8(bytes).map_err(|_| VerifyInputError::NotText)?;
        return verify_export_document(text, server_key, sha256_of);
    }
    let pdf = crate::export::pdf::load(bytes)?;
    let page = crate::export::pdf::embed::embedded_page_of(&pdf)?;
    let (mut report, doc) = verify_export_document(&page, server_key, sha256_of)?;
    super::printed::check_printed(&pdf, &page, &doc, &mut report);
    Ok((report, doc))
}

fn verify_text(
    text: &str,
    server_key: &[u8; 32],
) -> Result<(VerifyReport, ExportDocument), VerifyInputError> {
    use crate::export::{chronology, html};
    if text.trim_start().starts_with('{') {
        let doc: ExportDocument = serde_json::from_str(text)?;
        return Ok((verify_document(&doc, server_key), doc));
    }
    let embedded = html::extract_document(text).ok_or(VerifyInputError::NoDocument)?;
    let doc: ExportDocument = serde_json::from_str(embedded)?;
    let (mut report, journal) = verify_with_journal(&doc, server_key);
    if doc.format == EXPORT_FORMAT_V1 {
        report.problems.push(
            "an HTML export made by an older MyCase cannot be proven to show what its records say \
             (its page could hide or add text): check its JSON export, or ask for a new export"
                .into(),
        );
        return Ok((report, doc));
    }
    if doc.format == EXPORT_FORMAT_V2 {
        let rendered = html::render_page(&doc, &journal);
        if rendered != text {
            report.problems.push(first_difference(text, &rendered));
            let names = html::person_names(&doc);
            let copies = html::copies(&doc);
            for (entry, r) in doc.entries.iter().zip(report.entries.iter_mut()) {
                if !text.contains(&html::entry_article(entry, &names, &copies)) {
                    r.checks.fail_unchanged(ENTRY_TEXT_DIFFERS.into());
                }
            }
        }
        return Ok((report, doc));
    }
    let photos = super::photos::photos_in_page(&doc, text, &mut report);
    let rendered = chronology::render_page(&doc, &journal, &photos);
    if rendered != text {
        report.problems.push(first_difference(text, &rendered));
        let names = chronology::Names::of(&doc);
        for (entry, r) in doc.entries.iter().zip(report.entries.iter_mut()) {
            let article = chronology::entry_article(&doc, entry, &journal, &names, &photos);
            if !text.contains(&article) {
                r.checks.fail_unchanged(ENTRY_TEXT_DIFFERS.into());
            }
        }
    }
    Ok((report, doc))
}

const ENTRY_TEXT_DIFFERS: &str =
    "the page's visible text for this entry differs from its recorded content";
