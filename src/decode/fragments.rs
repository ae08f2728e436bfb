//! Bounded IPv4/IPv6 fragment reassembly, so that fragmented DNS and QUIC datagrams reach the
//! dissectors whole.
//!
//! Contract
//! - Accepts: one fragment at a time — its key ([`FragKey`]: addresses, protocol / Fragment-header next
//!   header, identification, and a caller-chosen `scope` for VLAN/tunnel context), its byte offset, its
//!   MF flag and its IP payload (after the IPv4 header, or after the IPv6 Fragment header), trimmed by the
//!   caller to the IP total/payload length (Ethernet padding removed), plus the packet time.
//! - Promises: [`FragOutcome::Complete`] hands back the whole reassembled IP payload (L4 header + data),
//!   borrowed from an internal buffer valid until the next call. Memory is bounded by
//!   [`FragmentLimits`]: at most `max_datagrams` datagrams in flight, `max_datagram_bytes` per datagram,
//!   `max_total_bytes` across all of them (counted as each datagram's span, i.e. its highest fragment
//!   end), `max_holes` disjoint received ranges per datagram, and [`IDLE_BUFFERS_MAX`] reusable buffers
//!   kept idle. When a bound is hit, the oldest datagram is evicted and counted. Every drop is counted in
//!   [`FragmentStats`] and reported with a `&'static str` reason.
//! - Never: panics on any input, reads a clock (time is the packet time passed in), allocates per
//!   fragment once buffers are warm (buffers are recycled through a free list).
//!
//! Time: a datagram times out `timeout` of packet time after its first fragment (Linux: `ipfrag_time`,
//! 30 s, also from the first fragment). [`FragmentCache::insert`] expires old datagrams itself before
//! handling the fragment, and [`FragmentCache::expire`] lets the caller do it on a timer tick. Datagrams
//! are kept in creation order, so a capture whose time goes backwards only delays expiry, never hastens it.
//!
//! Overlap policy: **first wins** — bytes already received are kept, only the holes are filled, and every
//! fragment that overlaps earlier data is counted (`overlaps`), separately when the overlapping bytes
//! differ (`overlap_conflicts`, an evasion signal: different receivers would see different data).
//! For reference: Linux since 4.19 (commit 7969e5c40dfd, 2018) drops exact duplicates and discards the
//! whole datagram on any other overlap, for IPv4 as RFC 5722 requires for IPv6; Suricata reassembles
//! per target-OS policy (`host-os-policy`, BSD by default). A monitor wants to see the traffic, so it
//! keeps the datagram and flags the conflict instead of discarding it.
//!
//! Other choices, after Linux `ip_frag_queue`: a last fragment (MF = 0) whose end differs from an
//! earlier last fragment, or that ends before bytes already received, is dropped alone
//! (`inconsistent_length`), as is a fragment carrying bytes past a known end. A zero-length fragment with
//! MF = 1 carries nothing and is ignored (`empty_fragments`); a zero-length last fragment still fixes the
//! datagram length. Middle fragments whose length is not a multiple of 8 are accepted as they are (a
//! monitor is lenient). A fragment ending past `max_datagram_bytes` is dropped with its datagram
//! (`too_big`, the "ping of death" shape). Offset 0 with MF = 0 is an atomic fragment (RFC 6946): it is
//! handed back at once and does not touch datagrams in flight.
//!
//! IPv6 note: RFC 8200 lets the Next Header of the Fragment headers differ between fragments of one
//! packet (only the offset-zero one counts); the key includes it as the caller passes it, so such a
//! packet would never complete and would time out. Real stacks send identical values.

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::time::{NANOS_PER_SEC, Nanos, Timestamp};

/// Reusable buffers kept idle for the next datagrams (each at most `max_datagram_bytes` of capacity).
pub const IDLE_BUFFERS_MAX: usize = 64;

/// Caps of the fragment cache. Defaults follow Linux where it has an equivalent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentLimits {
    /// Datagrams being reassembled at once; the oldest is evicted past this.
    pub max_datagrams: usize,
    /// Highest fragment end (offset + length) accepted: 65535 covers IPv4 and IPv6 without jumbograms.
    /// It bounds the payload only: Linux also counts the IPv4 header (header + payload ≤ 65535), so an
    /// IPv4 datagram up to 60 bytes past that limit is still reassembled here (a monitor is lenient).
    pub max_datagram_bytes: u32,
    /// Bytes buffered across all datagrams in flight (Linux `ipfrag_high_thresh` is 4 MiB per netns).
    pub max_total_bytes: usize,
    /// Packet time a datagram may wait for its missing fragments, from its first fragment.
    pub timeout: Nanos,
    /// Disjoint received ranges per datagram (in-order traffic has one); bounds a tiny-fragment flood.
    pub max_holes: usize,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        FragmentLimits {
            max_datagrams: 4096,
            max_datagram_bytes: 65_535,
            max_total_bytes: 16 * 1024 * 1024,
            timeout: 30 * NANOS_PER_SEC,
            max_holes: 64,
        }
    }
}

/// What identifies one datagram's fragments (RFC 791 / RFC 8200, plus the caller's context).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 protocol, or the Next Header of the IPv6 Fragment header.
    pub protocol: u8,
    /// IPv4 identification (16 bits) or IPv6 Fragment identification (32 bits).
    pub id: u32,
    /// Caller's context (VLAN id, tunnel) so that equal inner headers from different links stay apart.
    pub scope: u32,
}

impl FragKey {
    pub fn v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, id: u16, scope: u32) -> Self {
        FragKey {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
            protocol,
            id: u32::from(id),
            scope,
        }
    }

    pub fn v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, id: u32, scope: u32) -> Self {
        FragKey {
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            protocol: next_header,
            id,
            scope,
        }
    }
}

/// What became of one fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum FragOutcome<'a> {
    /// The datagram is whole: its IP payload, valid until the next call on the cache.
    Complete(&'a [u8]),
    /// Kept; the datagram still misses fragments.
    Pending,
    /// Not kept, with the reason (also counted in [`FragmentStats`]).
    Dropped(&'static str),
}

pub const DROP_TOO_BIG: &str = "fragment ends past the maximum datagram size";
pub const DROP_INCONSISTENT_LENGTH: &str = "fragment disagrees with the datagram's known length";
pub const DROP_TOO_MANY_HOLES: &str = "too many disjoint fragments in one datagram";
pub const DROP_NO_SPACE: &str = "fragment cache byte budget exhausted";

/// Counters of the fragment cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FragmentStats {
    /// Fragments handed to `insert`.
    pub fragments: u64,
    /// Datagrams completed from two or more fragments.
    pub reassembled: u64,
    /// Offset 0 and MF = 0: complete on their own.
    pub atomic: u64,
    /// Datagrams dropped because their timeout passed.
    pub timed_out: u64,
    /// Datagrams dropped to make room (datagram count or byte budget).
    pub evicted_for_space: u64,
    /// Fragments that overlapped bytes already received (duplicates included).
    pub overlaps: u64,
    /// Overlapping fragments whose bytes differed from the bytes kept.
    pub overlap_conflicts: u64,
    /// Fragments ending past `max_datagram_bytes` (their datagram is dropped too).
    pub too_big: u64,
    /// Fragments contradicting the known datagram length.
    pub inconsistent_length: u64,
    /// Datagrams dropped for exceeding `max_holes`.
    pub too_many_holes: u64,
    /// Zero-length fragments with MF = 1, ignored.
    pub empty_fragments: u64,
    /// Fragments dropped because one datagram alone exceeded the byte budget.
    pub no_space: u64,
}

const NIL: u32 = u32::MAX;

/// One datagram being reassembled; slots are reused, linked oldest → newest.
#[derive(Debug)]
struct Datagram {
    key: FragKey,
    /// The index hash of `key`, kept so that releasing the slot does not hash again.
    hash: u64,
    first_seen: Timestamp,
    buf: Vec<u8>,
    /// Received byte ranges, sorted, disjoint, merged when adjacent.
    ranges: Vec<(u32, u32)>,
    total_len: Option<u32>,
    prev: u32,
    next: u32,
}

/// Bounded reassembly of fragmented IP datagrams. See the module documentation.
#[derive(Debug)]
pub struct FragmentCache {
    limits: FragmentLimits,
    slots: Vec<Datagram>,
    free_slots: Vec<u32>,
    /// Slot ids by the hash of their key (the key lives in the slot). Fragment keys are chosen by
    /// whoever sends the packets: the hasher is randomly seeded per cache (foldhash's `RandomState`),
    /// and costs a fraction of SipHash on these 40-byte keys.
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    oldest: u32,
    newest: u32,
    idle_buffers: Vec<Vec<u8>>,
    buffered: usize,
    out: Vec<u8>,
    stats: FragmentStats,
}

impl FragmentCache {
    pub fn new(limits: FragmentLimits) -> Self {
        FragmentCache {
            limits,
            slots: Vec::new(),
            free_slots: Vec::new(),
            index: hashbrown::HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            oldest: NIL,
            newest: NIL,
            idle_buffers: Vec::new(),
            buffered: 0,
            out: Vec::new(),
            stats: FragmentStats::default(),
        }
    }

    pub fn limits(&self) -> &FragmentLimits {
        &self.limits
    }

    pub fn stats(&self) -> &FragmentStats {
        &self.stats
    }

    /// Datagrams waiting for fragments.
    pub fn in_flight(&self) -> usize {
        self.index.len()
    }

    /// Bytes reserved by the datagrams in flight (the sum of their spans).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// When the oldest datagram times out, if any is in flight.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.slot(self.oldest)
            .map(|d| d.first_seen.saturating_add(self.limits.timeout))
    }

    /// Drops the datagrams whose timeout has passed at packet time `now`.
    pub fn expire(&mut self, now: Timestamp) {
        while let Some(d) = self.slot(self.oldest) {
            if now.since(d.first_seen) < self.limits.timeout {
                break;
            }
            self.stats.timed_out += 1;
            self.release_slot(self.oldest);
        }
    }

    /// Adds one fragment. `offset` is in bytes, `more` is the MF flag, `payload` the fragment's bytes.
    pub fn insert(
        &mut self,
        now: Timestamp,
        key: FragKey,
        offset: u32,
        more: bool,
        payload: &[u8],
    ) -> FragOutcome<'_> {
        self.stats.fragments += 1;
        self.expire(now);

        let hash = self.hasher.hash_one(key);
        let end = u64::from(offset).saturating_add(payload.len() as u64);
        if end > u64::from(self.limits.max_datagram_bytes) {
            self.stats.too_big += 1;
            if let Some(idx) = self.find(hash, &key) {
                self.release_slot(idx);
            }
            return FragOutcome::Dropped(DROP_TOO_BIG);
        }
        // Fits in u32: bounded by max_datagram_bytes just above.
        let end = end as u32;

        if offset == 0 && !more {
            self.stats.atomic += 1;
            self.out.clear();
            self.out.extend_from_slice(payload);
            return FragOutcome::Complete(&self.out);
        }
        if payload.is_empty() && more {
            self.stats.empty_fragments += 1;
            return FragOutcome::Pending;
        }

        let idx = match self.find(hash, &key) {
            Some(idx) => idx,
            None => self.create(now, key, hash),
        };
        match self.place(idx, offset, end, more, payload) {
            Ok(true) => {
                self.stats.reassembled += 1;
                let len = self.slot(idx).and_then(|d| d.total_len).unwrap_or(0);
                if let Some(d) = self.slots.get_mut(idx as usize) {
                    // Hand the datagram's buffer out and recycle the previous output buffer.
                    self.buffered = self.buffered.saturating_sub(d.buf.len());
                    std::mem::swap(&mut self.out, &mut d.buf);
                    d.buf.clear();
                }
                self.release_slot(idx);
                FragOutcome::Complete(self.out.get(..len as usize).unwrap_or(&[]))
            }
            Ok(false) => FragOutcome::Pending,
            Err(reason) => FragOutcome::Dropped(reason),
        }
    }

    /// Places one fragment into datagram `idx`; `Ok(true)` when the datagram is now complete.
    fn place(
        &mut self,
        idx: u32,
        offset: u32,
        end: u32,
        more: bool,
        payload: &[u8],
    ) -> Result<bool, &'static str> {
        let Some(d) = self.slots.get(idx as usize) else {
            return Err(DROP_NO_SPACE);
        };
        let received_end = d.ranges.last().map_or(0, |r| r.1);
        let consistent = match (more, d.total_len) {
            (false, Some(total)) => end == total,
            (false, None) => end >= received_end,
            (true, Some(total)) => end <= total,
            (true, None) => true,
        };
        if !consistent {
            self.stats.inconsistent_length += 1;
            return Err(DROP_INCONSISTENT_LENGTH);
        }

        let growth = (end as usize).saturating_sub(d.buf.len());
        if growth > 0 && !self.make_room(idx, growth) {
            self.stats.no_space += 1;
            self.release_slot(idx);
            return Err(DROP_NO_SPACE);
        }

        let max_bytes = self.limits.max_datagram_bytes as usize;
        let max_holes = self.limits.max_holes;
        let Some(d) = self.slots.get_mut(idx as usize) else {
            return Err(DROP_NO_SPACE);
        };
        // The buffer grows to `end` (by `growth`) in `grow_and_place`, error or not.
        self.buffered = self.buffered.saturating_add(growth);
        let placed = match grow_and_place(
            &mut d.buf,
            max_bytes,
            &mut d.ranges,
            offset,
            payload,
            max_holes,
        ) {
            Ok(p) => p,
            Err(reason) => {
                if reason == DROP_TOO_MANY_HOLES {
                    self.stats.too_many_holes += 1;
                }
                self.release_slot(idx);
                return Err(reason);
            }
        };
        if !more {
            d.total_len = Some(end);
        }
        if placed.overlap_bytes > 0 {
            self.stats.overlaps += 1;
        }
        if placed.conflicting {
            self.stats.overlap_conflicts += 1;
        }
        Ok(matches!((d.total_len, d.ranges.as_slice()), (Some(t), [(0, e)]) if *e == t))
    }

    /// Evicts the oldest other datagrams until `growth` more bytes fit the budget.
    fn make_room(&mut self, keep: u32, growth: usize) -> bool {
        while self.buffered.saturating_add(growth) > self.limits.max_total_bytes {
            let victim = if self.oldest == keep {
                self.slot(keep).map_or(NIL, |d| d.next)
            } else {
                self.oldest
            };
            if victim == NIL {
                return false;
            }
            self.stats.evicted_for_space += 1;
            self.release_slot(victim);
        }
        true
    }

    /// Starts a datagram for `key`, evicting the oldest when the datagram cap is reached.
    fn create(&mut self, now: Timestamp, key: FragKey, hash: u64) -> u32 {
        while self.index.len() >= self.limits.max_datagrams.max(1) && self.oldest != NIL {
            self.stats.evicted_for_space += 1;
            self.release_slot(self.oldest);
        }
        let buf = self.idle_buffers.pop().unwrap_or_default();
        let idx = match self.free_slots.pop() {
            Some(idx) => idx,
            None => {
                self.slots.push(Datagram {
                    key,
                    hash,
                    first_seen: now,
                    buf: Vec::new(),
                    ranges: Vec::new(),
                    total_len: None,
                    prev: NIL,
                    next: NIL,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let newest = self.newest;
        if let Some(d) = self.slots.get_mut(idx as usize) {
            d.key = key;
            d.hash = hash;
            d.first_seen = now;
            d.buf = buf;
            d.ranges.clear();
            d.total_len = None;
            d.prev = newest;
            d.next = NIL;
        }
        match self.slots.get_mut(newest as usize) {
            Some(n) => n.next = idx,
            None => self.oldest = idx,
        }
        self.newest = idx;
        let slots = &self.slots;
        self.index
            .insert_unique(hash, idx, |&i| slots.get(i as usize).map_or(0, |d| d.hash));
        idx
    }

    /// The slot id of the datagram in flight with `key` (`hash` is its index hash).
    fn find(&self, hash: u64, key: &FragKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| {
                slots.get(i as usize).is_some_and(|d| d.key == *key)
            })
            .copied()
    }

    /// Forgets datagram `idx`: unlinks it, recycles its buffer, frees its slot.
    fn release_slot(&mut self, idx: u32) {
        let Some(d) = self.slots.get_mut(idx as usize) else {
            return;
        };
        // Only a slot in flight is indexed (under its own id): a freed slot is left alone.
        match self.index.find_entry(d.hash, |&i| i == idx) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => return,
        }
        let (prev, next) = (d.prev, d.next);
        let mut buf = std::mem::take(&mut d.buf);
        self.buffered = self.buffered.saturating_sub(buf.len());
        d.ranges.clear();
        d.total_len = None;
        d.prev = NIL;
        d.next = NIL;
        match self.slots.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.oldest = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.newest = prev,
        }
        self.free_slots.push(idx);
        buf.clear();
        if self.idle_buffers.len() < IDLE_BUFFERS_MAX
            && buf.capacity() > 0
            && buf.capacity() <= self.limits.max_datagram_bytes as usize
        {
            self.idle_buffers.push(buf);
        }
    }

    fn slot(&self, idx: u32) -> Option<&Datagram> {
        self.slots.get(idx as usize)
    }
}

/// Grows `buf` to `len` zero bytes, never reserving past `max` (plain `resize` may double past it).
pub(crate) fn grow_bounded(buf: &mut Vec<u8>, len: usize, max: usize) {
    reserve_bounded(buf, len, max);
    if len > buf.len() {
        buf.resize(len, 0);
    }
}

/// [`grow_bounded`] to `start + data.len()`, then [`place_first_wins`], with the same result and
/// errors, but data written past the received bytes (in-order traffic: the common case) is appended
/// instead of zero-filled and then copied over.
pub(crate) fn grow_and_place(
    buf: &mut Vec<u8>,
    max: usize,
    ranges: &mut Vec<(u32, u32)>,
    start: u32,
    data: &[u8],
    max_ranges: usize,
) -> Result<Placement, &'static str> {
    let end = (start as usize).saturating_add(data.len());
    // Every received range lies inside `buf`: data at or past its end overlaps none of them and
    // touches at most the last one (when adjacent).
    let appends = start as usize >= buf.len() && !data.is_empty() && u32::try_from(end).is_ok();
    if !appends {
        grow_bounded(buf, end, max);
        return place_first_wins(buf, ranges, start, data, max_ranges);
    }
    let merges = ranges.last().is_some_and(|r| r.1 == start);
    if !merges && ranges.len() >= max_ranges {
        grow_bounded(buf, end, max);
        return Err(DROP_TOO_MANY_HOLES);
    }
    reserve_bounded(buf, end, max);
    buf.resize(start as usize, 0);
    buf.extend_from_slice(data);
    // Fits: checked above.
    let end = end as u32;
    match ranges.last_mut() {
        Some(last) if merges => last.1 = end,
        _ => ranges.push((start, end)),
    }
    Ok(Placement {
        new_bytes: end - start,
        overlap_bytes: 0,
        conflicting: false,
    })
}

/// Reserves room for `len` bytes as [`grow_bounded`] does, without writing any.
fn reserve_bounded(buf: &mut Vec<u8>, len: usize, max: usize) {
    if len > buf.capacity() {
        let target = buf.capacity().saturating_mul(2).clamp(len, max.max(len));
        buf.reserve_exact(target - buf.len());
    }
}

/// How a write of bytes met the bytes already received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Bytes written into holes.
    pub new_bytes: u32,
    /// Bytes that fell on already received bytes (not written: first wins).
    pub overlap_bytes: u32,
    /// Some overlapping byte differed from the byte kept.
    pub conflicting: bool,
}

pub(crate) const DROP_OUTSIDE_BUFFER: &str = "bytes outside the reassembly buffer";

/// Writes `data` at `start` into `buf` where no byte was received yet (first wins), compares the
/// overlapping bytes, and merges `[start, start + len)` into `ranges` (sorted, disjoint, adjacent ranges
/// merged). Fails without writing when the range would leave `buf`, or would make `ranges` longer than
/// `max_ranges`.
pub(crate) fn place_first_wins(
    buf: &mut [u8],
    ranges: &mut Vec<(u32, u32)>,
    start: u32,
    data: &[u8],
    max_ranges: usize,
) -> Result<Placement, &'static str> {
    let len = u32::try_from(data.len()).map_err(|_| DROP_OUTSIDE_BUFFER)?;
    let end = start.checked_add(len).ok_or(DROP_OUTSIDE_BUFFER)?;
    if end as usize > buf.len() {
        return Err(DROP_OUTSIDE_BUFFER);
    }
    if len == 0 {
        return Ok(Placement::default());
    }
    // Ranges touching [start, end] (adjacent ones included) are ranges[first..last].
    let first = ranges.partition_point(|r| r.1 < start);
    let last = ranges.partition_point(|r| r.0 <= end);
    if first == last && ranges.len() >= max_ranges {
        return Err(DROP_TOO_MANY_HOLES);
    }

    let mut placed = Placement::default();
    let mut cursor = start;
    let touching = ranges.get(first..last).unwrap_or(&[]);
    for &(r_start, r_end) in touching {
        let hole_end = r_start.min(end);
        if hole_end > cursor {
            copy_part(buf, data, start, cursor, hole_end);
            placed.new_bytes += hole_end - cursor;
        }
        let (o_start, o_end) = (r_start.max(cursor), r_end.min(end));
        if o_end > o_start {
            placed.overlap_bytes += o_end - o_start;
            let kept = buf.get(o_start as usize..o_end as usize);
            let offered = data
                .get(o_start.saturating_sub(start) as usize..o_end.saturating_sub(start) as usize);
            if kept != offered {
                placed.conflicting = true;
            }
        }
        cursor = cursor.max(r_end.min(end));
    }
    if end > cursor {
        copy_part(buf, data, start, cursor, end);
        placed.new_bytes += end - cursor;
    }

    let merged_start = touching.first().map_or(start, |r| r.0.min(start));
    let merged_end = touching.last().map_or(end, |r| r.1.max(end));
    if first == last {
        ranges.insert(first, (merged_start, merged_end));
    } else {
        if let Some(r) = ranges.get_mut(first) {
            *r = (merged_start, merged_end);
        }
        ranges.drain(first + 1..last);
    }
    Ok(placed)
}

/// Copies `data[from - start .. to - start]` to `buf[from..to]` (both checked by the caller).
fn copy_part(buf: &mut [u8], data: &[u8], start: u32, from: u32, to: u32) {
    let src = data.get(from.saturating_sub(start) as usize..to.saturating_sub(start) as usize);
    let dst = buf.get_mut(from as usize..to as usize);
    if let (Some(src), Some(dst)) = (src, dst) {
        dst.copy_from_slice(src);
    }
}
