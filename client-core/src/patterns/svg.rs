//! Patterns as inline SVG charts and an HTML section, for the self-contained
//! HTML export: no script, no external request, prints cleanly.
//!
//! Every text that could come from the survivor (a person's name) is escaped.

use std::fmt::Write as _;

use super::{Patterns, Period};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const INK: &str = "#1f3a5f";
const GRID: &str = "#d0d7de";

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Vertical bars of entries per period, labelled every `label_every` periods.
fn bars(title: &str, periods: &[Period], label_every: usize) -> String {
    let (width, height, left, bottom) = (640.0, 200.0, 32.0, 36.0);
    let max = periods.iter().map(|p| p.entries).max().unwrap_or(0).max(1);
    let slot = (width - left) / periods.len().max(1) as f64;
    let plot = height - bottom - 10.0;
    let mut svg = open_svg(title, width, height);
    axis(&mut svg, left, width, height - bottom, plot, max);
    for (i, p) in periods.iter().enumerate() {
        let h = plot * p.entries as f64 / max as f64;
        let x = left + slot * i as f64;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{INK}"><title>{}: {}</title></rect>"#,
            x + slot * 0.1,
            height - bottom - h,
            slot * 0.8,
            escape(&p.start),
            p.entries
        );
        if label_every > 0 && i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
                x + slot / 2.0,
                height - bottom + 14.0,
                escape(&p.start)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn open_svg(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="sans-serif"><title>{}</title>"#,
        escape(title)
    )
}

/// A baseline and a labelled top line for a 0..=max scale.
fn axis(svg: &mut String, left: f64, right: f64, base: f64, plot: f64, max: usize) {
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{GRID}"/><line x1="{left}" y1="{:.1}" x2="{right}" y2="{:.1}" stroke="{GRID}" stroke-dasharray="3 3"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{max}</text><text x="{:.1}" y="{base}" font-size="10" text-anchor="end">0</text>"#,
        base - plot,
        base - plot,
        left - 4.0,
        base - plot + 4.0,
        left - 4.0,
    );
}

/// Entries per month, as bars.
pub fn per_month_chart(p: &Patterns) -> String {
    let every = p.per_month.len().div_ceil(12).max(1);
    bars("Entries per month", &p.per_month, every)
}

/// Entries per week, as bars.
pub fn per_week_chart(p: &Patterns) -> String {
    let every = p.per_week.len().div_ceil(8).max(1);
    bars("Entries per week", &p.per_week, every)
}

/// Mean severity per month (1..=5) as a line with points; months without a
/// severity are left out of the line.
pub fn severity_chart(p: &Patterns) -> String {
    let (width, height, left, bottom) = (640.0, 180.0, 32.0, 36.0);
    let plot = height - bottom - 10.0;
    let slot = (width - left) / p.per_month.len().max(1) as f64;
    let mut svg = open_svg("Mean severity per month", width, height);
    axis(&mut svg, left, width, height - bottom, plot, 5);
    let points: Vec<(f64, f64, &Period)> = p
        .per_month
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            m.mean_severity.map(|s| {
                (
                    left + slot * (i as f64 + 0.5),
                    height - bottom - plot * s / 5.0,
                    m,
                )
            })
        })
        .collect();
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{INK}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
    }
    for (x, y, m) in &points {
        let _ = write!(
            svg,
            r#"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{INK}"><title>{}: {:.1}</title></circle>"#,
            escape(&m.start),
            m.mean_severity.unwrap_or_default()
        );
    }
    let every = p.per_month.len().div_ceil(12).max(1);
    for (i, m) in p.per_month.iter().enumerate().step_by(every) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
            left + slot * (i as f64 + 0.5),
            height - bottom + 14.0,
            escape(&m.start)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Day of week by hour of day; darker cells hold more entries.
pub fn heatmap_chart(p: &Patterns) -> String {
    let (cell, left, top) = (24.0, 40.0, 18.0);
    let (width, height) = (left + cell * 24.0 + 4.0, top + cell * 7.0 + 4.0);
    let max = p
        .heatmap
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = open_svg("Day of week and hour of day", width, height);
    for hour in (0..24).step_by(3) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="12" font-size="10" text-anchor="middle">{hour:02}</text>"#,
            left + cell * (hour as f64 + 0.5)
        );
    }
    for (day, hours) in p.heatmap.iter().enumerate() {
        let y = top + cell * day as f64;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + cell * 0.65,
            WEEKDAYS[day]
        );
        for (hour, &n) in hours.iter().enumerate() {
            let opacity = if n == 0 {
                0.0
            } else {
                0.15 + 0.85 * n as f64 / max as f64
            };
            let _ = write!(
                svg,
                r#"<rect class="cell" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{INK}" fill-opacity="{opacity:.2}" stroke="{GRID}" stroke-width="0.5"><title>{} {hour:02}:00: {n}</title></rect>"#,
                left + cell * hour as f64,
                cell,
                cell,
                WEEKDAYS[day]
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A table with a header row, every cell escaped.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

fn optional(value: Option<f64>, digits: usize) -> String {
    value
        .map(|v| format!("{v:+.digits$}"))
        .unwrap_or_else(|| "not enough data".to_string())
}

/// The patterns section of the HTML export: figures, tables and charts.
/// Plain statements of the survivor's own records; no judgement.
pub fn html_section(p: &Patterns) -> String {
    let mut html = String::from(r#"<section class="patterns" id="patterns"><h2>Patterns</h2>"#);
    if p.entries == 0 {
        html.push_str("<p>No entries.</p></section>");
        return html;
    }
    let _ = write!(
        html,
        "<p>{} entries, from {} to {}. Figures as of {}.</p>",
        p.entries,
        p.first_day.map(|d| d.to_string()).unwrap_or_default(),
        p.last_day.map(|d| d.to_string()).unwrap_or_default(),
        p.today
    );
    let r = &p.recent;
    let window = |w: &super::Window| {
        vec![
            format!("{} to {}", w.from, w.to),
            w.entries.to_string(),
            w.mean_severity
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "-".into()),
        ]
    };
    let _ = write!(
        html,
        "<h3>Frequency and severity over time</h3>{}{}<p>Trend over {} months: entries per month change by {} each month; mean severity changes by {} each month (least-squares line).</p>{}",
        per_month_chart(p),
        severity_chart(p),
        p.trend.months,
        optional(p.trend.entries_per_month, 2),
        optional(p.trend.severity_per_month, 2),
        per_week_chart(p),
    );
    let _ = write!(
        html,
        "<h3>The last three months and the three before</h3>{}<p>Change: {:+} entries{}{}.</p>",
        table(
            &["period", "entries", "mean severity"],
            &[window(&r.last), window(&r.previous)]
        ),
        r.entries_change,
        r.entries_change_percent
            .map(|v| format!(" ({v:+.0}%)"))
            .unwrap_or_default(),
        r.severity_change
            .map(|v| format!(", mean severity {v:+.1}"))
            .unwrap_or_default(),
    );
    let tally = |rows: &[super::Tally]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|t| vec![t.label.clone(), t.entries.to_string()])
            .collect()
    };
    let _ = write!(
        html,
        "<h3>By category</h3>{}<h3>By person</h3>{}",
        table(&["category", "entries"], &tally(&p.by_category)),
        table(&["person", "entries"], &tally(&p.by_person)),
    );
    let _ = write!(
        html,
        "<h3>Day of week and hour of day</h3>{}<p>{} entries have no known day and {} no time of day; they are not in this chart.</p>",
        heatmap_chart(p),
        p.weekday_unknown,
        p.hour_unknown
    );
    let severity: Vec<Vec<String>> = p
        .severity_counts
        .iter()
        .enumerate()
        .map(|(i, n)| vec![(i + 1).to_string(), n.to_string()])
        .chain(std::iter::once(vec![
            "not given".to_string(),
            p.severity_unknown.to_string(),
        ]))
        .collect();
    let gaps: Vec<Vec<String>> = p
        .longest_gaps
        .iter()
        .map(|g| vec![g.days.to_string(), g.from.to_string(), g.to.to_string()])
        .collect();
    let spans: Vec<Vec<String>> = p
        .categories
        .iter()
        .map(|s| {
            vec![
                s.label.clone(),
                s.entries.to_string(),
                s.first.0.to_string(),
                s.last.0.to_string(),
            ]
        })
        .collect();
    let _ = write!(
        html,
        "<h3>Severity</h3>{}<h3>Longest gaps between entries</h3>{}<h3>First and most recent entry per category</h3>{}</section>",
        table(&["severity", "entries"], &severity),
        table(&["days", "from", "to"], &gaps),
        table(&["category", "entries", "first", "most recent"], &spans),
    );
    html
}
