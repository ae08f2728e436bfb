//! SSLv2-compatible ClientHello (RFC 5246 Appendix E.2; SSL 2.0 draft §2.5): a 2-byte record header
//! with the high bit set, then `msg_type = 1`, version, three lengths, 3-byte cipher specs, session id
//! and challenge. Old clients sent it to reach SSLv2 and TLS servers alike.

use super::{ClientHello, Scan};

const HEADER_LEN: usize = 2;
/// msg_type(1) + version(2) + cipher_spec_length(2) + session_id_length(2) + challenge_length(2)
const FIXED_LEN: usize = 9;

fn plausible_version(hi: u8, lo: u8) -> bool {
    (hi == 0 && lo == 2) || (hi == 3 && lo <= 4)
}

fn be_u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

/// Scans a head whose first byte has the high bit set.
pub(crate) fn scan(head: &[u8]) -> Scan<ClientHello> {
    // Reject on the first bytes that disagree: type 1 (CLIENT-HELLO), then a known version.
    match head.get(2) {
        None => return Scan::NeedMore,
        Some(&1) => {}
        Some(_) => return Scan::NotTls,
    }
    match (head.get(3), head.get(4)) {
        (Some(&hi), Some(&lo)) if !plausible_version(hi, lo) => return Scan::NotTls,
        (Some(&hi), None) if hi != 0 && hi != 3 => return Scan::NotTls,
        (Some(_), Some(_)) => {}
        _ => return Scan::NeedMore,
    }
    let (Some(&b0), Some(&b1)) = (head.first(), head.get(1)) else {
        return Scan::NeedMore;
    };
    let record_len = (usize::from(b0 & 0x7f) << 8) | usize::from(b1);
    if record_len < FIXED_LEN {
        return Scan::Malformed("SSLv2 hello shorter than its fixed fields");
    }
    let Some(record) = head.get(HEADER_LEN..HEADER_LEN + record_len) else {
        return Scan::NeedMore;
    };
    match parse_record(record) {
        Ok(hello) => Scan::Done(hello),
        Err(reason) => Scan::Malformed(reason),
    }
}

fn parse_record(record: &[u8]) -> Result<ClientHello, &'static str> {
    let short = "SSLv2 hello shorter than its fixed fields";
    let version = be_u16_at(record, 1).ok_or(short)?;
    let specs_len = be_u16_at(record, 3).ok_or(short)?;
    let session_id_len = be_u16_at(record, 5).ok_or(short)?;
    let challenge_len = be_u16_at(record, 7).ok_or(short)?;
    if specs_len % 3 != 0 {
        return Err("SSLv2 cipher specs length not a multiple of 3");
    }
    let body_len = specs_len + session_id_len + challenge_len;
    if FIXED_LEN + body_len != record.len() {
        return Err("SSLv2 hello lengths disagree with the record length");
    }
    let specs = record
        .get(FIXED_LEN..FIXED_LEN + specs_len)
        .ok_or("SSLv2 cipher specs overrun the record")?;
    let sslv2_cipher_specs: Vec<u32> = specs
        .chunks_exact(3)
        .map(|spec| spec.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        .collect();
    // TLS suites in V2 form are 0x00XXXX (RFC 5246 Appendix E.2).
    let cipher_suites = sslv2_cipher_specs
        .iter()
        .filter(|&&spec| spec <= 0xffff)
        .map(|&spec| spec as u16)
        .collect();
    Ok(ClientHello {
        legacy_version: version as u16,
        cipher_suites,
        sslv2_cipher_specs,
        sslv2: true,
        ..ClientHello::default()
    })
}
