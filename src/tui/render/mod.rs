//! Drawing: `render(frame, snapshot, ui)` paints one frame from an immutable snapshot and the view
//! state. Pure: reads both, changes neither, never blocks; the same inputs paint the same cells (so
//! the screens are snapshot-tested on ratatui's `TestBackend`).
//!
//! Layout (rows): header (2) · tabs (1) · the view · footer (1). Below [`MIN_WIDTH`]×[`MIN_HEIGHT`]
//! only a "terminal too small" notice is drawn.

mod overview;
mod tables;

use super::format;
use super::keys::HELP;
use super::state::{Mode, UiState, View};
use crate::aggregate::snapshot::Snapshot;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs};

/// Smallest terminal that gets the full layout.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Restricted services, their rows, bars and labels.
pub const RESTRICTED: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
/// Bars of unrestricted traffic.
pub const ALLOWED_BAR: Style = Style::new().fg(Color::Cyan);
/// Counters that should be zero but are not (drops, malformed).
pub const WARNING: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
const KEY: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);

pub fn render(frame: &mut Frame, snap: &Snapshot, ui: &UiState) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, header, snap, ui);
    render_tabs(frame, tabs, snap, ui);
    match ui.view {
        View::Overview => overview::render(frame, body, snap),
        View::Providers => tables::providers(frame, body, snap, ui),
        View::Hosts if ui.drill.is_some() => tables::host_flows(frame, body, snap, ui),
        View::Hosts => tables::hosts(frame, body, snap, ui),
        View::Alerts => tables::alerts(frame, body, snap, ui),
    }
    render_footer(frame, footer, ui);
    if ui.mode == Mode::Help {
        render_help(frame, area);
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled("terminal too small", TITLE),
        Line::from(format!("{}×{}", area.width, area.height)),
        Line::from(format!("aiwatch needs {MIN_WIDTH}×{MIN_HEIGHT}")),
        Line::from("q quits"),
    ];
    let height = (lines.len() as u16).min(area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), middle);
}

/// `…tail` of `s` in at most `width` characters (a path keeps its file name).
fn keep_tail(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    let tail: String = s.chars().skip(n + 1 - width.max(1)).collect();
    format!("…{tail}")
}

fn sep() -> Span<'static> {
    Span::styled(" │ ", DIM)
}

fn render_header(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let st = &snap.status;
    let mut after = Vec::new();
    if let Some(p) = st.progress {
        after.push(Span::raw(format!(" {:.0}%", (p * 100.0).clamp(0.0, 100.0))));
    }
    after.push(sep());
    after.push(Span::raw(match st.packet_time {
        Some(ts) => format!("{} UTC", format::date_time(ts)),
        None => "no packets yet".to_string(),
    }));
    if ui.paused {
        after.push(Span::raw(" "));
        after.push(Span::styled(
            " PAUSED ",
            WARNING.add_modifier(Modifier::REVERSED),
        ));
    }
    if st.paused {
        after.push(Span::raw(" "));
        after.push(Span::styled(" capture paused ", WARNING));
    }
    if ui.source_ended {
        after.push(Span::raw(" "));
        after.push(Span::styled(
            " ended ",
            DIM.add_modifier(Modifier::REVERSED),
        ));
    }
    let mut first = vec![Span::styled(" aiwatch", TITLE.fg(Color::Cyan)), sep()];
    let used: usize = first.iter().chain(&after).map(Span::width).sum();
    let source_room = usize::from(area.width).saturating_sub(used).max(12);
    first.push(if st.source.is_empty() {
        Span::styled("waiting for the capture", DIM)
    } else {
        Span::raw(keep_tail(&st.source, source_room))
    });
    first.extend(after);

    let counter = |n: u64, what: &'static str| -> Vec<Span<'static>> {
        let style = if n > 0 { WARNING } else { Style::new() };
        vec![Span::styled(n.to_string(), style), Span::raw(what)]
    };
    let mut second = vec![
        Span::raw(format!(" {} pkt/s", format::count(st.packets_per_sec))),
        sep(),
        Span::raw(format::bit_rate(st.bits_per_sec)),
        sep(),
        // Narrow terminals: "19 active" fits where "19 active flows" would push out "malformed".
        Span::raw(if area.width >= 72 {
            format::plural(st.active_flows, "active flow")
        } else {
            format!("{} active", st.active_flows)
        }),
        sep(),
    ];
    second.extend(counter(st.drops, " drops"));
    second.push(sep());
    second.extend(counter(st.malformed, " malformed"));
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

fn render_tabs(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let titles: Vec<Line> = View::ALL
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut spans = vec![Span::raw(format!("{} {}", i + 1, v.title()))];
            match v {
                View::Hosts => {
                    if let (Some(d), View::Hosts) = (&ui.drill, ui.view) {
                        spans.push(Span::raw(format!(" › {}", d.host)));
                    }
                }
                View::Alerts if !snap.alerts.is_empty() => {
                    spans.push(Span::raw(" "));
                    spans.push(Span::styled(format!("({})", snap.alerts.len()), RESTRICTED));
                }
                _ => {}
            }
            Line::from(spans)
        })
        .collect();
    let selected = View::ALL.iter().position(|v| *v == ui.view);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(SELECTED.add_modifier(Modifier::BOLD))
            .divider(Span::styled("│", DIM)),
        area,
    );
}

fn render_footer(frame: &mut Frame, area: Rect, ui: &UiState) {
    let line = if ui.mode == Mode::Filter {
        Line::from(vec![
            Span::styled(" filter: ", KEY),
            Span::raw(ui.filter.clone()),
            Span::styled("▏", KEY),
            Span::styled("  Enter keep · Esc undo", DIM),
        ])
    } else {
        let mut spans = Vec::new();
        if !ui.filter.is_empty() {
            spans.push(Span::styled(" filter: ", KEY));
            spans.push(Span::styled(ui.filter.clone(), WARNING));
            spans.push(Span::styled(" (Esc clears) │", DIM));
        }
        let mut hints: Vec<(&str, &str)> = vec![("q", "quit"), ("?", "help"), ("Tab", "view")];
        if ui.view != View::Overview {
            hints.extend([("↑↓", "select"), ("s", "sort"), ("/", "filter")]);
        }
        match (ui.view, &ui.drill) {
            (View::Hosts, None) | (View::Alerts, _) => hints.push(("Enter", "flows")),
            (View::Providers, _) => hints.push(("Enter", "hosts")),
            (View::Hosts, Some(_)) => hints.push(("Esc", "back")),
            _ => {}
        }
        hints.push(("p", if ui.paused { "resume" } else { "pause" }));
        for (key, what) in hints {
            spans.push(Span::styled(format!(" {key}"), KEY));
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn render_help(frame: &mut Frame, area: Rect) {
    let key_width = HELP
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<key_width$}  "), KEY),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw(" Restricted services are shown in "),
        Span::styled("red", RESTRICTED),
        Span::raw("."),
    ]));
    lines.push(Line::styled(
        " Bytes: KiB/MiB (1024); bits/s: kb/Mb (1000).",
        DIM,
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = (widest + 3).min(area.width);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Line::styled(" Keys ", TITLE))
                .title_bottom(Line::styled(" ? or Esc closes ", DIM).right_aligned()),
        ),
        popup,
    );
}
