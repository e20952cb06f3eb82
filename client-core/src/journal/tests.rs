#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One test per rule in the module docs.

use super::*;
use mycase_proto::v1::{operation::Body, EntryFields, StringList};

const A: DeviceId = [0xaa; 16];
const B: DeviceId = [0xbb; 16];
const E1: EntryId = [0x11; 16];
const E2: EntryId = [0x22; 16];

fn id(device: DeviceId, idx: u64) -> OpId {
    OpId { device, idx }
}

/// An operation by `device` at `idx`, clock `wall`, having seen `deps`.
fn op(
    device: DeviceId,
    idx: u64,
    wall: u64,
    deps: &[(DeviceId, u64)],
    body: Body,
) -> (OpId, Operation) {
    let deps = order::map_to_vector(&deps.iter().copied().collect());
    let hlc = Hlc {
        wall_ms: wall,
        counter: 0,
    };
    (
        id(device, idx),
        ops::operation(hlc, deps, wall as i64 * 1000, body),
    )
}

fn text(s: &str) -> EntryFields {
    EntryFields {
        text: Some(s.into()),
        ..Default::default()
    }
}

fn title(s: &str) -> EntryFields {
    EntryFields {
        title: Some(s.into()),
        ..Default::default()
    }
}

fn journal(ops: impl IntoIterator<Item = (OpId, Operation)>) -> Journal {
    let mut j = Journal::new();
    for (id, op) in ops {
        j.insert(id, op);
    }
    j
}

/// A creates E1 ("original"); B receives it; then A and B amend the text concurrently.
fn concurrent_text_amendments() -> Vec<(OpId, Operation)> {
    vec![
        op(A, 1, 10, &[], ops::create_entry(E1, text("original"))),
        op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, text("from A"))),
        op(B, 1, 21, &[(A, 1)], ops::amend_entry(E1, text("from B"))),
    ]
}

#[test]
fn concurrent_amendments_of_one_field_conflict_and_keep_both() {
    let j = journal(concurrent_text_amendments());
    let view = j.entry(&E1).unwrap();
    // B's amendment is greater in total order (wall 21 > 20): it is shown.
    assert_eq!(view.text, "from B");
    assert_eq!(
        view.conflicts,
        vec![FieldConflict {
            field: Field::Text,
            shown: FieldValue::Text("from B".into()),
            shown_by: id(B, 1),
            others: vec![ConflictingValue {
                value: FieldValue::Text("from A".into()),
                op: id(A, 2),
                recorded_at_ms: 20_000,
            }],
        }]
    );
    assert!(view.amended);
}

#[test]
fn equal_clocks_are_ordered_by_device() {
    let mut ops = concurrent_text_amendments();
    ops[2] = op(B, 1, 20, &[(A, 1)], ops::amend_entry(E1, text("from B")));
    ops[1] = op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, text("from A")));
    // Same wall and counter: device 0xbb.. > 0xaa.., so B's is shown.
    assert_eq!(journal(ops).entry(&E1).unwrap().text, "from B");
}

#[test]
fn resolution_after_seeing_both_heads_removes_the_conflict() {
    let mut ops = concurrent_text_amendments();
    // A has received B's amendment, and writes a resolution.
    ops.push(op(
        A,
        3,
        30,
        &[(A, 2), (B, 1)],
        ops::amend_entry(E1, text("resolved")),
    ));
    let view = journal(ops).entry(&E1).unwrap();
    assert_eq!(view.text, "resolved");
    assert!(view.conflicts.is_empty());
    // Nothing lost: every value is still in the history, the original first.
    let texts: Vec<_> = view
        .history
        .iter()
        .map(|r| r.fields.text.clone().unwrap())
        .collect();
    assert_eq!(texts, ["original", "from A", "from B", "resolved"]);
    assert_eq!(view.history[0].kind, RevisionKind::Created);
}

#[test]
fn amendment_that_saw_only_one_head_does_not_resolve() {
    let mut ops = concurrent_text_amendments();
    ops.push(op(
        A,
        3,
        30,
        &[(A, 2)],
        ops::amend_entry(E1, text("A again")),
    ));
    let view = journal(ops).entry(&E1).unwrap();
    assert_eq!(view.text, "A again");
    let conflict = view.conflict(Field::Text).unwrap();
    assert_eq!(conflict.shown_by, id(A, 3));
    assert_eq!(conflict.others.len(), 1);
    assert_eq!(conflict.others[0].op, id(B, 1));
}

#[test]
fn sequential_amendments_do_not_conflict() {
    let j = journal([
        op(A, 1, 10, &[], ops::create_entry(E1, text("original"))),
        op(B, 1, 20, &[(A, 1)], ops::amend_entry(E1, text("second"))),
        op(
            A,
            2,
            30,
            &[(A, 1), (B, 1)],
            ops::amend_entry(E1, text("third")),
        ),
    ]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.text, "third");
    assert!(view.conflicts.is_empty());
}

#[test]
fn causality_not_clock_decides_what_is_superseded() {
    // B's clock is behind, but B saw A's amendment: B's value wins, no conflict.
    // (An honest author's clock would be ahead; causality still rules if not.)
    let j = journal([
        op(A, 1, 10, &[], ops::create_entry(E1, text("original"))),
        op(A, 2, 50, &[(A, 1)], ops::amend_entry(E1, text("from A"))),
        op(B, 1, 40, &[(A, 2)], ops::amend_entry(E1, text("from B"))),
    ]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.text, "from B");
    assert!(view.conflicts.is_empty());
}

#[test]
fn concurrent_amendments_of_different_fields_do_not_conflict() {
    let j = journal([
        op(A, 1, 10, &[], ops::create_entry(E1, text("original"))),
        op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, title("a title"))),
        op(B, 1, 21, &[(A, 1)], ops::amend_entry(E1, text("new text"))),
    ]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.title.as_deref(), Some("a title"));
    assert_eq!(view.text, "new text");
    assert!(view.conflicts.is_empty());
}

#[test]
fn last_delete_or_restore_in_total_order_decides() {
    let create = op(A, 1, 10, &[], ops::create_entry(E1, text("t")));
    let delete = op(A, 2, 20, &[(A, 1)], ops::delete_entry(E1));
    let restore = op(B, 1, 30, &[(A, 2)], ops::restore_entry(E1));

    let j = journal([create.clone(), delete.clone()]);
    assert!(j.entries().is_empty());
    assert_eq!(j.deleted_entries().len(), 1);
    assert!(j.entry(&E1).unwrap().deleted);

    let j = journal([restore.clone(), delete.clone(), create.clone()]);
    assert_eq!(j.entries().len(), 1);
    assert!(j.deleted_entries().is_empty());

    // A concurrent delete later in total order than the restore wins.
    let late_delete = op(A, 3, 31, &[(A, 2)], ops::delete_entry(E1));
    let j = journal([create, delete, restore, late_delete]);
    assert!(j.entry(&E1).unwrap().deleted);
    let kinds: Vec<_> = j
        .entry(&E1)
        .unwrap()
        .history
        .iter()
        .map(|r| r.kind)
        .collect();
    use RevisionKind::*;
    assert_eq!(kinds, [Created, Deleted, Restored, Deleted]);
}

#[test]
fn amendment_concurrent_with_delete_is_kept_and_shows_when_restored() {
    let mut ops = vec![
        op(A, 1, 10, &[], ops::create_entry(E1, text("original"))),
        op(A, 2, 20, &[(A, 1)], ops::delete_entry(E1)),
        op(B, 1, 21, &[(A, 1)], ops::amend_entry(E1, text("amended"))),
    ];
    let j = journal(ops.clone());
    let view = j.entry(&E1).unwrap();
    assert!(view.deleted);
    assert_eq!(view.text, "amended");
    assert_eq!(j.deleted_entries(), vec![view]);

    ops.push(op(A, 3, 30, &[(A, 2), (B, 1)], ops::restore_entry(E1)));
    let j = journal(ops);
    assert_eq!(j.entries().len(), 1);
    assert_eq!(j.entries()[0].text, "amended");
}

#[test]
fn early_amendment_and_delete_take_effect_when_the_creation_arrives() {
    let mut j = Journal::new();
    assert!(j.insert(
        id(B, 1),
        op(B, 1, 20, &[(A, 1)], ops::amend_entry(E1, title("T"))).1
    ));
    assert!(j.entry(&E1).is_none());
    assert!(j.entries().is_empty() && j.deleted_entries().is_empty());
    assert_eq!(j.resolve_entry_prefix("1111"), Err(JournalError::NotFound));

    let (create_id, create) = op(A, 1, 10, &[], ops::create_entry(E1, text("original")));
    assert!(j.insert(create_id, create));
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.title.as_deref(), Some("T"));
    assert_eq!(view.text, "original");
    assert_eq!(view.created_by, A);
    assert_eq!(view.recorded_at_ms, 10_000);
}

#[test]
fn duplicate_insert_changes_nothing() {
    let mut j = journal(concurrent_text_amendments());
    let before = (j.entries(), j.len(), j.max_hlc());
    // Same id, different content: the first content stays.
    let (_, other) = op(A, 2, 99, &[(A, 1)], ops::amend_entry(E1, text("forged")));
    assert!(!j.insert(id(A, 2), other));
    assert_eq!((j.entries(), j.len(), j.max_hlc()), before);
}

#[test]
fn max_hlc_is_the_greatest_clock_seen() {
    let mut j = Journal::new();
    assert_eq!(j.max_hlc(), Hlc::default());
    let (i, mut o) = op(A, 1, 10, &[], ops::create_entry(E1, text("t")));
    o.hlc = Some(Hlc {
        wall_ms: 10,
        counter: 5,
    });
    j.insert(i, o);
    let (i, o) = op(B, 1, 9, &[], ops::create_entry(E2, text("t")));
    j.insert(i, o);
    assert_eq!(
        j.max_hlc(),
        Hlc {
            wall_ms: 10,
            counter: 5
        }
    );
    assert_eq!(j.applied_vector(), [(A, 1), (B, 1)].into_iter().collect());
}

#[test]
fn a_device_ids_keys_never_change_and_a_clock_decides_nothing() {
    let genuine = op(
        B,
        1,
        20,
        &[(A, 1)],
        ops::device_added(B, [2; 32], [3; 32], "laptop"),
    );
    let founder = op(
        A,
        1,
        10,
        &[],
        ops::device_added(A, [1; 32], [1; 32], "phone"),
    );
    // A had seen B's addition, and still gave B other keys, with a clock that
    // sorts first: refused.
    let key_change = op(
        A,
        2,
        0,
        &[(A, 1), (B, 1)],
        ops::device_added(B, [9; 32], [9; 32], "evil"),
    );
    let repeat = op(
        B,
        2,
        31,
        &[(B, 1)],
        ops::device_added(B, [2; 32], [3; 32], "laptop again"),
    );
    for order in [[0, 1, 2, 3], [2, 3, 1, 0], [3, 2, 0, 1]] {
        let all = [
            genuine.clone(),
            founder.clone(),
            key_change.clone(),
            repeat.clone(),
        ];
        let j = journal(order.iter().map(|&i| all[i].clone()));
        let devices = j.devices();
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].device_id, A);
        let b = &devices[1];
        assert_eq!(
            (b.name.as_str(), b.added_by, b.added_at_ms),
            ("laptop", id(B, 1), 20_000)
        );
        assert_eq!(b.rejected_additions, vec![id(A, 2)]);
        assert!(b.conflicting_additions.is_empty() && !b.is_contested());
        assert_eq!(b.repeated_by, vec![id(B, 2)]);
        assert_eq!(j.device_key(&B), Some([2; 32]));
        assert_eq!(j.device_key(&[0; 16]), None);
        assert_eq!(
            j.rejections(),
            vec![Rejection {
                op: id(A, 2),
                reason: RejectionReason::DeviceKeysChanged(B)
            }]
        );
    }
    // Claiming not to have seen it (deps without B) makes B contested instead:
    // no key of B is trusted from the roster, whichever sorts first.
    let concurrent = op(
        A,
        2,
        0,
        &[(A, 1)],
        ops::device_added(B, [9; 32], [9; 32], "evil"),
    );
    let j = journal([genuine, founder, concurrent]);
    let b = &j.devices()[1];
    assert!(b.is_contested());
    assert_eq!(b.conflicting_additions, vec![id(B, 1)]);
    assert_eq!(b.candidate_keys.len(), 2);
    assert_eq!(j.device_key(&B), None);
}

#[test]
fn revoking_the_device_that_contested_an_id_settles_it() {
    let laptop = op(
        A,
        1,
        10,
        &[],
        ops::device_added(A, [1; 32], [1; 32], "laptop"),
    );
    let phone = op(
        A,
        2,
        20,
        &[(A, 1)],
        ops::device_added(C, [3; 32], [3; 32], "phone"),
    );
    let insider = op(
        A,
        3,
        30,
        &[(A, 2)],
        ops::device_added(B, [2; 32], [2; 32], "old"),
    );
    // B claims the phone's id, saying it had seen nothing, with a clock that sorts first.
    let claim = op(
        B,
        1,
        0,
        &[],
        ops::device_added(C, [9; 32], [9; 32], "phone"),
    );
    let base = [laptop, phone, insider, claim];
    let contested = |j: &Journal| j.devices().into_iter().find(|d| d.device_id == C).unwrap();
    let j = journal(base.clone());
    assert!(contested(&j).is_contested());
    assert_eq!(j.device_key(&C), None);
    // B retiring itself settles nothing: that is not the survivor's doing.
    let retired = op(B, 2, 40, &[(B, 1)], revoke(B, 2, B));
    let j = journal(base.iter().cloned().chain([retired.clone()]));
    assert!(contested(&j).is_contested());
    // A revoking B does, in any order, even with B's retirement sorting first: the
    // phone has the keys A gave it, named and dated by that addition.
    let revoked = op(A, 4, 50, &[(A, 3), (B, 1)], revoke(B, 1, A));
    let all: Vec<(OpId, Operation)> = base
        .iter()
        .cloned()
        .chain([retired.clone(), revoked.clone()])
        .collect();
    for order in [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [3, 5, 0, 4, 2, 1]] {
        let j = journal(order.iter().map(|&i| all[i].clone()));
        let c = contested(&j);
        assert!(!c.is_contested(), "{order:?}");
        assert_eq!(j.device_key(&C), Some([3; 32]));
        assert_eq!((c.sign_public_key, c.dh_public_key), ([3; 32], [3; 32]));
        assert_eq!((c.added_by, c.name.as_str()), (id(A, 2), "phone"));
    }
    // When B revoked A too, neither having seen the other's revocation, both are
    // out: nobody unrevoked gave the phone a key, and it stays contested.
    let mutual = op(B, 2, 45, &[(B, 1)], revoke(A, 2, B));
    let j = journal(base.iter().cloned().chain([revoked, mutual]));
    assert!(j.is_revoked(&A) && j.is_revoked(&B));
    assert!(contested(&j).is_contested());
}

#[test]
fn an_entry_id_is_created_once() {
    let first = op(A, 1, 10, &[], ops::create_entry(E1, text("what happened")));
    // B saw the creation and writes another creation of the same id, with an
    // earlier clock, to become its author at a time it chose: refused.
    let again = op(B, 1, 11, &[(A, 1)], ops::create_entry(E1, text("made up")));
    let mut forged_clock = again.clone();
    forged_clock.1.hlc = Some(Hlc {
        wall_ms: 1,
        counter: 0,
    });
    for second in [again, forged_clock] {
        let j = journal([second.clone(), first.clone()]);
        let view = j.entry(&E1).unwrap();
        assert_eq!(view.created_by, A);
        assert_eq!(view.text, "what happened");
        assert!(view.conflicts.is_empty() && view.disputed_creations.is_empty());
        assert_eq!(view.history.len(), 1);
        assert_eq!(
            j.rejections(),
            vec![Rejection {
                op: id(B, 1),
                reason: RejectionReason::EntryCreatedAgain(E1)
            }]
        );
    }
    // A creation that claims not to have seen the first: the entry says its
    // creation is disputed, and both texts are kept as a conflict.
    let blind = op(B, 1, 11, &[], ops::create_entry(E1, text("made up")));
    let j = journal([blind, first]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.disputed_creations, vec![id(B, 1)]);
    assert_eq!(view.conflicts.len(), 1);
}

#[test]
fn revoking_the_device_that_disputed_an_entry_settles_it() {
    let first = op(A, 1, 10, &[], ops::create_entry(E1, text("what happened")));
    // B says it had seen nothing and picks a clock that sorts first: it shows as
    // the creation, disputed.
    let blind = op(B, 1, 0, &[], ops::create_entry(E1, text("made up")));
    let j = journal([first.clone(), blind.clone()]);
    assert_eq!(j.entry(&E1).unwrap().created_by, B);
    // B retiring itself settles nothing.
    let retired = op(B, 2, 20, &[(B, 1)], revoke(B, 2, B));
    let j = journal([first.clone(), blind.clone(), retired.clone()]);
    assert_eq!(j.entry(&E1).unwrap().disputed_creations.len(), 1);
    // A revoking B does, in any order: A's creation, author, time and text.
    let revoked = op(A, 2, 30, &[(A, 1), (B, 1)], revoke(B, 1, A));
    let all = [first, blind, retired, revoked];
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
        let j = journal(order.iter().map(|&i| all[i].clone()));
        let view = j.entry(&E1).unwrap();
        assert_eq!(
            (view.created_by, view.recorded_at_ms),
            (A, 10_000),
            "{order:?}"
        );
        assert_eq!(view.text, "what happened");
        assert!(view.disputed_creations.is_empty() && view.conflicts.is_empty());
        assert_eq!(j.entries(), vec![view]);
    }
}

#[test]
fn unknown_or_malformed_ops_are_kept_but_ignored() {
    let mut j = journal(concurrent_text_amendments());
    let before = j.entries();
    let (i, mut empty) = op(B, 2, 40, &[(B, 1)], ops::delete_entry(E1));
    empty.body = None;
    assert!(j.insert(i, empty));
    let (i, mut bad) = op(B, 3, 41, &[(B, 2)], ops::delete_entry(E1));
    bad.body = Some(Body::EntryDeleted(mycase_proto::v1::EntryDeleted {
        entry_id: vec![1, 2],
        ..Default::default()
    }));
    assert!(j.insert(i, bad));
    assert_eq!(j.len(), 5);
    assert_eq!(j.entries(), before);
    assert_eq!(j.ignored_ops(), vec![id(B, 2), id(B, 3)]);
}

#[test]
fn timeline_orders_by_occurred_then_recorded() {
    let at = |s: &str| EntryFields {
        occurred_at: Some(occurred::parse(s).unwrap()),
        ..text("t")
    };
    let e3: EntryId = [0x33; 16];
    let j = journal([
        // recorded 1970-01-01 00:00:10; no occurred_at
        op(A, 1, 10, &[], ops::create_entry(E1, text("t"))),
        // occurred 1970-01-01 (midnight, 0 ms) sorts before it
        op(A, 2, 20, &[(A, 1)], ops::create_entry(E2, at("1970-01-01"))),
        op(
            A,
            3,
            30,
            &[(A, 2)],
            ops::create_entry(e3, at("2026-03-14 21:30")),
        ),
    ]);
    let order: Vec<_> = j.entries().iter().map(|e| e.id).collect();
    assert_eq!(order, [E2, E1, e3]);
}

#[test]
fn empty_title_clears_it() {
    let j = journal([
        op(A, 1, 10, &[], ops::create_entry(E1, title("T"))),
        op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, title(""))),
    ]);
    assert_eq!(j.entry(&E1).unwrap().title, None);
}

#[test]
fn entry_prefixes_resolve_like_git() {
    let e_a: EntryId = [0xab, 0xcd, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let e_b: EntryId = [0xab, 0xcd, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let j = journal([
        op(A, 1, 10, &[], ops::create_entry(e_a, text("t"))),
        op(A, 2, 20, &[(A, 1)], ops::create_entry(e_b, text("t"))),
        op(A, 3, 30, &[(A, 2)], ops::delete_entry(e_b)),
    ]);
    assert_eq!(j.resolve_entry_prefix("ABCD01"), Ok(e_a));
    assert_eq!(j.resolve_entry_prefix("abcd02"), Ok(e_b));
    assert_eq!(j.resolve_entry_prefix(&hex::encode(e_a)), Ok(e_a));
    assert_eq!(
        j.resolve_entry_prefix("abcd"),
        Err(JournalError::Ambiguous { candidates: 2 })
    );
    assert_eq!(j.resolve_entry_prefix("abce"), Err(JournalError::NotFound));
    for bad in ["abc", "abcz", "", &"a".repeat(33)] {
        assert_eq!(j.resolve_entry_prefix(bad), Err(JournalError::InvalidId));
    }
}

#[test]
fn debug_output_never_shows_content() {
    let mut ops = concurrent_text_amendments();
    ops.push(op(
        A,
        3,
        30,
        &[(A, 2)],
        ops::amend_entry(
            E1,
            EntryFields {
                title: Some("secret title".into()),
                categories: Some(StringList {
                    values: vec!["secret category".into()],
                }),
                occurred_at: Some(occurred::parse("2026-03-14").unwrap()),
                ..Default::default()
            },
        ),
    ));
    ops.push(op(
        A,
        4,
        40,
        &[(A, 3)],
        ops::device_added(A, [1; 32], [1; 32], "secret phone"),
    ));
    let j = journal(ops);
    let shown = format!(
        "{j:?} {:?} {:?} {:?}",
        j.entries(),
        j.devices(),
        j.entry(&E1)
    );
    for secret in ["original", "from A", "from B", "secret", "2026"] {
        assert!(!shown.contains(secret), "debug output leaks {secret:?}");
    }
}

fn every_field() -> EntryFields {
    let list = |v: &[&str]| {
        Some(StringList {
            values: v.iter().map(|s| s.to_string()).collect(),
        })
    };
    EntryFields {
        title: Some("t".into()),
        text: Some("x".into()),
        tags: list(&["night"]),
        severity: Some(4),
        location: Some("kitchen".into()),
        people: list(&["00112233445566778899aabbccddeeff"]),
        injuries: Some("bruise".into()),
        police_references: list(&["CAD 123"]),
        actions_taken: list(&["GP"]),
        impact: Some("could not sleep".into()),
        ..Default::default()
    }
}

#[test]
fn new_fields_fold_and_clear() {
    let clear = EntryFields {
        severity: Some(0),
        location: Some(String::new()),
        injuries: Some(String::new()),
        impact: Some(String::new()),
        tags: Some(StringList::default()),
        ..Default::default()
    };
    let j = journal(vec![op(
        A,
        1,
        10,
        &[],
        ops::create_entry(E1, every_field()),
    )]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.tags, ["night"]);
    assert_eq!(view.severity, Some(4));
    assert_eq!(view.location.as_deref(), Some("kitchen"));
    assert_eq!(view.people, ["00112233445566778899aabbccddeeff"]);
    assert_eq!(view.injuries.as_deref(), Some("bruise"));
    assert_eq!(view.police_references, ["CAD 123"]);
    assert_eq!(view.actions_taken, ["GP"]);
    assert_eq!(view.impact.as_deref(), Some("could not sleep"));
    let debug = format!("{view:?}");
    assert!(!debug.contains("kitchen") && !debug.contains("bruise") && !debug.contains("night"));

    let j = journal(vec![
        op(A, 1, 10, &[], ops::create_entry(E1, every_field())),
        op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, clear)),
    ]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(
        (view.severity, &view.location, &view.injuries, &view.impact),
        (None, &None, &None, &None)
    );
    assert!(view.tags.is_empty());
    assert_eq!(view.police_references, ["CAD 123"], "unset fields stay");
}

#[test]
fn concurrent_severity_and_location_conflict_per_field() {
    let sev = |n| EntryFields {
        severity: Some(n),
        ..Default::default()
    };
    let loc = |s: &str| EntryFields {
        location: Some(s.into()),
        ..Default::default()
    };
    let j = journal(vec![
        op(A, 1, 10, &[], ops::create_entry(E1, text("x"))),
        op(A, 2, 20, &[(A, 1)], ops::amend_entry(E1, sev(2))),
        op(B, 1, 21, &[(A, 1)], ops::amend_entry(E1, sev(5))),
        op(
            B,
            2,
            22,
            &[(A, 1), (B, 1)],
            ops::amend_entry(E1, loc("park")),
        ),
    ]);
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.severity, Some(5));
    let conflict = view.conflict(Field::Severity).unwrap();
    assert_eq!(conflict.others[0].value, FieldValue::Severity(2));
    assert!(view.conflict(Field::Location).is_none());
    assert_eq!(
        Field::parse("police-references"),
        Some(Field::PoliceReferences)
    );
}

#[test]
fn attachments_are_listed_in_order_and_not_in_the_history() {
    let meta = |n: u8| ops::AttachmentMeta {
        attachment_id: [n; 16],
        name: format!("photo{n}.jpg"),
        media_type: "image/jpeg".into(),
        size: 10,
        sha256: [n; 32],
        chunk_size: 4,
        chunk_count: 3,
        key_epoch: 1,
        chunk_format: 2,
    };
    let j = journal(vec![
        op(A, 1, 10, &[], ops::create_entry(E1, text("x"))),
        op(A, 3, 30, &[(A, 2)], ops::attachment_added(E1, meta(2))),
        op(A, 2, 20, &[(A, 1)], ops::attachment_added(E1, meta(1))),
    ]);
    let view = j.entry(&E1).unwrap();
    let names: Vec<_> = view.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["photo1.jpg", "photo2.jpg"]);
    assert_eq!(view.attachments[0].added_by, id(A, 2));
    assert_eq!(view.attachments[0].sha256, vec![1; 32]);
    assert_eq!(view.history.len(), 1);
    assert!(!view.amended);
    assert!(!format!("{view:?}").contains("photo1"));
}

#[test]
fn people_fold_with_conflicts_and_resolve_by_name_or_id() {
    use mycase_proto::v1::PersonFields;
    const P: [u8; 16] = [0x33; 16];
    let fields = |name: Option<&str>, role: Option<&str>| PersonFields {
        name: name.map(Into::into),
        role: role.map(Into::into),
        notes: None,
    };
    let j = journal(vec![
        op(
            A,
            1,
            10,
            &[],
            ops::add_person(P, fields(Some("Sam"), Some("witness"))),
        ),
        op(
            A,
            2,
            20,
            &[(A, 1)],
            ops::amend_person(P, fields(None, Some("child"))),
        ),
        op(
            B,
            1,
            21,
            &[(A, 1)],
            ops::amend_person(P, fields(None, Some("other"))),
        ),
    ]);
    let people = j.people();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].name.as_deref(), Some("Sam"));
    assert_eq!(people[0].role.as_deref(), Some("other"));
    assert_eq!(people[0].conflicts.len(), 1);
    assert_eq!(people[0].conflicts[0].field, PersonField::Role);
    assert_eq!(j.resolve_person("sam"), Ok(P));
    assert_eq!(j.resolve_person("3333"), Ok(P));
    assert_eq!(j.resolve_person("Alex"), Err(JournalError::PersonNotFound));
    assert!(!format!("{:?}", people[0]).contains("Sam"));
    assert_eq!(people::parse_role("Causing Harm"), Some("causing-harm"));
    assert_eq!(
        people::parse_role("person causing harm"),
        Some("causing-harm")
    );
}

#[test]
fn trash_keeps_deleted_entries_for_thirty_days() {
    let day = 24 * 60 * 60 * 1000;
    let j = journal(vec![
        op(A, 1, 10, &[], ops::create_entry(E1, text("one"))),
        op(A, 2, 11, &[], ops::create_entry(E2, text("two"))),
        op(A, 3, 20, &[(A, 2)], ops::delete_entry(E1)),
    ]);
    let deleted_at = 20_000;
    let view = j.entry(&E1).unwrap();
    assert_eq!(view.deleted_at_ms, Some(deleted_at));
    assert_eq!(j.trash(deleted_at + 29 * day).len(), 1);
    assert!(j.trash(deleted_at + 30 * day).is_empty());
    assert!(!Journal::is_visible(&view, deleted_at + 30 * day));
    assert_eq!(j.entries().len(), 1);

    // Restored from another device while in the trash: live again.
    let mut j = j;
    j.insert(id(B, 1), op(B, 1, 30, &[(A, 3)], ops::restore_entry(E1)).1);
    let view = j.entry(&E1).unwrap();
    assert!(!view.deleted && view.deleted_at_ms.is_none());
    assert!(j.trash(deleted_at).is_empty());
}

fn revoke(device: DeviceId, last_idx: u64, by: DeviceId) -> Body {
    Body::DeviceRevoked(mycase_proto::v1::DeviceRevoked {
        device_id: device.to_vec(),
        last_idx,
        revoked_at_ms: 5,
        revoked_by: by.to_vec(),
    })
}

const C: DeviceId = [0xcc; 16];

#[test]
fn a_revoked_devices_ops_past_its_cutoff_are_in_no_view_in_any_order() {
    let all = [
        op(C, 1, 10, &[], ops::create_entry(E1, text("before"))),
        op(C, 2, 30, &[], ops::create_entry(E2, text("planted"))),
        op(
            C,
            3,
            31,
            &[],
            ops::amend_entry(E1, text("planted amendment")),
        ),
        op(A, 1, 20, &[(C, 1)], revoke(C, 1, A)),
    ];
    for order in [vec![0, 1, 2, 3], vec![3, 2, 1, 0], vec![1, 3, 0, 2]] {
        let j = journal(order.iter().map(|&i| all[i].clone()));
        assert_eq!(j.entries().len(), 1);
        assert_eq!(j.entry(&E1).unwrap().text, "before", "order {order:?}");
        assert!(j.entry(&E2).is_none());
        assert_eq!(j.cutoff(&C), Some(1));
        assert!(j.is_revoked(&C) && !j.is_revoked(&A));
        let r = &j.revocations()[&C];
        assert_eq!((r.last_idx, r.revoked_by), (1, A));
    }
}

#[test]
fn revocations_in_anothers_name_of_oneself_or_past_ones_own_cutoff_do_not_count() {
    // B claims A revoked C: ignored. A retires itself (a wipe while online): its
    // log ends with that record.
    let j = journal([
        op(B, 1, 10, &[], revoke(C, 0, A)),
        op(A, 1, 11, &[], revoke(A, 1, A)),
    ]);
    assert_eq!(j.revocations().len(), 1);
    assert!(j.revocations()[&A].is_retirement(&A));
    assert_eq!(j.cutoff(&A), Some(1));
    assert_eq!(j.ignored_ops().len(), 1);
    // C, revoked by A at C's idx 1, cannot revoke A with a later op written
    // after it saw its own revocation, whatever clock it picks.
    let j = journal([
        op(A, 1, 20, &[], revoke(C, 1, A)),
        op(C, 1, 10, &[], ops::create_entry(E1, text("x"))),
        op(C, 2, 0, &[(A, 1), (C, 1)], revoke(A, 0, C)),
    ]);
    assert!(j.is_revoked(&C));
    assert!(!j.is_revoked(&A));
    // Two revocations of one device merge: the longer log counts.
    let j = journal([
        op(A, 1, 20, &[], revoke(C, 1, A)),
        op(B, 1, 21, &[], revoke(C, 2, B)),
    ]);
    assert_eq!(j.cutoff(&C), Some(2));
    assert_eq!(j.revocations()[&C].revoked_by, A);
}

#[test]
fn mutual_revocations_do_not_depend_on_which_sorts_first() {
    // A and B revoke each other, each past the other's end (only a hostile server
    // lets both through): both are out, in every order and whatever the clocks.
    for (wa, wb) in [(20, 21), (21, 20)] {
        let all = [
            op(A, 1, 5, &[], ops::create_entry(E1, text("x"))),
            op(A, 2, wa, &[(A, 1)], revoke(B, 0, A)),
            op(B, 1, wb, &[], revoke(A, 1, B)),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let j = journal(order.iter().map(|&i| all[i].clone()));
            assert!(j.is_revoked(&A) && j.is_revoked(&B), "{order:?} {wa}");
            assert_eq!(j.cutoff(&A), Some(1));
        }
    }
    // B revoked A at A's idx 1, before A's revocation of B (A's idx 2), and A's
    // revocation ends B after B's: only B's counts, in every order.
    let all = [
        op(A, 1, 5, &[], ops::create_entry(E1, text("x"))),
        op(A, 2, 20, &[(A, 1)], revoke(B, 3, A)),
        op(B, 1, 21, &[], revoke(A, 1, B)),
    ];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let j = journal(order.iter().map(|&i| all[i].clone()));
        assert!(j.is_revoked(&A), "{order:?}");
        assert!(!j.is_revoked(&B), "{order:?}");
    }
}
