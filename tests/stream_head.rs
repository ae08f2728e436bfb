//! Stream head behaviour, byte by byte: segments are cut by hand from a known byte pattern, so the
//! expected head is the pattern itself.

use aiwatch::flow::stream_head::{
    DEFAULT_STREAM_HEAD_CAP, GAP_NEVER_FILLED, HeadState, MAX_PENDING_SEGMENTS, StreamHead,
};

/// A stand-in for a 3 KB ClientHello: a handshake record header and a recognisable byte pattern.
fn client_hello_like(len: usize) -> Vec<u8> {
    let mut v = vec![0x16, 0x03, 0x01, 0x0b, 0xb3, 0x01];
    v.extend((v.len()..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(11)));
    v
}

#[test]
fn client_hello_over_three_segments_out_of_order() {
    let hello = client_hello_like(3000);
    let isn = 1_000_000u32;
    let mut head = StreamHead::new(DEFAULT_STREAM_HEAD_CAP);
    head.on_syn(isn);
    let seq = |off: usize| isn.wrapping_add(1).wrapping_add(off as u32);
    // Third, first, second.
    assert!(!head.on_segment(seq(2000), &hello[2000..]));
    assert_eq!(head.bytes(), b"");
    assert!(head.on_segment(seq(0), &hello[..1000]));
    assert_eq!(head.bytes(), &hello[..1000]);
    assert!(head.on_segment(seq(1000), &hello[1000..2000]));
    assert_eq!(head.bytes(), &hello[..]);
    assert_eq!(head.state(), HeadState::Collecting);
    assert!(head.anchored_at_syn());
    let stats = head.stats();
    assert_eq!(stats.out_of_order, 1);
    assert_eq!(stats.retransmitted, 0);
    assert_eq!(stats.overlaps_conflicting, 0);
}

#[test]
fn retransmission_with_other_bytes_keeps_the_first_and_counts_the_conflict() {
    let mut head = StreamHead::new(64);
    head.on_syn(41);
    assert!(head.on_segment(42, b"hello world"));
    assert!(!head.on_segment(42, b"HELLO world"));
    assert_eq!(head.bytes(), b"hello world");
    assert_eq!(head.stats().retransmitted, 1);
    assert_eq!(head.stats().overlaps_conflicting, 1);
    // An identical retransmission is a retransmission, not a conflict.
    assert!(!head.on_segment(42, b"hello world"));
    assert_eq!(head.stats().retransmitted, 2);
    assert_eq!(head.stats().overlaps_conflicting, 1);
    // A partial overlap that differs on the old bytes but extends the stream: old bytes kept, new taken.
    assert!(head.on_segment(48, b"WORLD!!"));
    assert_eq!(head.bytes(), b"hello world!!");
    assert_eq!(head.stats().overlaps_conflicting, 2);
}

#[test]
fn sequence_numbers_wrap_around_2_pow_32() {
    let data = client_hello_like(300);
    let mut head = StreamHead::new(1024);
    // ISN 2^32 - 101: byte 0 is at 2^32 - 100, byte 100 at sequence 0.
    head.on_syn(u32::MAX - 100);
    let seq = |off: u32| (u32::MAX - 99).wrapping_add(off);
    assert_eq!(seq(100), 0);
    // The segment after the wrap first (out of order), then one straddling the wrap.
    assert!(!head.on_segment(seq(150), &data[150..]));
    assert!(head.on_segment(seq(0), &data[..150]));
    assert_eq!(head.bytes(), &data[..]);
    assert_eq!(head.anchor_seq(), Some(u32::MAX - 99));
}

#[test]
fn capture_started_mid_stream_anchors_on_the_first_segment() {
    let mut head = StreamHead::new(64);
    assert!(head.on_segment(5000, b"abcdef"));
    assert!(!head.anchored_at_syn());
    assert_eq!(head.anchor_seq(), Some(5000));
    // Entirely before the anchor: ignored.
    assert!(!head.on_segment(4990, b"0123456789"));
    assert_eq!(head.stats().old, 1);
    // Straddling the anchor: the 2 bytes before it are cut, "abcdef" matches, "GH" is new.
    assert!(head.on_segment(4998, b"XYabcdefGH"));
    assert_eq!(head.bytes(), b"abcdefGH");
    assert_eq!(head.stats().overlaps_conflicting, 0);
    // A SYN seen after payload does not move the anchor.
    head.on_syn(100);
    assert_eq!(head.anchor_seq(), Some(5000));
}

#[test]
fn mid_stream_anchor_across_the_wrap_treats_earlier_bytes_as_old() {
    let mut head = StreamHead::new(64);
    assert!(head.on_segment(5, b"after"));
    // u32::MAX - 2 is 8 before sequence 5 (mod 2^32): old, although numerically larger.
    assert!(!head.on_segment(u32::MAX - 2, b"xyz"));
    assert_eq!(head.stats().old, 1);
    assert_eq!(head.bytes(), b"after");
}

#[test]
fn cap_is_reached_and_later_bytes_are_ignored() {
    let data = client_hello_like(200);
    let mut head = StreamHead::new(100);
    head.on_syn(0);
    assert!(head.on_segment(1, &data[..60]));
    assert!(head.on_segment(61, &data[60..120]));
    assert_eq!(head.bytes(), &data[..100]);
    assert_eq!(head.state(), HeadState::Full);
    assert!(!head.on_segment(121, &data[120..]));
    assert_eq!(head.bytes().len(), 100);
    assert!(head.heap_bytes() <= 100 + (MAX_PENDING_SEGMENTS + 1) * 8);
}

#[test]
fn segment_starting_past_the_cap_is_ignored() {
    let mut head = StreamHead::new(100);
    head.on_syn(0);
    assert!(!head.on_segment(1 + 150, b"far away"));
    assert_eq!(head.stats().beyond_cap, 1);
    assert_eq!(head.state(), HeadState::Collecting);
    assert_eq!(head.heap_bytes(), 0);
}

#[test]
fn unfillable_gap_is_abandoned_keeping_the_contiguous_bytes() {
    let mut head = StreamHead::new(DEFAULT_STREAM_HEAD_CAP);
    head.on_syn(0);
    assert!(head.on_segment(1, b"0123456789"));
    // Bytes 10..20 never arrive; segments keep coming after the hole.
    for i in 0..MAX_PENDING_SEGMENTS as u32 {
        assert!(!head.on_segment(1 + 20 + i * 10, b"abcdefghij"));
        assert_eq!(
            head.state(),
            HeadState::Collecting,
            "gave up after {i} held segments"
        );
    }
    assert!(!head.on_segment(1 + 20 + MAX_PENDING_SEGMENTS as u32 * 10, b"abcdefghij"));
    assert_eq!(head.state(), HeadState::Gap(GAP_NEVER_FILLED));
    assert_eq!(head.stats().gave_up, 1);
    assert_eq!(head.bytes(), b"0123456789");
    // The missing bytes arriving now change nothing.
    assert!(!head.on_segment(11, b"ABCDEFGHIJ"));
    assert_eq!(head.bytes(), b"0123456789");
}

#[test]
fn gap_filled_within_the_bound_releases_the_held_bytes() {
    let mut head = StreamHead::new(DEFAULT_STREAM_HEAD_CAP);
    head.on_syn(0);
    assert!(head.on_segment(1, b"0123456789"));
    for i in 0..10u32 {
        assert!(!head.on_segment(1 + 20 + i * 10, b"abcdefghij"));
    }
    assert!(head.on_segment(11, b"ABCDEFGHIJ"));
    assert_eq!(head.bytes().len(), 120);
    assert_eq!(&head.bytes()[..20], b"0123456789ABCDEFGHIJ");
    assert_eq!(&head.bytes()[110..], b"abcdefghij");
    assert_eq!(head.state(), HeadState::Collecting);
}

#[test]
fn release_frees_memory_and_ignores_later_data() {
    let data = client_hello_like(3000);
    let mut head = StreamHead::new(DEFAULT_STREAM_HEAD_CAP);
    assert_eq!(head.heap_bytes(), 0, "no heap before the first payload");
    head.on_syn(7);
    assert!(head.on_segment(8, &data[..1500]));
    assert!(head.heap_bytes() >= 1500);
    head.release();
    assert_eq!(head.heap_bytes(), 0);
    assert_eq!(head.state(), HeadState::Released);
    assert_eq!(head.bytes(), b"");
    assert!(!head.on_segment(1508, &data[1500..]));
    assert_eq!(head.heap_bytes(), 0);
}

#[test]
fn empty_head_is_small() {
    // Two empty Vecs (no heap) plus a few integers: one per TCP direction of every flow.
    assert!(
        std::mem::size_of::<StreamHead>() <= 128,
        "{}",
        std::mem::size_of::<StreamHead>()
    );
}

#[test]
fn zero_cap_keeps_nothing() {
    let mut head = StreamHead::new(0);
    assert!(!head.on_segment(1, b"data"));
    assert_eq!(head.state(), HeadState::Full);
    assert_eq!(head.heap_bytes(), 0);
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
fn random_segments_never_panic_and_keep_a_consistent_prefix() {
    let stream = client_hello_like(40_000);
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut clean_full = 0;
    let mut clean_gap = 0;
    for round in 0..300 {
        let cap = [0usize, 1, 100, 3000, DEFAULT_STREAM_HEAD_CAP, 1 << 30][round % 6];
        let isn = rng.next() as u32;
        let mut head = StreamHead::new(cap);
        // Clean rounds: SYN seen and only true stream bytes, so the head must be a prefix of the
        // stream. Dirty rounds: no SYN, junk bytes and wild sequence numbers mixed in.
        let clean = round % 4 < 2;
        if clean {
            head.on_syn(isn);
        }
        let base = isn.wrapping_add(1);
        for _ in 0..200 {
            // Mostly in order, as real segments are, sometimes reordered or far ahead.
            let kept = head.bytes().len() as u64;
            // One round in five scatters its segments, so that holes open and stay open.
            let in_order = if round % 5 == 0 { 0 } else { 7 };
            let off = match rng.below(10) {
                r if r < in_order => kept.min(39_999),
                r if r < in_order + 2 => rng.below((kept + 4000).min(40_000)),
                _ => rng.below(40_000),
            } as usize;
            let len = (rng.below(3000) as usize).min(stream.len() - off);
            let seq = match rng.below(10) {
                0 if !clean => rng.next() as u32,
                _ => base.wrapping_add(off as u32),
            };
            let junk;
            let payload = if !clean && rng.below(10) == 0 {
                junk = vec![0xAA; len];
                &junk[..]
            } else {
                &stream[off..off + len]
            };
            head.on_segment(seq, payload);
            let kept = head.bytes().len();
            assert!(kept <= cap.min(1 << 20));
            assert!(head.heap_bytes() <= cap.min(1 << 20) + (MAX_PENDING_SEGMENTS + 1) * 8);
            if clean {
                assert_eq!(head.bytes(), &stream[..kept]);
            }
        }
        if clean {
            match head.state() {
                HeadState::Full if cap > 0 => clean_full += 1,
                HeadState::Gap(_) => clean_gap += 1,
                _ => {}
            }
        }
        if round % 7 == 0 {
            head.release();
            assert_eq!(head.heap_bytes(), 0);
        }
    }
    // The run reached both ends of the state machine, not just the empty head.
    assert!(
        clean_full > 10 && clean_gap > 0,
        "full {clean_full}, gap {clean_gap}"
    );
}
