//! The engine: the sans-IO facade over decode → flow → dissect → classify. It is driven by frames and
//! packet time only (`handle_frame`, `poll_timeout`, `handle_timeout`, `finish`); it owns no thread,
//! does no I/O and reads no clock, so a replay is deterministic and tests can drive it directly.

use crate::aggregate::record::{
    FLOW_SCHEMA, FlowRecord, FlowTotals, ProviderRef, TlsFacts, proto_name,
};
use crate::aggregate::summary::SummaryBuilder;
use crate::classify::Classifier;
use crate::classify::encrypted_dns::{encrypted_dns_kind, kind_by_alpn};
use crate::classify::geo::{GeoAnswer, GeoCache};
use crate::classify::names::{NameCache, NameHit};
use crate::decode::{Decoded, Decoder, L4, Malformed, Packet, fragments::FragmentLimits};
use crate::dissect::dns::{DnsMessage, is_mdns_or_llmnr, resolve_chain};
use crate::dissect::limits::names::DEFAULT_CAPACITY;
use crate::dissect::session::{AppProto, FlowDissector, HeadNeed};
use crate::dissect::tls::{ClientHello, ServerHello};
use crate::flow::{Direction, EndReason, EndedFlow, Flow, FlowLimits, FlowTable, TableStats};
use crate::frame::Frame;
use crate::time::{NANOS_PER_SEC, Timestamp};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Everything the engine can be tuned with.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub flows: FlowLimits,
    pub fragments: FragmentLimits,
    /// Entries of the DNS-fed IP→name cache.
    pub name_cache: usize,
    /// Whether every field of the flow records is used (export, kept records). When false only the
    /// summary reads them, and work whose sole use is an unread field is skipped: the server
    /// certificate's names are parsed only for flows whose ClientHello had no SNI.
    pub full_records: bool,
    /// Whether the run summary is the only reader of the flow records (no export, no kept records,
    /// no live view). The records then carry only what the summary reads — counters, times, end
    /// reason, provider, restriction, destination country, encrypted-DNS kind — and the rest is
    /// left empty: names, match, policy rule, AS, TLS/DNS/QUIC details. Implies `!full_records`.
    pub summary_only: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            flows: FlowLimits::default(),
            fragments: FragmentLimits::default(),
            name_cache: DEFAULT_CAPACITY,
            full_records: true,
            summary_only: false,
        }
    }
}

/// Per-flow state the engine keeps beside the counters (dissection and classification).
#[derive(Debug, Default)]
pub struct FlowState {
    dissect: FlowDissector,
    /// The name this flow's client resolved the server's address from, looked up when it started.
    dns: Option<NameHit>,
}

/// Counters over everything the engine was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub frames: u64,
    /// Sum of the frames' original (on-wire) lengths.
    pub frame_bytes: u64,
    /// Frames that reached a flow (a reassembled datagram counts once).
    pub packets: u64,
    pub not_ip: u64,
    pub fragments_held: u64,
    pub malformed: [u64; Malformed::ALL.len()],
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Dissectors that gave up on a flow, by reason (malformed TLS, undecryptable QUIC, …).
    pub dissect_drops: BTreeMap<&'static str, u64>,
}

impl EngineStats {
    pub fn malformed_total(&self) -> u64 {
        self.malformed.iter().sum()
    }

    /// Malformed counts by reason name, non-zero only, in a fixed order.
    pub fn malformed_by_reason(&self) -> Vec<(&'static str, u64)> {
        Malformed::ALL
            .iter()
            .map(|m| (m.as_str(), self.malformed[m.index()]))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

pub struct Engine {
    decoder: Decoder,
    flows: FlowTable<FlowState>,
    names: NameCache,
    classifier: Arc<Classifier>,
    stats: EngineStats,
    /// Packet time of the next timeout sweep (sweeps run at most once per second of packet time).
    next_sweep: Timestamp,
    records: Vec<FlowRecord>,
    /// What a summary-only engine keeps of ended flows instead of records.
    facts: Vec<SummaryFacts>,
    /// What the records need of each new flow's dissection.
    needs: FlowNeeds,
    summary_only: bool,
    /// Destination countries of summary-only records, by address.
    geo_cache: GeoCache,
}

/// Which dissection results the flow records read, decided once per engine (see
/// [`EngineConfig::full_records`] and [`EngineConfig::summary_only`]).
#[derive(Clone, Copy, Debug)]
struct FlowNeeds {
    /// Every record field (else the certificate's names are read only when they can name the server).
    full_records: bool,
    /// The per-flow DNS record (`FlowRecord::dns`).
    dns_record: bool,
    /// The ClientHello's lists beyond its names (fingerprints, TLS details, JA4 matching).
    hello_details: bool,
}

impl Engine {
    pub fn new(config: EngineConfig, classifier: Arc<Classifier>) -> Self {
        let needs = FlowNeeds {
            full_records: config.full_records && !config.summary_only,
            dns_record: !config.summary_only,
            // A JA4 signature needs the whole hello even for the summary (it may decide the provider).
            hello_details: !config.summary_only || classifier.signatures.has_ja4(),
        };
        Engine {
            decoder: Decoder::new(config.fragments),
            flows: FlowTable::new(config.flows),
            names: NameCache::new(config.name_cache),
            classifier,
            stats: EngineStats::default(),
            next_sweep: Timestamp::ZERO,
            records: Vec::new(),
            facts: Vec::new(),
            needs,
            summary_only: config.summary_only,
            geo_cache: GeoCache::default(),
        }
    }

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    pub fn table_stats(&self) -> TableStats {
        self.flows.stats()
    }

    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    pub fn active_flows(&self) -> usize {
        self.flows.active()
    }

    /// Feeds one captured frame.
    pub fn handle_frame(&mut self, frame: &Frame<'_>) {
        let ts = frame.ts;
        self.stats.frames += 1;
        self.stats.frame_bytes += u64::from(frame.orig_len);
        if self.stats.first_ts.is_none_or(|first| ts < first) {
            self.stats.first_ts = Some(ts);
        }
        if self.stats.last_ts.is_none_or(|last| ts > last) {
            self.stats.last_ts = Some(ts);
        }
        // Sweep once a second of packet time, and also when time jumps back (files out of order,
        // or one frame stamped in the future): the next sweep is never stranded far ahead.
        if ts >= self.next_sweep || ts.saturating_add(NANOS_PER_SEC) < self.next_sweep {
            self.handle_timeout(ts);
        }
        // Matched by reference: the packet is read where `decode` wrote it, not moved out first.
        match &self.decoder.decode(frame) {
            Decoded::Packet(pkt) => {
                self.stats.packets += 1;
                on_packet(
                    &mut self.flows,
                    &mut self.names,
                    &mut self.stats,
                    pkt,
                    self.needs,
                );
            }
            Decoded::NotIp => self.stats.not_ip += 1,
            Decoded::FragmentHeld => self.stats.fragments_held += 1,
            Decoded::Malformed(m) => self.stats.malformed[m.index()] += 1,
        }
        // Flows evicted for room, or ended by a new SYN on their ports, leave the table at once.
        if self.flows.has_ended() {
            self.collect_ended();
        }
    }

    pub fn name_cache(&self) -> &NameCache {
        &self.names
    }

    /// The packet time at which `handle_timeout` has work to do, if any.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.flows.next_deadline()
    }

    /// Ages out idle flows and fragment trains at packet time `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.next_sweep = now.saturating_add(NANOS_PER_SEC);
        self.decoder.handle_timeout(now);
        self.flows.handle_timeout(now);
        self.collect_ended();
    }

    /// Ends every open flow (end of capture, or shutdown of a live run).
    pub fn finish(&mut self, reason: EndReason) {
        self.flows.finish(reason);
        self.collect_ended();
    }

    /// Folds a record of every flow still open into `builder` without ending any (end reason
    /// `"active"`, no TLS details), classified as if it ended now: a running summary then covers
    /// the flows in progress. Costs O(active flows); meant for a few snapshots per second.
    /// Records of the open flows that reached an AI provider (for live views and their alerts).
    pub fn active_ai_records(&self) -> Vec<FlowRecord> {
        self.flows
            .iter()
            .map(|f| active_record(f, &self.classifier))
            .filter(|r| r.provider.is_some())
            .collect()
    }

    pub fn fold_active(&self, builder: &mut SummaryBuilder) {
        let mut countries = GeoCache::default();
        for f in self.flows.iter() {
            let facts = summary_facts(f, "active", &self.classifier, &mut countries);
            builder.add_totals(&facts.totals(&self.classifier));
        }
    }

    /// Takes the records of flows that ended since the last call, in the order they ended. A
    /// summary-only engine keeps no records: see [`Engine::drain_summary_facts`].
    pub fn drain_records(&mut self) -> std::vec::Drain<'_, FlowRecord> {
        self.records.drain(..)
    }

    /// Takes what a summary-only engine ([`EngineConfig::summary_only`]) kept of the flows that
    /// ended since the last call, in the order they ended (empty for other engines). Fold them
    /// with [`SummaryFacts::totals`] and this engine's classifier.
    pub fn drain_summary_facts(&mut self) -> std::vec::Drain<'_, SummaryFacts> {
        self.facts.drain(..)
    }

    fn collect_ended(&mut self) {
        let ended = self.flows.drain_ended();
        if self.summary_only {
            if self.facts.is_empty() && self.facts.capacity() < ended.len() {
                self.facts = Vec::with_capacity(ended.len());
            } else {
                self.facts.reserve(ended.len());
            }
        } else if self.records.is_empty() && self.records.capacity() < ended.len() {
            // A fresh buffer: growing the drained one would copy its whole old capacity.
            self.records = Vec::with_capacity(ended.len());
        } else {
            self.records.reserve(ended.len());
        }
        for mut ended in ended {
            let f = &mut ended.flow;
            // Heads that will not grow any more: give the dissectors their last look.
            if !f.data.dissect.finished() && f.key.proto == 6 {
                let port = f.server().port;
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let head = match dir {
                        Direction::ClientToServer => &f.client_head,
                        Direction::ServerToClient => &f.server_head,
                    };
                    f.data.dissect.on_tcp_head(dir, head.bytes(), port, true);
                    // Each direction's reason counts (both sides may give up).
                    if let Some(reason) = f.data.dissect.take_drop() {
                        *self.stats.dissect_drops.entry(reason).or_insert(0) += 1;
                    }
                }
                for msg in f.data.dissect.take_tcp_responses() {
                    feed_names(&mut self.names, f, &msg, f.last_ts);
                }
            }
            if let Some(reason) = f.data.dissect.take_drop() {
                *self.stats.dissect_drops.entry(reason).or_insert(0) += 1;
            }
            if self.summary_only {
                self.facts.push(summary_facts(
                    &ended.flow,
                    ended.reason.as_str(),
                    &self.classifier,
                    &mut self.geo_cache,
                ));
            } else {
                self.records.push(record_of(ended, &self.classifier));
            }
        }
    }
}

/// Accounts one decoded packet to its flow and lets the flow's dissectors look at it.
fn on_packet(
    flows: &mut FlowTable<FlowState>,
    names: &mut NameCache,
    stats: &mut EngineStats,
    pkt: &Packet<'_>,
    needs: FlowNeeds,
) {
    let ing = flows.ingest_lazy(pkt);
    let Some(flow) = flows.get_mut(ing.id) else {
        return;
    };
    if ing.new_flow {
        flow.data.dns = names.lookup(flow.client().ip, flow.server().ip, pkt.ts);
        if !needs.full_records {
            // A name from DNS outranks the certificate's as the server name (see `record_of`).
            let dns_named = flow.data.dns.is_some();
            flow.data.dissect.skip_unused_cert_names(dns_named);
        }
        if !needs.dns_record {
            flow.data.dissect.skip_dns_record();
        }
        if !needs.hello_details {
            flow.data.dissect.skip_hello_details();
        }
    }
    if flow.data.dissect.finished() {
        return;
    }
    let (client_port, server_port) = (flow.client().port, flow.server().port);
    match pkt.l4 {
        L4::Tcp { .. } if ing.head_grew => {
            let head = match ing.dir {
                Direction::ClientToServer => &mut flow.client_head,
                Direction::ServerToClient => &mut flow.server_head,
            };
            // A first segment is looked at where it lies, and copied only if more is needed.
            let bytes = match ing.unbuffered_seq {
                Some(_) => pkt.payload.get(..head.cap()).unwrap_or(pkt.payload),
                None => head.bytes(),
            };
            if flow
                .data
                .dissect
                .on_tcp_head(ing.dir, bytes, server_port, false)
                == HeadNeed::Done
            {
                head.release();
            } else if let Some(seq) = ing.unbuffered_seq {
                head.on_segment(seq, pkt.payload);
            }
            for msg in flow.data.dissect.take_tcp_responses() {
                feed_names(names, flow, &msg, pkt.ts);
            }
        }
        L4::Udp { .. } => {
            if let Some(msg) =
                flow.data
                    .dissect
                    .on_udp(ing.dir, pkt.payload, client_port, server_port)
            {
                feed_names(names, flow, &msg, pkt.ts);
            }
        }
        _ => {}
    }
    if flow.data.dissect.finished() {
        flow.client_head.release();
        flow.server_head.release();
    }
    if let Some(reason) = flow.data.dissect.take_drop() {
        *stats.dissect_drops.entry(reason).or_insert(0) += 1;
    }
}

/// Feeds a DNS response seen on `flow` into the name cache, for the flow's client (the asker).
fn feed_names(names: &mut NameCache, flow: &Flow<FlowState>, msg: &DnsMessage, ts: Timestamp) {
    // mDNS and LLMNR answer for the local link: recognised, not attributed.
    if is_mdns_or_llmnr(flow.server().port) || is_mdns_or_llmnr(flow.client().port) {
        return;
    }
    names.insert_resolved(flow.client().ip, &resolve_chain(msg), ts);
}

fn record_of(ended: EndedFlow<FlowState>, classifier: &Classifier) -> FlowRecord {
    let EndedFlow { mut flow, reason } = ended;
    let d = &flow.data.dissect;
    let mut r = record_base(
        &flow,
        d.client_hello(),
        d.server_hello(),
        reason.as_str(),
        classifier,
    );
    // The dissection details, moved out of the ended flow.
    r.dns_chain = match &flow.data.dns {
        Some(hit) if hit.chain.len() > 1 => hit.chain.iter().map(|n| n.to_string()).collect(),
        _ => Vec::new(),
    };
    let d = &mut flow.data.dissect;
    r.app = match d.proto {
        AppProto::Tls => Some("tls"),
        AppProto::Quic => Some("quic"),
        AppProto::Http => Some("http"),
        AppProto::Dns => Some("dns"),
        AppProto::Unknown | AppProto::Other => None,
    };
    r.quic_version = d.quic_version_name();
    r.dns = d.dns.take().map(|b| *b);
    let transport = d.transport();
    let (client, server) = d.take_hellos();
    r.tls =
        (client.is_some() || server.is_some()).then(|| TlsFacts::new(client, server, transport));
    r
}

/// The best name for a flow's server and where it came from: the SNI (TLS or QUIC), the HTTP Host,
/// the name the client resolved, the certificate's first name.
fn server_name_of(
    sni: Option<String>,
    proto: AppProto,
    http_host: Option<&String>,
    dns_name: Option<&String>,
    cert_name: Option<String>,
) -> (Option<String>, Option<&'static str>) {
    let sni_source = if proto == AppProto::Quic {
        "quic_sni"
    } else {
        "tls_sni"
    };
    match (sni, http_host, dns_name, cert_name) {
        (Some(sni), ..) => (Some(sni), Some(sni_source)),
        (None, Some(host), ..) => (Some(host.clone()), Some("http_host")),
        (None, None, Some(name), _) => (Some(name.clone()), Some("dns")),
        (None, None, None, Some(cert)) => (Some(cert), Some("tls_cert")),
        _ => (None, None),
    }
}

/// DNS over TLS/HTTPS/QUIC, by port, SNI and address, else by the client's ALPN.
fn encrypted_dns_of(
    proto: u8,
    server_port: u16,
    server_ip: std::net::IpAddr,
    client_hello: Option<&ClientHello>,
) -> Option<&'static str> {
    let sni = client_hello.and_then(|h| h.sni.as_deref());
    let alpn = client_hello.map(|h| h.alpn.as_slice()).unwrap_or_default();
    encrypted_dns_kind(proto, server_port, sni, server_ip)
        .or_else(|| kind_by_alpn(alpn.iter().map(Vec::as_slice)))
}

/// The record of a flow still open, for running summaries: counters, names and classification as
/// `record_of` would give them now, without the TLS and DNS details (summaries do not read them).
fn active_record(f: &Flow<FlowState>, classifier: &Classifier) -> FlowRecord {
    let d = &f.data.dissect;
    record_base(f, d.client_hello(), d.server_hello(), "active", classifier)
}

/// What the run summary reads of a flow, kept by summary-only engines instead of a
/// [`FlowRecord`] (see [`EngineConfig::summary_only`]): plain values, nothing allocated. The
/// provider is an index into the engine's classifier's signature set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryFacts {
    pub ts_start: Timestamp,
    pub ts_end: Timestamp,
    pub proto: &'static str,
    pub end_reason: &'static str,
    pub client_ip: IpAddr,
    pub c2s_packets: u64,
    pub c2s_bytes: u64,
    pub s2c_packets: u64,
    pub s2c_bytes: u64,
    pub dst_country: GeoAnswer,
    pub encrypted_dns_kind: Option<&'static str>,
    /// Index in `classifier.signatures.providers()`.
    pub provider: Option<usize>,
    pub restricted: bool,
}

impl SummaryFacts {
    /// The summary's view of the flow, the provider looked up in `classifier` (the engine's).
    pub fn totals<'a>(&'a self, classifier: &'a Classifier) -> FlowTotals<'a> {
        FlowTotals {
            ts_start: self.ts_start,
            ts_end: self.ts_end,
            proto: self.proto,
            end_reason: self.end_reason,
            client_ip: self.client_ip,
            c2s_packets: self.c2s_packets,
            c2s_bytes: self.c2s_bytes,
            s2c_packets: self.s2c_packets,
            s2c_bytes: self.s2c_bytes,
            dst_country: self.dst_country.as_str(),
            encrypted_dns_kind: self.encrypted_dns_kind,
            provider: self
                .provider
                .and_then(|i| classifier.signatures.providers().get(i))
                .map(ProviderRef::from),
            restricted: self.restricted,
        }
    }
}

/// What the summary reads of a flow: what `record_base` gives for those fields. Names are
/// borrowed for classification, not copied.
fn summary_facts(
    f: &Flow<FlowState>,
    end_reason: &'static str,
    classifier: &Classifier,
    countries: &mut GeoCache,
) -> SummaryFacts {
    let server = f.server();
    let d = &f.data.dissect;
    let client_hello = d.client_hello();
    let dns_name = f.data.dns.as_ref().map(|hit| &*hit.name);
    // The same precedence as `server_name_of`: SNI, HTTP Host, DNS name, certificate.
    let server_name = client_hello
        .and_then(|h| h.sni.as_deref())
        .or_else(|| d.gquic_sni())
        .or(d.http_host.as_deref())
        .or(dns_name)
        .or_else(|| {
            d.server_hello()
                .and_then(|h| h.cert_names.first())
                .map(String::as_str)
        });
    let mut names: [&str; 2] = [""; 2];
    let mut count = 0;
    for name in [server_name, dns_name.filter(|n| Some(*n) != server_name)]
        .into_iter()
        .flatten()
    {
        if let Some(slot) = names.get_mut(count) {
            *slot = name;
            count += 1;
        }
    }
    let ja4 = || match client_hello {
        Some(h) if classifier.signatures.has_ja4() => Some(h.ja4(d.transport())),
        _ => None,
    };
    let class = classifier.classify_summary(names.get(..count).unwrap_or_default(), server.ip, ja4);
    SummaryFacts {
        ts_start: f.first_ts,
        ts_end: f.last_ts,
        proto: proto_name(f.key.proto),
        end_reason,
        client_ip: f.client().ip,
        c2s_packets: f.c2s.packets,
        c2s_bytes: f.c2s.bytes,
        s2c_packets: f.s2c.packets,
        s2c_bytes: f.s2c.bytes,
        dst_country: countries.lookup(&classifier.geo, server.ip),
        encrypted_dns_kind: encrypted_dns_of(f.key.proto, server.port, server.ip, client_hello),
        provider: class.provider_index,
        restricted: class.restricted,
    }
}

/// Counters, names and classification of a flow; the dissection details (`app`, `tls`, `dns`,
/// `quic_version`, `dns_chain`) are left empty for the caller.
fn record_base(
    f: &Flow<FlowState>,
    client_hello: Option<&ClientHello>,
    server_hello: Option<&ServerHello>,
    end_reason: &'static str,
    classifier: &Classifier,
) -> FlowRecord {
    let (client, server) = (f.client(), f.server());
    let d = &f.data.dissect;
    let dns_name = f.data.dns.as_ref().map(|hit| hit.name.to_string());
    let sni = client_hello
        .and_then(|h| h.sni.clone())
        .or_else(|| d.gquic_sni().map(str::to_string));
    let cert_name = server_hello.and_then(|h| h.cert_names.first().cloned());
    let (server_name, name_source) = server_name_of(
        sni,
        d.proto,
        d.http_host.as_ref(),
        dns_name.as_ref(),
        cert_name,
    );
    let mut names: Vec<&str> = Vec::with_capacity(2);
    names.extend(server_name.as_deref());
    names.extend(
        dns_name
            .as_deref()
            .filter(|n| Some(*n) != server_name.as_deref()),
    );
    let ja4 = match client_hello {
        Some(h) if classifier.signatures.has_ja4() => Some(h.ja4(d.transport())),
        _ => None,
    };
    let class = classifier.classify(&names, server.ip, ja4.as_deref());
    let edns = encrypted_dns_of(f.key.proto, server.port, server.ip, client_hello);
    FlowRecord {
        schema: FLOW_SCHEMA,
        ts_start: f.first_ts,
        ts_end: f.last_ts,
        proto: proto_name(f.key.proto),
        client_ip: client.ip,
        client_port: client.port,
        server_ip: server.ip,
        server_port: server.port,
        vlan: f.key.vlan,
        tunnel: f.tunnel.map(|t| t.as_str()),
        c2s_packets: f.c2s.packets,
        c2s_bytes: f.c2s.bytes,
        c2s_payload_bytes: f.c2s.payload_bytes,
        s2c_packets: f.s2c.packets,
        s2c_bytes: f.s2c.bytes,
        s2c_payload_bytes: f.s2c.payload_bytes,
        end_reason,
        app: None,
        server_name,
        name_source,
        dns_name,
        dns_chain: Vec::new(),
        http_host: d.http_host.clone(),
        tls: None,
        quic_version: None,
        dns: None,
        encrypted_dns: edns.is_some(),
        encrypted_dns_kind: edns,
        provider: class.provider,
        matched: class.matched,
        dst_country: class.dst_country,
        dst_asn: class.dst_asn,
        dst_as_org: class.dst_as_org,
        restricted: class.restricted,
        policy_rule: class.policy_rule,
    }
}
