//! Long-header packets (RFC 9000 §17.2): splitting a datagram into coalesced packets, and removing
//! header and payload protection from a client Initial.

use super::keys::PacketKeys;
use super::version::{self, VersionParams};
use crate::dissect::limits::quic as caps;

/// Reads a QUIC variable-length integer (RFC 9000 §16) at `*pos`, advancing it.
pub(crate) fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, &'static str> {
    const TRUNCATED: &str = "truncated variable-length integer";
    let first = *buf.get(*pos).ok_or(TRUNCATED)?;
    let len = 1usize << (first >> 6);
    let end = pos.checked_add(len).ok_or(TRUNCATED)?;
    let bytes = buf.get(*pos..end).ok_or(TRUNCATED)?;
    let mut value = u64::from(first & 0x3f);
    for &b in bytes.iter().skip(1) {
        value = (value << 8) | u64::from(b);
    }
    *pos = end;
    Ok(value)
}

/// Reads a varint and checks that it fits in the remaining buffer as a length.
fn read_len(buf: &[u8], pos: &mut usize, what: &'static str) -> Result<usize, &'static str> {
    let value = read_varint(buf, pos)?;
    let len = usize::try_from(value).map_err(|_| what)?;
    let end = pos.checked_add(len).ok_or(what)?;
    if end > buf.len() {
        return Err(what);
    }
    Ok(len)
}

/// Reads a connection ID (length byte, then bytes), capped at 20 bytes (RFC 9000 §17.2).
fn read_cid<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], &'static str> {
    let len = usize::from(*buf.get(*pos).ok_or("truncated long header")?);
    if len > caps::MAX_CID_LEN {
        return Err("connection ID longer than 20 bytes");
    }
    let start = *pos + 1;
    let cid = buf.get(start..start + len).ok_or("truncated long header")?;
    *pos = start + len;
    Ok(cid)
}

/// What kind of long-header packet, in version-independent terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LongKind {
    Initial,
    Retry,
    /// 0-RTT or Handshake: skipped by their Length field.
    Other,
    VersionNegotiation,
}

/// One long-header packet's parsed (still protected) header.
#[derive(Debug)]
pub(crate) struct LongHeader<'a> {
    pub kind: LongKind,
    pub version: u32,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// Offset of the (protected) packet number within the packet.
    pub pn_offset: usize,
    /// The whole packet (header and protected payload), ending where its Length field says.
    pub packet: &'a [u8],
}

/// Parses the long-header packet at the start of `buf`. `Err` when the bytes are not a long
/// header of a known version or are truncated. Version Negotiation and Retry take the rest of the
/// datagram, as they carry no Length.
pub(crate) fn parse_long_header(buf: &[u8]) -> Result<LongHeader<'_>, &'static str> {
    parse_long_header_with(buf, false)
}

/// [`parse_long_header`] for the server's packets, which may clear the fixed bit: a client's
/// Initial offering `grease_quic_bit` (RFC 9287) lets the server grease it from its first Initial
/// on (seen from real servers in nDPI's captures; Wireshark accepts them too).
pub(crate) fn parse_server_long_header(buf: &[u8]) -> Result<LongHeader<'_>, &'static str> {
    parse_long_header_with(buf, true)
}

fn parse_long_header_with(
    buf: &[u8],
    fixed_bit_may_be_zero: bool,
) -> Result<LongHeader<'_>, &'static str> {
    let first = *buf.first().ok_or("empty packet")?;
    if first & 0x80 == 0 {
        return Err("short header packet");
    }
    let version_bytes: [u8; 4] = buf
        .get(1..5)
        .and_then(|b| b.try_into().ok())
        .ok_or("truncated long header")?;
    let version = u32::from_be_bytes(version_bytes);
    let mut pos = 5;
    let dcid = read_cid(buf, &mut pos)?;
    let scid = read_cid(buf, &mut pos)?;
    if version == 0 {
        return Ok(LongHeader {
            kind: LongKind::VersionNegotiation,
            version,
            dcid,
            scid,
            pn_offset: pos,
            packet: buf,
        });
    }
    let params = version::params(version).ok_or("unsupported QUIC version")?;
    if first & 0x40 == 0 && !fixed_bit_may_be_zero {
        return Err("fixed bit is zero");
    }
    let type_bits = (first >> 4) & 0b11;
    let kind = if type_bits == params.initial_type {
        LongKind::Initial
    } else if type_bits == params.retry_type {
        LongKind::Retry
    } else {
        LongKind::Other
    };
    if kind == LongKind::Retry {
        return Ok(LongHeader {
            kind,
            version,
            dcid,
            scid,
            pn_offset: pos,
            packet: buf,
        });
    }
    if kind == LongKind::Initial {
        let token_len = read_len(buf, &mut pos, "token longer than the packet")?;
        pos += token_len;
    }
    let length = read_len(buf, &mut pos, "Length field beyond the datagram")?;
    let end = pos + length;
    let packet = buf.get(..end).ok_or("Length field beyond the datagram")?;
    Ok(LongHeader {
        kind,
        version,
        dcid,
        scid,
        pn_offset: pos,
        packet,
    })
}

/// RFC 9000 Appendix A.3: the full packet number closest to `expected` whose low
/// `8 * pn_len` bits are `truncated`.
pub(crate) fn decode_packet_number(expected: u64, truncated: u64, pn_len: usize) -> u64 {
    let bits = 8 * pn_len as u32;
    let window = 1u64 << bits;
    let half = window / 2;
    let mask = window - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(half) <= expected && candidate < (1u64 << 62) - window {
        candidate + window
    } else if candidate > expected.saturating_add(half) && candidate >= window {
        candidate - window
    } else {
        candidate
    }
}

/// A client Initial whose protection was removed: its payload (the frames) sits in the scratch
/// buffer passed to [`open_initial`] at `payload`.
#[derive(Debug)]
pub(crate) struct Opened {
    pub packet_number: u64,
    pub payload: std::ops::Range<usize>,
}

/// Removes header protection and decrypts `header.packet` into `scratch` with `keys`.
/// `largest_pn` is the largest packet number opened so far in this packet-number space.
pub(crate) fn open_initial(
    header: &LongHeader<'_>,
    keys: &PacketKeys,
    largest_pn: Option<u64>,
    scratch: &mut Vec<u8>,
) -> Result<Opened, &'static str> {
    let packet = header.packet;
    if packet.len() > caps::MAX_PACKET_BYTES {
        return Err("packet larger than the decryption cap");
    }
    // The sample starts 4 bytes after the packet number's first byte, whatever its length.
    let sample_start = header.pn_offset + 4;
    let sample: [u8; 16] = packet
        .get(sample_start..sample_start + 16)
        .and_then(|s| s.try_into().ok())
        .ok_or("packet too short for the header protection sample")?;
    let mask = keys.header_mask(&sample);
    scratch.clear();
    scratch.extend_from_slice(packet);
    let first = scratch.first_mut().ok_or("empty packet")?;
    *first ^= mask[0] & 0x0f;
    let pn_len = usize::from(*first & 0x03) + 1;
    let pn_end = header.pn_offset + pn_len;
    let pn_bytes = scratch
        .get_mut(header.pn_offset..pn_end)
        .ok_or("truncated packet number")?;
    let mut truncated = 0u64;
    for (b, m) in pn_bytes.iter_mut().zip(mask.iter().skip(1)) {
        *b ^= m;
        truncated = (truncated << 8) | u64::from(*b);
    }
    let expected = largest_pn.map_or(0, |pn| pn.saturating_add(1));
    let packet_number = decode_packet_number(expected, truncated, pn_len);
    let (aad, sealed) = scratch.split_at_mut(pn_end);
    let plain_len = keys.open_in_place(packet_number, aad, sealed)?;
    Ok(Opened {
        packet_number,
        payload: pn_end..pn_end + plain_len,
    })
}

/// Is `first_byte` the first byte of an Initial for `params`? (fixed bit set, long header).
pub(crate) fn is_initial_first_byte(first_byte: u8, params: &VersionParams) -> bool {
    first_byte & 0xc0 == 0xc0 && (first_byte >> 4) & 0b11 == params.initial_type
}
