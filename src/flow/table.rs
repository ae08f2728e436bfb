//! The bounded flow table: a slab of flows, a hash index, and recency lists per timeout class.
//!
//! Each class (TCP, UDP, other, closed TCP) keeps an intrusive doubly-linked list ordered by last
//! packet time, newest at the head. A flow moves to the head at most once per second of packet time,
//! so ordering is exact to the second and the hot path usually touches only the flow itself. Idle
//! timeouts pop list tails; a full table evicts the least recently seen tail of all classes.
//!
//! The index holds slot ids only; each slot keeps its flow's key in a compact integer form
//! (`SlotKey`) and the key's hash, so a lookup builds, hashes and compares a few words and ending a
//! flow never hashes again. An ended flow stays in its slot (out of the index and the lists, not
//! visible through `get`/`iter`) until [`FlowTable::drain_ended`] moves it out.

use super::{
    Counters, Direction, EndReason, EndedFlow, Flow, FlowKey, TcpState, first_sender_is_client,
};
use crate::decode::{L4, Packet, TCP_FIN, TCP_RST, TCP_SYN};
use crate::flow::stream_head::{DEFAULT_STREAM_HEAD_CAP, StreamHead};
use crate::time::{NANOS_PER_SEC, Nanos, Timestamp};
use std::hash::BuildHasher;

/// Index of a live flow in the table's slab. Valid until the flow ends.
pub type FlowId = u32;

const NIL: u32 = u32::MAX;
const CLASSES: usize = 4;
const TCP: usize = 0;
const UDP: usize = 1;
const OTHER: usize = 2;
const CLOSING: usize = 3;
/// The class of a slot whose flow ended and waits in the slot to be drained (in no list).
const ENDED: u8 = u8::MAX;
/// Flows from the future moved aside per class and sweep (see `handle_timeout`).
const MAX_ROTATIONS: usize = 4096;

/// Sizes and timeouts, all in packet time.
#[derive(Clone, Debug)]
pub struct FlowLimits {
    pub max_flows: usize,
    pub tcp_idle: Nanos,
    pub udp_idle: Nanos,
    pub other_idle: Nanos,
    /// How long a closed (FIN/RST) TCP flow lingers to absorb the last ACKs and retransmissions.
    pub tcp_close_linger: Nanos,
    pub stream_head_cap: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            max_flows: 1_000_000,
            tcp_idle: 300 * NANOS_PER_SEC,
            udp_idle: 60 * NANOS_PER_SEC,
            other_idle: 60 * NANOS_PER_SEC,
            tcp_close_linger: 5 * NANOS_PER_SEC,
            stream_head_cap: DEFAULT_STREAM_HEAD_CAP,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub created: u64,
    pub evicted: u64,
    pub timed_out: u64,
    pub closed: u64,
    pub peak_active: u64,
}

/// What `ingest` did with a packet.
#[derive(Clone, Copy, Debug)]
pub struct Ingested {
    pub id: FlowId,
    pub dir: Direction,
    pub new_flow: bool,
    /// The packet's payload extended the contiguous head of its direction's stream.
    pub head_grew: bool,
    /// From [`FlowTable::ingest_lazy`] only: the payload would start the head of its direction, empty
    /// so far, and was *not* buffered (at this data sequence number). The head's bytes are then
    /// the payload cut to the head's cap ([`StreamHead::cap`]); the caller buffers it with
    /// [`StreamHead::on_segment`] unless it needs no more bytes.
    pub unbuffered_seq: Option<u32>,
}

#[derive(Debug)]
struct Slot<T> {
    /// The flow's key in the compact form the index compares, and its index hash (kept so that
    /// ending the flow or growing the index never hashes again). Stale once `flow` is `None`.
    key: SlotKey,
    hash: u64,
    flow: Option<Flow<T>>,
    prev: u32,
    next: u32,
    class: u8,
    moved_sec: u64,
}

#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
}

#[derive(Debug)]
pub struct FlowTable<T> {
    limits: FlowLimits,
    /// Slot ids by the hash of their flow's key. The key itself lives only in the slot: a lookup
    /// touches the small id table and then the slot it needs anyway (a map holding key copies costs
    /// one more cache miss per packet, and ~50 bytes per reserved entry).
    index: hashbrown::HashTable<u32>,
    hasher: KeyHasher,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    lists: [List; CLASSES],
    /// Slots whose flow ended, in the order they ended, with why. The flows stay in their slots
    /// until drained: a flow is moved once, when drained, instead of into a queue first.
    ended: Vec<(u32, EndReason)>,
    stats: TableStats,
}

impl<T: Default> FlowTable<T> {
    pub fn new(limits: FlowLimits) -> Self {
        // Reserve for a busy link up front: growing by doubling would copy every live flow.
        let reserve = limits.max_flows.min(1 << 16);
        FlowTable {
            index: hashbrown::HashTable::with_capacity(reserve),
            hasher: KeyHasher::new(),
            slots: Vec::with_capacity(reserve),
            limits,
            free: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; CLASSES],
            ended: Vec::new(),
            stats: TableStats::default(),
        }
    }

    pub fn limits(&self) -> &FlowLimits {
        &self.limits
    }

    pub fn stats(&self) -> TableStats {
        self.stats
    }

    pub fn active(&self) -> usize {
        self.index.len()
    }

    pub fn get(&self, id: FlowId) -> Option<&Flow<T>> {
        let slot = self.slots.get(id as usize)?;
        if slot.class == ENDED {
            return None;
        }
        slot.flow.as_ref()
    }

    pub fn get_mut(&mut self, id: FlowId) -> Option<&mut Flow<T>> {
        let slot = self.slots.get_mut(id as usize)?;
        if slot.class == ENDED {
            return None;
        }
        slot.flow.as_mut()
    }

    /// Iterates live flows (unordered).
    pub fn iter(&self) -> impl Iterator<Item = &Flow<T>> {
        self.slots
            .iter()
            .filter(|s| s.class != ENDED)
            .filter_map(|s| s.flow.as_ref())
    }

    /// Whether flows ended since the last [`FlowTable::drain_ended`].
    pub fn has_ended(&self) -> bool {
        !self.ended.is_empty()
    }

    /// Takes the flows that ended since the last call, in the order they ended (flows left in the
    /// iterator when it is dropped are dropped with it).
    pub fn drain_ended(&mut self) -> DrainEnded<'_, T> {
        DrainEnded {
            ids: self.ended.drain(..),
            slots: &mut self.slots,
            free: &mut self.free,
        }
    }

    /// Accounts one packet to its flow, creating the flow if needed.
    pub fn ingest(&mut self, pkt: &Packet<'_>) -> Ingested {
        self.ingest_with(pkt, false)
    }

    /// As [`FlowTable::ingest`], but a payload that would be the whole head of its direction so far
    /// is left to the caller (see [`Ingested::unbuffered_seq`]): a dissector that finds all it needs
    /// in the first segment never has it copied.
    pub fn ingest_lazy(&mut self, pkt: &Packet<'_>) -> Ingested {
        self.ingest_with(pkt, true)
    }

    #[inline(always)]
    fn ingest_with(&mut self, pkt: &Packet<'_>, lazy: bool) -> Ingested {
        let (key, src_is_lo) = SlotKey::of(pkt);
        let hash = self.hasher.hash(&key);
        let now = pkt.ts;
        let mut id = self.find(hash, &key);

        // A new SYN on a closed or reset connection is a new connection (port reuse).
        if let Some(old) = id
            && let L4::Tcp { flags, .. } = pkt.l4
            && flags & TCP_SYN != 0
            && self.slots[old as usize].class as usize == CLOSING
        {
            let reason = self.slots[old as usize]
                .flow
                .as_ref()
                .and_then(|f| f.tcp.closed())
                .unwrap_or(EndReason::Fin);
            self.end(old, reason);
            id = None;
        }

        let new_flow = id.is_none();
        let id = match id {
            Some(id) => id,
            None => self.create(key, hash, src_is_lo, pkt),
        };
        let slot = &mut self.slots[id as usize];
        let Some(flow) = slot.flow.as_mut() else {
            // Unreachable by construction: indexed slots always hold a flow.
            return Ingested {
                id,
                dir: Direction::ClientToServer,
                new_flow,
                head_grew: false,
                unbuffered_seq: None,
            };
        };
        let dir = if src_is_lo == flow.client_is_lo {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        // Captures are not always in time order (merged files, multi-queue NICs): a flow spans
        // its earliest to its latest frame.
        if now > flow.last_ts {
            flow.last_ts = now;
        } else if now < flow.first_ts {
            flow.first_ts = now;
        }
        // One add through a chosen reference, rather than a branch per direction.
        let counters = match dir {
            Direction::ClientToServer => &mut flow.c2s,
            Direction::ServerToClient => &mut flow.s2c,
        };
        counters.add(pkt);
        let mut head_grew = false;
        let mut unbuffered_seq = None;
        let mut class = slot.class as usize;
        if let L4::Tcp { seq, flags, .. } = pkt.l4 {
            let head = match dir {
                Direction::ClientToServer => &mut flow.client_head,
                Direction::ServerToClient => &mut flow.server_head,
            };
            if flags & TCP_SYN != 0 {
                flow.tcp.syn_seen = true;
                head.on_syn(seq);
            }
            if !pkt.payload.is_empty() {
                // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
                let data_seq = if flags & TCP_SYN != 0 {
                    seq.wrapping_add(1)
                } else {
                    seq
                };
                if lazy && head.starts_empty(data_seq) {
                    head_grew = true;
                    unbuffered_seq = Some(data_seq);
                } else {
                    head_grew = head.on_segment(data_seq, pkt.payload);
                }
            }
            if flags & TCP_RST != 0 {
                flow.tcp.rst = true;
            }
            if flags & TCP_FIN != 0 {
                match dir {
                    Direction::ClientToServer => flow.tcp.client_fin = true,
                    Direction::ServerToClient => flow.tcp.server_fin = true,
                }
            }
            if class != CLOSING && flow.tcp.closed().is_some() {
                class = CLOSING;
            }
        }
        let sec = now.as_secs();
        if class != slot.class as usize {
            self.unlink(id);
            self.push_front(id, class);
            self.slots[id as usize].moved_sec = sec;
        } else if slot.moved_sec != sec {
            slot.moved_sec = sec;
            self.unlink(id);
            self.push_front(id, class);
        }
        Ingested {
            id,
            dir,
            new_flow,
            head_grew,
            unbuffered_seq,
        }
    }

    /// The slot id of the live flow with `key` (`hash` is its index hash). Indexed slots always
    /// hold a live flow, so the compact key alone decides.
    fn find(&self, hash: u64, key: &SlotKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash, |&id| {
                slots.get(id as usize).is_some_and(|s| s.key == *key)
            })
            .copied()
    }

    fn create(&mut self, skey: SlotKey, hash: u64, src_is_lo: bool, pkt: &Packet<'_>) -> u32 {
        let (key, _) = FlowKey::of(pkt);
        if self.index.len() >= self.limits.max_flows.max(1) {
            self.evict_oldest();
        }
        let first_is_client = first_sender_is_client(pkt);
        let is_tcp = matches!(pkt.l4, L4::Tcp { .. });
        let cap = if is_tcp {
            self.limits.stream_head_cap
        } else {
            0
        };
        let flow = Flow {
            key,
            client_is_lo: src_is_lo == first_is_client,
            first_ts: pkt.ts,
            last_ts: pkt.ts,
            c2s: Counters::default(),
            s2c: Counters::default(),
            tunnel: pkt.tunnel,
            tcp: TcpState::default(),
            client_head: StreamHead::new(cap),
            server_head: StreamHead::new(cap),
            data: T::default(),
        };
        let class = match pkt.proto {
            6 => TCP,
            17 => UDP,
            _ => OTHER,
        };
        let slot = Slot {
            key: skey,
            hash,
            flow: Some(flow),
            prev: NIL,
            next: NIL,
            class: class as u8,
            moved_sec: pkt.ts.as_secs(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.push_front(id, class);
        let slots = &self.slots;
        self.index.insert_unique(hash, id, |&other| {
            slots.get(other as usize).map_or(0, |s| s.hash)
        });
        self.stats.created += 1;
        self.stats.peak_active = self.stats.peak_active.max(self.index.len() as u64);
        id
    }

    fn idle_limit(&self, class: usize) -> Nanos {
        match class {
            TCP => self.limits.tcp_idle,
            UDP => self.limits.udp_idle,
            OTHER => self.limits.other_idle,
            _ => self.limits.tcp_close_linger,
        }
    }

    /// The earliest packet time at which some flow may time out.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        (0..CLASSES)
            .filter_map(|c| {
                let tail = self.lists[c].tail;
                let flow = self.slots.get(tail as usize)?.flow.as_ref()?;
                Some(flow.last_ts.saturating_add(self.idle_limit(c)))
            })
            .min()
    }

    /// Ends every flow idle for longer than its class allows at packet time `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        for class in 0..CLASSES {
            let limit = self.idle_limit(class);
            let mut first_rotated = None;
            // Bounded, so a capture replayed after a later one costs little per sweep.
            let mut rotations = 0;
            loop {
                let tail = self.lists[class].tail;
                let Some(flow) = self.slots.get(tail as usize).and_then(|s| s.flow.as_ref()) else {
                    break;
                };
                // A flow stamped after `now` (time went back) would hide the older ones behind it:
                // move it to the head, once, and look on.
                if flow.last_ts > now && first_rotated != Some(tail) && rotations < MAX_ROTATIONS {
                    first_rotated.get_or_insert(tail);
                    rotations += 1;
                    self.unlink(tail);
                    self.push_front(tail, class);
                    continue;
                }
                // The list is ordered to the second: stop at the first flow still inside its limit.
                if now.since(flow.last_ts) <= limit {
                    break;
                }
                let reason = if class == CLOSING {
                    self.stats.closed += 1;
                    flow.tcp.closed().unwrap_or(EndReason::Fin)
                } else {
                    self.stats.timed_out += 1;
                    EndReason::IdleTimeout
                };
                self.end(tail, reason);
            }
        }
    }

    /// Ends every live flow (end of capture, shutdown), oldest first.
    pub fn finish(&mut self, reason: EndReason) {
        let mut ids: Vec<u32> = self.index.iter().copied().collect();
        ids.sort_unstable_by_key(|&id| {
            self.slots[id as usize]
                .flow
                .as_ref()
                .map(|f| (f.first_ts, f.key))
        });
        for id in ids {
            // A connection that already closed (FIN handshake or RST, still lingering) ended so.
            let closed = self.slots[id as usize]
                .flow
                .as_ref()
                .and_then(|f| f.tcp.closed());
            self.end(id, closed.unwrap_or(reason));
        }
    }

    fn evict_oldest(&mut self) {
        let oldest = (0..CLASSES)
            .filter_map(|c| {
                let tail = self.lists[c].tail;
                Some((self.slots.get(tail as usize)?.flow.as_ref()?.last_ts, tail))
            })
            .min();
        if let Some((_, id)) = oldest {
            self.stats.evicted += 1;
            self.end(id, EndReason::Evicted);
        }
    }

    /// Ends live flow `id`: out of its list and the index; it stays in its slot until drained.
    fn end(&mut self, id: u32, reason: EndReason) {
        let Some(slot) = self.slots.get(id as usize) else {
            return;
        };
        if slot.flow.is_none() || slot.class == ENDED {
            return;
        }
        let hash = slot.hash;
        self.unlink(id);
        if let Ok(entry) = self.index.find_entry(hash, |&other| other == id) {
            entry.remove();
        }
        self.slots[id as usize].class = ENDED;
        self.ended.push((id, reason));
    }

    fn push_front(&mut self, id: u32, class: usize) {
        let old_head = self.lists[class].head;
        {
            let s = &mut self.slots[id as usize];
            s.prev = NIL;
            s.next = old_head;
            s.class = class as u8;
        }
        if old_head != NIL {
            self.slots[old_head as usize].prev = id;
        } else {
            self.lists[class].tail = id;
        }
        self.lists[class].head = id;
    }

    fn unlink(&mut self, id: u32) {
        let (prev, next, class) = {
            let s = &self.slots[id as usize];
            (s.prev, s.next, s.class as usize)
        };
        if prev != NIL {
            self.slots[prev as usize].next = next;
        } else if self.lists[class].head == id {
            self.lists[class].head = next;
        }
        if next != NIL {
            self.slots[next as usize].prev = prev;
        } else if self.lists[class].tail == id {
            self.lists[class].tail = prev;
        }
        let s = &mut self.slots[id as usize];
        s.prev = NIL;
        s.next = NIL;
    }
}

/// The flows that ended, moved out of their slots one by one; see [`FlowTable::drain_ended`].
pub struct DrainEnded<'a, T> {
    ids: std::vec::Drain<'a, (u32, EndReason)>,
    slots: &'a mut Vec<Slot<T>>,
    free: &'a mut Vec<u32>,
}

impl<T> DrainEnded<'_, T> {
    /// Flows left to take (an upper bound: a slot already emptied yields nothing).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }
}

impl<T> Iterator for DrainEnded<'_, T> {
    type Item = EndedFlow<T>;

    fn next(&mut self) -> Option<EndedFlow<T>> {
        for (id, reason) in self.ids.by_ref() {
            if let Some(flow) = self.slots.get_mut(id as usize).and_then(|s| s.flow.take()) {
                self.free.push(id);
                return Some(EndedFlow { flow, reason });
            }
        }
        None
    }
}

impl<T> Drop for DrainEnded<'_, T> {
    /// Flows not taken are dropped here, so that their slots are reused.
    fn drop(&mut self) {
        for _ in self.by_ref() {}
    }
}

/// A flow key as the index compares and hashes it: both addresses as 128-bit words (IPv4 as its
/// 32-bit value, its family in `meta`), then ports, protocol, VLAN and the two families packed in
/// one word. Equal exactly when the [`FlowKey`]s are equal; built with a few integer operations, where
/// comparing and ordering `IpAddr` endpoints costs a branch per field.
#[derive(Clone, Copy, Debug)]
struct SlotKey {
    lo: u128,
    hi: u128,
    meta: u64,
}

impl SlotKey {
    /// The key of `pkt` and whether its source is the key's `lo` endpoint, ordered as
    /// [`FlowKey::of`] orders endpoints (IPv4 before IPv6, then address, then port).
    fn of(pkt: &Packet<'_>) -> (SlotKey, bool) {
        let (sport, dport) = pkt.l4.ports();
        let (s_v6, s_bits) = addr_bits(pkt.src);
        let (d_v6, d_bits) = addr_bits(pkt.dst);
        let src_is_lo = if s_v6 || d_v6 {
            (s_v6, s_bits, sport) <= (d_v6, d_bits, dport)
        } else {
            // Both IPv4 (most traffic): address and port fit one word, compared at once.
            (s_bits << 16 | u128::from(sport)) as u64 <= (d_bits << 16 | u128::from(dport)) as u64
        };
        let ((lo_v6, lo, lo_port), (hi_v6, hi, hi_port)) = if src_is_lo {
            ((s_v6, s_bits, sport), (d_v6, d_bits, dport))
        } else {
            ((d_v6, d_bits, dport), (s_v6, s_bits, sport))
        };
        let vlan = pkt.vlan.map_or(0, |v| u64::from(v) | 1 << 16);
        let meta = u64::from(lo_port)
            | u64::from(hi_port) << 16
            | u64::from(pkt.proto) << 32
            | vlan << 40
            | u64::from(lo_v6) << 57
            | u64::from(hi_v6) << 58;
        (SlotKey { lo, hi, meta }, src_is_lo)
    }
}

impl PartialEq for SlotKey {
    /// Branch-free: the keys found under one hash are nearly always equal.
    fn eq(&self, other: &Self) -> bool {
        ((self.lo ^ other.lo) | (self.hi ^ other.hi) | u128::from(self.meta ^ other.meta)) == 0
    }
}

impl Eq for SlotKey {}

/// An address as (is IPv6, value): the value of an IPv4 address is its 32 bits.
fn addr_bits(ip: std::net::IpAddr) -> (bool, u128) {
    match ip {
        std::net::IpAddr::V4(v4) => (false, u128::from(v4.to_bits())),
        std::net::IpAddr::V6(v6) => (true, v6.to_bits()),
    }
}

/// The flow index's hash: the compact key's three words folded by 128-bit multiplies with
/// per-table random seeds, as foldhash does (flow keys are chosen by whoever sends the packets).
/// The generic `Hash` of `FlowKey` feeds a dozen small writes (enum tags, length prefixes, bytes)
/// and cost about three times as much on the per-packet lookup.
#[derive(Debug)]
struct KeyHasher {
    seeds: [u64; 5],
}

impl KeyHasher {
    fn new() -> Self {
        let random = foldhash::fast::RandomState::default();
        KeyHasher {
            seeds: std::array::from_fn(|i| random.hash_one(i as u64) | 1),
        }
    }

    fn hash(&self, key: &SlotKey) -> u64 {
        let [s0, s1, s2, s3, s4] = self.seeds;
        let a = fold(key.lo as u64 ^ s0, (key.lo >> 64) as u64 ^ s1);
        let b = fold(key.hi as u64 ^ s2, (key.hi >> 64) as u64 ^ s3);
        fold(a ^ key.meta, b ^ s4)
    }
}

/// The folded multiply: high and low halves of the 128-bit product, xored.
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(test)]
mod tests;
