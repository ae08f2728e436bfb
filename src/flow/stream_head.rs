//! The first bytes of one TCP direction, in sequence order ("stream head"), for the dissectors that need
//! a whole ClientHello or HTTP request line.
//!
//! Contract
//! - Accepts: the direction's SYN (its ISN), then its segments as `(sequence number, payload)` in any
//!   order, repeated or overlapping.
//! - Promises: [`StreamHead::bytes`] is the contiguous run of bytes from the stream start, at most `cap`
//!   long; [`StreamHead::on_segment`] says when that run grew. Memory: nothing on the heap until the first
//!   payload byte, then at most `cap` bytes of buffer plus [`MAX_PENDING_SEGMENTS`] + 1 ranges;
//!   [`StreamHead::release`] frees everything.
//! - Never: panics on any input, allocates per segment once the buffer has grown (growth is amortised
//!   and never reserves past `cap`), reads a clock.
//!
//! Anchor: after [`StreamHead::on_syn`] byte 0 is `isn + 1`. Without a SYN (the capture started
//! mid-stream) the first payload segment seen anchors the stream: byte 0 is then wherever the capture
//! caught the stream, **not** the stream start ([`StreamHead::anchored_at_syn`] tells which). Bytes
//! before the anchor are ignored (counted as `old`), and a segment that straddles the anchor is trimmed.
//! Sequence numbers are compared with wrapping (mod 2^32) arithmetic: offsets are taken relative to the
//! anchor as signed 32-bit distances, and `cap` is kept far below 2^31.
//!
//! Order: segments past a hole are held in place in the buffer (bounded by `cap` bytes). A hole that
//! stays open while more than [`MAX_PENDING_SEGMENTS`] further segments arrive means the missing bytes
//! were probably never captured: the head gives up ([`HeadState::Gap`]), keeping what is contiguous.
//! Retransmissions and overlaps: **first received bytes win** (as in the fragment cache); a segment that
//! brings no new byte counts as `retransmitted`, and one whose overlapping bytes differ from the kept ones
//! counts as `overlaps_conflicting` (different receivers could see different data). Bytes past `cap` are
//! dropped; once the contiguous run reaches `cap` the state is [`HeadState::Full`].

use crate::decode::fragments::grow_and_place;

/// Default number of first bytes kept per direction: a ClientHello with post-quantum key shares
/// (~1.8 KB) or a long HTTP request head fits with room to spare.
pub const DEFAULT_STREAM_HEAD_CAP: usize = 16 * 1024;
/// Largest cap accepted by [`StreamHead::new`] (keeps offsets far from the 2^31 wrap horizon).
pub const MAX_STREAM_HEAD_CAP: usize = 1024 * 1024;
/// Segments that may arrive past an open hole before the head gives up on it.
pub const MAX_PENDING_SEGMENTS: usize = 32;

pub const GAP_NEVER_FILLED: &str = "hole not filled within the out-of-order bound";

/// Where the head stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadState {
    /// Taking bytes.
    Collecting,
    /// The contiguous run reached the cap; later bytes are ignored.
    Full,
    /// Gave up on a hole (the reason); the contiguous bytes before it remain readable.
    Gap(&'static str),
    /// The dissector is done: memory freed, further data ignored.
    Released,
}

/// Counters of one stream head.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamHeadStats {
    /// Payload segments offered while collecting.
    pub segments: u32,
    /// Segments that started past the contiguous end (a hole before them).
    pub out_of_order: u32,
    /// Segments that brought no new byte (all already received).
    pub retransmitted: u32,
    /// Segments whose overlapping bytes differed from the bytes kept.
    pub overlaps_conflicting: u32,
    /// Segments entirely before the anchor.
    pub old: u32,
    /// Segments starting at or past the cap.
    pub beyond_cap: u32,
    /// Times the head abandoned a hole (0 or 1).
    pub gave_up: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    None,
    Syn(u32),
    MidStream(u32),
}

/// The first bytes of one TCP direction. See the module documentation.
#[derive(Debug)]
pub struct StreamHead {
    buf: Vec<u8>,
    /// Received ranges relative to the anchor: sorted, disjoint, merged.
    ranges: Vec<(u32, u32)>,
    cap: u32,
    anchor: Anchor,
    /// Segments received while a hole stays open.
    held: u32,
    state: HeadState,
    stats: StreamHeadStats,
}

impl StreamHead {
    /// A head keeping at most `cap` bytes (clamped to [`MAX_STREAM_HEAD_CAP`]; 0 keeps nothing).
    pub fn new(cap: usize) -> Self {
        let cap = cap.min(MAX_STREAM_HEAD_CAP) as u32;
        StreamHead {
            buf: Vec::new(),
            ranges: Vec::new(),
            cap,
            anchor: Anchor::None,
            held: 0,
            state: if cap == 0 {
                HeadState::Full
            } else {
                HeadState::Collecting
            },
            stats: StreamHeadStats::default(),
        }
    }

    /// The direction's SYN: the first payload byte is `isn + 1`. Ignored once payload was taken.
    pub fn on_syn(&mut self, isn: u32) {
        if self.state == HeadState::Collecting && self.ranges.is_empty() {
            self.anchor = Anchor::Syn(isn.wrapping_add(1));
        }
    }

    /// Takes one segment; true when new contiguous bytes were appended at the end of [`Self::bytes`].
    pub fn on_segment(&mut self, seq: u32, payload: &[u8]) -> bool {
        if self.state != HeadState::Collecting || payload.is_empty() {
            return false;
        }
        self.stats.segments = self.stats.segments.saturating_add(1);
        let anchor = match self.anchor {
            Anchor::Syn(a) | Anchor::MidStream(a) => a,
            Anchor::None => {
                self.anchor = Anchor::MidStream(seq);
                seq
            }
        };

        // Signed distance from the anchor, mod 2^32: a segment just before a wrap stays "before".
        let rel = i64::from(seq.wrapping_sub(anchor) as i32);
        let end = rel + payload.len() as i64;
        if end <= 0 {
            self.stats.old = self.stats.old.saturating_add(1);
            return false;
        }
        let skip = (-rel).max(0) as usize;
        let start = rel.max(0) as u64;
        if start >= u64::from(self.cap) {
            self.stats.beyond_cap = self.stats.beyond_cap.saturating_add(1);
            self.note_held();
            return false;
        }
        // start < cap ≤ 2^20, so it fits u32; the kept length is clipped to the cap.
        let start = start as u32;
        let room = (self.cap - start) as usize;
        let data = payload.get(skip..).unwrap_or(&[]);
        let data = data.get(..data.len().min(room)).unwrap_or(&[]);

        let before = self.contiguous();
        let placed = match grow_and_place(
            &mut self.buf,
            self.cap as usize,
            &mut self.ranges,
            start,
            data,
            MAX_PENDING_SEGMENTS + 1,
        ) {
            Ok(placed) => placed,
            Err(reason) => {
                self.give_up(reason);
                return false;
            }
        };
        if placed.new_bytes == 0 {
            self.stats.retransmitted = self.stats.retransmitted.saturating_add(1);
        }
        if placed.conflicting {
            self.stats.overlaps_conflicting = self.stats.overlaps_conflicting.saturating_add(1);
        }
        if start > before {
            self.stats.out_of_order = self.stats.out_of_order.saturating_add(1);
        }

        let after = self.contiguous();
        if after >= self.cap {
            self.state = HeadState::Full;
            self.held = 0;
        } else if self.hole_open() {
            if placed.new_bytes > 0 && start > after {
                self.note_held();
            }
        } else {
            self.held = 0;
        }
        after > before
    }

    /// Whether a segment at `seq` would be placed at byte 0 of a head still empty and collecting:
    /// [`Self::on_segment`] would then make [`Self::bytes`] that segment's payload cut to
    /// [`Self::cap`], and return true (for a non-empty payload).
    pub fn starts_empty(&self, seq: u32) -> bool {
        self.state == HeadState::Collecting
            && self.ranges.is_empty()
            && match self.anchor {
                Anchor::None => true,
                Anchor::Syn(a) | Anchor::MidStream(a) => a == seq,
            }
    }

    /// Most bytes kept.
    pub fn cap(&self) -> usize {
        self.cap as usize
    }

    /// Contiguous bytes from the anchor (the stream start when [`Self::anchored_at_syn`]).
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.contiguous() as usize).unwrap_or(&[])
    }

    /// The dissector is done: frees the buffer and ignores further data.
    pub fn release(&mut self) {
        self.buf = Vec::new();
        self.ranges = Vec::new();
        self.held = 0;
        self.state = HeadState::Released;
    }

    pub fn state(&self) -> HeadState {
        self.state
    }

    pub fn stats(&self) -> &StreamHeadStats {
        &self.stats
    }

    /// True when byte 0 is the byte after the SYN; false when the head was anchored mid-stream (or
    /// not anchored yet).
    pub fn anchored_at_syn(&self) -> bool {
        matches!(self.anchor, Anchor::Syn(_))
    }

    /// Sequence number of byte 0, once known.
    pub fn anchor_seq(&self) -> Option<u32> {
        match self.anchor {
            Anchor::Syn(a) | Anchor::MidStream(a) => Some(a),
            Anchor::None => None,
        }
    }

    /// Heap bytes held by this head (buffer and range list capacities).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ranges.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    fn contiguous(&self) -> u32 {
        match self.ranges.first() {
            Some(&(0, end)) => end,
            _ => 0,
        }
    }

    fn hole_open(&self) -> bool {
        !matches!(self.ranges.as_slice(), [] | [(0, _)])
    }

    /// One more segment arrived past an open hole; give up past the bound.
    fn note_held(&mut self) {
        if !self.hole_open() {
            return;
        }
        self.held = self.held.saturating_add(1);
        if self.held as usize > MAX_PENDING_SEGMENTS {
            self.give_up(GAP_NEVER_FILLED);
        }
    }

    fn give_up(&mut self, reason: &'static str) {
        let keep = self.contiguous();
        self.buf.truncate(keep as usize);
        self.ranges.truncate(usize::from(keep > 0));
        self.held = 0;
        self.stats.gave_up = self.stats.gave_up.saturating_add(1);
        self.state = HeadState::Gap(reason);
    }
}
