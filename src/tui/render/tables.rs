//! The table views: AI providers, hosts (and one host's flows), alerts. Rows of restricted services
//! are red; the selected row is reversed. Columns widen at 120+ columns.

use super::{DIM, RESTRICTED, SELECTED, TITLE};
use crate::aggregate::snapshot::{AlertRow, HostRow, Snapshot};
use crate::tui::format;
use crate::tui::rows;
use crate::tui::state::{SortKey, TableState, UiState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

/// Terminals at least this wide get the long columns (dates, categories, rules).
pub const WIDE: u16 = 120;

fn right(s: String) -> Cell<'static> {
    Cell::from(Line::from(s).right_aligned())
}

/// The header row; the columns in `numeric` are right-aligned like their numbers.
fn header(cells: &[&'static str], numeric: std::ops::Range<usize>) -> Row<'static> {
    Row::new(cells.iter().enumerate().map(|(i, c)| {
        if numeric.contains(&i) {
            Cell::from(Line::from(*c).right_aligned())
        } else {
            Cell::from(*c)
        }
    }))
    .style(TITLE.add_modifier(ratatui::style::Modifier::UNDERLINED))
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

fn draw_table(
    frame: &mut Frame,
    area: Rect,
    table: Table<'static>,
    rows: usize,
    selected: Option<usize>,
) {
    let mut state = ratatui::widgets::TableState::default();
    if let (Some(sel), Some(last)) = (selected, rows.checked_sub(1)) {
        state.select(Some(sel.min(last)));
    }
    frame.render_stateful_widget(table.row_highlight_style(SELECTED), area, &mut state);
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
    let body: Vec<Row> = shown
        .iter()
        .map(|p| {
            let t = &p.totals;
            let mut cells = vec![
                Cell::from(p.name.clone()),
                Cell::from(p.jurisdiction.clone()),
            ];
            if wide {
                cells.push(Cell::from(p.category.clone()));
            }
            cells.extend([
                right(t.hosts.to_string()),
                right(t.flows.to_string()),
                right(format::bytes(t.sent_bytes)),
                right(format::bytes(t.received_bytes)),
                right(if wide {
                    format::rfc3339_date_time(&p.last_seen)
                } else {
                    format::rfc3339_time_of_day(&p.last_seen).to_string()
                }),
                Cell::from(if p.restricted { "yes" } else { "no" }),
            ]);
            let row = Row::new(cells);
            if p.restricted {
                row.style(RESTRICTED)
            } else {
                row
            }
        })
        .collect();
    let (head, widths): (Vec<&'static str>, Vec<Constraint>) = if wide {
        (
            vec![
                "Provider",
                "Jur",
                "Category",
                "Hosts",
                "Flows",
                "Sent",
                "Received",
                "Last seen (UTC)",
                "Restricted",
            ],
            vec![
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(17),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(19),
                Constraint::Length(10),
            ],
        )
    } else {
        (
            vec![
                "Provider",
                "Jur",
                "Hosts",
                "Flows",
                "Sent",
                "Received",
                "Last seen",
                "Restr.",
            ],
            vec![
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(5),
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(9),
                Constraint::Length(6),
            ],
        )
    };
    let numeric = if wide { 3..8 } else { 2..7 };
    let n = body.len();
    let table = Table::new(body, widths)
        .header(header(&head, numeric))
        .block(block);
    draw_table(frame, area, table, n, Some(ui.providers.selected));
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
    let body: Vec<Row> = hosts
        .iter()
        .map(|h| {
            let row = Row::new(vec![
                Cell::from(h.host.to_string()),
                right(format::bytes(h.restricted_sent_bytes)),
                right(format::bytes(h.ai_sent_bytes)),
                right(format::bytes(h.ai_received_bytes)),
                right(h.flows.to_string()),
                Cell::from(h.providers.join(", ")),
            ]);
            if h.is_restricted() {
                row.style(RESTRICTED)
            } else {
                row
            }
        })
        .collect();
    let n = body.len();
    let table = Table::new(
        body,
        [
            Constraint::Length(host_width),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Fill(1),
        ],
    )
    .header(header(
        &[
            "Host",
            "Restricted",
            "AI sent",
            "AI recv",
            "Flows",
            "Providers",
        ],
        1..5,
    ))
    .block(block);
    draw_table(frame, area, table, n, selected);
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
    let body: Vec<Row> = shown
        .iter()
        .map(|f| {
            let server = f
                .server_name
                .clone()
                .unwrap_or_else(|| f.server.to_string());
            let mut cells = vec![
                Cell::from(if wide {
                    format::date_time(f.ts_end)
                } else {
                    format::time_of_day(f.ts_end)
                }),
                Cell::from(server),
            ];
            if wide {
                cells.push(Cell::from(f.server.to_string()));
            }
            cells.extend([
                Cell::from(format!("{}/{}", f.proto, f.server_port)),
                Cell::from(f.provider.clone().unwrap_or_default()),
                Cell::from(f.jurisdiction.clone().unwrap_or_default()),
                Cell::from(f.dst_country.clone()),
                right(format::bytes(f.sent)),
                right(format::bytes(f.received)),
            ]);
            let row = Row::new(cells);
            if f.restricted {
                row.style(RESTRICTED)
            } else {
                row
            }
        })
        .collect();
    let n = body.len();
    let (head, widths, numeric): (Vec<&'static str>, Vec<Constraint>, _) = if wide {
        (
            vec![
                "Ended (UTC)",
                "Server",
                "Address",
                "Port",
                "Provider",
                "Jur",
                "Ctry",
                "Sent",
                "Received",
            ],
            vec![
                Constraint::Length(19),
                Constraint::Fill(2),
                Constraint::Length(15),
                Constraint::Length(9),
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(7),
                Constraint::Length(8),
                Constraint::Length(8),
            ],
            7..9,
        )
    } else {
        (
            vec![
                "Ended", "Server", "Port", "Provider", "Jur", "Ctry", "Sent", "Received",
            ],
            vec![
                Constraint::Length(8),
                Constraint::Fill(2),
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(8),
            ],
            6..8,
        )
    };
    let table = Table::new(body, widths)
        .header(header(&head, numeric))
        .block(block);
    draw_table(frame, list, table, n, Some(drill.table.selected));
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
    let wide = dates;
    let provider_width = alerts
        .iter()
        .map(|a| a.provider.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24) as u16;
    let body: Vec<Row> = alerts
        .iter()
        .map(|a| {
            Row::new(vec![
                Cell::from(if wide {
                    format::date_time(a.ts)
                } else {
                    format::time_of_day(a.ts)
                }),
                Cell::from(a.host.to_string()),
                Cell::from(a.provider.clone()),
                Cell::from(a.jurisdiction.clone()).style(RESTRICTED),
                right(format::bytes(a.sent_bytes)),
                Cell::from(a.rule.clone()),
            ])
        })
        .collect();
    let n = body.len();
    let table = Table::new(
        body,
        [
            Constraint::Length(if wide { 19 } else { 8 }),
            Constraint::Length(15),
            Constraint::Length(provider_width),
            Constraint::Length(3),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(header(
        &[
            if wide { "Time (UTC)" } else { "Time" },
            "Host",
            "Provider",
            "Jur",
            "Sent",
            "Rule",
        ],
        4..5,
    ))
    .block(block);
    draw_table(frame, area, table, n, selected);
}
