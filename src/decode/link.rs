//! Link layers: from a frame's first byte to the start of its network-layer packet.
//!
//! Accepts Ethernet (with any stack of 802.1Q / 802.1ad / QinQ tags, MPLS and PPPoE sessions), Linux
//! SLL and SLL2, BSD NULL and OpenBSD LOOP, PPP (with or without HDLC framing), and raw IPv4/IPv6.
//! Promises: never panics, never allocates; says why it stopped.

use super::Malformed;
use crate::frame::LinkType;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MCAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// Where the network layer starts, and the innermost VLAN id seen on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L3Start {
    pub offset: usize,
    pub ethertype: u16,
    pub vlan: Option<u16>,
}

/// The result of walking a link layer: an IP packet, or a frame that carries no IP (ARP, STP, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ip(L3Start),
    NotIp,
}

/// An 802.1Q, 802.1ad or old QinQ tag follows.
pub fn is_vlan_tag(ethertype: u16) -> bool {
    matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    )
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

/// Walks the link layer of `data` as `link`.
pub fn walk(link: LinkType, data: &[u8]) -> Result<Link, Malformed> {
    match link {
        LinkType::Ethernet => ethernet(data, 0, None),
        LinkType::Raw => raw_ip(data, 0),
        LinkType::Ipv4 => Ok(Link::Ip(L3Start {
            offset: 0,
            ethertype: ETHERTYPE_IPV4,
            vlan: None,
        })),
        LinkType::Ipv6 => Ok(Link::Ip(L3Start {
            offset: 0,
            ethertype: ETHERTYPE_IPV6,
            vlan: None,
        })),
        LinkType::Null | LinkType::Loop => null_loopback(link, data),
        LinkType::LinuxSll => {
            // 16 bytes: packet type, ARPHRD, address length, 8 address bytes, protocol.
            let proto = be16(data, 14).ok_or(Malformed::LinkTruncated)?;
            after_ethertype(data, 16, proto, None)
        }
        LinkType::LinuxSll2 => {
            // 20 bytes, protocol first.
            if data.len() < 20 {
                return Err(Malformed::LinkTruncated);
            }
            let proto = be16(data, 0).ok_or(Malformed::LinkTruncated)?;
            after_ethertype(data, 20, proto, None)
        }
        LinkType::Ppp => ppp(data, 0, None),
        LinkType::CiscoHdlc => {
            // Address, control, then an Ethertype.
            let proto = be16(data, 2).ok_or(Malformed::LinkTruncated)?;
            after_ethertype(data, 4, proto, None)
        }
        LinkType::Other(_) => Err(Malformed::UnsupportedLinkType),
    }
}

/// An Ethernet header at `at`, then its tags.
pub fn ethernet(data: &[u8], at: usize, vlan: Option<u16>) -> Result<Link, Malformed> {
    let ethertype = be16(data, at + 12).ok_or(Malformed::LinkTruncated)?;
    after_ethertype(data, at + 14, ethertype, vlan)
}

/// Follows VLAN tags, MPLS labels and PPPoE sessions until an IP packet (or something else).
fn after_ethertype(
    data: &[u8],
    mut at: usize,
    mut ethertype: u16,
    mut vlan: Option<u16>,
) -> Result<Link, Malformed> {
    // Bounded: a frame cannot hold more tags than it has bytes, but cap the loop anyway.
    for _ in 0..16 {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => {
                return Ok(Link::Ip(L3Start {
                    offset: at,
                    ethertype,
                    vlan,
                }));
            }
            tag if is_vlan_tag(tag) => {
                let tci = be16(data, at).ok_or(Malformed::LinkTruncated)?;
                vlan = Some(tci & 0x0fff);
                ethertype = be16(data, at + 2).ok_or(Malformed::LinkTruncated)?;
                at += 4;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MCAST => return mpls(data, at, vlan),
            ETHERTYPE_PPPOE_SESSION => {
                // 6-byte PPPoE header, then a 2-byte PPP protocol.
                if data.len() < at + 6 {
                    return Err(Malformed::LinkTruncated);
                }
                return ppp_protocol(data, at + 6, vlan);
            }
            _ => return Ok(Link::NotIp),
        }
    }
    Err(Malformed::LinkTooDeep)
}

/// MPLS label stack: labels until bottom-of-stack, then IP guessed from the version nibble
/// (MPLS carries no payload type; pseudowires with a control word are not decoded).
fn mpls(data: &[u8], mut at: usize, vlan: Option<u16>) -> Result<Link, Malformed> {
    for _ in 0..16 {
        let entry = data.get(at..at + 4).ok_or(Malformed::LinkTruncated)?;
        at += 4;
        if entry[2] & 0x01 == 1 {
            return raw_ip(data, at).map(|link| match link {
                Link::Ip(start) => Link::Ip(L3Start { vlan, ..start }),
                other => other,
            });
        }
    }
    Err(Malformed::LinkTooDeep)
}

/// PPP: optional HDLC address/control (ff 03), then a 1- or 2-byte protocol field.
fn ppp(data: &[u8], at: usize, vlan: Option<u16>) -> Result<Link, Malformed> {
    // Cisco HDLC framing under the PPP link type (unicast 0x0f / multicast 0x8f address), as
    // tcpdump also accepts.
    if matches!(data.get(at..at + 2), Some([0x0f | 0x8f, 0x00])) {
        let proto = be16(data, at + 2).ok_or(Malformed::LinkTruncated)?;
        return after_ethertype(data, at + 4, proto, vlan);
    }
    let at = if data.get(at..at + 2) == Some(&[0xff, 0x03]) {
        at + 2
    } else {
        at
    };
    ppp_protocol(data, at, vlan)
}

fn ppp_protocol(data: &[u8], at: usize, vlan: Option<u16>) -> Result<Link, Malformed> {
    let first = *data.get(at).ok_or(Malformed::LinkTruncated)?;
    // Protocol-field compression: an odd first byte is a 1-byte protocol.
    let (proto, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        (be16(data, at).ok_or(Malformed::LinkTruncated)?, 2)
    };
    let ethertype = match proto {
        0x0021 => ETHERTYPE_IPV4,
        0x0057 => ETHERTYPE_IPV6,
        0x0281 | 0x0283 => return mpls(data, at + len, vlan),
        _ => return Ok(Link::NotIp),
    };
    Ok(Link::Ip(L3Start {
        offset: at + len,
        ethertype,
        vlan,
    }))
}

/// BSD NULL (address family in the capturing host's byte order) and OpenBSD LOOP (network order).
fn null_loopback(link: LinkType, data: &[u8]) -> Result<Link, Malformed> {
    let raw: [u8; 4] = data
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(Malformed::LinkTruncated)?;
    let family = if link == LinkType::Loop {
        u32::from_be_bytes(raw)
    } else {
        // The writer's byte order is unknown: families are small, so take whichever reading is.
        let le = u32::from_le_bytes(raw);
        if le <= 0xffff {
            le
        } else {
            u32::from_be_bytes(raw)
        }
    };
    match family {
        2 => Ok(Link::Ip(L3Start {
            offset: 4,
            ethertype: ETHERTYPE_IPV4,
            vlan: None,
        })),
        // AF_INET6 differs by OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin.
        10 | 24 | 28 | 30 => Ok(Link::Ip(L3Start {
            offset: 4,
            ethertype: ETHERTYPE_IPV6,
            vlan: None,
        })),
        _ => Ok(Link::NotIp),
    }
}

/// Raw IP: the version nibble says which.
fn raw_ip(data: &[u8], at: usize) -> Result<Link, Malformed> {
    let first = *data.get(at).ok_or(Malformed::LinkTruncated)?;
    let ethertype = match first >> 4 {
        4 => ETHERTYPE_IPV4,
        6 => ETHERTYPE_IPV6,
        _ => return Err(Malformed::IpVersion),
    };
    Ok(Link::Ip(L3Start {
        offset: at,
        ethertype,
        vlan: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, rest: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn qinq_keeps_innermost_vlan() {
        let f = eth(
            0x88a8,
            &[0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00, 0x45],
        );
        assert_eq!(
            walk(LinkType::Ethernet, &f),
            Ok(Link::Ip(L3Start {
                offset: 22,
                ethertype: ETHERTYPE_IPV4,
                vlan: Some(200)
            }))
        );
    }

    #[test]
    fn arp_is_not_ip_and_short_frames_are_malformed() {
        assert_eq!(
            walk(LinkType::Ethernet, &eth(0x0806, &[0; 28])),
            Ok(Link::NotIp)
        );
        assert_eq!(
            walk(LinkType::Ethernet, &[0; 13]),
            Err(Malformed::LinkTruncated)
        );
        let tagged_cut = eth(0x8100, &[0x00]);
        assert_eq!(
            walk(LinkType::Ethernet, &tagged_cut),
            Err(Malformed::LinkTruncated)
        );
    }

    #[test]
    fn mpls_bottom_of_stack_then_ip() {
        let f = eth(0x8847, &[0, 0, 0x10, 64, 0, 0, 0x21, 64, 0x60]);
        assert_eq!(
            walk(LinkType::Ethernet, &f),
            Ok(Link::Ip(L3Start {
                offset: 22,
                ethertype: ETHERTYPE_IPV6,
                vlan: None
            }))
        );
    }

    #[test]
    fn null_link_either_byte_order() {
        assert!(
            matches!(walk(LinkType::Null, &[2, 0, 0, 0, 0x45]), Ok(Link::Ip(s)) if s.ethertype == ETHERTYPE_IPV4)
        );
        assert!(
            matches!(walk(LinkType::Null, &[0, 0, 0, 30, 0x60]), Ok(Link::Ip(s)) if s.ethertype == ETHERTYPE_IPV6)
        );
        assert_eq!(
            walk(LinkType::Null, &[0x0f, 0, 8, 0, 0x45]),
            Ok(Link::NotIp)
        );
    }

    #[test]
    fn ppp_with_and_without_hdlc() {
        assert!(
            matches!(walk(LinkType::Ppp, &[0xff, 0x03, 0x00, 0x21, 0x45]), Ok(Link::Ip(s)) if s.offset == 4)
        );
        assert!(matches!(walk(LinkType::Ppp, &[0x21, 0x45]), Ok(Link::Ip(s)) if s.offset == 1));
        assert_eq!(walk(LinkType::Ppp, &[0xc0, 0x21, 1]), Ok(Link::NotIp));
    }
}
