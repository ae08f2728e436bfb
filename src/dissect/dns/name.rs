//! Domain names on the wire (RFC 1035 §3.1, §4.1.4), read with hostile-input discipline.
//!
//! A compression pointer must point strictly before the start of the piece of name being read (the
//! name's first octet, or the target of the previous jump), so every jump moves backwards past all
//! earlier jumps and no loop can form; jumps are also counted against
//! [`MAX_POINTER_JUMPS`](crate::dissect::limits::dns::MAX_POINTER_JUMPS). Labels over 63 octets, names
//! over 255 octets (length octets included) and the reserved label types 0b01/0b10 are errors.
//!
//! Text form: labels joined by `.`, no trailing dot, the root is the empty string. ASCII letters are
//! lower-cased. Bytes outside `!`..=`~`, and a `.` inside a label, are written as `?` (as nDPI does for
//! non-printable bytes), so the text is lossy for such names but always printable and never
//! ambiguous about label boundaries.

use super::DnsError;
use crate::dissect::limits::dns::{MAX_LABEL_LEN, MAX_NAME_WIRE_LEN, MAX_POINTER_JUMPS};

/// Reads the name starting at `start`; returns its text and the offset just past it in the
/// original position (after the first pointer, if any).
pub(crate) fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut text = String::new();
    let mut first = true;
    let end = walk_name(msg, start, |label| {
        if !first {
            text.push('.');
        }
        first = false;
        push_label(&mut text, label);
    })?;
    Ok((text, end))
}

/// Offset just past the name at `start`, validating it the same way as [`read_name`] without
/// building its text.
pub(crate) fn skip_name(msg: &[u8], start: usize) -> Result<usize, DnsError> {
    walk_name(msg, start, |_| {})
}

fn push_label(text: &mut String, label: &[u8]) {
    for &byte in label {
        let shown = match byte {
            b'.' => '?',
            b'!'..=b'~' => char::from(byte.to_ascii_lowercase()),
            _ => '?',
        };
        text.push(shown);
    }
}

fn walk_name(msg: &[u8], start: usize, mut on_label: impl FnMut(&[u8])) -> Result<usize, DnsError> {
    let mut pos = start;
    // Start of the piece being read: a pointer must land strictly before it.
    let mut piece_start = start;
    let mut end_in_place: Option<usize> = None;
    let mut wire_len = 0usize;
    let mut jumps = 0usize;
    loop {
        let len_octet = *msg.get(pos).ok_or(DnsError::NameTruncated)?;
        match len_octet >> 6 {
            0b00 => {
                let len = usize::from(len_octet);
                wire_len += 1 + len;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(DnsError::NameTooLong);
                }
                if len == 0 {
                    return Ok(end_in_place.unwrap_or(pos + 1));
                }
                // 0b00 length octets are at most 63 by construction.
                debug_assert!(len <= MAX_LABEL_LEN);
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(DnsError::NameTruncated)?;
                on_label(label);
                pos += 1 + len;
            }
            0b11 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::NameTruncated)?;
                let target = (usize::from(len_octet & 0x3f) << 8) | usize::from(low);
                if target >= piece_start {
                    return Err(DnsError::ForwardPointer);
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DnsError::TooManyPointers);
                }
                end_in_place.get_or_insert(pos + 2);
                piece_start = target;
                pos = target;
            }
            _ => return Err(DnsError::ReservedLabelType),
        }
    }
}
