//! The run summary (schema `aiwatch.summary/1`): totals over the whole run, computed from the flow
//! records and the engine's counters. Ordering is deterministic (ties broken by address).

use super::record::FlowRecord;
use crate::engine::EngineStats;
use crate::flow::TableStats;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

pub const SUMMARY_SCHEMA: &str = "aiwatch.summary/1";
const TOP_TALKERS: usize = 10;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub schema: &'static str,
    pub sources: Vec<String>,
    pub ts_first: Option<String>,
    pub ts_last: Option<String>,
    pub frames: u64,
    pub frame_bytes: u64,
    pub packets: u64,
    pub not_ip: u64,
    pub fragments_held: u64,
    pub malformed: BTreeMap<&'static str, u64>,
    pub flows: u64,
    pub flows_by_proto: BTreeMap<&'static str, u64>,
    pub flows_by_end_reason: BTreeMap<&'static str, u64>,
    pub flows_evicted: u64,
    pub peak_active_flows: u64,
    /// Hosts by bytes they sent as clients plus bytes they received as clients, largest first.
    pub top_talkers: Vec<Talker>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Talker {
    pub ip: IpAddr,
    pub flows: u64,
    pub sent_bytes: u64,
    pub received_bytes: u64,
}

impl Summary {
    pub fn build(
        sources: &[String],
        records: &[FlowRecord],
        stats: &EngineStats,
        table: &TableStats,
    ) -> Summary {
        let mut by_proto = BTreeMap::new();
        let mut by_reason = BTreeMap::new();
        let mut talkers: HashMap<IpAddr, Talker> = HashMap::new();
        for r in records {
            *by_proto.entry(r.proto).or_insert(0) += 1;
            *by_reason.entry(r.end_reason).or_insert(0) += 1;
            let t = talkers.entry(r.client_ip).or_insert(Talker {
                ip: r.client_ip,
                flows: 0,
                sent_bytes: 0,
                received_bytes: 0,
            });
            t.flows += 1;
            t.sent_bytes += r.c2s_bytes;
            t.received_bytes += r.s2c_bytes;
        }
        let mut top: Vec<Talker> = talkers.into_values().collect();
        top.sort_by(|a, b| {
            (b.sent_bytes + b.received_bytes)
                .cmp(&(a.sent_bytes + a.received_bytes))
                .then(a.ip.cmp(&b.ip))
        });
        top.truncate(TOP_TALKERS);
        Summary {
            schema: SUMMARY_SCHEMA,
            sources: sources.to_vec(),
            ts_first: stats.first_ts.map(|t| t.rfc3339().to_string()),
            ts_last: stats.last_ts.map(|t| t.rfc3339().to_string()),
            frames: stats.frames,
            frame_bytes: stats.frame_bytes,
            packets: stats.packets,
            not_ip: stats.not_ip,
            fragments_held: stats.fragments_held,
            malformed: stats.malformed_by_reason().into_iter().collect(),
            flows: records.len() as u64,
            flows_by_proto: by_proto,
            flows_by_end_reason: by_reason,
            flows_evicted: table.evicted,
            peak_active_flows: table.peak_active,
            top_talkers: top,
        }
    }
}
