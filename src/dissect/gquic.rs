//! Google QUIC (gQUIC, versions Q024–Q046): the client's first packet carries its handshake message
//! (CHLO) in clear, a tag/value table whose `SNI` tag names the server. nDPI, Zeek and Wireshark all
//! read it; Chrome still spoke these versions in captures only a few years old. (Q050 and T05x
//! encrypt their Initials: `dissect::quic` opens them, and a Q050 CHLO comes back here.)
//!
//! Contract: a pure function of one UDP payload; bounded (only the first datagram bytes are
//! searched); never panics.

use super::limits::gquic::{MAX_CHLO_SEARCH, MAX_CHLO_TAGS};

/// The gQUIC version (`Q046` as a number) when the payload's public header carries one.
pub fn version(payload: &[u8]) -> Option<u32> {
    // Q046 uses the IETF long-header invariant (version at byte 1); older versions put it after the
    // flags byte and an 8-byte connection id (byte 9), or right after the flags (byte 1) without one.
    [1usize, 9].into_iter().find_map(|at| {
        let v = payload.get(at..at + 4)?;
        let is_gquic = v[0] == b'Q' && v[1..].iter().all(u8::is_ascii_digit);
        is_gquic.then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    })
}

/// The SNI of a cleartext CHLO in `payload`, if there is one.
pub fn chlo_sni(payload: &[u8]) -> Option<String> {
    let window = &payload[..payload.len().min(MAX_CHLO_SEARCH)];
    let start = window.windows(4).position(|w| w == b"CHLO")?;
    let msg = &payload[start..];
    let le16 = |at: usize| Some(u16::from_le_bytes([*msg.get(at)?, *msg.get(at + 1)?]));
    let le32 = |at: usize| Some(u32::from_le_bytes(msg.get(at..at + 4)?.try_into().ok()?));
    let entries = usize::from(le16(4)?);
    if entries == 0 || entries > MAX_CHLO_TAGS {
        return None;
    }
    // Tag table: (tag, end offset of its value), values follow the table back to back.
    let values = 8 + entries * 8;
    let mut prev_end = 0usize;
    for i in 0..entries {
        let at = 8 + i * 8;
        let tag = msg.get(at..at + 4)?;
        let end = le32(at + 4)? as usize;
        if end < prev_end {
            return None;
        }
        if tag == b"SNI\0" {
            let value = msg.get(values + prev_end..values + end)?;
            return std::str::from_utf8(value)
                .ok()
                .map(|s| s.to_ascii_lowercase());
        }
        prev_end = end;
    }
    None
}

/// `"Q046"` for display.
pub fn version_name(version: u32) -> String {
    String::from_utf8_lossy(&version.to_be_bytes()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CHLO with PAD, SNI and VER tags, as Chrome's Q046 sends it (layout from the nDPI capture
    /// quic046.pcap, values shortened).
    fn chlo() -> Vec<u8> {
        let mut m = b"CHLO".to_vec();
        m.extend_from_slice(&3u16.to_le_bytes());
        m.extend_from_slice(&[0, 0]);
        let values: [(&[u8; 4], &[u8]); 3] = [
            (b"PAD\0", b"----"),
            (b"SNI\0", b"I.YTimg.com"),
            (b"VER\0", b"Q046"),
        ];
        let mut end = 0u32;
        for (tag, v) in values {
            end += v.len() as u32;
            m.extend_from_slice(tag);
            m.extend_from_slice(&end.to_le_bytes());
        }
        for (_, v) in values {
            m.extend_from_slice(v);
        }
        m
    }

    #[test]
    fn q046_long_header_chlo() {
        let mut d = vec![0xc3];
        d.extend_from_slice(b"Q046");
        d.extend_from_slice(&[0x50; 30]);
        d.extend_from_slice(&chlo());
        assert_eq!(version(&d).map(version_name).as_deref(), Some("Q046"));
        assert_eq!(chlo_sni(&d).as_deref(), Some("i.ytimg.com"));
    }

    #[test]
    fn q039_public_header_with_connection_id() {
        let mut d = vec![0x0d, 1, 2, 3, 4, 5, 6, 7, 8];
        d.extend_from_slice(b"Q039");
        d.extend_from_slice(&[1, 0xaa, 0xbb]);
        d.extend_from_slice(&chlo());
        assert_eq!(version(&d).map(version_name).as_deref(), Some("Q039"));
        assert_eq!(chlo_sni(&d).as_deref(), Some("i.ytimg.com"));
    }

    #[test]
    fn ietf_quic_and_broken_tables_are_rejected() {
        assert_eq!(version(&[0xc0, 0, 0, 0, 1, 8]), None);
        let mut m = chlo();
        m[4] = 0xff; // absurd entry count
        assert_eq!(chlo_sni(&m), None);
        let good = chlo();
        for cut in 0..good.len() {
            let _ = chlo_sni(&good[..cut]);
        }
    }
}
