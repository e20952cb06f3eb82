//! Merge properties of the journal model: whatever order and however many times the
//! operations of a causally consistent multi-device history arrive, every device
//! shows the same journal, loses nothing, and agrees with an independent model of
//! the field rules built from the simulation's ground truth.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use mycase_core::journal::{
    hlc, occurred, ops, order::map_to_vector, DeviceId, EntryId, EntryView, Field, FieldValue,
    Journal, OpId, RevisionKind,
};
use mycase_proto::v1::{operation::Body, EntryFields, Operation, StringList};
use proptest::prelude::*;

/// One simulated device: what it has applied and its local journal.
struct Device {
    id: DeviceId,
    applied: BTreeMap<DeviceId, u64>,
    journal: Journal,
    /// How far this device's wall clock is ahead of the shared "true" time.
    skew_ms: u64,
}

/// A multi-device history in which every device only writes after what it applied.
struct Sim {
    devices: Vec<Device>,
    logs: BTreeMap<DeviceId, Vec<Operation>>,
    /// Ground truth: the operations each op's author had applied when writing it.
    seen_by: BTreeMap<OpId, BTreeSet<OpId>>,
    now_ms: u64,
    next_entry: u16,
}

fn device_id(n: usize) -> DeviceId {
    [0xd0 + n as u8; 16]
}

impl Sim {
    fn new(device_count: usize, skews: &[u64]) -> Self {
        let devices = (0..device_count)
            .map(|n| Device {
                id: device_id(n),
                applied: BTreeMap::new(),
                journal: Journal::new(),
                skew_ms: skews[n % skews.len()],
            })
            .collect::<Vec<_>>();
        let logs = devices.iter().map(|d| (d.id, Vec::new())).collect();
        Self {
            devices,
            logs,
            seen_by: BTreeMap::new(),
            now_ms: 1_000,
            next_entry: 0,
        }
    }

    fn new_entry_id(&mut self) -> EntryId {
        self.next_entry += 1;
        let [hi, lo] = self.next_entry.to_be_bytes();
        [hi, lo, 0xee, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    /// Device `d` writes `body` with a correct clock and causal context.
    fn write(&mut self, d: usize, body: Body) -> OpId {
        let device = &mut self.devices[d];
        let now = self.now_ms + device.skew_ms;
        let clock = hlc::next(&device.journal.max_hlc(), now);
        let op = ops::operation(clock, map_to_vector(&device.applied), now as i64, body);
        let log = self.logs.get_mut(&device.id).unwrap();
        log.push(op.clone());
        let id = OpId {
            device: device.id,
            idx: log.len() as u64,
        };
        let seen = device
            .applied
            .iter()
            .flat_map(|(&device, &upto)| (1..=upto).map(move |idx| OpId { device, idx }))
            .collect();
        self.seen_by.insert(id, seen);
        assert!(device.journal.insert(id, op));
        device.applied.insert(id.device, id.idx);
        id
    }

    /// Device `d` receives device `from`'s log up to `upto`, with everything those
    /// operations depended on (so what it applied stays causally closed).
    fn receive(&mut self, d: usize, from: usize, upto: u64) {
        let from_id = self.devices[from].id;
        let mut target = self.devices[d].applied.clone();
        if upto > 0 {
            let op = &self.logs[&from_id][upto as usize - 1];
            let deps = mycase_core::journal::order::vector_to_map(op.deps.as_ref().unwrap());
            for (device, idx) in deps.into_iter().chain([(from_id, upto)]) {
                let slot = target.entry(device).or_insert(0);
                *slot = (*slot).max(idx);
            }
        }
        let device = &mut self.devices[d];
        for (&source, &upto) in &target {
            let have = device.applied.get(&source).copied().unwrap_or(0);
            for idx in have + 1..=upto {
                let op = self.logs[&source][idx as usize - 1].clone();
                device.journal.insert(
                    OpId {
                        device: source,
                        idx,
                    },
                    op,
                );
            }
        }
        device.applied = target;
    }

    /// Every device receives everything.
    fn sync_all(&mut self) {
        for d in 0..self.devices.len() {
            for from in 0..self.devices.len() {
                let len = self.logs[&self.devices[from].id].len() as u64;
                self.receive(d, from, len);
            }
        }
    }

    fn all_ops(&self) -> Vec<(OpId, Operation)> {
        self.logs
            .iter()
            .flat_map(|(&device, log)| {
                log.iter().enumerate().map(move |(i, op)| {
                    (
                        OpId {
                            device,
                            idx: i as u64 + 1,
                        },
                        op.clone(),
                    )
                })
            })
            .collect()
    }
}

/// One step of a simulated history; the numbers are interpreted by [`apply_step`].
#[derive(Clone, Debug)]
struct Step {
    device: usize,
    kind: u8,
    pick: u8,
    fields: u8,
    advance_ms: u64,
}

fn step() -> impl Strategy<Value = Step> {
    (0..4usize, 0..10u8, any::<u8>(), 1..16u8, 0..3u64).prop_map(
        |(device, kind, pick, fields, advance_ms)| Step {
            device,
            kind,
            pick,
            fields,
            advance_ms,
        },
    )
}

const DATES: [&str; 4] = [
    "2026-03-14 21:30",
    "2026-03",
    "2025-12-25",
    "2026-01-01..2026-02-15",
];

/// Fields set by an amendment, with values unique to the op so they can be traced.
fn amendment_fields(mask: u8, tag: &str, pick: u8) -> EntryFields {
    EntryFields {
        title: (mask & 1 != 0).then(|| format!("title {tag}")),
        text: (mask & 2 != 0).then(|| format!("text {tag}")),
        occurred_at: (mask & 4 != 0)
            .then(|| occurred::parse(DATES[pick as usize % DATES.len()]).unwrap()),
        categories: (mask & 8 != 0).then(|| StringList {
            values: vec![format!("cat {tag}"), "shared".into()],
        }),
        ..EntryFields::default()
    }
}

fn apply_step(sim: &mut Sim, s: &Step) {
    let n = sim.devices.len();
    let d = s.device % n;
    sim.now_ms += s.advance_ms;
    let known: Vec<EntryId> = {
        let j = &sim.devices[d].journal;
        j.entries()
            .into_iter()
            .chain(j.deleted_entries())
            .map(|e| e.id)
            .collect()
    };
    let existing = (!known.is_empty()).then(|| known[s.pick as usize % known.len()]);
    let tag = format!("{d}.{}", sim.logs[&device_id(d)].len() + 1);
    match (s.kind, existing) {
        (8 | 9, _) => {
            let from = (d + 1 + s.pick as usize % (n - 1)) % n;
            let len = sim.logs[&device_id(from)].len() as u64;
            let upto = u64::from(s.fields) % (len + 1);
            sim.receive(d, from, upto);
        }
        (7, _) => {
            let who = device_id(s.pick as usize % n);
            let key = [s.fields % 3; 32];
            sim.write(
                d,
                ops::device_added(who, key, key, &format!("device {tag}")),
            );
        }
        (2..=4, Some(entry)) => {
            sim.write(
                d,
                ops::amend_entry(entry, amendment_fields(s.fields, &tag, s.pick)),
            );
        }
        (5, Some(entry)) => {
            sim.write(d, ops::delete_entry(entry));
        }
        (6, Some(entry)) => {
            sim.write(d, ops::restore_entry(entry));
        }
        _ => {
            let entry = sim.new_entry_id();
            sim.write(
                d,
                ops::create_entry(entry, amendment_fields(s.fields | 2, &tag, s.pick)),
            );
        }
    }
}

type History = (usize, Vec<u64>, Vec<Step>);

fn simulate((device_count, skews, steps): &History) -> Sim {
    let mut sim = Sim::new(*device_count, skews);
    for s in steps {
        apply_step(&mut sim, s);
    }
    sim
}

/// A simulated history and two delivery orders (with duplicates) of its operations.
fn scenario() -> impl Strategy<Value = (History, Vec<usize>, Vec<usize>)> {
    (
        2..=4usize,
        proptest::collection::vec(0..20u64, 4),
        proptest::collection::vec(step(), 1..40),
    )
        .prop_flat_map(|history| {
            let op_count = simulate(&history).all_ops().len();
            (
                Just(history),
                proptest::collection::vec(1..=3usize, op_count),
            )
        })
        .prop_flat_map(|(history, copies)| {
            let delivery: Vec<usize> = copies
                .iter()
                .enumerate()
                .flat_map(|(i, &c)| std::iter::repeat_n(i, c))
                .collect();
            (
                Just(history),
                Just(delivery.clone()).prop_shuffle(),
                Just(delivery).prop_shuffle(),
            )
        })
}

fn deliver(all: &[(OpId, Operation)], order: &[usize]) -> Journal {
    let mut journal = Journal::new();
    let mut fresh = BTreeSet::new();
    for &i in order {
        let (id, op) = &all[i];
        assert_eq!(
            journal.insert(*id, op.clone()),
            fresh.insert(*id),
            "insert must report only new ids"
        );
    }
    assert_eq!(journal.len(), all.len());
    journal
}

/// What every device must agree on.
fn observable(j: &Journal) -> (Vec<EntryView>, Vec<EntryView>, String) {
    (
        j.entries(),
        j.deleted_entries(),
        format!("{:?}", j.devices()),
    )
}

fn order_key(id: OpId, op: &Operation) -> (u64, u32, DeviceId, u64) {
    let clock = op.hlc.unwrap();
    (clock.wall_ms, clock.counter, id.device, id.idx)
}

fn shown_value(view: &EntryView, field: Field) -> Option<FieldValue> {
    match field {
        Field::Title => view.title.clone().map(FieldValue::Title),
        Field::Text => Some(FieldValue::Text(view.text.clone())),
        Field::OccurredAt => view.occurred_at.clone().map(FieldValue::OccurredAt),
        Field::Categories => Some(FieldValue::Categories(view.categories.clone())),
        Field::Tags => Some(FieldValue::Tags(view.tags.clone())),
        Field::Severity => view.severity.map(FieldValue::Severity),
        Field::Location => view.location.clone().map(FieldValue::Location),
        Field::People => Some(FieldValue::People(view.people.clone())),
        Field::Injuries => view.injuries.clone().map(FieldValue::Injuries),
        Field::PoliceReferences => {
            Some(FieldValue::PoliceReferences(view.police_references.clone()))
        }
        Field::ActionsTaken => Some(FieldValue::ActionsTaken(view.actions_taken.clone())),
        Field::Impact => view.impact.clone().map(FieldValue::Impact),
    }
}

/// Checks the journal against the field and delete rules computed from ground truth.
fn check_against_model(sim: &Sim, journal: &Journal) {
    let mut all = sim.all_ops();
    all.sort_by_key(|(id, op)| order_key(*id, op));
    let keys: BTreeMap<OpId, _> = all
        .iter()
        .map(|(id, op)| (*id, order_key(*id, op)))
        .collect();
    // The clocks respect causality.
    for (id, key) in &keys {
        for earlier in &sim.seen_by[id] {
            assert!(keys[earlier] < *key, "clock order breaks causality");
        }
    }
    let mut by_entry: BTreeMap<EntryId, Vec<&(OpId, Operation)>> = BTreeMap::new();
    for item in &all {
        let entry = match &item.1.body {
            Some(Body::EntryCreated(c)) => &c.entry_id,
            Some(Body::EntryAmended(a)) => &a.entry_id,
            Some(Body::EntryDeleted(d)) => &d.entry_id,
            Some(Body::EntryRestored(r)) => &r.entry_id,
            _ => continue,
        };
        by_entry
            .entry(entry.as_slice().try_into().unwrap())
            .or_default()
            .push(item);
    }
    for (entry, ops) in &by_entry {
        let view = journal
            .entry(entry)
            .expect("every created entry has a view");
        let history: Vec<OpId> = view.history.iter().map(|r| r.op).collect();
        assert_eq!(
            history,
            ops.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            "history is every op in total order"
        );

        let last_toggle = ops.iter().rev().find_map(|(_, op)| match op.body {
            Some(Body::EntryDeleted(_)) => Some(true),
            Some(Body::EntryRestored(_)) => Some(false),
            _ => None,
        });
        assert_eq!(view.deleted, last_toggle.unwrap_or(false));

        for field in Field::ALL {
            let candidates: Vec<(OpId, FieldValue)> = ops
                .iter()
                .filter_map(|(id, op)| match &op.body {
                    Some(Body::EntryCreated(c)) => {
                        field.value_in(c.fields.as_ref().unwrap()).map(|v| (*id, v))
                    }
                    Some(Body::EntryAmended(a)) => {
                        field.value_in(a.fields.as_ref().unwrap()).map(|v| (*id, v))
                    }
                    _ => None,
                })
                .collect();
            let heads: Vec<&(OpId, FieldValue)> = candidates
                .iter()
                .filter(|(id, _)| {
                    !candidates
                        .iter()
                        .any(|(other, _)| sim.seen_by[other].contains(id))
                })
                .collect();
            let conflict = view.conflict(field);
            match heads.split_last() {
                None => assert!(conflict.is_none()),
                Some(((shown_by, shown), others)) => {
                    assert_eq!(
                        shown_value(&view, field).as_ref(),
                        Some(shown),
                        "{} shows the greatest head",
                        field.as_str()
                    );
                    if others.is_empty() {
                        assert!(
                            conflict.is_none(),
                            "{} has one head, so no conflict",
                            field.as_str()
                        );
                    } else {
                        let conflict = conflict.expect("concurrent heads are a conflict");
                        assert_eq!(conflict.shown_by, *shown_by);
                        assert_eq!(&conflict.shown, shown);
                        let listed: Vec<(OpId, FieldValue)> = conflict
                            .others
                            .iter()
                            .map(|c| (c.op, c.value.clone()))
                            .collect();
                        assert_eq!(
                            listed,
                            others.iter().map(|h| (*h).clone()).collect::<Vec<_>>()
                        );
                    }
                }
            }
            // Every value ever written is in the view somewhere.
            for (id, value) in &candidates {
                let in_view = shown_value(&view, field).as_ref() == Some(value)
                    || conflict.is_some_and(|c| c.others.iter().any(|o| &o.value == value))
                    || view
                        .history
                        .iter()
                        .any(|r| r.op == *id && field.value_in(&r.fields).as_ref() == Some(value));
                assert!(in_view, "a value of {} was lost", field.as_str());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_delivery_order_gives_the_same_journal((history, first, second) in scenario()) {
        let mut sim = simulate(&history);
        let all = sim.all_ops();
        let in_log_order = deliver(&all, &(0..all.len()).collect::<Vec<_>>());
        let a = deliver(&all, &first);
        let b = deliver(&all, &second);
        let expected = observable(&in_log_order);
        prop_assert_eq!(&observable(&a), &expected);
        prop_assert_eq!(&observable(&b), &expected);
        prop_assert_eq!(a.max_hlc(), in_log_order.max_hlc());

        // No op is lost: each is in an entry's history or in the roster.
        let mut accounted = BTreeSet::new();
        for view in a.entries().into_iter().chain(a.deleted_entries()) {
            accounted.extend(view.history.iter().map(|r| r.op));
        }
        for device in a.devices() {
            accounted.insert(device.added_by);
            accounted.extend(device.repeated_by);
            accounted.extend(device.conflicting_additions);
            accounted.extend(device.rejected_additions);
        }
        prop_assert_eq!(accounted, all.iter().map(|(id, _)| *id).collect::<BTreeSet<_>>());

        check_against_model(&sim, &a);

        // Devices that received everything (in causal order) show the same journal.
        sim.sync_all();
        for device in &sim.devices {
            prop_assert_eq!(&observable(&device.journal), &expected);
        }
    }
}

/// A small hand-built history with its exact, frozen outcome.
#[test]
fn frozen_three_device_scenario() {
    let mut sim = Sim::new(3, &[0, 5, 2]);
    let (a, b, c) = (0, 1, 2);
    let entry = sim.new_entry_id();
    sim.write(
        a,
        ops::create_entry(
            entry,
            EntryFields {
                title: Some("first".into()),
                text: Some("original".into()),
                occurred_at: Some(occurred::parse("2026-03-14 21:30").unwrap()),
                categories: Some(StringList {
                    values: vec!["verbal".into()],
                }),
                ..EntryFields::default()
            },
        ),
    );
    sim.receive(b, a, 1);
    sim.receive(c, a, 1);
    sim.now_ms += 10;
    // B and C amend the text concurrently; C also re-categorises; A retitles.
    let by_b = sim.write(
        b,
        ops::amend_entry(
            entry,
            EntryFields {
                text: Some("B's text".into()),
                ..Default::default()
            },
        ),
    );
    let by_c = sim.write(
        c,
        ops::amend_entry(
            entry,
            EntryFields {
                text: Some("C's text".into()),
                categories: Some(StringList {
                    values: vec!["verbal".into(), "threat".into()],
                }),
                ..Default::default()
            },
        ),
    );
    let by_a = sim.write(
        a,
        ops::amend_entry(
            entry,
            EntryFields {
                title: Some("retitled".into()),
                ..Default::default()
            },
        ),
    );
    // B deletes; C, concurrently, does not know.
    let deleted_by_b = sim.write(b, ops::delete_entry(entry));

    let mut all = Journal::new();
    for (id, op) in sim.all_ops().into_iter().rev() {
        all.insert(id, op);
    }
    let view = all.entry(&entry).unwrap();
    // B's clock runs 5 ms ahead, C's 2 ms, so B's text is shown by the fixed rule.
    assert_eq!(view.text, "B's text");
    assert_eq!(view.title.as_deref(), Some("retitled"));
    assert_eq!(view.categories, ["verbal", "threat"]);
    assert_eq!(
        occurred::display(view.occurred_at.as_ref().unwrap()),
        "2026-03-14 21:30"
    );
    assert!(view.deleted && view.amended);
    assert_eq!(view.conflicts.len(), 1);
    let conflict = &view.conflicts[0];
    assert_eq!((conflict.field, conflict.shown_by), (Field::Text, by_b));
    assert_eq!(conflict.others.len(), 1);
    assert_eq!(
        (conflict.others[0].op, &conflict.others[0].value),
        (by_c, &FieldValue::Text("C's text".into()))
    );
    let kinds: Vec<_> = view.history.iter().map(|r| (r.op, r.kind)).collect();
    assert_eq!(
        kinds,
        [
            (
                OpId {
                    device: device_id(a),
                    idx: 1
                },
                RevisionKind::Created
            ),
            (by_a, RevisionKind::Amended),
            (by_c, RevisionKind::Amended),
            (by_b, RevisionKind::Amended),
            (deleted_by_b, RevisionKind::Deleted),
        ]
    );
    assert_eq!(view.history[0].fields.text.as_deref(), Some("original"));
    assert!(all.entries().is_empty());

    // C sees everything, restores, and resolves the text: no conflict remains.
    sim.sync_all();
    sim.now_ms += 10;
    sim.write(c, ops::restore_entry(entry));
    sim.write(
        c,
        ops::amend_entry(
            entry,
            EntryFields {
                text: Some("agreed".into()),
                ..Default::default()
            },
        ),
    );
    sim.sync_all();
    for device in &sim.devices {
        let entries = device.journal.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].text, "agreed");
        assert!(entries[0].conflicts.is_empty());
        assert_eq!(entries[0].history.len(), 7);
    }
}

/// Guards the generator: the histories it makes must actually exercise the rules
/// (conflicts, deletes and restores, roster conflicts), or the property above would
/// pass vacuously.
#[test]
fn generated_histories_exercise_every_rule() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut conflicts, mut deleted, mut restored, mut roster_conflicts) = (0, 0, 0, 0);
    for _ in 0..64 {
        let (history, _, _) = scenario().new_tree(&mut runner).unwrap().current();
        let sim = simulate(&history);
        let all = sim.all_ops();
        let journal = deliver(&all, &(0..all.len()).collect::<Vec<_>>());
        let views: Vec<EntryView> = journal
            .entries()
            .into_iter()
            .chain(journal.deleted_entries())
            .collect();
        conflicts += views.iter().filter(|v| !v.conflicts.is_empty()).count();
        deleted += journal.deleted_entries().len();
        restored += views
            .iter()
            .filter(|v| v.history.iter().any(|r| r.kind == RevisionKind::Restored))
            .count();
        roster_conflicts += journal
            .devices()
            .iter()
            .filter(|d| !d.conflicting_additions.is_empty())
            .count();
    }
    // With this seed: 17 entries in conflict, 58 deleted, 81 restored, 20 roster conflicts.
    assert!(conflicts >= 5 && deleted >= 5 && restored >= 5 && roster_conflicts >= 5);
}
