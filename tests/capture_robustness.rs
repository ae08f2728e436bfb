//! Every reference capture replays to the end without a panic or a hang, malformed packets are
//! counted, and what aiwatch reads matches what tcpdump and tshark read from the same files.

mod common;

use aiwatch::engine::EngineConfig;
use aiwatch::runtime::replay::{self, ReplayOptions};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn replay(path: &Path) -> Result<replay::ReplayOutcome, String> {
    let opts = ReplayOptions {
        files: vec![path.to_path_buf()],
        export: None,
        engine: EngineConfig::default(),
        classifier: Default::default(),
        keep_records: true,
    };
    replay::run(&opts, &mut std::io::sink())
}

fn tcpdump_capture(name: &str) -> PathBuf {
    common::shared_dir()
        .join("captures/tcpdump/pcap")
        .join(name)
}

fn ppp_capture(name: &str) -> PathBuf {
    common::shared_dir()
        .join("captures/pcapplusplus/pcap")
        .join(name)
}

#[test]
fn every_reference_capture_replays_without_panic() {
    let shared = common::shared_dir().join("captures");
    let mut files = Vec::new();
    for dir in ["tcpdump/pcap", "pcapplusplus/pcap", "ja4/pcap", "ndpi/pcap"] {
        files.extend(common::files_in(
            &shared.join(dir),
            &[".pcap", ".pcapng", ".cap"],
        ));
    }
    assert!(
        files.len() > 200,
        "reference captures missing under {}",
        shared.display()
    );
    let (mut frames, mut malformed) = (0u64, 0u64);
    for f in &files {
        match replay(f) {
            Ok(out) => {
                frames += out.summary.frames;
                malformed += out.summary.malformed.values().sum::<u64>();
                if let Some(e) = out.read_error {
                    println!("{}: stopped early: {e}", f.display());
                }
            }
            Err(e) => {
                // The only input refused up front is a link type aiwatch cannot decode.
                assert!(e.contains("unsupported link type"), "{}: {e}", f.display());
            }
        }
    }
    println!(
        "{} captures, {frames} frames, {malformed} malformed (counted by reason)",
        files.len()
    );
}

#[test]
fn unsupported_link_type_is_one_clear_error() {
    let e = replay(&tcpdump_capture("unsupported-link-type-160.pcap"))
        .err()
        .expect("must be refused");
    assert!(
        e.contains("unsupported-link-type-160.pcap") && e.contains("unsupported link type"),
        "{e}"
    );
}

#[test]
fn empty_pcapng_is_zero_flows_not_an_error() {
    let out = replay(&tcpdump_capture("empty.pcapng")).unwrap();
    assert_eq!((out.summary.frames, out.records.len()), (0, 0));
    assert!(out.read_error.is_none());
}

#[test]
fn ipv6_under_the_ipv4_link_type_is_counted_as_malformed() {
    let out = replay(&tcpdump_capture("LINKTYPE_IPV4_invalid.pcap")).unwrap();
    assert_eq!(out.summary.malformed.get("ip_version"), Some(&1));
    assert!(out.records.is_empty());
}

#[test]
fn pcapng_with_several_link_types_is_read_whole() {
    // Packet counts from capinfos; libpcap refuses these files after the first interface change.
    let out = replay(&ppp_capture("many_interfaces-1.pcapng")).unwrap();
    assert!(out.read_error.is_none(), "{:?}", out.read_error);
    assert_eq!(out.summary.frames, 64);
    // Last packet's time from tshark: 1439753728.292345000.
    assert_eq!(
        out.summary.ts_last.as_deref(),
        Some("2015-08-16T19:35:28.292345Z")
    );
    let out = replay(&ppp_capture("pcapng-example.pcapng")).unwrap();
    assert!(out.read_error.is_none(), "{:?}", out.read_error);
    assert_eq!(out.summary.frames, 159);
}

#[test]
fn nanosecond_and_big_endian_timestamps() {
    // tshark: 1418145369.924505488 and 1766361926.167647291 (microseconds kept in records).
    let out = replay(&tcpdump_capture("tcp-handshake-nano.pcap")).unwrap();
    assert_eq!(
        out.summary.ts_first.as_deref(),
        Some("2014-12-09T17:16:09.924505Z")
    );
    let out = replay(&ppp_capture("nanosecs_big_endian.pcap")).unwrap();
    assert_eq!(
        out.summary.ts_first.as_deref(),
        Some("2025-12-22T00:05:26.167647Z")
    );
}

#[test]
fn qinq_arp_is_not_ip() {
    let out = replay(&tcpdump_capture("802.1ad_QinQ.pcap")).unwrap();
    assert_eq!(
        (
            out.summary.not_ip,
            out.summary.malformed.values().sum::<u64>()
        ),
        (2, 0)
    );
}

/// (address, port) pairs of the `A.p > B.q:` tuples tcpdump printed, unordered.
fn tcpdump_tuples(out_file: &str) -> BTreeSet<((IpAddr, u16), (IpAddr, u16))> {
    let text = std::fs::read_to_string(
        common::shared_dir()
            .join("captures/tcpdump/expected")
            .join(out_file),
    )
    .unwrap();
    let endpoint = |tok: &str| -> Option<(IpAddr, u16)> {
        let tok = tok.trim_end_matches(':');
        let (ip, port) = tok.rsplit_once('.')?;
        Some((ip.parse().ok()?, port.parse().ok()?))
    };
    let mut set = BTreeSet::new();
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        for w in toks.windows(3) {
            if w[1] == ">"
                && w[2].ends_with(':')
                && let (Some(a), Some(b)) = (endpoint(w[0]), endpoint(w[2]))
            {
                set.insert(if a <= b { (a, b) } else { (b, a) });
            }
        }
    }
    set
}

#[test]
fn link_types_give_the_tuples_tcpdump_prints() {
    let cases = [
        ("LINKTYPE_RAW_ipv4.pcap", "LINKTYPE_RAW_ipv4.out"),
        ("LINKTYPE_RAW_ipv6.pcap", "LINKTYPE_RAW_ipv6.out"),
        ("LINKTYPE_IPV4.pcap", "LINKTYPE_IPV4.out"),
        ("LINKTYPE_IPV6.pcap", "LINKTYPE_IPV6.out"),
        ("tcp-handshake-nano.pcap", "tcp-handshake-micro-t.out"),
        ("dns-badcookie.pcap", "dns-badcookie.out"),
        ("mpls-traceroute.pcap", "mpls-traceroute.out"),
        ("ipv4_tcp_http_xml.pcap", "ipv4_tcp_http_xml.out"),
        ("dns_tcp.pcap", "dns_tcp-v.out"),
        ("print-flags.pcap", "print-x.out"),
        ("quic_handshake.pcap", "quic_handshake.out"),
    ];
    for (pcap, out_file) in cases {
        let want = tcpdump_tuples(out_file);
        assert!(!want.is_empty(), "{out_file}: no tuples parsed");
        let out = replay(&tcpdump_capture(pcap)).unwrap();
        let got: BTreeSet<_> = out
            .records
            .iter()
            .filter(|r| r.proto == "tcp" || r.proto == "udp")
            .map(|r| {
                let (a, b) = ((r.client_ip, r.client_port), (r.server_ip, r.server_port));
                if a <= b { (a, b) } else { (b, a) }
            })
            .collect();
        assert_eq!(got, want, "{pcap}");
    }
}
