//! The rows each table shows: the snapshot's rows, filtered by the user's text and sorted by the
//! user's column. Shared by the renderer and the key mapping, so that Enter opens the row that is
//! highlighted on screen.

use super::state::{
    Action, AlertSort, FlowSort, HostSort, ProviderSort, TableState, UiState, View,
};
use crate::aggregate::snapshot::{AlertRow, FlowRow, HostRow, Snapshot};
use crate::aggregate::summary::ProviderRow;
use std::cmp::Ordering;

/// Case-insensitive substring match of `filter` in any of `fields`; an empty filter matches all.
fn matches<'a>(filter: &str, fields: impl IntoIterator<Item = &'a str>) -> bool {
    if filter.is_empty() {
        return true;
    }
    let needle = filter.to_lowercase();
    fields
        .into_iter()
        .any(|f| f.to_lowercase().contains(&needle))
}

fn directed<S: super::state::SortKey>(table: &TableState<S>, ord: Ordering) -> Ordering {
    if table.descending() {
        ord.reverse()
    } else {
        ord
    }
}

pub fn providers<'a>(snap: &'a Snapshot, ui: &UiState) -> Vec<&'a ProviderRow> {
    let mut rows: Vec<&ProviderRow> = snap
        .providers
        .iter()
        .filter(|p| {
            matches(
                &ui.filter,
                [
                    p.provider.as_str(),
                    p.name.as_str(),
                    p.jurisdiction.as_str(),
                    p.category.as_str(),
                ],
            )
        })
        .collect();
    let t = &ui.providers;
    rows.sort_by(|a, b| {
        let ord = match t.sort {
            ProviderSort::Sent => a.totals.sent_bytes.cmp(&b.totals.sent_bytes),
            ProviderSort::Received => a.totals.received_bytes.cmp(&b.totals.received_bytes),
            ProviderSort::Flows => a.totals.flows.cmp(&b.totals.flows),
            ProviderSort::Hosts => a.totals.hosts.cmp(&b.totals.hosts),
            ProviderSort::LastSeen => a.last_seen.cmp(&b.last_seen),
            ProviderSort::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            ProviderSort::Jurisdiction => a.jurisdiction.cmp(&b.jurisdiction),
        };
        // Ties: the summary's order (by bytes sent, then id) is stable under `sort_by`.
        directed(t, ord)
    });
    rows
}

pub fn hosts<'a>(snap: &'a Snapshot, ui: &UiState) -> Vec<&'a HostRow> {
    let mut rows: Vec<&HostRow> = snap
        .hosts
        .iter()
        .filter(|h| {
            if ui.filter.is_empty() {
                return true;
            }
            let ip = h.host.to_string();
            matches(
                &ui.filter,
                std::iter::once(ip.as_str()).chain(h.providers.iter().map(String::as_str)),
            )
        })
        .collect();
    let t = &ui.hosts;
    rows.sort_by(|a, b| {
        let ord = match t.sort {
            HostSort::RestrictedSent => a.restricted_sent_bytes.cmp(&b.restricted_sent_bytes),
            HostSort::AiSent => a.ai_sent_bytes.cmp(&b.ai_sent_bytes),
            HostSort::Flows => a.flows.cmp(&b.flows),
            HostSort::Address => a.host.cmp(&b.host),
        };
        directed(t, ord)
    });
    rows
}

pub fn alerts<'a>(snap: &'a Snapshot, ui: &UiState) -> Vec<&'a AlertRow> {
    let mut rows: Vec<&AlertRow> = snap
        .alerts
        .iter()
        .filter(|a| {
            if ui.filter.is_empty() {
                return true;
            }
            let ip = a.host.to_string();
            matches(
                &ui.filter,
                [
                    ip.as_str(),
                    a.provider.as_str(),
                    a.jurisdiction.as_str(),
                    a.rule.as_str(),
                ],
            )
        })
        .collect();
    let t = &ui.alerts;
    rows.sort_by(|a, b| {
        let ord = match t.sort {
            AlertSort::Time => a.ts.cmp(&b.ts),
            AlertSort::Sent => a.sent_bytes.cmp(&b.sent_bytes),
            AlertSort::Host => a.host.cmp(&b.host),
        };
        directed(t, ord)
    });
    rows
}

/// The drilled-into host's flows.
pub fn host_flows<'a>(snap: &'a Snapshot, ui: &UiState) -> Vec<&'a FlowRow> {
    let Some(drill) = &ui.drill else {
        return Vec::new();
    };
    let mut rows: Vec<&FlowRow> = snap
        .flows_of(drill.host)
        .iter()
        .filter(|f| {
            if ui.filter.is_empty() {
                return true;
            }
            let server = f.server.to_string();
            matches(
                &ui.filter,
                [
                    server.as_str(),
                    f.server_name.as_deref().unwrap_or(""),
                    f.provider.as_deref().unwrap_or(""),
                    f.jurisdiction.as_deref().unwrap_or(""),
                    f.dst_country.as_str(),
                ],
            )
        })
        .collect();
    let t = &drill.table;
    rows.sort_by(|a, b| {
        let ord = match t.sort {
            FlowSort::Time => a.ts_end.cmp(&b.ts_end),
            FlowSort::Sent => a.sent.cmp(&b.sent),
            FlowSort::Received => a.received.cmp(&b.received),
        };
        directed(t, ord)
    });
    rows
}

/// Rows of the current view's table (0 for the overview).
pub fn count(snap: &Snapshot, ui: &UiState) -> usize {
    match (ui.view, &ui.drill) {
        (View::Overview, _) => 0,
        (View::Providers, _) => providers(snap, ui).len(),
        (View::Hosts, Some(_)) => host_flows(snap, ui).len(),
        (View::Hosts, None) => hosts(snap, ui).len(),
        (View::Alerts, _) => alerts(snap, ui).len(),
    }
}

/// The highlighted row of `rows` (the selection may be past the end until the app clamps it).
fn highlighted<T>(rows: Vec<T>, selected: usize) -> Option<T> {
    let last = rows.len().checked_sub(1)?;
    rows.into_iter().nth(selected.min(last))
}

/// What Enter opens: the highlighted host's flows (from the hosts list or an alert), or the hosts
/// that use the highlighted provider.
pub fn enter_action(snap: &Snapshot, ui: &UiState) -> Option<Action> {
    match (ui.view, &ui.drill) {
        (View::Hosts, None) => {
            highlighted(hosts(snap, ui), ui.hosts.selected).map(|h| Action::OpenHost(h.host))
        }
        (View::Alerts, _) => {
            highlighted(alerts(snap, ui), ui.alerts.selected).map(|a| Action::OpenHost(a.host))
        }
        (View::Providers, _) => highlighted(providers(snap, ui), ui.providers.selected)
            .map(|p| Action::ProviderHosts(p.name.clone())),
        _ => None,
    }
}
