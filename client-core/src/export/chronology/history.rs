//! What happened to an entry after it was first written, as events a reader
//! follows: written down, changed, moved to the trash, a file added. Changes
//! made at the same time on two devices (neither had seen the other's) and
//! then settled read as one event, the settling change, so a reader does not
//! take an edit clash for a changing story; Appendix A still lists each one.
//!
//! "At the same time" is causal, never a clock reading: two changes are
//! concurrent when neither record names the other as seen, and a change
//! settles them when its record names both (the journal's fold decides).

use std::collections::BTreeMap;

use crate::export::model::{ExportEntry, ExportRevision};
use crate::ids::id_from_slice;
use crate::journal::{Journal, OpId};

/// Field names in the order a reader meets them on the page.
pub(super) const FIELD_ORDER: [&str; 12] = [
    "title",
    "occurred_at",
    "text",
    "location",
    "people",
    "injuries",
    "police_references",
    "actions_taken",
    "impact",
    "categories",
    "severity",
    "tags",
];

/// One event in an entry's life.
pub(super) enum Event<'a> {
    /// The creation.
    Written(&'a ExportRevision),
    /// An amendment nothing else clashed with (or a clash not yet settled).
    Changed(&'a ExportRevision),
    /// Amendments made concurrently on different devices, and the amendment
    /// that settled them after seeing them all.
    Settled {
        /// The clashing amendments, in journal order.
        clashing: Vec<&'a ExportRevision>,
        /// The settling one.
        settling: &'a ExportRevision,
    },
    /// Moved to the trash.
    Deleted(&'a ExportRevision),
    /// Taken out of it.
    Restored(&'a ExportRevision),
    /// A file attached (its index in the entry's attachments).
    FileAdded(usize),
}

/// The operation a revision is.
pub(super) fn op_of(r: &ExportRevision) -> Option<OpId> {
    let device = hex::decode(&r.provenance.device)
        .ok()
        .and_then(|b| id_from_slice(&b))?;
    Some(OpId {
        device,
        idx: r.provenance.idx,
    })
}

fn happened_before(journal: &Journal, a: &ExportRevision, b: &ExportRevision) -> bool {
    match (op_of(a), op_of(b)) {
        (Some(a), Some(b)) => journal.happened_before(&a, &b),
        _ => false,
    }
}

/// Neither saw the other.
pub(super) fn concurrent(journal: &Journal, a: &ExportRevision, b: &ExportRevision) -> bool {
    !happened_before(journal, a, b) && !happened_before(journal, b, a)
}

fn shared_fields(a: &ExportRevision, b: &ExportRevision) -> Vec<String> {
    a.fields
        .keys()
        .filter(|k| b.fields.contains_key(*k))
        .cloned()
        .collect()
}

/// For each amendment that settled a clash (its index in the history), the
/// indexes of the clashing amendments it settled.
pub(super) fn settlements(entry: &ExportEntry, journal: &Journal) -> BTreeMap<usize, Vec<usize>> {
    let history = &entry.history;
    let amendments: Vec<usize> = (0..history.len())
        .filter(|&i| history[i].kind == "amended")
        .collect();
    let mut taken = vec![false; history.len()];
    let mut settled = BTreeMap::new();
    for &t in &amendments {
        if taken[t] {
            continue;
        }
        let settler = &history[t];
        let seen: Vec<usize> = amendments
            .iter()
            .copied()
            .filter(|&r| r < t && !taken[r] && happened_before(journal, &history[r], settler))
            .collect();
        let clashing: Vec<usize> = seen
            .iter()
            .copied()
            .filter(|&r| {
                seen.iter().any(|&other| {
                    other != r
                        && concurrent(journal, &history[r], &history[other])
                        && shared_fields(&history[r], &history[other])
                            .iter()
                            .any(|f| settler.fields.contains_key(f))
                })
            })
            .collect();
        if clashing.len() >= 2 {
            for &r in &clashing {
                taken[r] = true;
            }
            taken[t] = true;
            settled.insert(t, clashing);
        }
    }
    settled
}

/// The entry's events, in the order they were recorded.
pub(super) fn events<'a>(entry: &'a ExportEntry, journal: &Journal) -> Vec<Event<'a>> {
    let settled = settlements(entry, journal);
    let clashing: Vec<usize> = settled.values().flatten().copied().collect();
    let mut events: Vec<(i64, Event<'a>)> = Vec::new();
    for (i, r) in entry.history.iter().enumerate() {
        if clashing.contains(&i) {
            continue;
        }
        let event = match (r.kind.as_str(), settled.get(&i)) {
            ("created", _) => Event::Written(r),
            ("amended", Some(group)) => Event::Settled {
                clashing: group.iter().map(|&g| &entry.history[g]).collect(),
                settling: r,
            },
            ("deleted", _) => Event::Deleted(r),
            ("restored", _) => Event::Restored(r),
            _ => Event::Changed(r),
        };
        events.push((r.recorded_at_ms, event));
    }
    for (i, a) in entry.attachments.iter().enumerate() {
        events.push((a.recorded_at_ms, Event::FileAdded(i)));
    }
    // Stable: the history keeps its journal order among equal times.
    events.sort_by_key(|(at, _)| *at);
    events.into_iter().map(|(_, e)| e).collect()
}

/// The fields a revision set, in page order, by their stored names.
pub(super) fn fields_set(r: &ExportRevision) -> Vec<&str> {
    let mut known: Vec<&str> = FIELD_ORDER
        .iter()
        .copied()
        .filter(|f| r.fields.contains_key(*f))
        .collect();
    // A field from a newer MyCase, after the known ones.
    known.extend(
        r.fields
            .keys()
            .map(String::as_str)
            .filter(|k| !FIELD_ORDER.contains(k)),
    );
    known
}
