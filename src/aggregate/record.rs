//! The flow record: what aiwatch reports about one flow (schema `aiwatch.flow/1`). Plain data, built
//! by the engine when a flow ends, written by the export sinks, summed by the aggregates.

use serde::Serialize;
use std::net::IpAddr;

pub const FLOW_SCHEMA: &str = "aiwatch.flow/1";

/// One ended flow. Field order is the JSON order; optional fields are left out when absent.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FlowRecord {
    pub schema: &'static str,
    /// RFC 3339, UTC, microseconds.
    pub ts_start: String,
    pub ts_end: String,
    pub proto: &'static str,
    pub client_ip: IpAddr,
    pub client_port: u16,
    pub server_ip: IpAddr,
    pub server_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<&'static str>,
    pub c2s_packets: u64,
    pub c2s_bytes: u64,
    pub c2s_payload_bytes: u64,
    pub s2c_packets: u64,
    pub s2c_bytes: u64,
    pub s2c_payload_bytes: u64,
    pub end_reason: &'static str,
    /// Packet-time start in nanoseconds: the sort key, not exported.
    #[serde(skip)]
    pub start_nanos: u64,
}

impl FlowRecord {
    /// Records sort by start time, then by key, so that output is reproducible byte for byte.
    pub fn sort_key(
        &self,
    ) -> (
        u64,
        &'static str,
        IpAddr,
        u16,
        IpAddr,
        u16,
        Option<u16>,
        &'static str,
    ) {
        (
            self.start_nanos,
            self.proto,
            self.client_ip,
            self.client_port,
            self.server_ip,
            self.server_port,
            self.vlan,
            self.end_reason,
        )
    }
}

/// The name of an IP protocol as flow records spell it.
pub fn proto_name(proto: u8) -> &'static str {
    match proto {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        _ => PROTO_NUMBERS[usize::from(proto)],
    }
}

/// Other protocols by number, as static strings so records stay allocation-free here.
static PROTO_NUMBERS: [&str; 256] = {
    const DIGITS: [&str; 256] = include!("proto_numbers.in");
    DIGITS
};
