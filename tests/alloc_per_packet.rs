//! The hot path allocates nothing per packet (DESIGN: "decode → flow lookup → counters allocates
//! nothing per packet"). A counting global allocator watches this thread while the engine is fed
//! packets of flows that are already established and already dissected (HTTP over TCP over IPv4,
//! an unrecognised UDP flow over IPv6), across several timeout sweeps of packet time.

use std::sync::Arc;

use aiwatch::classify::Classifier;
use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::frame::{Frame, LinkType};
use aiwatch::time::Timestamp;

mod counting_alloc;
use counting_alloc::{Counting, allocations_in};

#[global_allocator]
static GLOBAL: Counting = Counting;

const CLIENT_V4: [u8; 4] = [10, 0, 0, 1];
const SERVER_V4: [u8; 4] = [93, 184, 216, 34];
const TCP_SYN: u8 = 0x02;
const TCP_ACK: u8 = 0x10;
const TCP_PSH_ACK: u8 = 0x18;

fn ethernet(ethertype: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f
}

/// Ethernet / IPv4 / TCP with `payload` (RFC 791 and RFC 9293 layouts; checksums are not checked).
fn tcp_v4(from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        (CLIENT_V4, SERVER_V4, 40_000u16, 80u16)
    } else {
        (SERVER_V4, CLIENT_V4, 80, 40_000)
    };
    let mut f = ethernet(0x0800);
    let total = (20 + 20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// Ethernet / IPv6 / UDP between two documentation addresses (RFC 8200, RFC 768 layouts).
fn udp_v6(from_client: bool, payload: &[u8]) -> Vec<u8> {
    let a: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let b: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let (src, dst, sport, dport) = if from_client {
        (a, b, 50_000u16, 9_999u16)
    } else {
        (b, a, 9_999, 50_000)
    };
    let mut f = ethernet(0x86dd);
    let udp_len = (8 + payload.len()) as u16;
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[17, 64]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

fn feed(engine: &mut Engine, frame: &[u8], ts: Timestamp) {
    engine.handle_frame(&Frame {
        ts,
        link: LinkType::Ethernet,
        orig_len: frame.len() as u32,
        data: frame,
    });
}

#[test]
fn packets_of_established_dissected_flows_do_not_allocate() {
    let mut engine = Engine::new(EngineConfig::default(), Arc::new(Classifier::default()));
    let mut now_ms = 0u64;
    let mut ts = || {
        now_ms += 7;
        Timestamp::from_secs_nanos(
            1_700_000_000 + now_ms / 1000,
            (now_ms % 1000) as u32 * 1_000_000,
        )
    };
    let (c_isn, s_isn) = (1_000u32, 5_000u32);
    let request = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    let handshake = [
        tcp_v4(true, c_isn, 0, TCP_SYN, b""),
        tcp_v4(false, s_isn, c_isn + 1, TCP_SYN | TCP_ACK, b""),
        tcp_v4(true, c_isn + 1, s_isn + 1, TCP_ACK, b""),
        tcp_v4(true, c_isn + 1, s_isn + 1, TCP_PSH_ACK, request),
        udp_v6(true, b"not a protocol anyone knows"),
        udp_v6(false, b"nor is this"),
    ];
    let setup = allocations_in(|| {
        for frame in &handshake {
            feed(&mut engine, frame, ts());
        }
    });
    // The counter sees the engine's allocations: the HTTP Host name is kept as a String.
    assert!(setup > 0, "setting up flows allocates");
    assert_eq!(
        engine.active_flows(),
        2,
        "the TCP and the UDP flow are live"
    );

    // Steady state: response data, client ACKs, UDP both ways. Frames are built beforehand.
    let body = [b'x'; 1200];
    let mut steady = Vec::new();
    let (mut c_seq, mut s_seq) = (c_isn + 1 + request.len() as u32, s_isn + 1);
    for i in 0..600u32 {
        steady.push(tcp_v4(false, s_seq, c_seq, TCP_PSH_ACK, &body));
        s_seq += body.len() as u32;
        steady.push(tcp_v4(true, c_seq, s_seq, TCP_ACK, b""));
        if i % 5 == 0 {
            steady.push(tcp_v4(true, c_seq, s_seq, TCP_PSH_ACK, b"more"));
            c_seq += 4;
        }
        steady.push(udp_v6(i % 2 == 0, b"datagram"));
    }
    let (warm_up, measured) = steady.split_at(200);
    for frame in warm_up {
        feed(&mut engine, frame, ts());
    }
    let allocations = allocations_in(|| {
        for frame in measured {
            feed(&mut engine, frame, ts());
        }
    });
    // The measured packets span several seconds of packet time: timeout sweeps ran too.
    assert!(measured.len() * 7 > 5_000);
    assert_eq!(
        allocations,
        0,
        "allocations over {} packets of established flows",
        measured.len()
    );
    assert_eq!(engine.active_flows(), 2, "no flow ended or was split");
    assert_eq!(
        engine.stats().packets as usize,
        handshake.len() + steady.len()
    );
}
