//! The run summary (schema `aiwatch.summary/1`): totals over the whole run, folded from the flow
//! records one at a time (so a run without export keeps no records) and from the engine's counters.
//! The headline is bytes sent to each jurisdiction: by the provider's legal jurisdiction, by the
//! destination address's country, by provider, and by internal host × provider. Every list is sorted
//! by bytes sent, ties broken by key, so the output is deterministic.

use super::record::{FlowRecord, FlowTotals};
use super::series::{Series, SeriesBuilder};
use crate::engine::EngineStats;
use crate::flow::TableStats;
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap as StdHashMap, HashSet as StdHashSet};
use std::net::IpAddr;

pub const SUMMARY_SCHEMA: &str = "aiwatch.summary/1";
const TOP_TALKERS: usize = 10;

/// Maps folded once per flow: foldhash instead of SipHash. Every list is sorted on a total order
/// before output, so iteration order (and the hasher) never shows.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = StdHashSet<K, foldhash::fast::RandomState>;

/// Traffic totals of one group of flows. "Sent" is client → server: what internal hosts send out.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub sent_bytes: u64,
    pub sent_packets: u64,
    pub received_bytes: u64,
    pub received_packets: u64,
    pub flows: u64,
    /// Distinct clients (internal hosts) in the group.
    pub hosts: u64,
}

impl Totals {
    fn add(&mut self, r: &FlowTotals<'_>) {
        self.sent_bytes += r.c2s_bytes;
        self.sent_packets += r.c2s_packets;
        self.received_bytes += r.s2c_bytes;
        self.received_packets += r.s2c_packets;
        self.flows += 1;
    }
}

/// A group's totals while folding: the host set is counted at the end.
#[derive(Clone, Default)]
struct Group {
    totals: Totals,
    hosts: HashSet<IpAddr>,
    restricted_sent_bytes: u64,
    ai_sent_bytes: u64,
}

impl Group {
    fn add(&mut self, r: &FlowTotals<'_>) {
        self.totals.add(r);
        self.hosts.insert(r.client_ip);
        if r.restricted {
            self.restricted_sent_bytes += r.c2s_bytes;
        }
        if r.provider.is_some() {
            self.ai_sent_bytes += r.c2s_bytes;
        }
    }

    fn totals(&self) -> Totals {
        Totals {
            hosts: self.hosts.len() as u64,
            ..self.totals.clone()
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JurisdictionRow {
    /// ISO 3166-1 alpha-2 of the provider's legal control (`ZZ`: unknown).
    pub jurisdiction: String,
    #[serde(flatten)]
    pub totals: Totals,
    pub restricted_sent_bytes: u64,
    pub providers: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CountryRow {
    /// Destination country of the server address, or "private", "loopback", …, "unknown".
    pub country: String,
    #[serde(flatten)]
    pub totals: Totals,
    /// Of `sent_bytes`, sent to AI providers, and to restricted ones.
    pub ai_sent_bytes: u64,
    pub restricted_sent_bytes: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProviderRow {
    pub provider: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: String,
    pub restricted: bool,
    #[serde(flatten)]
    pub totals: Totals,
    pub last_seen: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HostProviderRow {
    pub host: IpAddr,
    pub provider: String,
    pub jurisdiction: String,
    pub restricted: bool,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EncryptedDnsRow {
    pub host: IpAddr,
    pub flows: u64,
    pub kinds: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Talker {
    pub ip: IpAddr,
    pub flows: u64,
    pub sent_bytes: u64,
    pub received_bytes: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub schema: &'static str,
    /// The inputs that were read (a replay that broke stops at the file that broke).
    pub sources: Vec<String>,
    /// Where and why reading stopped early, when it did: everything before it is in the totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
    pub ts_first: Option<String>,
    pub ts_last: Option<String>,
    pub frames: u64,
    pub frame_bytes: u64,
    pub packets: u64,
    pub not_ip: u64,
    pub fragments_held: u64,
    pub malformed: BTreeMap<&'static str, u64>,
    pub dissect_drops: BTreeMap<&'static str, u64>,
    pub flows: u64,
    pub flows_by_proto: BTreeMap<&'static str, u64>,
    pub flows_by_end_reason: BTreeMap<&'static str, u64>,
    pub flows_evicted: u64,
    pub peak_active_flows: u64,
    /// All traffic to AI providers, and to restricted ones.
    pub ai: Totals,
    pub restricted: Totals,
    pub sent_by_jurisdiction: Vec<JurisdictionRow>,
    pub sent_by_country: Vec<CountryRow>,
    pub sent_by_provider: Vec<ProviderRow>,
    pub host_provider: Vec<HostProviderRow>,
    pub encrypted_dns_by_client: Vec<EncryptedDnsRow>,
    /// Hosts by bytes they sent plus received as clients, largest first.
    pub top_talkers: Vec<Talker>,
    /// Live captures only: what reached aiwatch and what was lost before it (flattened in).
    #[serde(flatten)]
    pub capture: Option<CaptureCounters>,
    /// Bytes sent per window of packet time (see `aggregate::series`).
    pub series: Series,
}

/// Packets of a live capture: received by the engine, and lost on the way, by where.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CaptureCounters {
    /// Frames the engine processed.
    pub packets_received: u64,
    /// libpcap's `ps_drop`: the capture buffer was full.
    pub capture_drops: u64,
    /// libpcap's `ps_ifdrop`: the interface or driver dropped them.
    pub interface_drops: u64,
    /// Copied out of libpcap but dropped because the engine's queue was full.
    pub queue_drops: u64,
}

/// Counts by a key from a small set of static strings (protocol names, end reasons), added to
/// once per flow: a short list searched by address first (the same static string has one address),
/// by text only for a key not found so. Sorted into a map at the end.
#[derive(Clone, Default)]
struct Counts(Vec<(&'static str, u64)>);

impl Counts {
    fn add(&mut self, key: &'static str) {
        let at = self
            .0
            .iter()
            .position(|(k, _)| std::ptr::eq(*k, key))
            .or_else(|| self.0.iter().position(|(k, _)| *k == key));
        match at.and_then(|i| self.0.get_mut(i)) {
            Some((_, n)) => *n += 1,
            None => self.0.push((key, 1)),
        }
    }

    fn into_map(self) -> BTreeMap<&'static str, u64> {
        let mut map = BTreeMap::new();
        for (key, n) in self.0 {
            *map.entry(key).or_insert(0) += n;
        }
        map
    }
}

/// Folds flow records into a [`Summary`]. Cloned to summarise a run still in progress.
#[derive(Clone, Default)]
pub struct SummaryBuilder {
    flows: u64,
    by_proto: Counts,
    by_reason: Counts,
    talkers: HashMap<IpAddr, Talker>,
    ai: Group,
    restricted: Group,
    by_jurisdiction: HashMap<String, (Group, BTreeMap<String, ()>)>,
    by_country: HashMap<String, Group>,
    /// The row's `last_seen` is written at the end from the latest flow end kept beside it.
    by_provider: HashMap<String, (Group, ProviderRow, Timestamp)>,
    /// Provider id → internal host → row (nested so that a lookup borrows the id).
    host_provider: HashMap<String, HashMap<IpAddr, (Group, HostProviderRow)>>,
    encrypted_dns: HashMap<IpAddr, EncryptedDnsRow>,
    series: SeriesBuilder,
}

impl SummaryBuilder {
    /// A builder whose interval series uses windows of `window_secs` seconds of packet time.
    pub fn with_window(window_secs: u64) -> Self {
        SummaryBuilder {
            series: SeriesBuilder::new(window_secs),
            ..SummaryBuilder::default()
        }
    }

    pub fn add(&mut self, r: &FlowRecord) {
        self.add_totals(&r.totals());
    }

    /// [`SummaryBuilder::add`] from what the summary reads of a flow.
    pub fn add_totals(&mut self, r: &FlowTotals<'_>) {
        self.flows += 1;
        self.series.add(r);
        self.by_proto.add(r.proto);
        self.by_reason.add(r.end_reason);
        let t = self.talkers.entry(r.client_ip).or_insert(Talker {
            ip: r.client_ip,
            flows: 0,
            sent_bytes: 0,
            received_bytes: 0,
        });
        t.flows += 1;
        t.sent_bytes += r.c2s_bytes;
        t.received_bytes += r.s2c_bytes;
        match self.by_country.get_mut(r.dst_country) {
            Some(g) => g.add(r),
            None => self
                .by_country
                .entry(r.dst_country.to_string())
                .or_default()
                .add(r),
        }
        if let Some(kind) = r.encrypted_dns_kind {
            let row = self
                .encrypted_dns
                .entry(r.client_ip)
                .or_insert(EncryptedDnsRow {
                    host: r.client_ip,
                    flows: 0,
                    kinds: Vec::new(),
                });
            row.flows += 1;
            if !row.kinds.contains(&kind) {
                row.kinds.push(kind);
                row.kinds.sort_unstable();
            }
        }
        let Some(p) = r.provider else { return };
        self.ai.add(r);
        if r.restricted {
            self.restricted.add(r);
        }
        // Each key is copied only the first time it is seen.
        let (group, providers) = match self.by_jurisdiction.get_mut(p.jurisdiction) {
            Some(entry) => entry,
            None => self
                .by_jurisdiction
                .entry(p.jurisdiction.to_string())
                .or_default(),
        };
        group.add(r);
        if !providers.contains_key(p.id) {
            providers.insert(p.id.to_string(), ());
        }
        if !self.by_provider.contains_key(p.id) {
            let row = ProviderRow {
                provider: p.id.to_string(),
                name: p.name.to_string(),
                jurisdiction: p.jurisdiction.to_string(),
                category: p.category.as_str().to_string(),
                restricted: r.restricted,
                totals: Totals::default(),
                last_seen: String::new(),
            };
            self.by_provider
                .insert(p.id.to_string(), (Group::default(), row, r.ts_end));
        }
        if let Some((group, row, last_seen)) = self.by_provider.get_mut(p.id) {
            group.add(r);
            row.restricted |= r.restricted;
            // RFC 3339 text of fixed width orders as time does: the latest end is the greatest text.
            *last_seen = (*last_seen).max(r.ts_end);
        }
        let hosts = match self.host_provider.get_mut(p.id) {
            Some(hosts) => hosts,
            None => self.host_provider.entry(p.id.to_string()).or_default(),
        };
        let (group, row) = hosts.entry(r.client_ip).or_insert_with(|| {
            (
                Group::default(),
                HostProviderRow {
                    host: r.client_ip,
                    provider: p.id.to_string(),
                    jurisdiction: p.jurisdiction.to_string(),
                    restricted: r.restricted,
                    totals: Totals::default(),
                },
            )
        });
        group.add(r);
        row.restricted |= r.restricted;
    }

    pub fn finish(self, sources: &[String], stats: &EngineStats, table: &TableStats) -> Summary {
        let mut top: Vec<Talker> = self.talkers.into_values().collect();
        let by_traffic = |a: &Talker, b: &Talker| {
            (b.sent_bytes + b.received_bytes)
                .cmp(&(a.sent_bytes + a.received_bytes))
                .then(a.ip.cmp(&b.ip))
        };
        // Only the first few are kept: select them, then sort those (the order is total: one
        // talker per address).
        if top.len() > TOP_TALKERS {
            top.select_nth_unstable_by(TOP_TALKERS - 1, by_traffic);
            top.truncate(TOP_TALKERS);
        }
        top.sort_by(by_traffic);
        let mut by_jurisdiction: Vec<JurisdictionRow> = self
            .by_jurisdiction
            .into_iter()
            .map(|(j, (g, providers))| JurisdictionRow {
                jurisdiction: j,
                totals: g.totals(),
                restricted_sent_bytes: g.restricted_sent_bytes,
                providers: providers.into_keys().collect(),
            })
            .collect();
        by_jurisdiction.sort_by(|a, b| {
            b.totals
                .sent_bytes
                .cmp(&a.totals.sent_bytes)
                .then_with(|| a.jurisdiction.cmp(&b.jurisdiction))
        });
        let mut by_country: Vec<CountryRow> = self
            .by_country
            .into_iter()
            .map(|(c, g)| CountryRow {
                country: c,
                totals: g.totals(),
                ai_sent_bytes: g.ai_sent_bytes,
                restricted_sent_bytes: g.restricted_sent_bytes,
            })
            .collect();
        by_country.sort_by(|a, b| {
            b.totals
                .sent_bytes
                .cmp(&a.totals.sent_bytes)
                .then_with(|| a.country.cmp(&b.country))
        });
        let mut by_provider: Vec<ProviderRow> = self
            .by_provider
            .into_values()
            .map(|(g, row, last_seen)| ProviderRow {
                totals: g.totals(),
                last_seen: last_seen.rfc3339().to_string(),
                ..row
            })
            .collect();
        by_provider.sort_by(|a, b| {
            b.totals
                .sent_bytes
                .cmp(&a.totals.sent_bytes)
                .then_with(|| a.provider.cmp(&b.provider))
        });
        let mut host_provider: Vec<HostProviderRow> = self
            .host_provider
            .into_values()
            .flat_map(HashMap::into_values)
            .map(|(g, row)| HostProviderRow {
                totals: g.totals(),
                ..row
            })
            .collect();
        host_provider.sort_by(|a, b| {
            b.totals
                .sent_bytes
                .cmp(&a.totals.sent_bytes)
                .then(a.host.cmp(&b.host))
                .then_with(|| a.provider.cmp(&b.provider))
        });
        let mut encrypted_dns: Vec<EncryptedDnsRow> = self.encrypted_dns.into_values().collect();
        encrypted_dns.sort_by(|a, b| b.flows.cmp(&a.flows).then(a.host.cmp(&b.host)));
        Summary {
            schema: SUMMARY_SCHEMA,
            sources: sources.to_vec(),
            read_error: None,
            ts_first: stats.first_ts.map(|t| t.rfc3339().to_string()),
            ts_last: stats.last_ts.map(|t| t.rfc3339().to_string()),
            frames: stats.frames,
            frame_bytes: stats.frame_bytes,
            packets: stats.packets,
            not_ip: stats.not_ip,
            fragments_held: stats.fragments_held,
            malformed: stats.malformed_by_reason().into_iter().collect(),
            dissect_drops: stats.dissect_drops.clone(),
            flows: self.flows,
            flows_by_proto: self.by_proto.into_map(),
            flows_by_end_reason: self.by_reason.into_map(),
            flows_evicted: table.evicted,
            peak_active_flows: table.peak_active,
            ai: self.ai.totals(),
            restricted: self.restricted.totals(),
            sent_by_jurisdiction: by_jurisdiction,
            sent_by_country: by_country,
            sent_by_provider: by_provider,
            host_provider,
            encrypted_dns_by_client: encrypted_dns,
            top_talkers: top,
            capture: None,
            series: self.series.finish(),
        }
    }
}

impl Summary {
    /// The summary of a set of records (tests, and sinks that hold every record anyway).
    pub fn build(
        sources: &[String],
        records: &[FlowRecord],
        stats: &EngineStats,
        table: &TableStats,
    ) -> Summary {
        let mut b = SummaryBuilder::default();
        for r in records {
            b.add(r);
        }
        b.finish(sources, stats, table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are counted by their text, whether or not they share an address.
    #[test]
    fn counts_merge_equal_keys_at_different_addresses() {
        let elsewhere: &'static str = Box::leak(String::from("tcp").into_boxed_str());
        let mut counts = Counts::default();
        for key in ["tcp", "udp", elsewhere, "tcp"] {
            counts.add(key);
        }
        let map = counts.into_map();
        assert_eq!(map.get("tcp"), Some(&3));
        assert_eq!(map.get("udp"), Some(&1));
        assert_eq!(map.len(), 2);
    }
}
