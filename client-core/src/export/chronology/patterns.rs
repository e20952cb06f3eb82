//! The chronology's patterns section: figures of `mycase patterns` in the
//! chronology's words (UK dates, "Mar 2026" under the bars), plain counts of
//! what the survivor recorded and no judgement. Figures that place an entry on
//! one day (gaps between entries, first and last per category) are left out:
//! for an entry dated to a month or a range they would state a day nobody gave.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::patterns::{svg, Patterns};

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "2026-03" as "Mar 2026", "2026-03-09" (a week's Monday) as "9 Mar".
fn short_label(start: &str) -> String {
    if let Ok(d) = NaiveDate::parse_from_str(start, "%Y-%m-%d") {
        return d.format("%-d %b").to_string();
    }
    NaiveDate::parse_from_str(&format!("{start}-01"), "%Y-%m-%d")
        .map(|d| d.format("%b %Y").to_string())
        .unwrap_or_else(|_| start.to_string())
}

/// The patterns' table, on a line of its own.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    format!("{}\n", svg::table(header, rows))
}

fn counted(n: usize) -> String {
    super::lines::counted(n, "entry", "entries")
}

/// The section for `p` (`None`: the document's patterns day is not a date).
pub(super) fn section(p: Option<Patterns>) -> String {
    let Some(mut p) = p else {
        return crate::export::html::NO_PATTERNS_DAY.to_string();
    };
    let mut html = String::from("<section class=\"patterns\" id=\"patterns\"><h2>Patterns</h2>\n");
    if p.entries == 0 {
        html.push_str("<p>No entries.</p></section>\n");
        return html;
    }
    let _ = writeln!(
        html,
        "<p>Counts of the {} above, as of {}: what the survivor recorded, not a judgement of it.</p>",
        counted(p.entries),
        long(p.today)
    );
    for period in p.per_month.iter_mut().chain(p.per_week.iter_mut()) {
        period.start = short_label(&period.start);
    }
    let _ = writeln!(
        html,
        "<h3>Entries per month</h3>{}<h3>Severity over time</h3>{}<p>The average severity each month of the entries that give one (1 least serious, 5 most).</p>",
        svg::per_month_chart(&p),
        svg::severity_chart(&p)
    );
    let r = &p.recent;
    let _ = writeln!(
        html,
        "<h3>Recent months</h3><p>{} in the three months from {} to {}; {} in the three months before.</p>",
        counted(r.last.entries),
        long(r.last.from),
        long(r.last.to),
        counted(r.previous.entries)
    );
    let by_type: Vec<Vec<String>> = p
        .by_category
        .iter()
        .map(|t| vec![t.label.clone(), t.entries.to_string()])
        .collect();
    let by_person: Vec<Vec<String>> = p
        .by_person
        .iter()
        .map(|t| vec![t.label.clone(), t.entries.to_string()])
        .collect();
    let _ = write!(
        html,
        "<h3>By type of abuse</h3>{}<h3>By person</h3>{}",
        table(&["Type of abuse", "Entries"], &by_type),
        table(&["Person", "Entries"], &by_person)
    );
    let _ = writeln!(
        html,
        "<h3>Day of the week and time of day</h3>{}<p>Not in this chart: {} with no known day, {} with no time of day.</p>",
        svg::heatmap_chart(&p),
        counted(p.weekday_unknown),
        counted(p.hour_unknown)
    );
    html.push_str("</section>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_labels_are_words() {
        assert_eq!(short_label("2026-03"), "Mar 2026");
        assert_eq!(short_label("2026-03-09"), "9 Mar");
        assert_eq!(short_label("odd"), "odd");
    }
}
