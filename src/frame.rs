//! What the capture layer hands to the decoder: one captured frame, borrowed, with its packet time.

use crate::time::Timestamp;

/// Link-layer header types (the pcap LINKTYPE_ numbers) that aiwatch decodes; anything else is kept
/// as its number so it can be counted and reported by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order (LINKTYPE_NULL 0).
    Null,
    Ethernet,
    /// PPP (LINKTYPE_PPP 9): 2-byte protocol, optionally after an HDLC address/control pair.
    Ppp,
    /// Raw IP, version from the first nibble (LINKTYPE_RAW 101, and DLT 12/14 on some systems).
    Raw,
    /// Cisco HDLC (LINKTYPE_C_HDLC 104): address, control, Ethertype.
    CiscoHdlc,
    /// OpenBSD loopback: 4-byte address family in network byte order (LINKTYPE_LOOP 108).
    Loop,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113).
    LinuxSll,
    Ipv4,
    Ipv6,
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276).
    LinuxSll2,
    Other(u32),
}

impl LinkType {
    /// From a pcap/pcapng link-type number.
    pub fn from_linktype(n: u32) -> Self {
        match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            9 => LinkType::Ppp,
            12 | 14 | 101 => LinkType::Raw,
            104 => LinkType::CiscoHdlc,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other),
        }
    }

    pub fn is_supported(self) -> bool {
        !matches!(self, LinkType::Other(_))
    }
}

/// One captured frame. `data` may be shorter than `orig_len` when the capture's snap length cut it.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    pub link: LinkType,
    /// The frame's length on the wire.
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}
