//! Decode: from a captured frame to the facts the flow table needs (addresses, protocol, ports, TCP
//! flags and sequence numbers, lengths, the L4 payload), through link layers, VLAN/MPLS/PPPoE,
//! tunnels and IP fragments.
//!
//! Contract: accepts any bytes; never panics; allocates nothing per packet (fragment reassembly
//! reuses its own bounded buffers). A frame that cannot be decoded yields a [`Malformed`] reason for
//! the caller to count. Lengths come from the headers, not from the captured size, so a frame cut by
//! the snap length still counts with its original length.
//!
//! Two paths, one result: plain Ethernet frames (at most one VLAN tag, IPv4 without an
//! authentication header or IPv6 without extension headers, no fragment, TCP or UDP that is no
//! tunnel: nearly all traffic) are decoded in one pass with bounds-checked reads of the fixed
//! header fields; every other frame, and any plain-looking frame that fails a check, takes the
//! general path (link walk, IPv4 options and AH and IPv6 extension headers through `etherparse`'s
//! lax slices, tunnels, reassembly), which alone decides drops and their reasons. Tests hold the
//! one-pass path to the general path's output.

pub mod fragments;
pub mod link;
pub mod tunnel;

use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use etherparse::{LaxIpv4Slice, LaxIpv6Slice};
use fragments::{FragKey, FragOutcome, FragmentCache, FragmentLimits};
use link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, L3Start, Link};
use std::net::IpAddr;
pub use tunnel::Tunnel;

/// How deep tunnels may nest before the packet is given up on.
const MAX_TUNNEL_DEPTH: usize = 4;

/// Why a frame could not be decoded. Counted by the engine, reported by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    UnsupportedLinkType,
    LinkTruncated,
    LinkTooDeep,
    IpVersion,
    Ipv4Header,
    Ipv6Header,
    IpLengthExceedsFrame,
    Ipv6ExtensionHeaders,
    TcpHeader,
    UdpHeader,
    IcmpHeader,
    TunnelTooDeep,
    NestedFragments,
    FragmentDropped,
}

impl Malformed {
    pub const ALL: [Malformed; 14] = [
        Malformed::UnsupportedLinkType,
        Malformed::LinkTruncated,
        Malformed::LinkTooDeep,
        Malformed::IpVersion,
        Malformed::Ipv4Header,
        Malformed::Ipv6Header,
        Malformed::IpLengthExceedsFrame,
        Malformed::Ipv6ExtensionHeaders,
        Malformed::TcpHeader,
        Malformed::UdpHeader,
        Malformed::IcmpHeader,
        Malformed::TunnelTooDeep,
        Malformed::NestedFragments,
        Malformed::FragmentDropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::UnsupportedLinkType => "unsupported_link_type",
            Malformed::LinkTruncated => "link_truncated",
            Malformed::LinkTooDeep => "link_too_deep",
            Malformed::IpVersion => "ip_version",
            Malformed::Ipv4Header => "ipv4_header",
            Malformed::Ipv6Header => "ipv6_header",
            Malformed::IpLengthExceedsFrame => "ip_length_exceeds_frame",
            Malformed::Ipv6ExtensionHeaders => "ipv6_extension_headers",
            Malformed::TcpHeader => "tcp_header",
            Malformed::UdpHeader => "udp_header",
            Malformed::IcmpHeader => "icmp_header",
            Malformed::TunnelTooDeep => "tunnel_too_deep",
            Malformed::NestedFragments => "nested_fragments",
            Malformed::FragmentDropped => "fragment_dropped",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;

/// The transport layer of a decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4 {
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        flags: u8,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    Icmp {
        kind: u8,
        code: u8,
    },
    Other,
}

impl L4 {
    pub fn ports(&self) -> (u16, u16) {
        match *self {
            L4::Tcp {
                src_port, dst_port, ..
            }
            | L4::Udp { src_port, dst_port } => (src_port, dst_port),
            _ => (0, 0),
        }
    }
}

/// One decoded packet: the innermost IP packet of a frame (after tunnels and reassembly).
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub ts: Timestamp,
    pub vlan: Option<u16>,
    pub tunnel: Option<Tunnel>,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub ttl: u8,
    /// IP header + payload, from the IP header (the original length, even when the capture cut it).
    pub ip_len: u32,
    pub l4: L4,
    /// L4 payload length according to the headers.
    pub payload_len: u32,
    /// The captured part of the L4 payload.
    pub payload: &'a [u8],
    /// True when this packet was reassembled from IP fragments.
    pub reassembled: bool,
}

/// What one frame decodes to.
#[derive(Debug)]
pub enum Decoded<'a> {
    Packet(Packet<'a>),
    /// ARP, STP, LLDP and other frames without IP: counted, not an error.
    NotIp,
    /// A fragment kept until its datagram is complete.
    FragmentHeld,
    Malformed(Malformed),
}

/// Soft anomalies: the packet was still decoded and counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeAnomalies {
    /// IP total length larger than the captured bytes (snap length or a lying header).
    pub ip_truncated: u64,
    /// UDP length field shorter than its header or longer than the IP payload.
    pub udp_bad_length: u64,
}

/// The decode stage: stateless but for the fragment cache.
#[derive(Debug)]
pub struct Decoder {
    fragments: FragmentCache,
    anomalies: DecodeAnomalies,
}

/// The network layer, parsed.
struct IpLayer<'a> {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    ttl: u8,
    ip_len: u32,
    header_len: u32,
    payload: &'a [u8],
    truncated: bool,
    /// (identification, byte offset, more fragments) when this packet is a fragment.
    fragment: Option<(u32, u32, bool)>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(FragmentLimits::default())
    }
}

impl Decoder {
    pub fn new(limits: FragmentLimits) -> Self {
        Decoder {
            fragments: FragmentCache::new(limits),
            anomalies: DecodeAnomalies::default(),
        }
    }

    pub fn anomalies(&self) -> &DecodeAnomalies {
        &self.anomalies
    }

    pub fn fragments(&self) -> &FragmentCache {
        &self.fragments
    }

    /// Drops fragment trains older than their timeout at packet time `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.fragments.expire(now);
    }

    // Always inlined: the one-pass path then writes the packet straight into the caller's frame
    // (the general path stays out of line).
    #[inline(always)]
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        if let Some(packet) = plain_ethernet(frame, &mut self.anomalies) {
            return Decoded::Packet(packet);
        }
        self.decode_general(frame)
    }

    /// Every frame through the general path (link walk, IP, L4, tunnels, fragments).
    #[inline(never)]
    fn decode_general<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let start = match link::walk(frame.link, frame.data) {
            Ok(Link::Ip(start)) => start,
            Ok(Link::NotIp) => return Decoded::NotIp,
            Err(m) => return Decoded::Malformed(m),
        };
        let Some(data) = frame.data.get(start.offset..) else {
            return Decoded::Malformed(Malformed::LinkTruncated);
        };
        // What the wire carried after the link header: more than `data` when the snap length cut it.
        let wire_len = (frame.orig_len as usize)
            .max(frame.data.len())
            .saturating_sub(start.offset);
        layers(
            data,
            wire_len,
            start,
            frame.ts,
            Some(&mut self.fragments),
            &mut self.anomalies,
        )
    }
}

/// `?` for a function that returns [`Decoded`]: an error becomes `Decoded::Malformed`. Returning
/// `Decoded` itself, rather than a `Result` converted by the caller, builds the packet in place
/// instead of moving it once more per frame.
macro_rules! or_malformed {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(m) => return Decoded::Malformed(m),
        }
    };
}

/// Decodes IP, L4 and tunnels from `data`. At most one level is reassembled from fragments: the cache
/// is lent to the first fragmented layer (a fragmented packet inside a reassembled one is rare and
/// counted as malformed).
fn layers<'a>(
    mut data: &'a [u8],
    mut wire_len: usize,
    start: L3Start,
    ts: Timestamp,
    mut fragments: Option<&'a mut FragmentCache>,
    anomalies: &mut DecodeAnomalies,
) -> Decoded<'a> {
    let mut ethertype = start.ethertype;
    let mut vlan = start.vlan;
    let mut outer_tunnel = None;
    let mut reassembled = false;
    for depth in 0..=MAX_TUNNEL_DEPTH {
        let mut ip = or_malformed!(parse_ip(data, ethertype));
        // A length beyond what the wire carried is a lying header, not a snap-length cut.
        if ip.ip_len as usize > wire_len {
            return Decoded::Malformed(Malformed::IpLengthExceedsFrame);
        }
        if ip.truncated {
            anomalies.ip_truncated += 1;
        }
        if let Some((id, offset, more)) = ip.fragment {
            let cache = or_malformed!(fragments.take().ok_or(Malformed::NestedFragments));
            let key = FragKey {
                src: ip.src,
                dst: ip.dst,
                protocol: ip.proto,
                id,
                scope: u32::from(vlan.unwrap_or(0)) | ((depth as u32) << 16),
            };
            match cache.insert(ts, key, offset, more, ip.payload) {
                FragOutcome::Complete(whole) => {
                    ip.payload = whole;
                    ip.ip_len = ip.header_len.saturating_add(len_u32(whole.len()));
                    reassembled = true;
                }
                FragOutcome::Pending => return Decoded::FragmentHeld,
                FragOutcome::Dropped(_) => return Decoded::Malformed(Malformed::FragmentDropped),
            }
        }
        let ip_payload_len = ip.ip_len.saturating_sub(ip.header_len);
        let (l4, header_len, l4_payload) =
            or_malformed!(parse_l4(ip.proto, ip.payload, ip_payload_len, anomalies));

        let inner = match l4 {
            L4::Udp { src_port, dst_port } => tunnel::by_udp_port(src_port, dst_port, l4_payload),
            L4::Other => tunnel::by_ip_protocol(ip.proto, ip.payload),
            _ => None,
        };
        if let Some((kind, inner)) = inner {
            let carrier = if matches!(l4, L4::Other) {
                ip.payload
            } else {
                l4_payload
            };
            let next = match inner {
                tunnel::Inner::Ip { offset, ethertype } => Some(L3Start {
                    offset,
                    ethertype,
                    vlan: None,
                }),
                tunnel::Inner::Ethernet { offset } => match link::ethernet(carrier, offset, None) {
                    Ok(Link::Ip(s)) => Some(s),
                    // ARP, LLDP… inside a tunnel: not IP, like the same frame outside one.
                    Ok(Link::NotIp) => return Decoded::NotIp,
                    Err(_) => None,
                },
                tunnel::Inner::NotIp => return Decoded::NotIp,
            };
            if let Some(next) = next
                && let Some(inner_data) = carrier.get(next.offset..)
                && inner_data.first().is_some_and(|b| matches!(b >> 4, 4 | 6))
            {
                if depth == MAX_TUNNEL_DEPTH {
                    return Decoded::Malformed(Malformed::TunnelTooDeep);
                }
                data = inner_data;
                wire_len = (ip.ip_len as usize)
                    .saturating_sub(ip.header_len as usize + header_len as usize + next.offset);
                ethertype = next.ethertype;
                vlan = next.vlan.or(vlan);
                outer_tunnel = outer_tunnel.or(Some(kind));
                continue;
            }
        }
        let payload_len = ip_payload_len.saturating_sub(header_len);
        return Decoded::Packet(Packet {
            ts,
            vlan,
            tunnel: outer_tunnel,
            src: ip.src,
            dst: ip.dst,
            proto: ip.proto,
            ttl: ip.ttl,
            ip_len: ip.ip_len,
            l4,
            payload_len,
            payload: l4_payload,
            reassembled,
        });
    }
    Decoded::Malformed(Malformed::TunnelTooDeep)
}

/// The common case decoded in one pass: Ethernet with at most one VLAN tag, IPv4 without an
/// authentication header or IPv6 without extension headers, not a fragment, carrying TCP, or UDP
/// that is no tunnel. Gives exactly what [`layers`] gives for such a frame, or `None` (having
/// counted nothing) for every other frame, which then takes the general path.
#[inline(always)]
fn plain_ethernet<'a>(frame: &Frame<'a>, anomalies: &mut DecodeAnomalies) -> Option<Packet<'a>> {
    if frame.link != LinkType::Ethernet {
        return None;
    }
    let eth = frame.data.first_chunk::<18>()?;
    let ethertype = u16::from_be_bytes([eth[12], eth[13]]);
    let (offset, ethertype, vlan) = if link::is_vlan_tag(ethertype) {
        let tci = u16::from_be_bytes([eth[14], eth[15]]);
        (
            18,
            u16::from_be_bytes([eth[16], eth[17]]),
            Some(tci & 0x0fff),
        )
    } else {
        (14, ethertype, None)
    };
    let data = frame.data.get(offset..)?;
    let wire_len = (frame.orig_len as usize)
        .max(frame.data.len())
        .saturating_sub(offset);
    let ip = match (ethertype, data.first()? >> 4) {
        (ETHERTYPE_IPV4, 4) => ipv4_plain(data)?.ok()?,
        (ETHERTYPE_IPV6, 6) => ipv6_plain(data)?.ok()?,
        _ => return None,
    };
    if ip.fragment.is_some() || ip.ip_len as usize > wire_len || !matches!(ip.proto, 6 | 17) {
        return None;
    }
    let ip_payload_len = ip.ip_len.saturating_sub(ip.header_len);
    let (l4, header_len, payload, udp_bad_length) =
        l4_of(ip.proto, ip.payload, ip_payload_len).ok()?;
    if let L4::Udp { src_port, dst_port } = l4
        && tunnel::by_udp_port(src_port, dst_port, payload).is_some()
    {
        return None;
    }
    if ip.truncated {
        anomalies.ip_truncated += 1;
    }
    if udp_bad_length {
        anomalies.udp_bad_length += 1;
    }
    Some(Packet {
        ts: frame.ts,
        vlan,
        tunnel: None,
        src: ip.src,
        dst: ip.dst,
        proto: ip.proto,
        ttl: ip.ttl,
        ip_len: ip.ip_len,
        l4,
        payload_len: ip_payload_len.saturating_sub(header_len),
        payload,
        reassembled: false,
    })
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// IP protocol numbers the IPv4 and IPv6 fast paths hand on directly (no extension header).
const IP_PROTO_AUTH: u8 = 51;

// Not inlined: inlined, the compiler splits the addresses of `IpLayer` into single bytes and
// writes each into the returned `Packet` separately (~80 instructions a packet, callgrind); out of
// line, `IpLayer` comes back in memory and is copied whole.
#[inline(never)]
fn parse_ip(data: &[u8], ethertype: u16) -> Result<IpLayer<'_>, Malformed> {
    let version = data.first().map(|b| b >> 4);
    match (ethertype, version) {
        (ETHERTYPE_IPV4, Some(4)) => match ipv4_plain(data) {
            Some(layer) => layer,
            None => parse_ip_general(data, ethertype),
        },
        (ETHERTYPE_IPV6, Some(6)) => match ipv6_plain(data) {
            Some(layer) => layer,
            None => parse_ip_general(data, ethertype),
        },
        _ => Err(Malformed::IpVersion),
    }
}

/// An IPv4 header (the version already checked) read with a few bounds-checked reads: the same
/// checks and results as [`parse_ip_general`] (etherparse's `LaxIpv4Slice`) at a fraction of the
/// cost. `None` for an authentication header, which the general path parses.
fn ipv4_plain(data: &[u8]) -> Option<Result<IpLayer<'_>, Malformed>> {
    let Some(fixed) = data.first_chunk::<20>() else {
        return Some(Err(Malformed::Ipv4Header));
    };
    let proto = fixed[9];
    if proto == IP_PROTO_AUTH {
        return None;
    }
    let header_len = usize::from(fixed[0] & 0x0f) * 4;
    if header_len < 20 || data.len() < header_len {
        return Some(Err(Malformed::Ipv4Header));
    }
    let total = usize::from(u16::from_be_bytes([fixed[2], fixed[3]]));
    // As `LaxIpv4Slice`: a total length below the header (0 for a TSO super-packet) falls back to
    // the captured size; a total length past the captured bytes keeps what was captured.
    let (ip_len, end, truncated) = if total < header_len {
        (data.len(), data.len(), false)
    } else if total > data.len() {
        (total, data.len(), true)
    } else {
        (total, total, false)
    };
    let flags_offset = u16::from_be_bytes([fixed[6], fixed[7]]);
    let offset = u32::from(flags_offset & 0x1fff) * 8;
    let more = flags_offset & 0x2000 != 0;
    let fragment = (offset != 0 || more).then_some((
        u32::from(u16::from_be_bytes([fixed[4], fixed[5]])),
        offset,
        more,
    ));
    let src: [u8; 4] = [fixed[12], fixed[13], fixed[14], fixed[15]];
    let dst: [u8; 4] = [fixed[16], fixed[17], fixed[18], fixed[19]];
    Some(Ok(IpLayer {
        src: IpAddr::from(src),
        dst: IpAddr::from(dst),
        proto,
        ttl: fixed[8],
        ip_len: len_u32(ip_len),
        header_len: len_u32(header_len),
        payload: data.get(header_len..end).unwrap_or(&[]),
        truncated,
        fragment,
    }))
}

/// An IPv6 header (the version already checked) straight followed by TCP, UDP or ICMPv6, read as
/// [`parse_ip_general`] would. `None` for any other next header (extension headers and the rest),
/// which the general path parses.
fn ipv6_plain(data: &[u8]) -> Option<Result<IpLayer<'_>, Malformed>> {
    let Some(fixed) = data.first_chunk::<40>() else {
        return Some(Err(Malformed::Ipv6Header));
    };
    let proto = fixed[6];
    if !matches!(proto, 6 | 17 | 58) {
        return None;
    }
    let declared = usize::from(u16::from_be_bytes([fixed[4], fixed[5]]));
    // As `LaxIpv6Slice`: payload length 0 (jumbogram, BIG TCP) takes the captured size; a payload
    // length past the captured bytes keeps what was captured.
    let (ip_len, end, truncated) = if declared == 0 {
        (data.len(), data.len(), false)
    } else if 40 + declared > data.len() {
        (40 + declared, data.len(), true)
    } else {
        (40 + declared, 40 + declared, false)
    };
    let mut src = [0u8; 16];
    src.copy_from_slice(&fixed[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&fixed[24..40]);
    Some(Ok(IpLayer {
        src: IpAddr::from(src),
        dst: IpAddr::from(dst),
        proto,
        ttl: fixed[7],
        ip_len: len_u32(ip_len),
        header_len: 40,
        payload: data.get(40..end).unwrap_or(&[]),
        truncated,
        fragment: None,
    }))
}

/// The IP layer through etherparse, for every case the fast paths above leave to it.
fn parse_ip_general(data: &[u8], ethertype: u16) -> Result<IpLayer<'_>, Malformed> {
    let version = data.first().map(|b| b >> 4);
    match (ethertype, version) {
        (ETHERTYPE_IPV4, Some(4)) => {
            let (ip, _auth_err) =
                LaxIpv4Slice::from_slice(data).map_err(|_| Malformed::Ipv4Header)?;
            let h = ip.header();
            let header_len = len_u32(h.slice().len());
            let total = u32::from(h.total_len());
            // Total length 0 is a TSO super-packet: the captured size is all we know.
            let ip_len = if total < header_len {
                len_u32(data.len())
            } else {
                total
            };
            let offset = u32::from(h.fragments_offset().value()) * 8;
            let more = h.more_fragments();
            let fragment =
                (offset != 0 || more).then_some((u32::from(h.identification()), offset, more));
            let payload = ip.payload();
            Ok(IpLayer {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                proto: payload.ip_number.0,
                ttl: h.ttl(),
                ip_len,
                header_len: header_len
                    + len_u32(ip.extensions().auth.map_or(0, |a| a.slice().len())),
                payload: payload.payload,
                truncated: payload.incomplete,
                fragment,
            })
        }
        (ETHERTYPE_IPV6, Some(6)) => {
            let (ip, ext_err) =
                LaxIpv6Slice::from_slice(data).map_err(|_| Malformed::Ipv6Header)?;
            if ext_err.is_some() {
                return Err(Malformed::Ipv6ExtensionHeaders);
            }
            let h = ip.header();
            let payload = ip.payload();
            let declared = u32::from(h.payload_length());
            // Payload length 0 is a jumbogram or BIG TCP: the captured size is all we know.
            let ip_len = 40
                + if declared == 0 {
                    len_u32(data.len().saturating_sub(40))
                } else {
                    declared
                };
            let exts_len = len_u32(ip.extensions().slice().len());
            let mut fragment = None;
            if ip.extensions().is_fragmenting_payload() {
                for ext in ip.extensions().clone() {
                    if let etherparse::Ipv6ExtensionSlice::Fragment(f) = ext {
                        fragment = Some((
                            f.identification(),
                            u32::from(f.fragment_offset().value()) * 8,
                            f.more_fragments(),
                        ));
                    }
                }
            }
            Ok(IpLayer {
                src: IpAddr::V6(h.source_addr()),
                dst: IpAddr::V6(h.destination_addr()),
                proto: payload.ip_number.0,
                ttl: h.hop_limit(),
                ip_len,
                header_len: 40 + exts_len,
                payload: payload.payload,
                truncated: payload.incomplete,
                fragment,
            })
        }
        _ => Err(Malformed::IpVersion),
    }
}

/// Parses TCP/UDP/ICMP. `payload_len` is the IP payload length from the headers (≥ captured).
/// Returns the L4 summary, its header length and the captured L4 payload.
fn parse_l4<'a>(
    proto: u8,
    data: &'a [u8],
    payload_len: u32,
    anomalies: &mut DecodeAnomalies,
) -> Result<(L4, u32, &'a [u8]), Malformed> {
    let (l4, header_len, payload, udp_bad_length) = l4_of(proto, data, payload_len)?;
    if udp_bad_length {
        anomalies.udp_bad_length += 1;
    }
    Ok((l4, header_len, payload))
}

/// [`parse_l4`] without the counting: also says whether the UDP length was inconsistent.
/// Always inlined: out of line, its result tuple goes through memory (~15 instructions a packet).
#[inline(always)]
fn l4_of(proto: u8, data: &[u8], payload_len: u32) -> Result<(L4, u32, &[u8], bool), Malformed> {
    match proto {
        6 => {
            let h = data.get(..20).ok_or(Malformed::TcpHeader)?;
            let be16 = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
            let be32 = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
            let header_len = usize::from(h[12] >> 4) * 4;
            if header_len < 20 {
                return Err(Malformed::TcpHeader);
            }
            let l4 = L4::Tcp {
                src_port: be16(0),
                dst_port: be16(2),
                seq: be32(4),
                ack: be32(8),
                flags: h[13],
            };
            // Options cut by the snap length leave no captured payload, but the packet still counts.
            let payload = data.get(header_len..).unwrap_or(&[]);
            Ok((l4, len_u32(header_len), payload, false))
        }
        17 => {
            let h = data.get(..8).ok_or(Malformed::UdpHeader)?;
            let l4 = L4::Udp {
                src_port: u16::from_be_bytes([h[0], h[1]]),
                dst_port: u16::from_be_bytes([h[2], h[3]]),
            };
            let udp_len = u32::from(u16::from_be_bytes([h[4], h[5]]));
            let rest = data.get(8..).unwrap_or(&[]);
            // Trust the UDP length when it is consistent (as tcpdump does); 0 with a jumbo IP is fine.
            let (payload, bad_length) = if (8..=payload_len).contains(&udp_len) {
                (rest.get(..(udp_len - 8) as usize).unwrap_or(rest), false)
            } else if udp_len == 0 && payload_len > 65_535 {
                (rest, false)
            } else {
                (&[][..], true)
            };
            Ok((l4, 8, payload, bad_length))
        }
        1 | 58 => {
            let h = data.get(..2).ok_or(Malformed::IcmpHeader)?;
            Ok((
                L4::Icmp {
                    kind: h[0],
                    code: h[1],
                },
                0,
                data,
                false,
            ))
        }
        _ => Ok((L4::Other, 0, data, false)),
    }
}

#[cfg(test)]
mod tests;
