//! The snapshot: what the live view shows at one moment, as plain data.
//!
//! Contract:
//! - accepts a finished [`Summary`], the runtime's [`LiveStatus`], the newest policy alerts and a
//!   series of bytes sent to restricted services per second of packet time, and (separately, via
//!   [`Snapshot::with_flows`]) recently ended flow records for the per-host drill-down;
//! - promises an immutable, self-contained value (no borrows, no handles) that the runtime can wrap
//!   in an `Arc` and hand to the TUI, with every list bounded by a cap below and deterministically
//!   ordered (largest first, ties broken by key), so that the same input renders the same screen;
//! - never reads a clock, touches the terminal or looks at packets.
//!
//! Bytes "sent" are client → server: what internal hosts send out. The two jurisdiction charts both
//! count bytes sent to AI providers only, once by the provider's legal jurisdiction and once by the
//! destination address's country, so their totals are equal.

use super::record::FlowRecord;
use super::summary::{ProviderRow, Summary, Totals};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Most internal hosts kept (ranked by bytes sent to restricted services, then to AI providers).
pub const MAX_HOSTS: usize = 1_000;
/// Most alerts kept, newest first.
pub const MAX_ALERTS: usize = 500;
/// Most points of the restricted-rate series kept, newest last.
pub const MAX_RATE_POINTS: usize = 3_600;
/// Most flows kept per host for the drill-down, most recent first.
pub const MAX_FLOWS_PER_HOST: usize = 64;
/// Most flows kept in all.
pub const MAX_FLOWS: usize = 8_192;

/// What the runtime knows about the capture right now. Rates are over the runtime's last interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveStatus {
    /// The interface, or the file being replayed.
    pub source: String,
    /// Replay progress as a fraction 0.0–1.0 (`None` for a live capture).
    pub progress: Option<f64>,
    /// The timestamp of the newest packet seen.
    pub packet_time: Option<Timestamp>,
    pub packets_per_sec: f64,
    pub bits_per_sec: f64,
    pub active_flows: u64,
    /// Packets dropped by the capture (kernel or interface) or by a full queue.
    pub drops: u64,
    /// Packets that could not be decoded.
    pub malformed: u64,
    /// The runtime itself is paused (e.g. a paced replay on hold). Not the view's pause.
    pub paused: bool,
}

/// One policy alert: a host sent data to a restricted service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    pub ts: Timestamp,
    pub host: IpAddr,
    pub provider: String,
    pub jurisdiction: String,
    pub sent_bytes: u64,
    /// The policy rule that matched.
    pub rule: String,
}

/// One bar of a jurisdiction chart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BarRow {
    /// ISO 3166-1 alpha-2 code, or "private", "unknown", … for countries, "ZZ" for an unknown
    /// jurisdiction.
    pub label: String,
    /// Bytes sent to AI providers in this group.
    pub sent_bytes: u64,
    /// Of `sent_bytes`, sent to restricted providers.
    pub restricted_sent_bytes: u64,
}

impl BarRow {
    pub fn is_restricted(&self) -> bool {
        self.restricted_sent_bytes > 0
    }
}

/// An internal host and what it sent to AI providers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRow {
    pub host: IpAddr,
    pub restricted_sent_bytes: u64,
    pub ai_sent_bytes: u64,
    pub ai_received_bytes: u64,
    /// Flows to AI providers.
    pub flows: u64,
    /// Provider display names, restricted ones first, then by bytes sent.
    pub providers: Vec<String>,
}

impl HostRow {
    pub fn is_restricted(&self) -> bool {
        self.restricted_sent_bytes > 0
    }
}

/// One ended flow to an AI provider, for a host's drill-down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRow {
    pub ts_start: Timestamp,
    pub ts_end: Timestamp,
    pub proto: &'static str,
    pub client: IpAddr,
    pub server: IpAddr,
    pub server_port: u16,
    pub server_name: Option<String>,
    /// Provider display name.
    pub provider: Option<String>,
    pub jurisdiction: Option<String>,
    pub dst_country: String,
    pub sent: u64,
    pub received: u64,
    pub restricted: bool,
}

/// The live view's data at one moment. Build with [`Snapshot::build`], then optionally
/// [`Snapshot::with_flows`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub status: LiveStatus,
    /// All traffic to AI providers, and to restricted ones.
    pub ai: Totals,
    pub restricted: Totals,
    /// Flows ended so far (all traffic).
    pub flows_total: u64,
    /// AI bytes sent by the provider's legal jurisdiction, largest first.
    pub by_jurisdiction: Vec<BarRow>,
    /// AI bytes sent by the destination address's country, largest first.
    pub by_country: Vec<BarRow>,
    /// AI providers seen, largest sender first.
    pub providers: Vec<ProviderRow>,
    /// Internal hosts, most bytes sent to restricted services first.
    pub hosts: Vec<HostRow>,
    /// Newest first.
    pub alerts: Vec<AlertRow>,
    /// Bytes sent to restricted services per second of packet time, oldest first.
    pub restricted_rate: Vec<u64>,
    /// Recent flows to AI providers, grouped by client (hosts in address order), most recent first
    /// within a host.
    pub flows: Vec<FlowRow>,
}

impl Snapshot {
    pub fn build(
        summary: &Summary,
        status: &LiveStatus,
        alerts: &[AlertRow],
        restricted_rate: &[u64],
    ) -> Snapshot {
        let by_jurisdiction = summary
            .sent_by_jurisdiction
            .iter()
            .map(|j| BarRow {
                label: j.jurisdiction.clone(),
                sent_bytes: j.totals.sent_bytes,
                restricted_sent_bytes: j.restricted_sent_bytes,
            })
            .collect();
        let mut by_country: Vec<BarRow> = summary
            .sent_by_country
            .iter()
            .filter(|c| c.ai_sent_bytes > 0)
            .map(|c| BarRow {
                label: c.country.clone(),
                sent_bytes: c.ai_sent_bytes,
                restricted_sent_bytes: c.restricted_sent_bytes,
            })
            .collect();
        // The summary orders countries by all bytes sent; the chart shows AI bytes only.
        by_country.sort_by(|a, b| {
            b.sent_bytes
                .cmp(&a.sent_bytes)
                .then_with(|| a.label.cmp(&b.label))
        });

        let mut alerts = alerts.to_vec();
        alerts.sort_by(|a, b| {
            b.ts.cmp(&a.ts)
                .then(a.host.cmp(&b.host))
                .then_with(|| a.provider.cmp(&b.provider))
        });
        alerts.truncate(MAX_ALERTS);

        let rate_from = restricted_rate.len().saturating_sub(MAX_RATE_POINTS);
        Snapshot {
            status: status.clone(),
            ai: summary.ai.clone(),
            restricted: summary.restricted.clone(),
            flows_total: summary.flows,
            by_jurisdiction,
            by_country,
            providers: summary.sent_by_provider.clone(),
            hosts: host_rows(summary),
            alerts,
            restricted_rate: restricted_rate
                .get(rate_from..)
                .unwrap_or_default()
                .to_vec(),
            flows: Vec::new(),
        }
    }

    /// Adds the drill-down flows: of `records`, those to AI providers, the most recent
    /// [`MAX_FLOWS_PER_HOST`] per client, [`MAX_FLOWS`] in all (hosts ranked as in `hosts` first).
    pub fn with_flows(mut self, records: &[FlowRecord]) -> Snapshot {
        let mut by_host: BTreeMap<IpAddr, Vec<&FlowRecord>> = BTreeMap::new();
        for r in records.iter().filter(|r| r.provider.is_some()) {
            by_host.entry(r.client_ip).or_default().push(r);
        }
        let rank: HashMap<IpAddr, usize> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.host, i))
            .collect();
        let mut hosts: Vec<(IpAddr, Vec<&FlowRecord>)> = by_host.into_iter().collect();
        // Ranked hosts first so the cap drops the least interesting; then by address.
        hosts.sort_by_key(|(ip, _)| (rank.get(ip).copied().unwrap_or(usize::MAX), *ip));
        let mut flows = Vec::new();
        for (_, mut recs) in hosts {
            recs.sort_by(|a, b| {
                b.ts_end
                    .cmp(&a.ts_end)
                    .then(a.sort_key().cmp(&b.sort_key()))
            });
            let room = MAX_FLOWS.saturating_sub(flows.len());
            flows.extend(
                recs.into_iter()
                    .take(MAX_FLOWS_PER_HOST.min(room))
                    .map(flow_row),
            );
        }
        flows.sort_by(|a, b| {
            a.client
                .cmp(&b.client)
                .then(b.ts_end.cmp(&a.ts_end))
                .then(a.ts_start.cmp(&b.ts_start))
                .then(a.server.cmp(&b.server))
                .then(a.server_port.cmp(&b.server_port))
        });
        self.flows = flows;
        self
    }

    /// The drill-down flows of one host, most recent first.
    pub fn flows_of(&self, host: IpAddr) -> &[FlowRow] {
        let start = self.flows.partition_point(|f| f.client < host);
        let end = self.flows.partition_point(|f| f.client <= host);
        self.flows.get(start..end).unwrap_or_default()
    }
}

fn flow_row(r: &FlowRecord) -> FlowRow {
    FlowRow {
        ts_start: r.ts_start,
        ts_end: r.ts_end,
        proto: r.proto,
        client: r.client_ip,
        server: r.server_ip,
        server_port: r.server_port,
        server_name: r.server_name.clone(),
        provider: r.provider.as_ref().map(|p| p.name.clone()),
        jurisdiction: r.provider.as_ref().map(|p| p.jurisdiction.clone()),
        dst_country: r.dst_country.clone(),
        sent: r.c2s_bytes,
        received: r.s2c_bytes,
        restricted: r.restricted,
    }
}

/// Folds the summary's host × provider rows into one row per host.
fn host_rows(summary: &Summary) -> Vec<HostRow> {
    let names: HashMap<&str, &str> = summary
        .sent_by_provider
        .iter()
        .map(|p| (p.provider.as_str(), p.name.as_str()))
        .collect();
    /// A host's providers while folding: (restricted, bytes sent, display name).
    type Providers = Vec<(bool, u64, String)>;
    let mut hosts: HashMap<IpAddr, (HostRow, Providers)> = HashMap::new();
    for hp in &summary.host_provider {
        let (row, providers) = hosts.entry(hp.host).or_insert_with(|| {
            (
                HostRow {
                    host: hp.host,
                    restricted_sent_bytes: 0,
                    ai_sent_bytes: 0,
                    ai_received_bytes: 0,
                    flows: 0,
                    providers: Vec::new(),
                },
                Vec::new(),
            )
        });
        row.ai_sent_bytes += hp.totals.sent_bytes;
        row.ai_received_bytes += hp.totals.received_bytes;
        row.flows += hp.totals.flows;
        if hp.restricted {
            row.restricted_sent_bytes += hp.totals.sent_bytes;
        }
        let name = names
            .get(hp.provider.as_str())
            .map_or_else(|| hp.provider.clone(), |n| (*n).to_string());
        providers.push((hp.restricted, hp.totals.sent_bytes, name));
    }
    let mut rows: Vec<HostRow> = hosts
        .into_values()
        .map(|(mut row, mut providers)| {
            providers.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            row.providers = providers.into_iter().map(|p| p.2).collect();
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        b.restricted_sent_bytes
            .cmp(&a.restricted_sent_bytes)
            .then(b.ai_sent_bytes.cmp(&a.ai_sent_bytes))
            .then(a.host.cmp(&b.host))
    });
    rows.truncate(MAX_HOSTS);
    rows
}
