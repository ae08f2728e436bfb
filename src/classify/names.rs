//! The IP → name cache: which name a client resolved to reach an address, fed by DNS answers.
//!
//! Accepts: (client, answered address, query name, CNAME chain, expiry) from each DNS answer, and
//! (client, server, now) once per new flow. Promises: the most recent name *this* client was given
//! for the address, else the most recent name any client was given for it; never an entry whose
//! expiry is at or before `now` (packet time, so replays agree); at most `capacity` entries, the
//! least recently used evicted first; O(1) expected time per operation. Never: reads a clock,
//! allocates per lookup, or grows past its capacity (the name interner is purged as entries go).
//!
//! Memory: an entry is two addresses, an expiry, two list links and one shared pointer to its chain
//! (72 bytes in the slab), plus its key in the pair map (~45 bytes with hashbrown's control byte
//! and load factor) and, for the latest entry per address, ~25 bytes in the address map: about
//! 150 bytes, so the default 1 000 000 entries cost about 150 MB when full. Names are interned as
//! `Arc<str>` — the many addresses of one CDN name share one string — and consecutive inserts with
//! the same chain (the A/AAAA records of one response) share one chain allocation.
//!
//! The "any client" fallback remembers only the latest entry per address; when that entry is
//! evicted the fallback for the address is forgotten until the next answer for it, even if an older
//! entry for another client is still cached (that client's own lookups still find it).

use std::collections::{HashMap, HashSet};

/// Per-packet-path maps hash addresses: foldhash, not the default SipHash (no untrusted keys
/// choose the bucket layout beyond what a flow table already exposes).
type FastState = foldhash::fast::RandomState;
use std::net::IpAddr;
use std::sync::Arc;

use crate::dissect::dns::ResolvedAddr;
#[cfg(doc)]
use crate::dissect::dns::resolve_chain;
use crate::dissect::limits::names::{DEFAULT_CAPACITY, MAX_CHAIN_KEPT};
use crate::time::{NANOS_PER_SEC, Timestamp};

/// A cached resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameHit {
    /// The name the client asked for.
    pub name: Arc<str>,
    /// The question name, then each CNAME target up to the address record's owner.
    pub chain: Arc<[Arc<str>]>,
    pub expires: Timestamp,
    /// The name was given to the client that looked it up (not to another client).
    pub same_client: bool,
}

/// Cache counters, for the drop/eviction report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameCacheStats {
    /// New (client, address) entries.
    pub inserted: u64,
    /// Inserts that replaced the name or expiry of an existing entry.
    pub refreshed: u64,
    /// Entries dropped to stay within capacity.
    pub evicted: u64,
    /// Lookups that found an entry but skipped it as expired (a per-client and a fallback entry
    /// skipped in one lookup count twice).
    pub expired_hits_skipped: u64,
    pub hits: u64,
    pub misses: u64,
}

const NIL: u32 = u32::MAX;

struct Slot {
    client: IpAddr,
    answered: IpAddr,
    chain: Arc<[Arc<str>]>,
    expires: Timestamp,
    /// Towards the most recently used end.
    prev: u32,
    /// Towards the least recently used end.
    next: u32,
}

/// Bounded LRU map from (client, answered address) to the name and chain it resolved.
pub struct NameCache {
    capacity: usize,
    slots: Vec<Slot>,
    by_pair: HashMap<(IpAddr, IpAddr), u32, FastState>,
    /// Latest inserted slot for each answered address, for the any-client fallback.
    by_addr: HashMap<IpAddr, u32, FastState>,
    most_recent: u32,
    least_recent: u32,
    names: HashSet<Arc<str>, FastState>,
    purge_names_at: usize,
    last_chain: Option<Arc<[Arc<str>]>>,
    stats: NameCacheStats,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache::new(DEFAULT_CAPACITY)
    }
}

/// Shortest lifetime given to a cached answer. A TTL of 0 or 1 s (common behind CDNs) would
/// otherwise expire before the client's connection, which starts just after the answer.
pub const MIN_TTL_SECS: u32 = 60;

/// Expiry for an answer seen at `seen` with `ttl_secs`: the packet time plus the TTL, at least
/// [`MIN_TTL_SECS`].
pub fn expiry(seen: Timestamp, ttl_secs: u32) -> Timestamp {
    let ttl = ttl_secs.max(MIN_TTL_SECS);
    seen.saturating_add(u64::from(ttl).saturating_mul(NANOS_PER_SEC))
}

impl NameCache {
    /// A cache of at most `capacity` entries (at least 1, at most `u32::MAX - 1`).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, (NIL - 1) as usize);
        NameCache {
            capacity,
            slots: Vec::new(),
            by_pair: HashMap::default(),
            by_addr: HashMap::default(),
            most_recent: NIL,
            least_recent: NIL,
            names: HashSet::default(),
            purge_names_at: 1024,
            last_chain: None,
            stats: NameCacheStats::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.by_pair.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pair.is_empty()
    }

    pub fn stats(&self) -> NameCacheStats {
        self.stats
    }

    /// Records that `client` was told `name` resolves to `answered` through `chain` (the CNAME
    /// chain, with or without `name` first; empty for a direct answer), valid until `expires`. At
    /// most [`MAX_CHAIN_KEPT`] names are kept, `name` first.
    pub fn insert(
        &mut self,
        client: IpAddr,
        answered: IpAddr,
        name: &str,
        chain: &[&str],
        expires: Timestamp,
    ) {
        let chain = self.intern_chain(name, chain);
        let idx = match self.by_pair.get(&(client, answered)).copied() {
            Some(idx) => {
                if let Some(slot) = self.slots.get_mut(idx as usize) {
                    slot.chain = chain;
                    slot.expires = expires;
                }
                self.stats.refreshed += 1;
                self.unlink(idx);
                idx
            }
            None => {
                let slot = Slot {
                    client,
                    answered,
                    chain,
                    expires,
                    prev: NIL,
                    next: NIL,
                };
                let idx = if self.slots.len() < self.capacity {
                    self.slots.push(slot);
                    (self.slots.len() - 1) as u32
                } else {
                    let victim = self.least_recent;
                    self.evict(victim);
                    if let Some(old) = self.slots.get_mut(victim as usize) {
                        *old = slot;
                    }
                    victim
                };
                self.by_pair.insert((client, answered), idx);
                self.stats.inserted += 1;
                idx
            }
        };
        self.push_most_recent(idx);
        self.by_addr.insert(answered, idx);
        if self.names.len() > self.purge_names_at {
            // Only the interner holds names of evicted entries: drop them. Amortised O(1) since
            // the threshold doubles with the live set.
            self.names.retain(|n| Arc::strong_count(n) > 1);
            self.purge_names_at = (self.names.len() * 2).max(1024);
        }
    }

    /// Records every address of a parsed response ([`resolve_chain`]) for `client` (the response's
    /// destination), seen at packet time `seen`; expiry from [`expiry`].
    pub fn insert_resolved(
        &mut self,
        client: IpAddr,
        resolved: &[ResolvedAddr<'_>],
        seen: Timestamp,
    ) {
        for addr in resolved {
            self.insert(
                client,
                addr.addr,
                addr.query,
                &addr.chain,
                expiry(seen, addr.ttl),
            );
        }
    }

    /// The name `client` most recently resolved for `server`, else the name any client most
    /// recently resolved for it, skipping entries expired at `now`. Marks the entry used.
    pub fn lookup(&mut self, client: IpAddr, server: IpAddr, now: Timestamp) -> Option<NameHit> {
        let own = self.by_pair.get(&(client, server)).copied();
        if let Some(idx) = own
            && let Some(hit) = self.take_if_fresh(idx, now, true)
        {
            return Some(hit);
        }
        if let Some(idx) = self.by_addr.get(&server).copied()
            && Some(idx) != own
            && let Some(hit) = self.take_if_fresh(idx, now, false)
        {
            return Some(hit);
        }
        self.stats.misses += 1;
        None
    }

    fn take_if_fresh(&mut self, idx: u32, now: Timestamp, same_client: bool) -> Option<NameHit> {
        let slot = self.slots.get(idx as usize)?;
        if slot.expires <= now {
            self.stats.expired_hits_skipped += 1;
            return None;
        }
        let hit = NameHit {
            name: slot.chain.first().cloned().unwrap_or_else(|| Arc::from("")),
            chain: Arc::clone(&slot.chain),
            expires: slot.expires,
            same_client,
        };
        self.unlink(idx);
        self.push_most_recent(idx);
        self.stats.hits += 1;
        Some(hit)
    }

    fn intern_chain(&mut self, name: &str, chain: &[&str]) -> Arc<[Arc<str>]> {
        // The question name always comes first, whether or not the caller's chain repeats it.
        let mut slots: [&str; MAX_CHAIN_KEPT] = [""; MAX_CHAIN_KEPT];
        let rest = chain.iter().copied().skip_while(|first| *first == name);
        let mut len = 0;
        for (slot, n) in slots.iter_mut().zip(std::iter::once(name).chain(rest)) {
            *slot = n;
            len += 1;
        }
        let wanted = slots.get(..len).unwrap_or_default();
        if let Some(last) = &self.last_chain
            && last.len() == wanted.len()
            && last.iter().zip(wanted).all(|(a, b)| &**a == *b)
        {
            return Arc::clone(last);
        }
        let interned: Arc<[Arc<str>]> = wanted.iter().map(|n| self.intern_name(n)).collect();
        self.last_chain = Some(Arc::clone(&interned));
        interned
    }

    fn intern_name(&mut self, name: &str) -> Arc<str> {
        if let Some(existing) = self.names.get(name) {
            return Arc::clone(existing);
        }
        let fresh: Arc<str> = Arc::from(name);
        self.names.insert(Arc::clone(&fresh));
        fresh
    }

    fn evict(&mut self, idx: u32) {
        let Some(slot) = self.slots.get(idx as usize) else {
            return;
        };
        let (client, answered) = (slot.client, slot.answered);
        self.by_pair.remove(&(client, answered));
        if self.by_addr.get(&answered) == Some(&idx) {
            self.by_addr.remove(&answered);
        }
        self.unlink(idx);
        self.stats.evicted += 1;
    }

    fn unlink(&mut self, idx: u32) {
        let Some(slot) = self.slots.get(idx as usize) else {
            return;
        };
        let (prev, next) = (slot.prev, slot.next);
        match self.slots.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.most_recent = next,
        }
        match self.slots.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.least_recent = prev,
        }
        if let Some(slot) = self.slots.get_mut(idx as usize) {
            slot.prev = NIL;
            slot.next = NIL;
        }
    }

    fn push_most_recent(&mut self, idx: u32) {
        let old_head = self.most_recent;
        if let Some(slot) = self.slots.get_mut(idx as usize) {
            slot.prev = NIL;
            slot.next = old_head;
        }
        match self.slots.get_mut(old_head as usize) {
            Some(h) => h.prev = idx,
            None => self.least_recent = idx,
        }
        self.most_recent = idx;
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    const CLIENT_A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const CLIENT_B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const CLIENT_C: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));

    fn secs(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn ttl_expiry_in_packet_time() {
        let mut cache = NameCache::new(16);
        // Answer seen at t = 1000 s with TTL 60: valid through 1059.999…, gone at 1060.
        cache.insert(
            CLIENT_A,
            ip(1),
            "api.openai.com",
            &["cdn.example"],
            expiry(secs(1000), 60),
        );
        let hit = cache.lookup(CLIENT_A, ip(1), secs(1059)).expect("fresh");
        assert_eq!(&*hit.name, "api.openai.com");
        let chain: Vec<&str> = hit.chain.iter().map(|n| &**n).collect();
        assert_eq!(chain, ["api.openai.com", "cdn.example"], "name put first");
        assert!(hit.same_client);
        assert_eq!(cache.lookup(CLIENT_A, ip(1), secs(1060)), None);
        assert_eq!(cache.stats().expired_hits_skipped, 1);
        // Packet time, not insertion order: a lookup "before" the answer still sees it.
        assert!(cache.lookup(CLIENT_A, ip(1), secs(10)).is_some());
    }

    #[test]
    fn short_ttls_get_the_floor() {
        let mut cache = NameCache::new(4);
        cache.insert(CLIENT_A, ip(1), "edge.example", &[], expiry(secs(1000), 0));
        // The connection starts 2 s after a TTL-0 answer: still attributed, until the floor.
        assert!(cache.lookup(CLIENT_A, ip(1), secs(1002)).is_some());
        assert!(
            cache
                .lookup(CLIENT_A, ip(1), secs(1000 + u64::from(MIN_TTL_SECS)))
                .is_none()
        );
    }

    #[test]
    fn whole_responses_feed_the_cache() {
        use crate::dissect::dns::{AddrSource, ResolvedAddr};
        let resolved = [ResolvedAddr {
            addr: ip(9),
            query: "chat.deepseek.com",
            chain: vec!["chat.deepseek.com", "x.cdn.net"],
            ttl: 300,
            source: AddrSource::Answer,
        }];
        let mut cache = NameCache::new(4);
        cache.insert_resolved(CLIENT_A, &resolved, secs(100));
        let hit = cache
            .lookup(CLIENT_A, ip(9), secs(399))
            .expect("within TTL");
        assert_eq!(&*hit.name, "chat.deepseek.com");
        assert_eq!(hit.expires, secs(400));
        assert_eq!(hit.chain.len(), 2);
    }

    #[test]
    fn prefers_this_clients_name_then_the_latest_any_client() {
        let mut cache = NameCache::new(16);
        let until = secs(10_000);
        // One CDN address serves two names to two clients.
        cache.insert(
            CLIENT_A,
            ip(7),
            "chat.deepseek.com",
            &["chat.deepseek.com", "x.cdn.net"],
            until,
        );
        cache.insert(CLIENT_B, ip(7), "www.example.org", &[], until);
        let a = cache.lookup(CLIENT_A, ip(7), secs(1)).expect("hit");
        assert_eq!(&*a.name, "chat.deepseek.com");
        assert_eq!(
            a.chain.iter().map(|n| &**n).collect::<Vec<_>>(),
            ["chat.deepseek.com", "x.cdn.net"]
        );
        assert!(a.same_client);
        // A third client never resolved it: the most recent answer to anyone.
        let c = cache.lookup(CLIENT_C, ip(7), secs(1)).expect("fallback");
        assert_eq!(&*c.name, "www.example.org");
        assert!(!c.same_client);
        // The client's own entry expired: fall back to another client's fresh one.
        cache.insert(CLIENT_A, ip(8), "short.example", &[], secs(5));
        cache.insert(CLIENT_B, ip(8), "long.example", &[], secs(500));
        let hit = cache.lookup(CLIENT_A, ip(8), secs(100)).expect("fallback");
        assert_eq!((&*hit.name, hit.same_client), ("long.example", false));
        assert_eq!(cache.stats().expired_hits_skipped, 1);
    }

    #[test]
    fn lru_eviction_and_counters() {
        let mut cache = NameCache::new(3);
        let until = secs(1_000);
        for last in 1..=3 {
            cache.insert(CLIENT_A, ip(last), &format!("n{last}.example"), &[], until);
        }
        // Touch 1 so that 2 is the least recently used.
        assert!(cache.lookup(CLIENT_A, ip(1), secs(0)).is_some());
        cache.insert(CLIENT_A, ip(4), "n4.example", &[], until);
        assert_eq!(cache.len(), 3);
        assert!(
            cache.lookup(CLIENT_A, ip(2), secs(0)).is_none(),
            "2 was evicted"
        );
        for kept in [1, 3, 4] {
            assert!(
                cache.lookup(CLIENT_A, ip(kept), secs(0)).is_some(),
                "{kept} kept"
            );
        }
        // Re-inserting an existing pair refreshes it without a new entry.
        cache.insert(CLIENT_A, ip(4), "n4b.example", &[], until);
        let stats = cache.stats();
        assert_eq!((stats.inserted, stats.refreshed, stats.evicted), (4, 1, 1));
        assert_eq!((stats.hits, stats.misses), (4, 1));
        assert_eq!(
            &*cache
                .lookup(CLIENT_A, ip(4), secs(0))
                .map(|h| h.name)
                .unwrap_or_default(),
            "n4b.example"
        );
    }

    #[test]
    fn names_are_shared_and_the_interner_stays_bounded() {
        let mut cache = NameCache::new(100);
        // Many clients resolve the same name to the same addresses.
        for client in 0..50u8 {
            for addr in 0..4u8 {
                let client = IpAddr::V4(Ipv4Addr::new(10, 1, 0, client));
                cache.insert(client, ip(addr), "api.openai.com", &[], secs(100));
            }
        }
        let one = cache.lookup(CLIENT_C, ip(0), secs(0)).expect("fallback");
        let two = cache.lookup(CLIENT_C, ip(3), secs(0)).expect("fallback");
        assert!(
            Arc::ptr_eq(&one.name, &two.name),
            "one allocation for one name"
        );
        // Churn through many distinct names: evicted names leave the interner.
        for n in 0..5_000u32 {
            let addr = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            cache.insert(CLIENT_A, addr, &format!("host{n}.example"), &[], secs(100));
        }
        assert_eq!(cache.len(), 100);
        assert!(
            cache.names.len() <= 2 * 1024 + 2,
            "interner holds {}",
            cache.names.len()
        );
    }

    #[test]
    fn slot_stays_small() {
        // Two 17-byte addresses, a fat Arc, a timestamp, two u32 links (see the module docs).
        assert!(
            std::mem::size_of::<Slot>() <= 72,
            "{}",
            std::mem::size_of::<Slot>()
        );
    }

    #[test]
    fn capacity_one_still_works() {
        let mut cache = NameCache::new(0);
        assert_eq!(cache.capacity(), 1);
        cache.insert(CLIENT_A, ip(1), "a.example", &[], secs(9));
        cache.insert(CLIENT_A, ip(2), "b.example", &[], secs(9));
        assert!(cache.lookup(CLIENT_A, ip(1), secs(0)).is_none());
        assert_eq!(
            cache.lookup(CLIENT_A, ip(2), secs(0)).map(|h| h.name),
            Some(Arc::from("b.example"))
        );
    }
}
