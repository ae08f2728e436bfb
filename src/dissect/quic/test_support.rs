//! Helpers shared by the QUIC unit tests: hex fixtures, the RFC connection id, and frame builders.

pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The client's original Destination Connection ID of RFC 9001 and RFC 9369 Appendix A.
pub(crate) const RFC_DCID: &str = "8394c8f03e515708";

pub(crate) const DCID_A: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const DCID_B: &[u8] = &[9, 9, 9, 9, 9, 9, 9, 9, 9, 9];

/// A QUIC variable-length integer (RFC 9000 §16), up to 30 bits.
pub(crate) fn varint(v: u64, out: &mut Vec<u8>) {
    match v {
        0..=0x3f => out.push(v as u8),
        0x40..=0x3fff => out.extend_from_slice(&(0x4000 | v as u16).to_be_bytes()),
        _ => out.extend_from_slice(&(0x8000_0000 | v as u32).to_be_bytes()),
    }
}

/// A CRYPTO frame (type 0x06) carrying `data` at `offset`.
pub(crate) fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    varint(offset, &mut f);
    varint(data.len() as u64, &mut f);
    f.extend_from_slice(data);
    f
}
