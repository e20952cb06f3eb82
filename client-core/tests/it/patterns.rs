//! Patterns on a fixture journal whose answers were worked out by hand
//! (weekdays checked against a calendar: 2026-01-05, 04-13 and 06-15 are Mondays).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use mycase_core::journal::{occurred, ops, Journal, OpId};
use mycase_core::patterns::{self, Patterns};
use mycase_core::query::Filter;
use mycase_proto::v1::{EntryFields, Hlc, PersonFields, StringList, VersionVector};

const P: [u8; 16] = [0x44; 16];
const Q: [u8; 16] = [0x55; 16];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn list(values: &[&str]) -> Option<StringList> {
    Some(StringList {
        values: values.iter().map(|v| v.to_string()).collect(),
    })
}

fn entry(when: &str, category: &str, severity: u32, people: &[[u8; 16]]) -> EntryFields {
    let people: Vec<String> = people.iter().map(hex::encode).collect();
    EntryFields {
        text: Some(format!("something on {when}")),
        occurred_at: Some(occurred::parse(when).unwrap()),
        categories: list(&[category]),
        severity: (severity > 0).then_some(severity),
        people: Some(StringList { values: people }),
        tags: list(if severity >= 4 { &["serious"] } else { &[] }),
        ..Default::default()
    }
}

fn person(name: &str) -> PersonFields {
    PersonFields {
        name: Some(name.into()),
        ..Default::default()
    }
}

/// Entry ids are their number in the fixture: `[n; 16]`.
fn journal() -> Journal {
    let bodies = vec![
        ops::add_person(P, person("Jordan")),
        ops::add_person(Q, person("Sam")),
        ops::create_entry([1; 16], entry("2026-01-05 22:15", "physical", 3, &[P])),
        ops::create_entry([2; 16], entry("2026-01-07 22:40", "threats", 2, &[P])),
        ops::create_entry([3; 16], entry("2026-01-20", "threats", 2, &[])),
        ops::create_entry(
            [4; 16],
            entry("2026-02", "emotional-or-psychological", 0, &[]),
        ),
        ops::create_entry([5; 16], entry("2026-04-13 08:05", "physical", 4, &[P, Q])),
        ops::create_entry([6; 16], entry("2026-05-01..2026-05-10", "threats", 4, &[])),
        ops::create_entry([7; 16], entry("2026-06-15 22:30", "physical", 5, &[Q])),
        // Deleted: in no pattern.
        ops::create_entry([8; 16], entry("2026-03-10 12:00", "physical", 5, &[P])),
        ops::delete_entry([8; 16]),
    ];
    let mut j = Journal::new();
    for (idx, body) in (1u64..).zip(bodies) {
        let hlc = Hlc {
            wall_ms: idx,
            counter: 0,
        };
        let op = ops::operation(hlc, VersionVector::default(), idx as i64, body);
        j.insert(
            OpId {
                device: [0xaa; 16],
                idx,
            },
            op,
        );
    }
    j
}

fn all() -> Patterns {
    patterns::compute(&journal(), &Filter::default(), day("2026-06-30"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn counts_per_month_and_week_with_empty_periods() {
    let p = all();
    assert_eq!(p.entries, 7);
    assert_eq!(p.first_day, Some(day("2026-01-05")));
    assert_eq!(p.last_day, Some(day("2026-06-15")));
    let months: Vec<(&str, usize)> = p
        .per_month
        .iter()
        .map(|m| (m.start.as_str(), m.entries))
        .collect();
    assert_eq!(
        months,
        [
            ("2026-01", 3),
            ("2026-02", 1),
            ("2026-03", 0),
            ("2026-04", 1),
            ("2026-05", 1),
            ("2026-06", 1)
        ]
    );
    assert!(close(p.per_month[0].mean_severity.unwrap(), 7.0 / 3.0));
    assert_eq!(p.per_month[0].max_severity, Some(3));
    assert_eq!(p.per_month[1].mean_severity, None);
    // Weeks: only entries with a known day (not the month-only one, nor the range).
    assert_eq!(p.per_week.len(), 24);
    assert_eq!(p.per_week[0].start, "2026-01-05");
    assert_eq!(p.per_week[0].entries, 2);
    assert_eq!(p.per_week[2].entries, 1);
    assert_eq!(p.per_week.iter().map(|w| w.entries).sum::<usize>(), 5);
}

#[test]
fn trend_and_recent_change() {
    let p = all();
    assert_eq!(p.trend.months, 6);
    // Least squares through [3, 1, 0, 1, 1, 1]: -4.5 / 17.5.
    assert!(close(p.trend.entries_per_month.unwrap(), -4.5 / 17.5));
    // Through (0, 7/3), (3, 4), (4, 4), (5, 5): 7 / 14.
    assert!(close(p.trend.severity_per_month.unwrap(), 0.5));

    let r = &p.recent;
    assert_eq!(
        (r.last.from, r.last.to),
        (day("2026-03-31"), day("2026-06-30"))
    );
    assert_eq!(
        (r.previous.from, r.previous.to),
        (day("2025-12-31"), day("2026-03-30"))
    );
    assert_eq!((r.last.entries, r.previous.entries), (3, 4));
    assert_eq!(r.entries_change, -1);
    assert!(close(r.entries_change_percent.unwrap(), -25.0));
    assert!(close(r.last.mean_severity.unwrap(), 13.0 / 3.0));
    assert!(close(r.previous.mean_severity.unwrap(), 7.0 / 3.0));
    assert!(close(r.severity_change.unwrap(), 2.0));
}

#[test]
fn by_category_person_weekday_and_hour() {
    let p = all();
    let categories: Vec<(&str, &str, usize)> = p
        .by_category
        .iter()
        .map(|t| (t.key.as_str(), t.label.as_str(), t.entries))
        .collect();
    assert_eq!(
        categories,
        [
            ("physical", "Physical", 3),
            ("threats", "Threats", 3),
            (
                "emotional-or-psychological",
                "Emotional or psychological",
                1
            )
        ]
    );
    let people: Vec<(&str, usize)> = p
        .by_person
        .iter()
        .map(|t| (t.label.as_str(), t.entries))
        .collect();
    assert_eq!(people, [("Jordan", 3), ("Sam", 2)]);

    assert_eq!(p.by_weekday, [3, 1, 1, 0, 0, 0, 0]);
    assert_eq!(p.weekday_unknown, 2);
    assert_eq!(p.heatmap[0][22], 2);
    assert_eq!(p.heatmap[0][8], 1);
    assert_eq!(p.heatmap[2][22], 1);
    assert_eq!(p.heatmap.iter().flatten().sum::<usize>(), 4);
    assert_eq!(p.hour_unknown, 3);
    assert_eq!(p.severity_counts, [0, 2, 1, 2, 1]);
    assert_eq!(p.severity_unknown, 1);
}

#[test]
fn longest_gaps_and_category_spans() {
    let p = all();
    let gaps: Vec<(i64, NaiveDate, u8, u8)> = p
        .longest_gaps
        .iter()
        .map(|g| (g.days, g.from, g.after[0], g.before[0]))
        .collect();
    assert_eq!(
        gaps,
        [
            (71, day("2026-02-01"), 4, 5),
            (45, day("2026-05-01"), 6, 7),
            (18, day("2026-04-13"), 5, 6),
            (13, day("2026-01-07"), 2, 3),
            (12, day("2026-01-20"), 3, 4)
        ]
    );
    let spans: Vec<(&str, usize, NaiveDate, u8, NaiveDate, u8)> = p
        .categories
        .iter()
        .map(|s| {
            (
                s.category.as_str(),
                s.entries,
                s.first.0,
                s.first.1[0],
                s.last.0,
                s.last.1[0],
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            (
                "emotional-or-psychological",
                1,
                day("2026-02-01"),
                4,
                day("2026-02-01"),
                4
            ),
            ("physical", 3, day("2026-01-05"), 1, day("2026-06-15"), 7),
            ("threats", 3, day("2026-01-07"), 2, day("2026-05-01"), 6)
        ]
    );
}

#[test]
fn filters_narrow_every_figure() {
    let filter = Filter {
        tags: vec!["serious".into()],
        ..Default::default()
    };
    let p = patterns::compute(&journal(), &filter, day("2026-06-30"));
    assert_eq!(p.entries, 3);
    assert_eq!(p.per_month.len(), 3);
    // Jordan on the April entry; Sam on April and June.
    assert_eq!(p.by_person.iter().map(|t| t.entries).sum::<usize>(), 3);
    assert_eq!(p.severity_counts, [0, 0, 0, 2, 1]);
    assert_eq!(p.recent.previous.entries, 0);
    assert_eq!(p.recent.entries_change_percent, None);

    let empty = patterns::compute(&Journal::new(), &Filter::default(), day("2026-06-30"));
    assert_eq!(empty.entries, 0);
    assert!(empty.per_month.is_empty() && empty.longest_gaps.is_empty());
    assert_eq!(empty.trend.entries_per_month, None);
}

#[test]
fn html_section_has_the_charts_and_escapes_names() {
    let p = all();
    let html = patterns::svg::html_section(&p);
    assert_eq!(html.matches("<svg").count(), 4);
    // 6 months + 24 weeks of bars; a 7 x 24 heatmap; 4 months with a severity.
    assert_eq!(html.matches(r#"class="bar""#).count(), 30);
    assert_eq!(html.matches(r#"class="cell""#).count(), 168);
    assert_eq!(html.matches(r#"class="point""#).count(), 4);
    assert!(html.contains("<td>Jordan</td><td>3</td>"));
    // Nothing that could load from elsewhere or run.
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"));

    let entries = journal().entries();
    let mut people = std::collections::BTreeMap::new();
    people.insert(hex::encode(P), "<img src=x onerror=alert(1)>".to_string());
    let hostile = patterns::compute_over(&entries, &people, day("2026-06-30"));
    let html = patterns::svg::html_section(&hostile);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img"));
}
