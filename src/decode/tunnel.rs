//! Tunnel decapsulation: given an outer packet's IP protocol / UDP ports and its payload, where the
//! inner packet starts. Flows are keyed on the innermost packet (as nDPI, Zeek and Suricata do): a
//! host that reaches an AI service through GRE or VXLAN is still that host talking to that service.
//!
//! Promises: never panics, never allocates; an unknown or malformed tunnel header means "not a
//! tunnel" and the outer packet is kept as it is.

use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};

/// Which encapsulation a flow's packets arrived in (the outermost one, when nested).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tunnel {
    IpInIp,
    Gre,
    Erspan,
    Vxlan,
    Geneve,
    Gtp,
    Capwap,
    Tzsp,
}

impl Tunnel {
    pub fn as_str(self) -> &'static str {
        match self {
            Tunnel::IpInIp => "ip-in-ip",
            Tunnel::Gre => "gre",
            Tunnel::Erspan => "erspan",
            Tunnel::Vxlan => "vxlan",
            Tunnel::Geneve => "geneve",
            Tunnel::Gtp => "gtp",
            Tunnel::Capwap => "capwap",
            Tunnel::Tzsp => "tzsp",
        }
    }
}

/// What the tunnel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner {
    /// An IP packet at `offset` of the tunnel payload (`ethertype` says which version).
    Ip { offset: usize, ethertype: u16 },
    /// An Ethernet frame at `offset`.
    Ethernet { offset: usize },
    /// A frame that is not IP (ARP, 802.11 management…): the tunnel is real, its content not a flow.
    NotIp,
}

pub const UDP_VXLAN: u16 = 4789;
pub const UDP_GENEVE: u16 = 6081;
pub const UDP_GTP_U: u16 = 2152;
pub const UDP_CAPWAP_DATA: u16 = 5247;
pub const UDP_TZSP: u16 = 37008;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn ip_by_version(d: &[u8], offset: usize) -> Option<Inner> {
    let ethertype = match d.get(offset)? >> 4 {
        4 => ETHERTYPE_IPV4,
        6 => ETHERTYPE_IPV6,
        _ => return None,
    };
    Some(Inner::Ip { offset, ethertype })
}

/// IP protocols that carry another packet: IP-in-IP (4), IPv6-in-IP (41), GRE (47).
pub fn by_ip_protocol(proto: u8, payload: &[u8]) -> Option<(Tunnel, Inner)> {
    match proto {
        4 => Some((
            Tunnel::IpInIp,
            Inner::Ip {
                offset: 0,
                ethertype: ETHERTYPE_IPV4,
            },
        )),
        41 => Some((
            Tunnel::IpInIp,
            Inner::Ip {
                offset: 0,
                ethertype: ETHERTYPE_IPV6,
            },
        )),
        47 => gre(payload),
        _ => None,
    }
}

/// UDP ports that carry another packet. Either port may be the tunnel port.
pub fn by_udp_port(src: u16, dst: u16, payload: &[u8]) -> Option<(Tunnel, Inner)> {
    let is = |p| src == p || dst == p;
    if dst == UDP_VXLAN {
        // RFC 7348: flags with the I bit, VNI, and a last reserved byte of zero; VTEPs send to 4789
        // in both directions. An ordinary datagram from source port 4789 (a NAT's choice) is not
        // VXLAN.
        if payload.len() > 8 && payload.first()? & 0x08 != 0 && *payload.get(7)? == 0 {
            return Some((Tunnel::Vxlan, Inner::Ethernet { offset: 8 }));
        }
    } else if is(UDP_GENEVE) {
        let first = *payload.first()?;
        if first >> 6 != 0 {
            return None;
        }
        let offset = 8 + usize::from(first & 0x3f) * 4;
        return match be16(payload, 2)? {
            0x6558 => Some((Tunnel::Geneve, Inner::Ethernet { offset })),
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => {
                ip_by_version(payload, offset).map(|i| (Tunnel::Geneve, i))
            }
            _ => None,
        };
    } else if is(UDP_GTP_U) {
        return gtp_u(payload).map(|i| (Tunnel::Gtp, i));
    } else if is(UDP_CAPWAP_DATA) {
        return capwap_data(payload).map(|i| (Tunnel::Capwap, i));
    } else if is(UDP_TZSP) {
        return tzsp(payload).map(|i| (Tunnel::Tzsp, i));
    }
    None
}

/// GRE (RFC 2784/2890) version 0, and the ERSPAN types it carries.
fn gre(d: &[u8]) -> Option<(Tunnel, Inner)> {
    let flags = be16(d, 0)?;
    if flags & 0x0007 != 0 {
        // Version 1 is PPTP's enhanced GRE (PPP inside), not decoded.
        return None;
    }
    let seq_present = flags & 0x1000 != 0;
    let mut offset = 4;
    if flags & 0x8000 != 0 {
        offset += 4; // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        offset += 4; // key
    }
    if seq_present {
        offset += 4;
    }
    match be16(d, 2)? {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => ip_by_version(d, offset).map(|i| (Tunnel::Gre, i)),
        0x6558 => Some((Tunnel::Gre, Inner::Ethernet { offset })),
        // ERSPAN type II has an 8-byte header when the sequence bit is set; type I has none.
        0x88be => {
            let offset = if seq_present { offset + 8 } else { offset };
            Some((Tunnel::Erspan, Inner::Ethernet { offset }))
        }
        // ERSPAN type III: 12-byte header, plus an 8-byte platform subheader when O is set.
        0x22eb => {
            let o_bit = d.get(offset + 11)? & 0x01 != 0;
            let offset = offset + 12 + if o_bit { 8 } else { 0 };
            Some((Tunnel::Erspan, Inner::Ethernet { offset }))
        }
        _ => None,
    }
}

/// GTP-U (3GPP TS 29.281): G-PDU messages carry an IP packet after the header and its extensions.
fn gtp_u(d: &[u8]) -> Option<Inner> {
    let flags = *d.first()?;
    if flags >> 5 != 1 || flags & 0x10 == 0 || *d.get(1)? != 0xff {
        return None;
    }
    let mut offset = 8;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number and next-extension type are present together.
        let mut next = *d.get(11)?;
        offset = 12;
        for _ in 0..8 {
            if next == 0 {
                break;
            }
            let units = usize::from(*d.get(offset)?);
            if units == 0 {
                return None;
            }
            offset += units * 4;
            next = *d.get(offset - 1)?;
        }
    }
    ip_by_version(d, offset)
}

/// CAPWAP data channel (RFC 5415): 802.3 frames, or 802.11 data frames with LLC/SNAP.
fn capwap_data(d: &[u8]) -> Option<Inner> {
    if *d.first()? != 0 {
        return None; // version 0, type 0 (no DTLS)
    }
    // Bits after the preamble: HLEN(5) RID(5) WBID(5) T(1) F L W M K Flags(3).
    let b1 = *d.get(1)?;
    let b2 = *d.get(2)?;
    let hlen = usize::from(b1 >> 3) * 4;
    if hlen < 8 {
        // The fixed header alone is 8 bytes: anything shorter is not CAPWAP. (Port 5247 is both
        // ends' in the controller's replies, so an ordinary datagram from a port a NAT picked must
        // be told apart by its contents.)
        return None;
    }
    let wbid = (b2 >> 1) & 0x1f;
    let native = b2 & 0x01 != 0; // T bit: payload in the binding's native format
    if !native {
        // An 802.3 frame: its Ethertype must be one a WTP bridges.
        return match be16(d, hlen + 12)? {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 | 0x0806 | 0x8100 | 0x88a8 => {
                Some(Inner::Ethernet { offset: hlen })
            }
            _ => None,
        };
    }
    if wbid != 1 {
        return None;
    }
    // IEEE 802.11 data frame: frame control says type, QoS and the 4-address form. Cisco controllers
    // send the two frame-control bytes swapped (Wireshark's "swap frame control"), so try both.
    let (mut fc0, mut fc1) = (*d.get(hlen)?, *d.get(hlen + 1)?);
    if (fc0 >> 2) & 0x03 != 2 {
        (fc0, fc1) = (fc1, fc0);
        if (fc0 >> 2) & 0x03 != 2 {
            return None; // not a data frame
        }
    }
    let mut header = 24;
    if fc1 & 0x03 == 0x03 {
        header += 6;
    }
    if fc0 & 0x80 != 0 {
        header += 2;
    }
    let llc = hlen + header;
    if d.get(llc..llc + 3)? != [0xaa, 0xaa, 0x03] {
        return None;
    }
    match be16(d, llc + 6)? {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => ip_by_version(d, llc + 8),
        _ => Some(Inner::NotIp),
    }
}

/// TZSP: version 1, encapsulated Ethernet, tagged fields up to the END tag.
fn tzsp(d: &[u8]) -> Option<Inner> {
    if *d.first()? != 1 || be16(d, 2)? != 1 {
        return None;
    }
    let mut at = 4;
    for _ in 0..64 {
        match *d.get(at)? {
            1 => return Some(Inner::Ethernet { offset: at + 1 }),
            0 => at += 1,
            _ => at += 2 + usize::from(*d.get(at + 1)?),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_with_key_and_sequence_carries_ip() {
        let mut d = vec![0x30, 0x00, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x45];
        assert_eq!(
            gre(&d),
            Some((
                Tunnel::Gre,
                Inner::Ip {
                    offset: 12,
                    ethertype: ETHERTYPE_IPV4
                }
            ))
        );
        d[0] = 0x30 | 0x01; // version bits in the second byte are 0x07 of the 16-bit word
        d[1] = 0x01;
        assert_eq!(gre(&d), None);
    }

    #[test]
    fn gtp_u_with_an_extension_header() {
        // flags 0x34 (v1, PT, E), G-PDU, length, TEID, seq, N-PDU, next ext 0x85, ext len 1 (4 bytes) ending in 0.
        let d = [
            0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0x09, 0x00, 0x45,
        ];
        assert_eq!(
            gtp_u(&d),
            Some(Inner::Ip {
                offset: 16,
                ethertype: ETHERTYPE_IPV4
            })
        );
        assert_eq!(gtp_u(&d[..13]), None);
    }

    #[test]
    fn capwap_needs_its_header_length_and_a_bridged_ethertype() {
        // RFC 5415 §4.3: preamble 0, HLEN 2 (8 bytes), WBID 1, T 0, then an 802.3 frame.
        let mut frame = vec![0x00, 0x10, 0x02, 0x00, 0, 0, 0, 0];
        frame.extend_from_slice(&[0xff; 12]); // destination and source MAC
        frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        assert!(matches!(
            capwap_data(&frame),
            Some(Inner::Ethernet { offset: 8 })
        ));
        // Zeros from a NAT-chosen source port 5247: HLEN 0 is not CAPWAP.
        assert!(capwap_data(&[0u8; 64]).is_none());
        // A sane header but no Ethertype a WTP bridges.
        let mut other = frame.clone();
        other[20..22].copy_from_slice(&[0x12, 0x34]);
        assert!(capwap_data(&other).is_none());
    }

    #[test]
    fn vxlan_needs_the_i_flag() {
        let mut d = [0u8; 30];
        assert_eq!(by_udp_port(50000, UDP_VXLAN, &d), None);
        d[0] = 0x08;
        assert_eq!(
            by_udp_port(50000, UDP_VXLAN, &d),
            Some((Tunnel::Vxlan, Inner::Ethernet { offset: 8 }))
        );
        // From port 4789 to an ephemeral port: an ordinary datagram that starts with 0x08.
        assert_eq!(by_udp_port(UDP_VXLAN, 50000, &d), None);
        // The last reserved byte must be zero.
        d[7] = 1;
        assert_eq!(by_udp_port(50000, UDP_VXLAN, &d), None);
    }

    #[test]
    fn tzsp_skips_tagged_fields() {
        let d = [1, 0, 0, 1, 0, 0x0a, 2, 0xaa, 0xbb, 1, 0xde];
        assert_eq!(tzsp(&d), Some(Inner::Ethernet { offset: 10 }));
        assert_eq!(tzsp(&d[..8]), None);
    }
}
