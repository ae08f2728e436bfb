//! The Initial CRYPTO stream: frames of a decrypted Initial payload (RFC 9000 §19), and their data
//! reassembled by offset, in any order, into a buffer capped at
//! [`MAX_CRYPTO_BYTES`](crate::dissect::limits::quic::MAX_CRYPTO_BYTES) (the client's) or
//! [`MAX_SERVER_CRYPTO_BYTES`](crate::dissect::limits::quic::MAX_SERVER_CRYPTO_BYTES) (the server's).

use super::packet::read_varint;
use crate::dissect::limits::quic as caps;

/// One frame of an Initial packet that matters to us.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    Crypto {
        offset: u64,
        data: &'a [u8],
    },
    /// PADDING, PING, ACK, CONNECTION_CLOSE: skipped.
    Ignored,
}

/// Iterates the frames of a decrypted Initial payload. After an error it stops.
#[derive(Debug)]
pub(crate) struct Frames<'a> {
    payload: &'a [u8],
    pos: usize,
    failed: bool,
    /// Google QUIC's frame types (T050/T051) instead of RFC 9000's.
    gquic: bool,
}

impl<'a> Frames<'a> {
    pub(crate) fn new(payload: &'a [u8]) -> Self {
        Frames {
            payload,
            pos: 0,
            failed: false,
            gquic: false,
        }
    }

    /// The frames of an Initial of `version` (Google QUIC's frame types for its versions).
    pub(crate) fn of_version(payload: &'a [u8], version: u32) -> Self {
        Frames {
            gquic: super::version::params(version).is_some_and(|p| p.gquic_frames),
            ..Frames::new(payload)
        }
    }

    /// Google QUIC T05x Initials (Chromium's framer, as nDPI and Wireshark read it): CRYPTO is
    /// type 0x08 (offset and length as varints), ACKs are 0x40 (6 bytes) and 0x60 (9 bytes).
    fn next_gquic_frame(&mut self) -> Result<Frame<'a>, &'static str> {
        let buf = self.payload;
        let frame_type = *buf.get(self.pos).ok_or("frame beyond the payload")?;
        match frame_type {
            0x00 => {
                while buf.get(self.pos) == Some(&0) {
                    self.pos += 1;
                }
                Ok(Frame::Ignored)
            }
            0x40 | 0x60 => {
                let len = if frame_type == 0x40 { 6 } else { 9 };
                self.pos = self
                    .pos
                    .checked_add(len)
                    .filter(|&end| end <= buf.len())
                    .ok_or("ACK frame beyond the payload")?;
                Ok(Frame::Ignored)
            }
            0x08 => {
                self.pos += 1;
                crypto_frame(buf, &mut self.pos)
            }
            _ => Err("frame type not allowed in an Initial packet"),
        }
    }

    fn next_frame(&mut self) -> Result<Frame<'a>, &'static str> {
        if self.gquic {
            return self.next_gquic_frame();
        }
        let buf = self.payload;
        let pos = &mut self.pos;
        let frame_type = read_varint(buf, pos)?;
        match frame_type {
            0x00 => {
                // PADDING runs are long (an Initial is padded to 1200 bytes): skip them in one go,
                // eight bytes at a time while whole words are zero, then byte by byte.
                let rest = buf.get(*pos..).unwrap_or_default();
                let mut skipped = 0;
                for word in rest.chunks_exact(8) {
                    if <[u8; 8]>::try_from(word).map_or(true, |w| u64::from_ne_bytes(w) != 0) {
                        break;
                    }
                    skipped += 8;
                }
                while rest.get(skipped) == Some(&0) {
                    skipped += 1;
                }
                *pos += skipped;
                Ok(Frame::Ignored)
            }
            0x01 => Ok(Frame::Ignored),
            0x02 | 0x03 => {
                let _largest = read_varint(buf, pos)?;
                let _delay = read_varint(buf, pos)?;
                let ranges = read_varint(buf, pos)?;
                let _first_range = read_varint(buf, pos)?;
                // Each further range is two varints of at least one byte: bounded by the payload.
                for _ in 0..ranges {
                    read_varint(buf, pos)?;
                    read_varint(buf, pos)?;
                }
                if frame_type == 0x03 {
                    for _ in 0..3 {
                        read_varint(buf, pos)?;
                    }
                }
                Ok(Frame::Ignored)
            }
            0x06 => crypto_frame(buf, pos),
            0x1c => {
                let _code = read_varint(buf, pos)?;
                let _frame = read_varint(buf, pos)?;
                let reason = read_varint(buf, pos)?;
                let reason =
                    usize::try_from(reason).map_err(|_| "CONNECTION_CLOSE beyond the payload")?;
                let end = pos
                    .checked_add(reason)
                    .filter(|&end| end <= buf.len())
                    .ok_or("CONNECTION_CLOSE beyond the payload")?;
                *pos = end;
                Ok(Frame::Ignored)
            }
            _ => Err("frame type not allowed in an Initial packet"),
        }
    }
}

/// A CRYPTO frame's offset, length and data, after its type.
fn crypto_frame<'a>(buf: &'a [u8], pos: &mut usize) -> Result<Frame<'a>, &'static str> {
    let offset = read_varint(buf, pos)?;
    let len = read_varint(buf, pos)?;
    let len = usize::try_from(len).map_err(|_| "CRYPTO frame beyond the payload")?;
    let end = pos
        .checked_add(len)
        .ok_or("CRYPTO frame beyond the payload")?;
    let data = buf
        .get(*pos..end)
        .ok_or("CRYPTO frame beyond the payload")?;
    *pos = end;
    Ok(Frame::Crypto { offset, data })
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.payload.len() {
            return None;
        }
        let item = self.next_frame();
        self.failed = item.is_err();
        Some(item)
    }
}

/// What [`CryptoStream::insert`] did with a frame's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    All,
    /// Part or all of the data lay beyond the buffer cap and was dropped.
    Truncated,
    /// Too many disjoint ranges already: the data was dropped.
    TooFragmented,
}

/// The CRYPTO stream's first bytes, reassembled by offset. The buffer grows to the highest offset
/// received, never past its cap ([`caps::MAX_CRYPTO_BYTES`] by default).
#[derive(Debug)]
pub(crate) struct CryptoStream {
    data: Vec<u8>,
    /// Received byte ranges, sorted, disjoint and not touching (`start < end`).
    ranges: Vec<(usize, usize)>,
    cap: usize,
}

impl Default for CryptoStream {
    fn default() -> Self {
        Self::with_cap(caps::MAX_CRYPTO_BYTES)
    }
}

impl CryptoStream {
    /// An empty stream keeping at most `cap` bytes from offset 0.
    pub(crate) fn with_cap(cap: usize) -> Self {
        CryptoStream {
            data: Vec::new(),
            ranges: Vec::new(),
            cap,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.ranges.clear();
    }

    pub(crate) fn insert(&mut self, offset: u64, data: &[u8]) -> Inserted {
        let cap = self.cap;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(cap);
        let end = start.saturating_add(data.len()).min(cap);
        let kept = end - start;
        let outcome = if kept < data.len() {
            Inserted::Truncated
        } else {
            Inserted::All
        };
        if kept == 0 {
            return outcome;
        }
        if !self.add_range(start, end) {
            return Inserted::TooFragmented;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        if let (Some(dst), Some(src)) = (self.data.get_mut(start..end), data.get(..kept)) {
            dst.copy_from_slice(src);
        }
        outcome
    }

    /// Merges `[start, end)` into the range list; `false` when the list is full.
    fn add_range(&mut self, start: usize, end: usize) -> bool {
        // Ranges overlapping or touching the new one are absorbed into it.
        let first = self.ranges.partition_point(|&(_, e)| e < start);
        let last = self.ranges.partition_point(|&(s, _)| s <= end);
        let (mut new_start, mut new_end) = (start, end);
        if let Some(absorbed) = self.ranges.get(first..last)
            && let (Some(a), Some(b)) = (absorbed.first(), absorbed.last())
        {
            new_start = new_start.min(a.0);
            new_end = new_end.max(b.1);
        }
        if first == last && self.ranges.len() >= caps::MAX_CRYPTO_RANGES {
            return false;
        }
        self.ranges
            .splice(first..last.max(first), [(new_start, new_end)]);
        true
    }

    /// The bytes contiguous from offset 0.
    pub(crate) fn contiguous(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.data.get(..end).unwrap_or_default(),
            _ => &[],
        }
    }
}

#[cfg(test)]
mod padding_tests {
    use super::*;

    /// A PADDING run of any length, word-aligned or not, ends exactly where the next frame starts:
    /// here a CRYPTO frame at offset 0 with data "hi" (type 0x06, offset 0, length 2).
    #[test]
    fn padding_runs_of_every_length_end_at_the_next_frame() {
        for zeros in 1..40 {
            let mut payload = vec![0u8; zeros];
            payload.extend([0x06, 0x00, 0x02, b'h', b'i']);
            payload.extend(vec![0u8; zeros % 9]);
            let frames: Vec<_> = Frames::new(&payload).collect();
            let expected_tail = usize::from(zeros % 9 > 0);
            assert_eq!(frames.len(), 2 + expected_tail, "{zeros} zeros");
            assert_eq!(frames[0], Ok(Frame::Ignored));
            assert_eq!(
                frames[1],
                Ok(Frame::Crypto {
                    offset: 0,
                    data: b"hi"
                }),
                "{zeros} zeros"
            );
        }
    }
}
