//! `mycase patterns`: counts and small charts of the survivor's own records.
//! Figures only: no advice, score or risk judgement.

use std::path::Path;

use anyhow::Result;
use mycase_core::app::PatternsReport;
use mycase_core::ids::id_short;
use mycase_core::patterns::{self, Patterns, Period};

use super::filter::FilterArgs;
use crate::connect;
use crate::output;

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// The widest bar in a terminal chart.
const BAR_WIDTH: usize = 30;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
    /// Measure "the last three months" up to this day instead of today (a date as
    /// `--when` takes it; a month counts to its last day).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let filter = args.filter.to_filter(journal)?;
    let today =
        match super::filter::day("--as-of", args.as_of.as_deref(), super::filter::End::Last)? {
            Some(day) => day,
            None => mycase_core::words::uk_time::uk_now(mycase_core::now_ms()).date(),
        };
    let p = patterns::compute(journal, &filter, today);
    if args.json {
        return output::print_json(&PatternsReport::from(&p));
    }
    if p.entries == 0 {
        return output::print_line("No entries match.");
    }
    output::print_line(&render(&p))
}

fn render(p: &Patterns) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "{} {}, {} to {} (as of {})",
        p.entries,
        plural(p.entries, "entry", "entries"),
        day_or_unknown(p.first_day),
        day_or_unknown(p.last_day),
        p.today
    ));

    let max = p.per_month.iter().map(|m| m.entries).max().unwrap_or(0);
    let mut months = vec!["Entries per month".to_string()];
    for m in &p.per_month {
        let severity = match (m.mean_severity, m.max_severity) {
            (Some(mean), Some(top)) => format!("  severity mean {mean:.1}, highest {top}"),
            _ => String::new(),
        };
        months.push(format!(
            "  {}  {:<width$} {:>3}{severity}",
            m.start,
            bar(m.entries, max),
            m.entries,
            width = BAR_WIDTH
        ));
    }
    out.push(months.join("\n"));

    if !p.per_week.is_empty() {
        out.push(format!(
            "Entries per week ({} weeks from the week of {}, highest {})\n  {}",
            p.per_week.len(),
            p.per_week[0].start,
            p.per_week.iter().map(|w| w.entries).max().unwrap_or(0),
            sparkline(&p.per_week)
        ));
    }

    let mut trend = format!("Trend over {} months:", p.trend.months);
    match p.trend.entries_per_month {
        Some(s) => trend.push_str(&format!(" entries per month change by {s:+.2} each month")),
        None => trend.push_str(" fewer than two months"),
    }
    if let Some(s) = p.trend.severity_per_month {
        trend.push_str(&format!("; mean severity changes by {s:+.2} each month"));
    }
    out.push(trend + ".");

    let r = &p.recent;
    let window = |label: &str, w: &patterns::Window| {
        format!(
            "  {label} ({} to {}): {} {}{}",
            w.from,
            w.to,
            w.entries,
            plural(w.entries, "entry", "entries"),
            w.mean_severity
                .map(|s| format!(", mean severity {s:.1}"))
                .unwrap_or_default()
        )
    };
    let mut change = format!("  Change: {:+} entries", r.entries_change);
    if let Some(pct) = r.entries_change_percent {
        change.push_str(&format!(" ({pct:+.0}%)"));
    }
    if let Some(s) = r.severity_change {
        change.push_str(&format!(", mean severity {s:+.1}"));
    }
    out.push(
        [
            "Last three months and the three before".to_string(),
            window("last 3 months", &r.last),
            window("3 months before", &r.previous),
            change,
        ]
        .join("\n"),
    );

    let tally = |title: &str, column: &str, rows: &[patterns::Tally]| {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|t| vec![t.label.clone(), t.entries.to_string()])
            .collect();
        format!("{title}\n{}", output::table(&[column, "entries"], &rows))
    };
    out.push(tally("By category", "category", &p.by_category));
    if !p.by_person.is_empty() {
        out.push(tally("By person", "person", &p.by_person));
    }

    out.push(heatmap(p));

    let top = p.severity_counts.iter().copied().max().unwrap_or(0);
    let mut severity = vec!["Severity".to_string()];
    for (i, n) in p.severity_counts.iter().enumerate() {
        severity.push(format!(
            "  {}  {:<width$} {n:>3}",
            i + 1,
            bar(*n, top),
            width = BAR_WIDTH
        ));
    }
    severity.push(format!("  not given: {}", p.severity_unknown));
    out.push(severity.join("\n"));

    if !p.longest_gaps.is_empty() {
        let rows: Vec<Vec<String>> = p
            .longest_gaps
            .iter()
            .map(|g| {
                vec![
                    g.days.to_string(),
                    g.from.to_string(),
                    g.to.to_string(),
                    id_short(&g.after),
                    id_short(&g.before),
                ]
            })
            .collect();
        out.push(format!(
            "Longest gaps between entries\n{}",
            output::table(&["days", "from", "to", "after", "before"], &rows)
        ));
    }

    let rows: Vec<Vec<String>> = p
        .categories
        .iter()
        .map(|s| {
            vec![
                s.label.clone(),
                s.entries.to_string(),
                format!("{} ({})", s.first.0, id_short(&s.first.1)),
                format!("{} ({})", s.last.0, id_short(&s.last.1)),
            ]
        })
        .collect();
    out.push(format!(
        "First and most recent entry per category\n{}",
        output::table(&["category", "entries", "first", "most recent"], &rows)
    ));
    out.join("\n\n")
}

fn heatmap(p: &Patterns) -> String {
    const SHADES: [char; 5] = ['·', '░', '▒', '▓', '█'];
    let max = p.heatmap.iter().flatten().copied().max().unwrap_or(0);
    let mut lines = vec![
        "Day of week and hour of day (entries with a time of day)".to_string(),
        format!(
            "       {}   all",
            (0..24).map(|h| format!("{h:<2}")).collect::<String>()
        ),
    ];
    for (day, hours) in p.heatmap.iter().enumerate() {
        let cells: String = hours
            .iter()
            .map(|&n| {
                let shade = if n == 0 || max == 0 {
                    SHADES[0]
                } else {
                    SHADES[(n * (SHADES.len() - 1)).div_ceil(max).min(SHADES.len() - 1)]
                };
                format!("{shade}  ")
            })
            .collect();
        lines.push(format!(
            "  {}  {cells} {:>3}",
            &WEEKDAYS[day][..3],
            p.by_weekday[day]
        ));
    }
    lines.push(format!(
        "  (no day known: {}; no time of day: {}; darkest = {max})",
        p.weekday_unknown, p.hour_unknown
    ));
    lines.join("\n")
}

fn bar(n: usize, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let width = (n * BAR_WIDTH).div_ceil(max);
    "█".repeat(width)
}

fn sparkline(periods: &[Period]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = periods.iter().map(|p| p.entries).max().unwrap_or(0);
    periods
        .iter()
        .map(|p| {
            if p.entries == 0 || max == 0 {
                ' '
            } else {
                LEVELS[((p.entries * LEVELS.len()).div_ceil(max) - 1).min(LEVELS.len() - 1)]
            }
        })
        .collect()
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn day_or_unknown(day: Option<chrono::NaiveDate>) -> String {
    day.map(|d| d.to_string()).unwrap_or_else(|| "?".into())
}
