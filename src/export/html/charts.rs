//! SVG charts drawn by aiwatch itself (no scripts): horizontal bars and a stacked column timeline.
//! Every label is escaped; sizes are fixed so the page prints the same everywhere.

use super::{escape, human_bytes};
use std::fmt::Write;

/// One bar: label, value, and the CSS class of its colour.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: u64,
    pub class: &'static str,
}

const WIDTH: u32 = 760;
const LABEL_W: u32 = 190;
const VALUE_W: u32 = 110;
const ROW_H: u32 = 24;

/// Horizontal bars scaled to the largest value; `title` is the accessible name.
pub fn bars(title: &str, rows: &[Bar<'_>]) -> String {
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let height = ROW_H * rows.len().max(1) as u32 + 8;
    let track = WIDTH - LABEL_W - VALUE_W;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    if rows.is_empty() {
        let _ = write!(
            s,
            r#"<text x="0" y="18" class="muted">nothing to show</text>"#
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = 4 + ROW_H * i as u32;
        let w = ((u128::from(r.value) * u128::from(track)) / u128::from(max)) as u32;
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="label">{label}</text><rect x="{LABEL_W}" y="{y}" width="{w}" height="{bh}" class="{class}"><title>{label}: {value} bytes</title></rect><text x="{vx}" y="{ty}" class="value">{human}</text>"#,
            lx = LABEL_W - 8,
            ty = y + 15,
            label = escape(&truncate(r.label, 26)),
            bh = ROW_H - 6,
            class = r.class,
            value = r.value,
            vx = LABEL_W + w + 6,
            human = human_bytes(r.value),
        );
    }
    s.push_str("</svg>");
    s
}

/// One column of the timeline: its window start and stacked values (bottom first) with classes.
pub struct Column {
    pub start: String,
    pub parts: Vec<(u64, &'static str)>,
}

/// A stacked column chart over time with a y-axis maximum and first/last time labels.
pub fn timeline(title: &str, columns: &[Column]) -> String {
    let (w, h, left, bottom, top) = (WIDTH, 220u32, 70u32, 30u32, 10u32);
    let plot_w = w - left - 10;
    let plot_h = h - bottom - top;
    let max = columns
        .iter()
        .map(|c| c.parts.iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = columns.len().max(1) as u32;
    let slot = (plot_w / n).max(1);
    let col_w = (slot * 8 / 10).clamp(1, 48);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    let axis_y = top + plot_h;
    let _ = write!(
        s,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" class="axis"/><line x1="{left}" y1="{axis_y}" x2="{x2}" y2="{axis_y}" class="axis"/><text x="{tx}" y="{ty}" text-anchor="end" class="value">{maxl}</text><text x="{tx}" y="{axis_y}" text-anchor="end" class="value">0</text>"#,
        x2 = left + plot_w,
        tx = left - 6,
        ty = top + 10,
        maxl = human_bytes(max),
    );
    for (i, c) in columns.iter().enumerate() {
        let x = left + 2 + slot * i as u32;
        let mut y = axis_y;
        for (value, class) in &c.parts {
            let ph = ((u128::from(*value) * u128::from(plot_h)) / u128::from(max)) as u32;
            if ph == 0 && *value == 0 {
                continue;
            }
            let ph = ph.max(1);
            y = y.saturating_sub(ph);
            let _ = write!(
                s,
                r#"<rect x="{x}" y="{y}" width="{col_w}" height="{ph}" class="{class}"><title>{start}: {value} bytes</title></rect>"#,
                start = escape(&c.start),
            );
        }
    }
    if let (Some(first), Some(last)) = (
        columns.first(),
        columns.last().filter(|_| columns.len() > 1),
    ) {
        let _ = write!(
            s,
            r#"<text x="{left}" y="{ly}" class="value">{f}</text><text x="{rx}" y="{ly}" text-anchor="end" class="value">{l}</text>"#,
            ly = h - 8,
            f = escape(&first.start),
            rx = left + 2 + slot * (columns.len() as u32 - 1) + col_w,
            l = escape(&last.start),
        );
    }
    if columns.len() == 1
        && let Some(first) = columns.first()
    {
        let _ = write!(
            s,
            r#"<text x="{left}" y="{ly}" class="value">{f}</text>"#,
            ly = h - 8,
            f = escape(&first.start),
        );
    }
    s.push_str("</svg>");
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
