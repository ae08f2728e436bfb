//! Flows: the canonical bidirectional key, per-direction counters, TCP state, and the bounded flow
//! table that ages flows out in packet time.
//!
//! Contract: `FlowTable::ingest` takes one decoded packet and its packet time and returns which flow
//! and direction it belongs to; it never reads a clock and never allocates on the common path (a new
//! flow reuses a free slot once the table has warmed up). Ended flows queue up in the table until
//! the engine drains them. The client is the side that opened the connection (TCP SYN), else the
//! first sender, corrected by a well-known-port tie-break for captures that start mid-connection.

pub mod stream_head;
mod table;

use crate::decode::{L4, Packet, TCP_ACK, TCP_SYN, Tunnel};
use crate::time::Timestamp;
use std::net::IpAddr;
use stream_head::StreamHead;
pub use table::{DrainEnded, FlowId, FlowLimits, FlowTable, Ingested, TableStats};

/// A flow's key, the same for both directions: endpoints in canonical (sorted) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
    pub proto: u8,
    pub vlan: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// Which way a packet went, relative to the flow's client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

impl FlowKey {
    /// The key of `pkt` and whether its source is the key's `lo` endpoint.
    pub fn of(pkt: &Packet<'_>) -> (FlowKey, bool) {
        let (sport, dport) = pkt.l4.ports();
        let src = Endpoint {
            ip: pkt.src,
            port: sport,
        };
        let dst = Endpoint {
            ip: pkt.dst,
            port: dport,
        };
        let src_is_lo = src <= dst;
        let (lo, hi) = if src_is_lo { (src, dst) } else { (dst, src) };
        (
            FlowKey {
                lo,
                hi,
                proto: pkt.proto,
                vlan: pkt.vlan,
            },
            src_is_lo,
        )
    }
}

/// Packets and bytes one way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub packets: u64,
    /// IP bytes: header + payload, from the IP header.
    pub bytes: u64,
    /// L4 payload bytes, from the headers.
    pub payload_bytes: u64,
}

impl Counters {
    fn add(&mut self, pkt: &Packet<'_>) {
        self.packets += 1;
        self.bytes += u64::from(pkt.ip_len);
        self.payload_bytes += u64::from(pkt.payload_len);
    }
}

/// Why a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndReason {
    Fin,
    Rst,
    IdleTimeout,
    EndOfCapture,
    Evicted,
    Shutdown,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Fin => "fin",
            EndReason::Rst => "rst",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::EndOfCapture => "end_of_capture",
            EndReason::Evicted => "evicted",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// TCP teardown as seen from both sides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpState {
    pub syn_seen: bool,
    pub client_fin: bool,
    pub server_fin: bool,
    pub rst: bool,
}

impl TcpState {
    pub fn closed(&self) -> Option<EndReason> {
        if self.rst {
            Some(EndReason::Rst)
        } else if self.client_fin && self.server_fin {
            Some(EndReason::Fin)
        } else {
            None
        }
    }
}

/// One flow, with the caller's per-flow data `T` (dissection and classification state).
#[derive(Debug)]
pub struct Flow<T> {
    pub key: FlowKey,
    /// Whether the client is the key's `lo` endpoint.
    pub client_is_lo: bool,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub c2s: Counters,
    pub s2c: Counters,
    pub tunnel: Option<Tunnel>,
    pub tcp: TcpState,
    /// The first bytes of each direction (TCP only; empty and unallocated otherwise).
    pub client_head: StreamHead,
    pub server_head: StreamHead,
    pub data: T,
}

impl<T> Flow<T> {
    pub fn client(&self) -> Endpoint {
        if self.client_is_lo {
            self.key.lo
        } else {
            self.key.hi
        }
    }

    pub fn server(&self) -> Endpoint {
        if self.client_is_lo {
            self.key.hi
        } else {
            self.key.lo
        }
    }
}

/// A flow that has ended, with why and when.
#[derive(Debug)]
pub struct EndedFlow<T> {
    pub flow: Flow<T>,
    pub reason: EndReason,
}

/// Ports a server listens on: a packet *from* one of these to a port that is not is a server's reply.
pub fn is_service_port(port: u16) -> bool {
    port < 1024
        || matches!(
            port,
            1194 | 1433
                | 1701
                | 1723
                | 1812
                | 1813
                | 1883
                | 2049
                | 2152
                | 3128
                | 3306
                | 3389
                | 3478
                | 4500
                | 4789
                | 5060
                | 5061
                | 5222
                | 5228
                | 5246
                | 5247
                | 5349
                | 5353
                | 5355
                | 5432
                | 6081
                | 6379
                | 8080
                | 8443
                | 8883
                | 9000
                | 19302
                | 27017
                | 37008
        )
}

/// A packet from a service port to a port that is not one is a server's reply (mid-stream capture).
fn replies_from_service(src_port: u16, dst_port: u16) -> bool {
    is_service_port(src_port) && !is_service_port(dst_port)
}

/// Decides whether the first packet's sender is the client.
pub(crate) fn first_sender_is_client(pkt: &Packet<'_>) -> bool {
    match pkt.l4 {
        L4::Tcp {
            flags,
            src_port,
            dst_port,
            ..
        } => {
            if flags & TCP_SYN != 0 {
                // SYN: sender opens; SYN-ACK: the receiver opened (its SYN was not captured).
                flags & TCP_ACK == 0
            } else {
                !replies_from_service(src_port, dst_port)
            }
        }
        L4::Udp { src_port, dst_port } => !replies_from_service(src_port, dst_port),
        // ICMP echo replies and errors travel from the responder.
        L4::Icmp { kind, .. } => !matches!((pkt.proto, kind), (1, 0) | (58, 129)),
        L4::Other => true,
    }
}
