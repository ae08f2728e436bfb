//! Engine behaviour on inputs a real span port produces now and then: timestamps that jump or run
//! backwards, data on a SYN (TCP Fast Open), and DNS "answers" sent by a client.

use aiwatch::aggregate::record::FlowRecord;
use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::EndReason;
use aiwatch::frame::{Frame, LinkType};
use aiwatch::time::Timestamp;
use etherparse::PacketBuilder;
use std::sync::Arc;

fn engine() -> Engine {
    Engine::new(EngineConfig::default(), Arc::new(Default::default()))
}

fn feed(e: &mut Engine, secs: u64, bytes: &[u8]) {
    e.handle_frame(&Frame {
        ts: Timestamp::from_secs(secs),
        link: LinkType::Raw,
        orig_len: bytes.len() as u32,
        data: bytes,
    });
}

fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4(src, dst, 64)
        .udp(sport, dport)
        .write(&mut out, payload)
        .unwrap();
    out
}

/// A DNS response for `example.org A 203.0.113.9` (RFC 1035 layout, built by hand).
fn dns_answer() -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    m.extend_from_slice(b"\x07example\x03org\x00\x00\x01\x00\x01");
    m.extend_from_slice(&[
        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 203, 0, 113, 9,
    ]);
    m
}

fn tcp_syn(src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4(src, dst, 64)
        .tcp(50000, 443, 7, 64240)
        .syn()
        .write(&mut out, payload)
        .unwrap();
    out
}

fn finish(mut e: Engine) -> Vec<FlowRecord> {
    e.finish(EndReason::EndOfCapture);
    e.drain_records().collect()
}

#[test]
fn idle_flows_still_time_out_after_a_frame_from_the_future() {
    let mut e = engine();
    feed(
        &mut e,
        1_000_000,
        &udp([10, 0, 0, 1], 40000, [10, 0, 0, 2], 9999, b"future"),
    );
    feed(
        &mut e,
        10,
        &udp([10, 0, 0, 3], 40000, [10, 0, 0, 4], 9999, b"a"),
    );
    feed(
        &mut e,
        200,
        &udp([10, 0, 0, 5], 40000, [10, 0, 0, 6], 9999, b"b"),
    );
    // The flow seen at t=10 was idle for 190 s at t=200: it ended before the capture did.
    let early: Vec<FlowRecord> = e.drain_records().collect();
    assert!(
        early
            .iter()
            .any(|r| r.client_port == 40000 && r.end_reason == "idle_timeout"),
        "{early:#?}"
    );
}

#[test]
fn data_on_a_syn_is_read_from_its_first_byte() {
    let mut e = engine();
    feed(
        &mut e,
        1,
        &tcp_syn(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            b"GET / HTTP/1.1\r\nHost: fastopen.example\r\n\r\n",
        ),
    );
    let records = finish(e);
    assert_eq!(records[0].http_host.as_deref(), Some("fastopen.example"));
}

#[test]
fn a_dns_answer_sent_by_a_client_names_nothing() {
    let mut e = engine();
    // 10.0.0.5 sends a response-shaped message *to* a resolver: a planted name.
    feed(
        &mut e,
        1,
        &udp([10, 0, 0, 5], 40000, [8, 8, 8, 8], 53, &dns_answer()),
    );
    feed(&mut e, 2, &tcp_syn([10, 0, 0, 7], [203, 0, 113, 9], b""));
    let records = finish(e);
    let tls = records.iter().find(|r| r.server_port == 443).unwrap();
    assert_eq!(tls.dns_name, None);
    // The same answer coming from the resolver does name the address for the asking client.
    let mut e = engine();
    feed(
        &mut e,
        1,
        &udp([8, 8, 8, 8], 53, [10, 0, 0, 7], 40000, &dns_answer()),
    );
    feed(&mut e, 2, &tcp_syn([10, 0, 0, 7], [203, 0, 113, 9], b""));
    let records = finish(e);
    let tls = records.iter().find(|r| r.server_port == 443).unwrap();
    assert_eq!(tls.dns_name.as_deref(), Some("example.org"));
}

#[test]
fn a_flow_and_the_capture_span_their_earliest_to_latest_frame() {
    // Merged captures and multi-queue NICs deliver frames out of time order: the flow's first
    // frame here is stamped 20 s, a later one 10 s, the last 30 s.
    let mut e = engine();
    let query = udp([10, 0, 0, 1], 40000, [10, 0, 0, 2], 9999, b"a");
    let reply = udp([10, 0, 0, 2], 9999, [10, 0, 0, 1], 40000, b"b");
    feed(&mut e, 20, &query);
    feed(&mut e, 10, &reply);
    feed(&mut e, 30, &query);
    let stats = e.stats().clone();
    assert_eq!(stats.first_ts, Some(Timestamp::from_secs(10)));
    assert_eq!(stats.last_ts, Some(Timestamp::from_secs(30)));
    let records = finish(e);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].ts_start, Timestamp::from_secs(10));
    assert_eq!(records[0].ts_end, Timestamp::from_secs(30));
    // The first sender stays the client (who spoke first in arrival order).
    assert_eq!(records[0].client_port, 40000);
}
