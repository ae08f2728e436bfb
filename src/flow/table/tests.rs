use super::*;
use crate::decode::{L4, Packet, TCP_ACK};
use std::net::IpAddr;

const C: &str = "192.168.1.10";
const S: &str = "203.0.113.7";

fn tcp(ts: u64, from_client: bool, flags: u8, seq: u32, payload: &'static [u8]) -> Packet<'static> {
    let (src, dst, sp, dp) = if from_client {
        (C, S, 50000, 443)
    } else {
        (S, C, 443, 50000)
    };
    Packet {
        ts: Timestamp::from_secs(ts),
        vlan: None,
        tunnel: None,
        src: src.parse::<IpAddr>().unwrap(),
        dst: dst.parse::<IpAddr>().unwrap(),
        proto: 6,
        ttl: 64,
        ip_len: 40 + payload.len() as u32,
        l4: L4::Tcp {
            src_port: sp,
            dst_port: dp,
            seq,
            ack: 0,
            flags,
        },
        payload_len: payload.len() as u32,
        payload,
        reassembled: false,
    }
}

fn udp(ts: u64, src: &str, sp: u16, dst: &str, dp: u16) -> Packet<'static> {
    Packet {
        ts: Timestamp::from_secs(ts),
        vlan: None,
        tunnel: None,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 17,
        ttl: 64,
        ip_len: 28,
        l4: L4::Udp {
            src_port: sp,
            dst_port: dp,
        },
        payload_len: 0,
        payload: &[],
        reassembled: false,
    }
}

fn table() -> FlowTable<()> {
    FlowTable::new(FlowLimits::default())
}

#[test]
fn syn_sender_is_client_and_directions_are_counted() {
    let mut t = table();
    let a = t.ingest(&tcp(1, true, TCP_SYN, 100, b""));
    let b = t.ingest(&tcp(1, false, TCP_SYN | TCP_ACK, 900, b""));
    let c = t.ingest(&tcp(2, true, TCP_ACK, 101, b"GET"));
    assert!(a.new_flow && !b.new_flow && a.id == b.id && b.id == c.id);
    assert_eq!(
        (a.dir, b.dir),
        (Direction::ClientToServer, Direction::ServerToClient)
    );
    let f = t.get(a.id).unwrap();
    assert_eq!(f.client().ip, C.parse::<IpAddr>().unwrap());
    assert_eq!(
        (f.c2s.packets, f.c2s.bytes, f.c2s.payload_bytes),
        (2, 83, 3)
    );
    assert_eq!((f.s2c.packets, f.s2c.bytes), (1, 40));
    assert_eq!(f.client_head.bytes(), b"GET");
}

#[test]
fn syn_ack_first_makes_the_receiver_the_client() {
    let mut t = table();
    let a = t.ingest(&tcp(1, false, TCP_SYN | TCP_ACK, 900, b""));
    assert_eq!(a.dir, Direction::ServerToClient);
    assert_eq!(t.get(a.id).unwrap().server().port, 443);
}

#[test]
fn mid_stream_uses_the_service_port() {
    let mut t = table();
    // First packet seen comes from the server (port 443) to an ephemeral port.
    let a = t.ingest(&tcp(1, false, TCP_ACK, 900, b"data"));
    assert_eq!(a.dir, Direction::ServerToClient);
    let mut t = table();
    let a = t.ingest(&udp(1, "8.8.8.8", 53, "10.0.0.2", 40000));
    assert_eq!(a.dir, Direction::ServerToClient);
    // Both ephemeral: the first sender is the client.
    let a = t.ingest(&udp(1, "10.0.0.2", 40001, "10.0.0.3", 40002));
    assert_eq!(a.dir, Direction::ClientToServer);
}

#[test]
fn fin_handshake_ends_after_linger_and_late_acks_stay_in_the_flow() {
    let mut t = table();
    t.ingest(&tcp(1, true, TCP_SYN, 1, b""));
    t.ingest(&tcp(2, true, TCP_FIN | TCP_ACK, 2, b""));
    t.ingest(&tcp(2, false, TCP_FIN | TCP_ACK, 2, b""));
    let last = t.ingest(&tcp(3, true, TCP_ACK, 3, b""));
    assert!(!last.new_flow);
    t.handle_timeout(Timestamp::from_secs(5));
    assert_eq!(t.drain_ended().count(), 0, "still lingering");
    t.handle_timeout(Timestamp::from_secs(9));
    let ended: Vec<_> = t.drain_ended().collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].reason, EndReason::Fin);
    assert_eq!(ended[0].flow.c2s.packets, 3);
    assert_eq!(t.active(), 0);
}

#[test]
fn new_syn_after_rst_starts_a_new_flow() {
    let mut t = table();
    let a = t.ingest(&tcp(1, true, TCP_SYN, 1, b""));
    t.ingest(&tcp(1, false, TCP_RST, 0, b""));
    let b = t.ingest(&tcp(2, true, TCP_SYN, 5000, b""));
    assert!(b.new_flow);
    let ended: Vec<_> = t.drain_ended().collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].reason, EndReason::Rst);
    assert_eq!(ended[0].flow.first_ts, Timestamp::from_secs(1));
    let _ = a;
}

#[test]
fn idle_timeouts_use_packet_time_per_protocol() {
    let mut t = table();
    t.ingest(&tcp(0, true, TCP_SYN, 1, b""));
    t.ingest(&udp(0, "10.0.0.2", 40000, "10.0.0.3", 9999));
    assert_eq!(t.next_deadline(), Some(Timestamp::from_secs(60)));
    t.handle_timeout(Timestamp::from_secs(61));
    let ended: Vec<_> = t
        .drain_ended()
        .map(|e| (e.flow.key.proto, e.reason))
        .collect();
    assert_eq!(ended, vec![(17, EndReason::IdleTimeout)]);
    t.handle_timeout(Timestamp::from_secs(299));
    assert_eq!(t.drain_ended().count(), 0);
    t.handle_timeout(Timestamp::from_secs(301));
    assert_eq!(t.drain_ended().count(), 1);
}

#[test]
fn a_full_table_evicts_the_least_recently_seen() {
    let mut t: FlowTable<()> = FlowTable::new(FlowLimits {
        max_flows: 2,
        ..FlowLimits::default()
    });
    t.ingest(&udp(1, "10.0.0.1", 40000, "10.0.0.9", 9999));
    t.ingest(&udp(2, "10.0.0.2", 40000, "10.0.0.9", 9999));
    t.ingest(&udp(3, "10.0.0.1", 40000, "10.0.0.9", 9999)); // refresh the first
    t.ingest(&udp(4, "10.0.0.3", 40000, "10.0.0.9", 9999));
    let ended: Vec<_> = t.drain_ended().collect();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].reason, EndReason::Evicted);
    assert_eq!(
        ended[0].flow.client().ip,
        "10.0.0.2".parse::<IpAddr>().unwrap()
    );
    assert_eq!(t.stats().evicted, 1);
    assert_eq!(t.active(), 2);
}

#[test]
fn finish_ends_everything_in_start_order() {
    let mut t = table();
    t.ingest(&udp(5, "10.0.0.1", 40000, "10.0.0.9", 9999));
    t.ingest(&udp(3, "10.0.0.2", 40000, "10.0.0.9", 9999));
    t.finish(EndReason::EndOfCapture);
    let starts: Vec<_> = t.drain_ended().map(|e| e.flow.first_ts.as_secs()).collect();
    assert_eq!(starts, vec![3, 5]);
}

#[test]
fn a_closed_connection_still_lingering_at_the_end_keeps_its_close_reason() {
    let mut t = table();
    t.ingest(&tcp(1, true, TCP_SYN, 1, b""));
    t.ingest(&tcp(1, false, TCP_RST, 0, b""));
    t.finish(EndReason::EndOfCapture);
    let ended: Vec<_> = t.drain_ended().map(|e| e.reason).collect();
    assert_eq!(ended, vec![EndReason::Rst]);
}

/// The compact index key must order endpoints exactly as `FlowKey::of` does (derived `Ord` on
/// `IpAddr` and port: IPv4 before IPv6, then address bytes, then port), and be equal exactly when
/// the `FlowKey`s are: IPv4 and its IPv4-mapped IPv6 form, equal addresses with swapped ports,
/// VLAN none vs 0, and the highest/lowest values are the edge cases.
#[test]
fn compact_key_orders_and_compares_as_the_flow_key() {
    let addrs = [
        "0.0.0.0",
        "0.0.0.1",
        "10.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::ffff:10.0.0.1",
        "2001:db8::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ];
    let ports = [0u16, 53, 443, 65535];
    let mut packets = Vec::new();
    for (i, src) in addrs.iter().enumerate() {
        for dst in &addrs[i..] {
            for &sp in &ports {
                for &dp in &ports {
                    for vlan in [None, Some(0), Some(4095)] {
                        let mut p = udp(1, src, sp, dst, dp);
                        p.vlan = vlan;
                        packets.push(p);
                        let mut back = udp(1, dst, dp, src, sp);
                        back.vlan = vlan;
                        packets.push(back);
                    }
                }
            }
        }
    }
    let keys: Vec<_> = packets
        .iter()
        .map(|p| (FlowKey::of(p), SlotKey::of(p)))
        .collect();
    for ((key, src_is_lo), (_, slot_src_is_lo)) in &keys {
        assert_eq!(src_is_lo, slot_src_is_lo, "{key:?}");
    }
    // Equality both ways, over a sample of pairs (all pairs would be ~10^7 comparisons).
    for (i, (a, sa)) in keys.iter().enumerate().step_by(7) {
        for (b, sb) in keys.iter().skip(i % 5).step_by(3) {
            assert_eq!(a.0 == b.0, sa.0 == sb.0, "{:?} vs {:?}", a.0, b.0);
        }
    }
}

/// `ingest_lazy` leaves only a payload that would start an empty head unbuffered (the caller
/// looks at it in place, and buffers it when it needs more); every other segment is buffered as
/// `ingest` does, so the head ends up with the same bytes.
#[test]
fn lazy_ingest_leaves_only_a_head_starting_segment_unbuffered() {
    let mut t = table();
    t.ingest_lazy(&tcp(1, true, TCP_SYN, 100, b""));
    // Past a hole after the SYN: buffered at once, the head has not grown.
    let gap = t.ingest_lazy(&tcp(1, true, TCP_ACK, 111, b"later"));
    assert_eq!(gap.unbuffered_seq, None);
    assert!(!gap.head_grew);
    let first = t.ingest_lazy(&tcp(1, true, TCP_ACK, 101, b"hello"));
    // The head already holds bytes (past the hole): not empty, so buffered.
    assert_eq!(first.unbuffered_seq, None);
    assert!(first.head_grew);
    assert_eq!(t.get(first.id).unwrap().client_head.bytes(), b"hello");

    // A fresh connection: the first data segment at ISN + 1 is left to the caller.
    let mut t = table();
    t.ingest_lazy(&tcp(1, true, TCP_SYN, 100, b""));
    let first = t.ingest_lazy(&tcp(1, true, TCP_ACK, 101, b"hello"));
    assert_eq!(first.unbuffered_seq, Some(101));
    assert!(first.head_grew);
    let flow = t.get_mut(first.id).unwrap();
    assert_eq!(flow.client_head.bytes(), b"");
    flow.client_head.on_segment(101, b"hello");
    let next = t.ingest_lazy(&tcp(1, true, TCP_ACK, 106, b" world"));
    assert_eq!(next.unbuffered_seq, None);
    assert!(next.head_grew);
    assert_eq!(t.get(next.id).unwrap().client_head.bytes(), b"hello world");

    // Mid-stream (no SYN seen): the first segment anchors the head, so it starts it.
    let mut t = table();
    let mid = t.ingest_lazy(&tcp(1, false, TCP_ACK, 5000, b"reply"));
    assert_eq!(mid.unbuffered_seq, Some(5000));
    // Plain `ingest` always buffers.
    let mut t = table();
    let plain = t.ingest(&tcp(1, false, TCP_ACK, 5000, b"reply"));
    assert_eq!(plain.unbuffered_seq, None);
    assert_eq!(t.get(plain.id).unwrap().server_head.bytes(), b"reply");
}

/// Ended flows wait in their slots: not visible through `get`/`iter`, handed out in the order they
/// ended, and their slots are reused once drained, also when the drain is dropped half-read.
#[test]
fn ended_flows_wait_in_their_slots_until_drained() {
    let mut t = table();
    let a = t.ingest(&udp(1, "10.0.0.1", 5000, "10.0.0.9", 53));
    let b = t.ingest(&udp(2, "10.0.0.2", 5000, "10.0.0.9", 53));
    let c = t.ingest(&udp(3, "10.0.0.3", 5000, "10.0.0.9", 53));
    // UDP idles out after 60 s: a and b at t = 62.5, c (seen at 3 s) stays.
    t.handle_timeout(Timestamp::from_secs(62).saturating_add(500_000_000));
    assert!(t.get(a.id).is_none() && t.get(b.id).is_none());
    assert!(t.get(c.id).is_some());
    assert_eq!(t.iter().count(), 1);
    assert_eq!(t.active(), 1);
    let slots_before = t.slots.len();
    {
        let mut drain = t.drain_ended();
        let first = drain.next().unwrap();
        assert_eq!(first.flow.first_ts.as_secs(), 1, "oldest ended first");
        assert_eq!(first.reason, EndReason::IdleTimeout);
        // Dropped with b still in it.
    }
    assert!(!t.has_ended());
    assert_eq!(t.free.len(), 2, "both slots free again");
    t.ingest(&udp(70, "10.0.0.4", 5000, "10.0.0.9", 53));
    t.ingest(&udp(70, "10.0.0.5", 5000, "10.0.0.9", 53));
    assert_eq!(t.slots.len(), slots_before, "freed slots reused");
    assert_eq!(t.active(), 3);
}
