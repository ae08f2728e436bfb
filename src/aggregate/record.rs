//! The flow record: what aiwatch reports about one flow (schema `aiwatch.flow/1`). Plain data, built
//! by the engine when a flow ends, written by the export sinks, summed by the aggregates.

use crate::classify::signatures::{Category, MatchRecord, Provider, ProviderRecord};
use crate::dissect::dns::DnsRecord;
use crate::dissect::tls::{ClientHello, ServerHello, TlsRecord, Transport};
use crate::time::Timestamp;
use serde::{Serialize, Serializer};
use std::net::IpAddr;
use std::sync::OnceLock;

pub const FLOW_SCHEMA: &str = "aiwatch.flow/1";

/// One ended flow. Field order is the JSON order; optional fields are left out when absent.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FlowRecord {
    pub schema: &'static str,
    /// RFC 3339, UTC, microseconds.
    #[serde(serialize_with = "rfc3339")]
    pub ts_start: Timestamp,
    #[serde(serialize_with = "rfc3339")]
    pub ts_end: Timestamp,
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
    /// What the flow carries, when a dissector recognised it: "tls", "quic", "http", "dns".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<&'static str>,
    /// The best name for the server, and where it came from (see `name_source`).
    pub server_name: Option<String>,
    /// "tls_sni", "quic_sni", "http_host", "dns" or "tls_cert".
    pub name_source: Option<&'static str>,
    /// The name the client resolved this server's address from, even when SNI won.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The CNAME chain behind `dns_name` (question name first), when longer than the name itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_chain: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsRecord>,
    /// DNS over TLS/HTTPS/QUIC: names behind it cannot be attributed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encrypted_dns: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_dns_kind: Option<&'static str>,
    pub provider: Option<ProviderRecord>,
    #[serde(rename = "match")]
    pub matched: Option<MatchRecord>,
    /// ISO 3166-1 alpha-2 of the server address, or "private", "loopback", … , or "unknown".
    pub dst_country: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_as_org: Option<String>,
    pub restricted: bool,
    pub policy_rule: String,
}

fn rfc3339<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&ts.rfc3339())
}

/// The hellos a flow's `tls` object is computed from. Fingerprint strings (JA3, JA4, hashes) are
/// built only when a record is written, so a run without export never pays for them, and once per
/// record however many files are written (flows.ndjson, flows.csv, the report).
#[derive(Clone, Debug)]
pub struct TlsFacts {
    pub client: Option<Box<ClientHello>>,
    pub server: Option<Box<ServerHello>>,
    pub transport: Transport,
    record: OnceLock<TlsRecord>,
}

impl TlsFacts {
    pub fn new(
        client: Option<Box<ClientHello>>,
        server: Option<Box<ServerHello>>,
        transport: Transport,
    ) -> Self {
        TlsFacts {
            client,
            server,
            transport,
            record: OnceLock::new(),
        }
    }

    pub fn record(&self) -> &TlsRecord {
        self.record.get_or_init(|| {
            TlsRecord::from_hellos(
                self.client.as_deref(),
                self.server.as_deref(),
                self.transport,
            )
        })
    }
}

/// Equal hellos are equal facts, whether or not the record was built yet.
impl PartialEq for TlsFacts {
    fn eq(&self, other: &Self) -> bool {
        self.client == other.client
            && self.server == other.server
            && self.transport == other.transport
    }
}

impl Serialize for TlsFacts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(s)
    }
}

impl FlowRecord {
    /// Records sort by start time, then by key, so that output is reproducible byte for byte.
    pub fn sort_key(
        &self,
    ) -> (
        Timestamp,
        &'static str,
        IpAddr,
        u16,
        IpAddr,
        u16,
        Option<u16>,
        &'static str,
    ) {
        (
            self.ts_start,
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

/// What the run summary reads of one flow, borrowed: from a [`FlowRecord`]
/// ([`FlowRecord::totals`]), or from what a summary-only engine keeps of a flow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlowTotals<'a> {
    pub ts_start: Timestamp,
    pub ts_end: Timestamp,
    pub proto: &'static str,
    pub end_reason: &'static str,
    pub client_ip: IpAddr,
    pub c2s_packets: u64,
    pub c2s_bytes: u64,
    pub s2c_packets: u64,
    pub s2c_bytes: u64,
    pub dst_country: &'a str,
    pub encrypted_dns_kind: Option<&'static str>,
    pub provider: Option<ProviderRef<'a>>,
    pub restricted: bool,
}

/// A provider as the summary reads it (borrowed from a [`ProviderRecord`] or a [`Provider`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProviderRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub jurisdiction: &'a str,
    pub category: Category,
}

impl<'a> From<&'a ProviderRecord> for ProviderRef<'a> {
    fn from(p: &'a ProviderRecord) -> Self {
        ProviderRef {
            id: &p.id,
            name: &p.name,
            jurisdiction: &p.jurisdiction,
            category: p.category,
        }
    }
}

impl<'a> From<&'a Provider> for ProviderRef<'a> {
    fn from(p: &'a Provider) -> Self {
        ProviderRef {
            id: &p.id,
            name: &p.name,
            jurisdiction: &p.jurisdiction,
            category: p.category,
        }
    }
}

impl FlowRecord {
    /// What the summary reads of this record.
    pub fn totals(&self) -> FlowTotals<'_> {
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
            dst_country: &self.dst_country,
            encrypted_dns_kind: self.encrypted_dns_kind,
            provider: self.provider.as_ref().map(ProviderRef::from),
            restricted: self.restricted,
        }
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
