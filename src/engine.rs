//! The engine: the sans-IO facade over decode → flow → dissect → classify. It is driven by frames and
//! packet time only (`handle_frame`, `poll_timeout`, `handle_timeout`, `finish`); it owns no thread,
//! does no I/O and reads no clock, so a replay is deterministic and tests can drive it directly.

use crate::aggregate::record::{FLOW_SCHEMA, FlowRecord, proto_name};
use crate::decode::{Decoded, Decoder, Malformed, fragments::FragmentLimits};
use crate::flow::{EndReason, EndedFlow, FlowLimits, FlowTable, TableStats};
use crate::frame::Frame;
use crate::time::{NANOS_PER_SEC, Timestamp};

/// Everything the engine can be tuned with.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    pub flows: FlowLimits,
    pub fragments: FragmentLimits,
}

/// Per-flow state the engine keeps beside the counters (dissection and classification).
#[derive(Debug, Default)]
pub struct FlowState {}

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
    stats: EngineStats,
    /// Packet time of the next timeout sweep (sweeps run at most once per second of packet time).
    next_sweep: Timestamp,
    records: Vec<FlowRecord>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Engine {
            decoder: Decoder::new(config.fragments),
            flows: FlowTable::new(config.flows),
            stats: EngineStats::default(),
            next_sweep: Timestamp::ZERO,
            records: Vec::new(),
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
        self.stats.first_ts.get_or_insert(ts);
        if self.stats.last_ts.is_none_or(|last| ts > last) {
            self.stats.last_ts = Some(ts);
        }
        if ts >= self.next_sweep {
            self.handle_timeout(ts);
        }
        match self.decoder.decode(frame) {
            Decoded::Packet(pkt) => {
                self.stats.packets += 1;
                self.flows.ingest(&pkt);
            }
            Decoded::NotIp => self.stats.not_ip += 1,
            Decoded::FragmentHeld => self.stats.fragments_held += 1,
            Decoded::Malformed(m) => self.stats.malformed[m.index()] += 1,
        }
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

    /// Takes the records of flows that ended since the last call, in the order they ended.
    pub fn drain_records(&mut self) -> std::vec::Drain<'_, FlowRecord> {
        self.records.drain(..)
    }

    fn collect_ended(&mut self) {
        for ended in self.flows.drain_ended() {
            self.records.push(record_of(&ended));
        }
    }
}

fn record_of(ended: &EndedFlow<FlowState>) -> FlowRecord {
    let f = &ended.flow;
    let (client, server) = (f.client(), f.server());
    FlowRecord {
        schema: FLOW_SCHEMA,
        ts_start: f.first_ts.rfc3339().to_string(),
        ts_end: f.last_ts.rfc3339().to_string(),
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
        end_reason: ended.reason.as_str(),
        start_nanos: f.first_ts.as_nanos(),
    }
}
