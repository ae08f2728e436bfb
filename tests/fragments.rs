//! Fragment cache behaviour, byte by byte. Each test splits a known datagram (a deterministic byte
//! pattern) into fragments by hand, so the expected reassembly is the original pattern itself.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{Ipv4Addr, Ipv6Addr};

use aiwatch::decode::fragments::{
    DROP_INCONSISTENT_LENGTH, DROP_TOO_BIG, FragKey, FragOutcome, FragmentCache, FragmentLimits,
};
use aiwatch::time::{NANOS_PER_SEC, Timestamp};

/// Counts this thread's allocations, to check that warm reassembly does not allocate.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn key4(id: u16) -> FragKey {
    FragKey::v4(
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::new(10, 0, 0, 2),
        17,
        id,
        0,
    )
}

fn key6(id: u32) -> FragKey {
    FragKey::v6(Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED, 17, id, 0)
}

/// (offset, more, bytes) pieces of `data`, each `size` bytes (a multiple of 8) except the last.
fn split(data: &[u8], size: usize) -> Vec<(u32, bool, Vec<u8>)> {
    let pieces = data.chunks(size).count();
    data.chunks(size)
        .enumerate()
        .map(|(i, c)| ((i * size) as u32, i + 1 < pieces, c.to_vec()))
        .collect()
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

/// Feeds `pieces` in the given order; returns the completed datagram (if any) and how many
/// fragments completed one.
fn feed(
    cache: &mut FragmentCache,
    key: FragKey,
    pieces: &[(u32, bool, Vec<u8>)],
    order: &[usize],
) -> (Option<Vec<u8>>, usize) {
    let mut done = None;
    let mut completions = 0;
    for &i in order {
        let (offset, more, bytes) = &pieces[i];
        match cache.insert(t(1), key, *offset, *more, bytes) {
            FragOutcome::Complete(d) => {
                done = Some(d.to_vec());
                completions += 1;
            }
            FragOutcome::Pending => {}
            FragOutcome::Dropped(reason) => panic!("unexpected drop: {reason}"),
        }
    }
    (done, completions)
}

#[test]
fn in_order_fragments_complete_on_the_last() {
    let data = pattern(3000, 1);
    let pieces = split(&data, 1480);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(1), 0, true, &pieces[0].2),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 1480, true, &pieces[1].2),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 2960, false, &pieces[2].2),
        FragOutcome::Complete(&data[..])
    );
    assert_eq!(cache.stats().reassembled, 1);
    assert_eq!(cache.in_flight(), 0);
    assert_eq!(cache.buffered_bytes(), 0);
}

#[test]
fn reverse_order_completes_on_the_first_fragment() {
    let data = pattern(5000, 2);
    let pieces = split(&data, 1000);
    let order: Vec<usize> = (0..pieces.len()).rev().collect();
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let (done, completions) = feed(&mut cache, key4(2), &pieces, &order);
    assert_eq!(done.as_deref(), Some(&data[..]));
    assert_eq!(completions, 1);
}

#[test]
fn shuffled_fragments() {
    let data = pattern(8 * 8 * 9 + 5, 3);
    let pieces = split(&data, 64);
    assert_eq!(pieces.len(), 10);
    let order = [3, 7, 0, 9, 5, 1, 8, 2, 6, 4];
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let (done, completions) = feed(&mut cache, key4(3), &pieces, &order);
    assert_eq!(done.as_deref(), Some(&data[..]));
    assert_eq!(completions, 1);
    assert_eq!(cache.stats().overlaps, 0);
}

#[test]
fn duplicated_fragments_are_overlaps_without_conflict() {
    let data = pattern(2400, 4);
    let pieces = split(&data, 800);
    // 0, 0, 2, 2, 1: the datagram completes on the 5th fragment; two duplicates came before.
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let (done, completions) = feed(&mut cache, key4(4), &pieces, &[0, 0, 2, 2, 1]);
    assert_eq!(done.as_deref(), Some(&data[..]));
    assert_eq!(completions, 1);
    assert_eq!(cache.stats().overlaps, 2);
    assert_eq!(cache.stats().overlap_conflicts, 0);
    // A duplicate after completion starts a new datagram that cannot complete (as in Linux).
    assert_eq!(
        cache.insert(t(1), key4(4), 800, true, &pieces[1].2),
        FragOutcome::Pending
    );
    assert_eq!(cache.in_flight(), 1);
}

#[test]
fn conflicting_overlap_keeps_first_bytes_and_is_counted() {
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let first = [b'A'; 16];
    // Bytes 8..16 of the second fragment ("B") overlap the first fragment's "A".
    let mut second = vec![b'B'; 8];
    second.extend_from_slice(&[b'C'; 8]);
    assert_eq!(
        cache.insert(t(1), key4(5), 0, true, &first),
        FragOutcome::Pending
    );
    let mut expected = vec![b'A'; 16];
    expected.extend_from_slice(&[b'C'; 8]);
    assert_eq!(
        cache.insert(t(1), key4(5), 8, false, &second),
        FragOutcome::Complete(&expected[..])
    );
    assert_eq!(cache.stats().overlaps, 1);
    assert_eq!(cache.stats().overlap_conflicts, 1);
}

#[test]
fn overlap_with_equal_bytes_is_not_a_conflict() {
    let data = pattern(48, 6);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(6), 0, true, &data[..32]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(6), 16, false, &data[16..]),
        FragOutcome::Complete(&data[..])
    );
    assert_eq!(cache.stats().overlaps, 1);
    assert_eq!(cache.stats().overlap_conflicts, 0);
}

#[test]
fn timeout_runs_on_packet_time() {
    let data = pattern(1600, 7);
    let limits = FragmentLimits::default();
    assert_eq!(limits.timeout, 30 * NANOS_PER_SEC);
    let mut cache = FragmentCache::new(limits);
    let start = Timestamp::from_secs(1_000);
    assert_eq!(
        cache.insert(start, key4(7), 0, true, &data[..800]),
        FragOutcome::Pending
    );
    assert_eq!(cache.next_deadline(), Some(Timestamp::from_secs(1_030)));
    cache.expire(Timestamp::from_secs_nanos(1_029, 999_999_999));
    assert_eq!(cache.in_flight(), 1);
    cache.expire(Timestamp::from_secs(1_030));
    assert_eq!(cache.in_flight(), 0);
    assert_eq!(cache.stats().timed_out, 1);
    // The second half arriving late finds nothing to join: it waits alone.
    assert_eq!(
        cache.insert(
            Timestamp::from_secs(1_031),
            key4(7),
            800,
            false,
            &data[800..]
        ),
        FragOutcome::Pending
    );
}

#[test]
fn insert_expires_old_datagrams_itself() {
    let data = pattern(1600, 8);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(0), key4(8), 0, true, &data[..800]),
        FragOutcome::Pending
    );
    // 31 s later (packet time) the first half is gone, so the tail cannot complete the datagram.
    assert_eq!(
        cache.insert(t(31), key4(8), 800, false, &data[800..]),
        FragOutcome::Pending
    );
    assert_eq!(cache.stats().timed_out, 1);
    assert_eq!(cache.stats().reassembled, 0);
}

#[test]
fn oldest_datagram_is_evicted_when_the_count_cap_is_reached() {
    let limits = FragmentLimits {
        max_datagrams: 2,
        ..FragmentLimits::default()
    };
    let mut cache = FragmentCache::new(limits);
    let data = pattern(1600, 9);
    for id in [1, 2, 3] {
        assert_eq!(
            cache.insert(t(1), key4(id), 0, true, &data[..800]),
            FragOutcome::Pending
        );
    }
    assert_eq!(cache.in_flight(), 2);
    assert_eq!(cache.stats().evicted_for_space, 1);
    // id 1 was the oldest: its tail starts a new datagram (evicting id 2); id 3 still completes.
    assert_eq!(
        cache.insert(t(1), key4(1), 800, false, &data[800..]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(3), 800, false, &data[800..]),
        FragOutcome::Complete(&data[..])
    );
    assert_eq!(cache.stats().evicted_for_space, 2);
}

#[test]
fn oldest_datagram_is_evicted_when_the_byte_budget_is_reached() {
    let limits = FragmentLimits {
        max_total_bytes: 3000,
        ..FragmentLimits::default()
    };
    let mut cache = FragmentCache::new(limits);
    let data = pattern(2000, 10);
    // Tails first: each datagram reserves its whole 2000-byte span at once.
    assert_eq!(
        cache.insert(t(1), key4(1), 1000, false, &data[1000..]),
        FragOutcome::Pending
    );
    assert_eq!(cache.buffered_bytes(), 2000);
    assert_eq!(
        cache.insert(t(1), key4(2), 1000, false, &data[1000..]),
        FragOutcome::Pending
    );
    assert_eq!(cache.stats().evicted_for_space, 1);
    assert_eq!(cache.buffered_bytes(), 2000);
    assert_eq!(
        cache.insert(t(1), key4(2), 0, true, &data[..1000]),
        FragOutcome::Complete(&data[..])
    );
    // A single datagram larger than the whole budget is refused.
    let big = pattern(4000, 11);
    assert!(matches!(
        cache.insert(t(1), key4(3), 3000, false, &big[3000..]),
        FragOutcome::Dropped(_)
    ));
    assert_eq!(cache.stats().no_space, 1);
    assert_eq!(cache.in_flight(), 0);
}

#[test]
fn ipv4_and_ipv6_with_the_same_id_are_not_mixed() {
    let v4 = pattern(1600, 12);
    let v6 = pattern(1600, 99);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(7), 0, true, &v4[..800]),
        FragOutcome::Pending
    );
    // Same id 7, other family: the IPv4 half must not complete an IPv6 datagram.
    assert_eq!(
        cache.insert(t(1), key6(7), 800, false, &v6[800..]),
        FragOutcome::Pending
    );
    assert_eq!(cache.in_flight(), 2);
    assert_eq!(
        cache.insert(t(1), key6(7), 0, true, &v6[..800]),
        FragOutcome::Complete(&v6[..])
    );
    assert_eq!(
        cache.insert(t(1), key4(7), 800, false, &v4[800..]),
        FragOutcome::Complete(&v4[..])
    );
}

#[test]
fn scope_separates_equal_headers() {
    let data = pattern(1600, 13);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let vlan10 = FragKey {
        scope: 10,
        ..key4(1)
    };
    let vlan20 = FragKey {
        scope: 20,
        ..key4(1)
    };
    assert_eq!(
        cache.insert(t(1), vlan10, 0, true, &data[..800]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), vlan20, 800, false, &data[800..]),
        FragOutcome::Pending
    );
    assert_eq!(cache.in_flight(), 2);
}

#[test]
fn fragment_past_65535_is_dropped_with_its_datagram() {
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let data = pattern(64, 14);
    assert_eq!(
        cache.insert(t(1), key4(1), 0, true, &data),
        FragOutcome::Pending
    );
    // 8191 * 8 = 65528 is the largest IPv4 offset; 65528 + 16 = 65544 > 65535.
    assert_eq!(
        cache.insert(t(1), key4(1), 65_528, false, &data[..16]),
        FragOutcome::Dropped(DROP_TOO_BIG)
    );
    assert_eq!(cache.stats().too_big, 1);
    assert_eq!(cache.in_flight(), 0);
    // Ending exactly at 65535 is fine.
    assert_eq!(
        cache.insert(t(1), key4(2), 65_528, false, &data[..7]),
        FragOutcome::Pending
    );
}

#[test]
fn zero_length_middle_fragment_is_ignored() {
    let data = pattern(1600, 15);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(1), 0, true, &data[..800]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 800, true, &[]),
        FragOutcome::Pending
    );
    assert_eq!(cache.stats().empty_fragments, 1);
    assert_eq!(
        cache.insert(t(1), key4(1), 800, false, &data[800..]),
        FragOutcome::Complete(&data[..])
    );
}

#[test]
fn zero_length_last_fragment_fixes_the_length() {
    let data = pattern(800, 16);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(1), 800, false, &[]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 0, true, &data),
        FragOutcome::Complete(&data[..])
    );
}

#[test]
fn contradicting_lengths_are_dropped_alone() {
    let data = pattern(2400, 17);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key4(1), 1600, false, &data[1600..]),
        FragOutcome::Pending
    );
    // A second "last" fragment with another end, and bytes past the known end.
    assert_eq!(
        cache.insert(t(1), key4(1), 800, false, &data[800..1600]),
        FragOutcome::Dropped(DROP_INCONSISTENT_LENGTH)
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 2000, true, &data[..800]),
        FragOutcome::Dropped(DROP_INCONSISTENT_LENGTH)
    );
    assert_eq!(cache.stats().inconsistent_length, 2);
    // The datagram itself survives and completes.
    assert_eq!(
        cache.insert(t(1), key4(1), 0, true, &data[..800]),
        FragOutcome::Pending
    );
    assert_eq!(
        cache.insert(t(1), key4(1), 800, true, &data[800..1600]),
        FragOutcome::Complete(&data[..])
    );
}

#[test]
fn atomic_fragment_is_returned_as_is() {
    let data = pattern(100, 18);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    assert_eq!(
        cache.insert(t(1), key6(1), 0, false, &data),
        FragOutcome::Complete(&data[..])
    );
    assert_eq!(cache.stats().atomic, 1);
    assert_eq!(cache.in_flight(), 0);
}

#[test]
fn tiny_fragment_flood_is_bounded_by_max_holes() {
    let limits = FragmentLimits {
        max_holes: 4,
        ..FragmentLimits::default()
    };
    let mut cache = FragmentCache::new(limits);
    // 8-byte fragments every 16 bytes: each adds a disjoint range.
    for i in 0..4u32 {
        assert_eq!(
            cache.insert(t(1), key4(1), i * 16, true, &[1; 8]),
            FragOutcome::Pending
        );
    }
    assert!(matches!(
        cache.insert(t(1), key4(1), 64, true, &[1; 8]),
        FragOutcome::Dropped(_)
    ));
    assert_eq!(cache.stats().too_many_holes, 1);
    assert_eq!(cache.in_flight(), 0);
}

#[test]
fn warm_cache_reassembles_without_allocating() {
    let data = pattern(3000, 19);
    let pieces = split(&data, 1480);
    let mut cache = FragmentCache::new(FragmentLimits::default());
    // Warm-up: buffers, slots and the index grow once.
    for id in 0..64 {
        let (done, _) = feed(&mut cache, key4(id), &pieces, &[2, 0, 1]);
        assert!(done.is_some());
    }
    let before = allocations();
    for id in 64..2064 {
        let key = key4(id);
        for &i in &[2usize, 0, 1] {
            let (offset, more, bytes) = &pieces[i];
            let outcome = cache.insert(t(1), key, *offset, *more, bytes);
            if i == 1 {
                assert!(matches!(outcome, FragOutcome::Complete(d) if d == &data[..]));
            }
        }
    }
    assert_eq!(allocations() - before, 0, "steady reassembly allocated");
    assert_eq!(cache.stats().reassembled, 2064);
}

/// xorshift64*: a small deterministic generator for hostile-looking inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_fragments_never_panic_and_stay_bounded() {
    let limits = FragmentLimits {
        max_datagrams: 16,
        max_total_bytes: 256 * 1024,
        max_holes: 4,
        ..FragmentLimits::default()
    };
    let mut cache = FragmentCache::new(limits);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let junk = pattern(70_000, 20);
    let mut now = 0u64;
    for _ in 0..50_000 {
        // Mostly sub-second steps, sometimes a 40 s silence so that timeouts happen too.
        now += if rng.below(1000) == 0 {
            40 * NANOS_PER_SEC
        } else {
            rng.below(200_000_000)
        };
        let id = rng.below(12) as u16;
        let key = if rng.below(2) == 0 {
            key4(id)
        } else {
            key6(u32::from(id))
        };
        let offset = match rng.below(4) {
            0 => rng.below(65_536) as u32,
            1 => u32::MAX - rng.below(100) as u32,
            _ => (rng.below(64) * 8) as u32,
        };
        let len = match rng.below(4) {
            0 => rng.below(70_000) as usize,
            _ => rng.below(600) as usize,
        };
        let more = rng.below(3) != 0;
        let outcome = cache.insert(Timestamp::from_nanos(now), key, offset, more, &junk[..len]);
        if let FragOutcome::Complete(d) = outcome {
            assert!(d.len() <= 65_535);
        }
        assert!(cache.in_flight() <= 16);
        assert!(cache.buffered_bytes() <= 256 * 1024);
    }
    let s = cache.stats();
    assert_eq!(s.fragments, 50_000);
    // The generator reaches every drop path (so the run exercised them, not just the happy path).
    assert!(s.too_big > 0, "{s:?}");
    assert!(s.overlaps > 0 && s.overlap_conflicts > 0, "{s:?}");
    assert!(s.timed_out > 0 && s.evicted_for_space > 0, "{s:?}");
    assert!(s.inconsistent_length > 0 && s.too_many_holes > 0, "{s:?}");
}
