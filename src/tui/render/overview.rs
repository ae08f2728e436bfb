//! The overview: AI totals, bytes sent by legal jurisdiction and by destination country (bars, the
//! restricted share in red), the rate of bytes sent to restricted services, and the newest alerts.

use super::tables::{WIDE, alert_table, host_table};
use super::{ALLOWED_BAR, DIM, RESTRICTED, TITLE};
use crate::aggregate::snapshot::{BarRow, Snapshot};
use crate::tui::format;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

pub fn render(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let bars = snap.by_jurisdiction.len().max(snap.by_country.len()).max(1) as u16;
    let spark_height: u16 = if area.height >= 30 { 6 } else { 4 };
    // Charts as tall as their bars (plus borders), but leave the alerts at least 4 rows.
    let rest = area.height.saturating_sub(1 + spark_height);
    let charts_height = (bars + 2).clamp(4, rest.saturating_sub(4).max(4));
    // The alerts panel only when it can show at least one alert (borders, header, a row).
    let (charts_height, alerts_height) = if rest >= charts_height + 4 {
        (charts_height, rest - charts_height)
    } else {
        (rest, 0)
    };
    let [totals, charts, spark, alerts] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(charts_height),
        Constraint::Length(spark_height),
        Constraint::Length(alerts_height),
    ])
    .areas(area);
    render_totals(frame, totals, snap);
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts);
    let (by_jurisdiction, by_country) = if left.width >= 40 {
        (
            " Sent by jurisdiction (legal control) ",
            " Sent by destination country ",
        )
    } else {
        (" By jurisdiction ", " By country ")
    };
    render_bars(frame, left, by_jurisdiction, &snap.by_jurisdiction);
    render_bars(frame, right, by_country, &snap.by_country);
    render_rate(frame, spark, &snap.restricted_rate);
    if alerts.height == 0 {
        return;
    }
    // Wide screens also list the top hosts beside the alerts.
    let (alerts, top_hosts) = if area.width >= WIDE {
        let [a, h] = Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(alerts);
        (a, Some(h))
    } else {
        (alerts, None)
    };
    let newest: Vec<_> = snap.alerts.iter().collect();
    alert_table(
        frame,
        alerts,
        &newest,
        None,
        Line::styled(format!(" Newest alerts ({}) ", snap.alerts.len()), TITLE),
        false,
    );
    if let Some(area) = top_hosts {
        let hosts: Vec<_> = snap.hosts.iter().collect();
        host_table(
            frame,
            area,
            &hosts,
            None,
            Line::styled(
                format!(" Hosts by restricted bytes sent ({}) ", snap.hosts.len()),
                TITLE,
            ),
        );
    }
}

fn render_totals(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let ai = &snap.ai;
    let r = &snap.restricted;
    // Narrow terminals drop the counts of hosts and flows.
    if area.width < 76 {
        let spans = vec![
            Span::styled(" AI sent ", TITLE),
            Span::raw(format::bytes(ai.sent_bytes)),
            Span::styled(" │ ", DIM),
            Span::styled(
                format!(
                    "restricted {} ({:.1}%)",
                    format::bytes(r.sent_bytes),
                    format::percent(r.sent_bytes, ai.sent_bytes)
                ),
                if r.sent_bytes > 0 {
                    RESTRICTED
                } else {
                    Style::new()
                },
            ),
        ];
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut spans = vec![
        Span::styled(" AI sent ", TITLE),
        Span::raw(format!(
            "{} · {} · {}",
            format::bytes(ai.sent_bytes),
            format::plural(ai.hosts, "host"),
            format::plural(ai.flows, "flow")
        )),
        Span::styled(" │ ", DIM),
    ];
    let restricted = format!(
        "restricted {} ({:.1}%) · {}",
        format::bytes(r.sent_bytes),
        format::percent(r.sent_bytes, ai.sent_bytes),
        format::plural(r.hosts, "host")
    );
    spans.push(if r.sent_bytes > 0 {
        Span::styled(restricted, RESTRICTED)
    } else {
        Span::raw(restricted)
    });
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Horizontal bars, one per row: `!CN  ████▌      3.5 MiB  77.8%`. The restricted part of a bar
/// is red, the rest cyan; a label with any restricted bytes is red and marked `!`.
fn render_bars(frame: &mut Frame, area: Rect, title: &str, rows: &[BarRow]) {
    let block = Block::bordered().title(Line::styled(title.to_string(), TITLE));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(" no AI traffic yet", DIM)),
            inner,
        );
        return;
    }
    let total: u64 = rows.iter().map(|r| r.sent_bytes).sum();
    let max = rows.iter().map(|r| r.sent_bytes).max().unwrap_or(0).max(1);
    let label_width = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 8);
    let width = usize::from(inner.width);
    // "!" + label + " " ... " " + value(8) [+ "  " + percent(6)]
    let fixed = 1 + label_width + 1 + 1 + 8;
    let show_percent = width >= fixed + 8 + 10;
    let bar_width = width.saturating_sub(fixed + if show_percent { 8 } else { 0 });
    let height = usize::from(inner.height);
    let shown = if rows.len() > height {
        height.saturating_sub(1)
    } else {
        rows.len()
    };
    let mut lines: Vec<Line> = rows
        .iter()
        .take(shown)
        .map(|r| {
            let label: String = r.label.chars().take(label_width).collect();
            let label_style = if r.is_restricted() {
                RESTRICTED
            } else {
                Style::new()
            };
            let mut spans = vec![Span::styled(
                format!(
                    "{}{label:<label_width$} ",
                    if r.is_restricted() { "!" } else { " " }
                ),
                label_style,
            )];
            spans.extend(bar_spans(r, max, bar_width));
            spans.push(Span::styled(
                format!(" {:>8}", format::bytes(r.sent_bytes)),
                label_style,
            ));
            if show_percent {
                spans.push(Span::styled(
                    format!("  {:>5.1}%", format::percent(r.sent_bytes, total)),
                    DIM,
                ));
            }
            Line::from(spans)
        })
        .collect();
    if shown < rows.len() {
        let rest: u64 = rows.iter().skip(shown).map(|r| r.sent_bytes).sum();
        lines.push(Line::styled(
            format!(" +{} more: {}", rows.len() - shown, format::bytes(rest)),
            DIM,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The bar of one row, padded to `width` cells: the restricted share first (red), then the rest.
fn bar_spans(row: &BarRow, max: u64, width: usize) -> Vec<Span<'static>> {
    let scale = |v: u64| -> usize {
        // Eighths of a cell; u128 so that large byte counts cannot overflow.
        let e = u128::from(v) * (width as u128) * 8 / u128::from(max);
        usize::try_from(e).unwrap_or(usize::MAX).min(width * 8)
    };
    let eighths = scale(row.sent_bytes).max(usize::from(row.sent_bytes > 0));
    let full = eighths / 8;
    let mut cells: Vec<&str> = vec!["█"; full];
    if let Some(part) = EIGHTHS.get(eighths % 8).filter(|p| !p.is_empty()) {
        cells.push(part);
    }
    let red_cells = if row.restricted_sent_bytes >= row.sent_bytes {
        cells.len()
    } else {
        (scale(row.restricted_sent_bytes) / 8).min(cells.len())
    };
    let pad = width.saturating_sub(cells.len());
    let (red, rest) = cells.split_at(red_cells);
    vec![
        Span::styled(red.concat(), RESTRICTED),
        Span::styled(rest.concat(), ALLOWED_BAR),
        Span::raw(" ".repeat(pad)),
    ]
}

fn render_rate(frame: &mut Frame, area: Rect, rate: &[u64]) {
    let now = rate.last().copied().unwrap_or(0);
    let peak = rate.iter().copied().max().unwrap_or(0);
    let title = Line::from(vec![
        Span::styled(" Sent to restricted services ", TITLE),
        Span::raw(format!(
            "now {} · peak {} ",
            format::byte_rate(now),
            format::byte_rate(peak)
        )),
    ]);
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The newest points that fit, right-aligned so "now" is at the right edge.
    let width = usize::from(inner.width);
    let visible = rate
        .get(rate.len().saturating_sub(width)..)
        .unwrap_or_default();
    let pad = width.saturating_sub(visible.len()) as u16;
    let [_, spark] =
        Layout::horizontal([Constraint::Length(pad), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(
        Sparkline::default()
            .data(visible)
            .max(visible.iter().copied().max().unwrap_or(0).max(1))
            .style(RESTRICTED),
        spark,
    );
}
