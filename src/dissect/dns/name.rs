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
    read_name_counted(msg, start).map(|(text, end, _)| (text, end))
}

/// Names of one message already read, by the offset they were read from, so that a name that is
/// only a pointer to one of them (an answer's owner pointing at the question, an address record
/// pointing at a CNAME target) is copied rather than walked again.
///
/// Copying gives exactly what walking would: a name read from offset `t` with `j` jumps and a name
/// at `p` that is the single pointer `t` (with `t < p`) walk the same labels under the same rules —
/// the pointer's target must lie before `p`, every later jump before `t` as in the first walk, the
/// wire length is the same, and the jumps are `j + 1`, checked against the same cap.
pub(crate) struct NameMemo<K: Copy> {
    /// `(offset read from, pointer jumps taken, where the caller keeps the text)`.
    entries: [Option<(usize, usize, K)>; MEMO_ENTRIES],
}

/// Names remembered per message: the first ones, which later names point at most.
const MEMO_ENTRIES: usize = 8;

impl<K: Copy> Default for NameMemo<K> {
    fn default() -> Self {
        NameMemo {
            entries: [None; MEMO_ENTRIES],
        }
    }
}

impl<K: Copy> NameMemo<K> {
    /// Where the text of the name at `start` already is, if that name is a single pointer to a
    /// remembered one: `(key, offset just past the pointer, jumps)`.
    pub fn lookup(&self, msg: &[u8], start: usize) -> Option<(K, usize, usize)> {
        let high = *msg.get(start)?;
        if high >> 6 != 0b11 {
            return None;
        }
        let low = *msg.get(start + 1)?;
        let target = (usize::from(high & 0x3f) << 8) | usize::from(low);
        if target >= start {
            return None;
        }
        self.entries.iter().flatten().find_map(|&(at, jumps, key)| {
            (at == target && jumps < MAX_POINTER_JUMPS).then_some((key, start + 2, jumps + 1))
        })
    }

    /// Remembers that the name read from `start` with `jumps` jumps is kept at `key` (ignored when
    /// the memo is full).
    pub fn remember(&mut self, start: usize, jumps: usize, key: K) {
        if let Some(slot) = self.entries.iter_mut().find(|e| e.is_none()) {
            *slot = Some((start, jumps, key));
        }
    }
}

/// [`read_name`], also giving the number of compression pointers followed.
pub(crate) fn read_name_counted(
    msg: &[u8],
    start: usize,
) -> Result<(String, usize, usize), DnsError> {
    // The text is shorter than the name's wire length (each length octet becomes a dot or
    // nothing), so it is built on the stack and copied once into a `String` of its exact size.
    let mut text = [0u8; MAX_NAME_WIRE_LEN];
    let mut len = 0;
    let (end, jumps) = walk_name(msg, start, |label| {
        if len > 0 {
            push_byte(&mut text, &mut len, b'.');
        }
        // `walk_name` bounds the wire length, so the label always fits; if it did not, it would
        // be dropped rather than overflow.
        if let Some(slots) = text.get_mut(len..len + label.len()) {
            for (slot, &byte) in slots.iter_mut().zip(label) {
                *slot = SHOWN[usize::from(byte)];
            }
            len += label.len();
        }
    })?;
    let bytes = text.get(..len).unwrap_or_default();
    // Every byte written is printable ASCII, so the lossy fallback is never taken.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    Ok((text, end, jumps))
}

/// Offset just past the name at `start`, validating it the same way as [`read_name`] without
/// building its text.
pub(crate) fn skip_name(msg: &[u8], start: usize) -> Result<usize, DnsError> {
    walk_name(msg, start, |_| {}).map(|(end, _)| end)
}

/// How a label byte is written: ASCII letters lower-cased, `.` and bytes outside `!`..=`~` as `?`.
const fn shown_byte(byte: u8) -> u8 {
    match byte {
        b'.' => b'?',
        b'!'..=b'~' => byte.to_ascii_lowercase(),
        _ => b'?',
    }
}

/// [`shown_byte`] of every byte, looked up per name byte.
static SHOWN: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = shown_byte(byte as u8);
        byte += 1;
    }
    table
};

fn push_byte(text: &mut [u8], len: &mut usize, byte: u8) {
    // `walk_name` bounds the wire length, so the buffer never fills; a full one drops the byte.
    if let Some(slot) = text.get_mut(*len) {
        *slot = byte;
        *len += 1;
    }
}

/// Walks the name at `start`; returns the offset just past it and the pointers followed.
fn walk_name(
    msg: &[u8],
    start: usize,
    mut on_label: impl FnMut(&[u8]),
) -> Result<(usize, usize), DnsError> {
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
                    return Ok((end_in_place.unwrap_or(pos + 1), jumps));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_legal_name_is_read_whole() {
        // Labels of 63, 63, 63 and 61 octets: 64 * 3 + 62 + 1 (root) = 255 octets, the RFC 1035
        // maximum; its text is 63 * 3 + 61 + 3 dots = 253 characters.
        let mut msg = Vec::new();
        let labels: [(u8, u8); 4] = [(63, b'A'), (63, b'b'), (63, b'c'), (61, b'D')];
        for (len, byte) in labels {
            msg.push(len);
            msg.extend(std::iter::repeat_n(byte, usize::from(len)));
        }
        msg.push(0);
        assert_eq!(msg.len(), 255);
        let (text, end) = read_name(&msg, 0).expect("255 octets is legal");
        let expected = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(text.len(), 253);
        assert_eq!(text, expected);
        assert_eq!(end, 255);

        // One more octet in the last label is over the limit.
        msg[192] = 62;
        msg.insert(193, b'd');
        assert_eq!(read_name(&msg, 0), Err(DnsError::NameTooLong));
    }

    #[test]
    fn memo_copies_only_single_pointers_backwards_within_the_jump_cap() {
        // "a" at 0; at 3 a pointer to it; at 5 a label then a pointer (not a single pointer).
        let msg = [1, b'a', 0, 0xc0, 0x00, 1, b'b', 0xc0, 0x00];
        let mut memo = NameMemo::default();
        assert_eq!(memo.lookup(&msg, 3), None, "nothing remembered yet");
        memo.remember(0, 0, 'q');
        assert_eq!(memo.lookup(&msg, 3), Some(('q', 5, 1)));
        assert_eq!(memo.lookup(&msg, 5), None, "a label first: walked");
        assert_eq!(memo.lookup(&msg, 0), None, "not a pointer");
        // A name that took the most jumps allowed cannot be reached by one more.
        let mut full = NameMemo::default();
        full.remember(0, MAX_POINTER_JUMPS, 'q');
        assert_eq!(full.lookup(&msg, 3), None);
    }

    #[test]
    fn dots_and_unprintable_bytes_become_question_marks() {
        // The name "a.B" as one label at 0; at 5 the label "\x00\x7f" and a pointer back to it.
        let msg = [3, b'a', b'.', b'B', 0, 2, 0x00, 0x7f, 0xc0, 0x00];
        let (text, end) = read_name(&msg, 5).expect("pointer goes backwards");
        assert_eq!(text, "??.a?b");
        assert_eq!(end, 10);
    }
}
