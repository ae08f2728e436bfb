//! The engine end to end on hand-built TCP segments: a real ClientHello (Firefox, from FoxIO's
//! tls12.pcap; JA4 from the Python reference) split over three segments delivered out of order, and
//! a retransmission with different content, still fingerprint as the reference says.

mod tls_fixtures;

use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::EndReason;
use aiwatch::frame::{Frame, LinkType};
use aiwatch::time::Timestamp;
use etherparse::PacketBuilder;
use std::sync::Arc;
use tls_fixtures::*;

const ISN: u32 = 1_000;

fn segment(seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([192, 168, 1, 10], [104, 18, 32, 47], 64)
        .tcp(50000, 443, seq, 64240);
    let b = if syn { b.syn() } else { b.ack(1).psh() };
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn run(frames: &[Vec<u8>]) -> Vec<aiwatch::aggregate::record::FlowRecord> {
    let mut engine = Engine::new(EngineConfig::default(), Arc::new(Default::default()));
    for (i, f) in frames.iter().enumerate() {
        engine.handle_frame(&Frame {
            ts: Timestamp::from_secs(1 + i as u64),
            link: LinkType::Ethernet,
            orig_len: f.len() as u32,
            data: f,
        });
    }
    engine.finish(EndReason::EndOfCapture);
    engine.drain_records().collect()
}

fn ja4(records: &[aiwatch::aggregate::record::FlowRecord]) -> Option<String> {
    assert_eq!(records.len(), 1);
    records[0].tls.as_ref().and_then(|t| t.record().ja4.clone())
}

#[test]
fn client_hello_in_three_segments_out_of_order() {
    let hello = hex(TLS12_PCAP_CLIENT);
    let (a, rest) = hello.split_at(hello.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let seq = |offset: usize| ISN + 1 + offset as u32;
    let frames = vec![
        segment(ISN, true, b""),
        segment(seq(a.len() + b.len()), false, c),
        segment(seq(0), false, a),
        segment(seq(a.len()), false, b),
    ];
    assert_eq!(
        ja4(&run(&frames)).as_deref(),
        Some("t13d1715h2_5b57614c22b0_3d5424432f57")
    );
}

#[test]
fn a_retransmission_with_different_bytes_does_not_replace_the_first() {
    let hello = hex(TLS12_PCAP_CLIENT);
    let (a, b) = hello.split_at(200);
    let forged: Vec<u8> = b.iter().map(|x| x ^ 0x5a).collect();
    let frames = vec![
        segment(ISN, true, b""),
        segment(ISN + 1, false, a),
        segment(ISN + 1 + 200, false, b),
        // Same sequence range, other bytes: first received wins (and the conflict is counted).
        segment(ISN + 1 + 200, false, &forged),
    ];
    let records = run(&frames);
    assert_eq!(
        ja4(&records).as_deref(),
        Some("t13d1715h2_5b57614c22b0_3d5424432f57")
    );
    assert_eq!(records[0].c2s_packets, 4);
}

#[test]
fn the_sni_names_the_flow_and_the_provider_is_matched() {
    let hello = hex(TLS12_PCAP_CLIENT);
    let records = run(&[segment(ISN, true, b""), segment(ISN + 1, false, &hello)]);
    assert_eq!(
        records[0].server_name.as_deref(),
        Some("contile.services.mozilla.com")
    );
    assert_eq!(records[0].name_source, Some("tls_sni"));
    assert!(
        records[0].provider.is_none(),
        "mozilla is not an AI provider"
    );
    assert_eq!(records[0].dst_country, "US");
}
