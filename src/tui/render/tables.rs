//! The table views: AI providers, hosts (and one host's flows), alerts. Rows of restricted services
//! are red; the selected row is reversed. Each column says from which width it is shown, so a
//! narrow terminal drops the least useful columns instead of squeezing names; wide terminals get
//! dates and categories.

use super::{DIM, RESTRICTED, SELECTED, TITLE};
use crate::aggregate::snapshot::{AlertRow, FlowRow, HostRow, Snapshot};
use crate::aggregate::summary::ProviderRow;
use crate::tui::format;
use crate::tui::rows;
use crate::tui::state::{SortKey, TableState, UiState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use std::ops::Range;

/// Terminals at least this wide get the long columns (dates, categories).
pub const WIDE: u16 = 120;

/// One column: its header, width, alignment, and the narrowest table that shows it.
struct Col {
    head: &'static str,
    width: Constraint,
    numeric: bool,
    min_width: u16,
}

const fn col(head: &'static str, width: Constraint) -> Col {
    Col {
        head,
        width,
        numeric: false,
        min_width: 0,
    }
}

const fn num(head: &'static str, width: u16) -> Col {
    Col {
        head,
        width: Constraint::Length(width),
        numeric: true,
        min_width: 0,
    }
}

impl Col {
    /// Shown only in tables at least `width` columns wide.
    const fn from(mut self, width: u16) -> Col {
        self.min_width = width;
        self
    }
}

/// A row's cells (one per column, in column order) and its style.
struct TableRow {
    cells: Vec<String>,
    style: Style,
    /// Cells (by column index) with their own style.
    cell_styles: Vec<(usize, Style)>,
}

fn body_row(cells: Vec<String>, restricted: bool) -> TableRow {
    TableRow {
        cells,
        style: if restricted { RESTRICTED } else { Style::new() },
        cell_styles: Vec::new(),
    }
}

/// The rows of a table in `area` that fit on screen, keeping `selected` in view: the range of
/// items to draw and the selection within it. Rows past the window are never formatted, so a
/// table costs what it shows, not what it holds.
fn window(area: Rect, len: usize, selected: Option<usize>) -> (Range<usize>, Option<usize>) {
    // Borders and the header take three rows.
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = selected.and_then(|s| len.checked_sub(1).map(|last| s.min(last)));
    let start = selected.map_or(0, |s| (s + 1).saturating_sub(visible));
    let end = start.saturating_add(visible).min(len);
    (start..end, selected.map(|s| s - start))
}

/// Draws `items` under `cols` in a bordered block, keeping the columns that fit `area`; `row`
/// formats one item, and only the visible ones are formatted.
fn draw<T>(
    frame: &mut Frame,
    area: Rect,
    block: Block<'static>,
    cols: &[Col],
    items: &[T],
    selected: Option<usize>,
    row: impl Fn(&T) -> TableRow,
) {
    let (range, selected) = window(area, items.len(), selected);
    let rows: Vec<TableRow> = items
        .get(range)
        .unwrap_or_default()
        .iter()
        .map(row)
        .collect();
    let keep: Vec<bool> = cols.iter().map(|c| area.width >= c.min_width).collect();
    let kept = |i: &usize| keep.get(*i).copied().unwrap_or(false);
    let align = |text: String, numeric: bool| -> Cell<'static> {
        if numeric {
            Cell::from(Line::from(text).right_aligned())
        } else {
            Cell::from(text)
        }
    };
    let header = Row::new(
        cols.iter()
            .enumerate()
            .filter(|(i, _)| kept(i))
            .map(|(_, c)| align(c.head.to_string(), c.numeric)),
    )
    .style(TITLE.add_modifier(Modifier::UNDERLINED));
    let n = rows.len();
    let body: Vec<Row> = rows
        .into_iter()
        .map(|r| {
            let cells = r
                .cells
                .into_iter()
                .zip(cols)
                .enumerate()
                .filter(|(i, _)| kept(i))
                .map(|(i, (text, c))| {
                    let cell = align(text, c.numeric);
                    match r.cell_styles.iter().find(|(j, _)| *j == i) {
                        Some((_, style)) => cell.style(*style),
                        None => cell,
                    }
                });
            Row::new(cells).style(r.style)
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .enumerate()
        .filter(|(i, _)| kept(i))
        .map(|(_, c)| c.width)
        .collect();
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(SELECTED);
    let mut state = ratatui::widgets::TableState::default();
    state.select(selected.filter(|s| *s < n));
    frame.render_stateful_widget(table, area, &mut state);
}

fn sort_title<S: SortKey>(
    what: &str,
    shown: usize,
    total: usize,
    t: &TableState<S>,
) -> Line<'static> {
    let count = if shown == total {
        format!("({total})")
    } else {
        format!("({shown} of {total})")
    };
    Line::from(vec![
        Span::styled(format!(" {what} {count} "), TITLE),
        Span::styled(
            format!(
                "sort: {} {} ",
                t.sort.label(),
                if t.descending() { "↓" } else { "↑" }
            ),
            DIM,
        ),
    ])
}

fn empty_note(frame: &mut Frame, area: Rect, block: Block<'static>, text: &str) {
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {text}"), DIM)).block(block),
        area,
    );
}

pub fn providers(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let shown = rows::providers(snap, ui);
    let block = Block::bordered().title(sort_title(
        "AI providers",
        shown.len(),
        snap.providers.len(),
        &ui.providers,
    ));
    if shown.is_empty() {
        return empty_note(
            frame,
            area,
            block,
            "no AI providers seen (or none match the filter)",
        );
    }
    let wide = area.width >= WIDE;
    let cols = [
        col("Provider", Constraint::Fill(1)),
        col("Jur", Constraint::Length(3)),
        col("Category", Constraint::Length(16)).from(WIDE),
        num("Hosts", 5),
        num("Flows", 6),
        num("Sent", 8),
        num("Received", 8),
        num(
            if wide { "Last seen (UTC)" } else { "Last seen" },
            if wide { 19 } else { 9 },
        )
        .from(72),
        col(
            if wide { "Restricted" } else { "Restr." },
            Constraint::Length(if wide { 10 } else { 6 }),
        ),
    ];
    let row = |p: &&ProviderRow| {
        let t = &p.totals;
        body_row(
            vec![
                p.name.clone(),
                p.jurisdiction.clone(),
                p.category.clone(),
                t.hosts.to_string(),
                t.flows.to_string(),
                format::bytes(t.sent_bytes),
                format::bytes(t.received_bytes),
                if wide {
                    format::rfc3339_date_time(&p.last_seen)
                } else {
                    format::rfc3339_time_of_day(&p.last_seen).to_string()
                },
                (if p.restricted { "yes" } else { "no" }).to_string(),
            ],
            p.restricted,
        )
    };
    draw(
        frame,
        area,
        block,
        &cols,
        &shown,
        Some(ui.providers.selected),
        row,
    );
}

pub fn hosts(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let shown = rows::hosts(snap, ui);
    let title = sort_title(
        "Hosts by bytes sent to restricted services",
        shown.len(),
        snap.hosts.len(),
        &ui.hosts,
    );
    host_table(frame, area, &shown, Some(ui.hosts.selected), title);
}

/// Hosts as a table (also the wide overview's "top hosts" panel, with no selection). Hosts that
/// sent anything to a restricted service are red.
pub fn host_table(
    frame: &mut Frame,
    area: Rect,
    hosts: &[&HostRow],
    selected: Option<usize>,
    title: Line<'static>,
) {
    let block = Block::bordered().title(title);
    if hosts.is_empty() {
        return empty_note(
            frame,
            area,
            block,
            "no hosts talking to AI providers (or none match the filter)",
        );
    }
    let host_width = hosts
        .iter()
        .map(|h| h.host.to_string().len())
        .max()
        .unwrap_or(7)
        .clamp(7, 39) as u16;
    let cols = [
        col("Host", Constraint::Length(host_width)),
        num("Restricted", 10),
        num("AI sent", 8),
        num("AI recv", 8).from(72),
        num("Flows", 5).from(64),
        col("Providers", Constraint::Fill(1)),
    ];
    let row = |h: &&HostRow| {
        body_row(
            vec![
                h.host.to_string(),
                format::bytes(h.restricted_sent_bytes),
                format::bytes(h.ai_sent_bytes),
                format::bytes(h.ai_received_bytes),
                h.flows.to_string(),
                h.providers.join(", "),
            ],
            h.is_restricted(),
        )
    };
    draw(frame, area, block, &cols, hosts, selected, row);
}

pub fn host_flows(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let Some(drill) = &ui.drill else { return };
    let [summary, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let line = match snap.hosts.iter().find(|h| h.host == drill.host) {
        Some(h) => {
            let style = if h.is_restricted() {
                RESTRICTED
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::styled(format!(" {} ", h.host), TITLE),
                Span::styled(
                    format!("restricted {}", format::bytes(h.restricted_sent_bytes)),
                    style,
                ),
                Span::raw(format!(
                    " · AI sent {} · {} · {}",
                    format::bytes(h.ai_sent_bytes),
                    format::plural(h.flows, "flow"),
                    h.providers.join(", ")
                )),
            ])
        }
        None => Line::from(vec![
            Span::styled(format!(" {} ", drill.host), TITLE),
            Span::styled("no longer in the snapshot", DIM),
        ]),
    };
    frame.render_widget(Paragraph::new(line), summary);

    let shown = rows::host_flows(snap, ui);
    let all = snap.flows_of(drill.host).len();
    let mut title = sort_title("Recent AI flows", shown.len(), all, &drill.table);
    title.push_span(Span::styled("· Esc back ", DIM));
    let block = Block::bordered().title(title);
    if shown.is_empty() {
        return empty_note(frame, list, block, "no recent flows kept for this host");
    }
    let wide = area.width >= WIDE;
    let cols = [
        col(
            if wide { "Ended (UTC)" } else { "Ended" },
            Constraint::Length(if wide { 19 } else { 8 }),
        ),
        col("Server", Constraint::Fill(2)),
        col("Address", Constraint::Length(15)).from(WIDE),
        col("Port", Constraint::Length(7)).from(72),
        col("Provider", Constraint::Fill(1)),
        col("Jur", Constraint::Length(3)),
        col("Ctry", Constraint::Length(if wide { 7 } else { 4 })).from(64),
        num("Sent", 8),
        num("Received", 8),
    ];
    let row = |f: &&FlowRow| {
        body_row(
            vec![
                if wide {
                    format::date_time(f.ts_end)
                } else {
                    format::time_of_day(f.ts_end)
                },
                f.server_name
                    .clone()
                    .unwrap_or_else(|| f.server.to_string()),
                f.server.to_string(),
                format!("{}/{}", f.proto, f.server_port),
                f.provider.clone().unwrap_or_default(),
                f.jurisdiction.clone().unwrap_or_default(),
                f.dst_country.clone(),
                format::bytes(f.sent),
                format::bytes(f.received),
            ],
            f.restricted,
        )
    };
    draw(
        frame,
        list,
        block,
        &cols,
        &shown,
        Some(drill.table.selected),
        row,
    );
}

pub fn alerts(frame: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    let shown = rows::alerts(snap, ui);
    let title = sort_title("Policy alerts", shown.len(), snap.alerts.len(), &ui.alerts);
    // Below 100 columns the rule needs the room more than the date does.
    let dates = area.width >= 100;
    alert_table(frame, area, &shown, Some(ui.alerts.selected), title, dates);
}

/// Alerts as a table (also the overview's "newest alerts" panel, with no selection). Every alert
/// is about a restricted service: its jurisdiction is red. `dates`: show the date with the time.
pub fn alert_table(
    frame: &mut Frame,
    area: Rect,
    alerts: &[&AlertRow],
    selected: Option<usize>,
    title: Line<'static>,
    dates: bool,
) {
    let block = Block::bordered().title(title);
    if alerts.is_empty() {
        return empty_note(frame, area, block, "no policy alerts");
    }
    let provider_width = alerts
        .iter()
        .map(|a| a.provider.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24) as u16;
    let host_width = alerts
        .iter()
        .map(|a| a.host.to_string().len())
        .max()
        .unwrap_or(7)
        .clamp(7, 39) as u16;
    let cols = [
        col(
            if dates { "Time (UTC)" } else { "Time" },
            Constraint::Length(if dates { 19 } else { 8 }),
        ),
        col("Host", Constraint::Length(host_width)),
        col("Provider", Constraint::Length(provider_width)),
        col("Jur", Constraint::Length(3)),
        num("Sent", 8),
        col("Rule", Constraint::Fill(1)).from(56),
    ];
    let row = |a: &&AlertRow| TableRow {
        cells: vec![
            if dates {
                format::date_time(a.ts)
            } else {
                format::time_of_day(a.ts)
            },
            a.host.to_string(),
            a.provider.clone(),
            a.jurisdiction.clone(),
            format::bytes(a.sent_bytes),
            a.rule.clone(),
        ],
        style: Style::new(),
        cell_styles: vec![(3, RESTRICTED)],
    };
    draw(frame, area, block, &cols, alerts, selected, row);
}
