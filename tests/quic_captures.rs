//! Real captures through the QUIC client-Initial dissector: every QUIC connection for which FoxIO's
//! JA4 reference (expected Rust snapshots) has a `ja4` must yield a ClientHello whose SNI is the
//! snapshot's `tls_server_name`; nDPI's truth gives the SNI of its QUIC flows. The captures live in
//! the shared reference folder (`AIWATCH_SHARED`, else `<crate>/../shared`); the test
//! is skipped, loudly, when it is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use aiwatch::dissect::quic::{QuicClientInitials, QuicProgress, looks_like_client_initial};
use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};

fn shared_dir() -> Option<PathBuf> {
    Some(common::shared_dir()).filter(|dir| dir.join("captures").is_dir())
}

type Endpoint = (IpAddr, u16);

/// UDP payloads of a capture, in order, with their endpoints.
fn udp_datagrams(path: &Path) -> Vec<(Endpoint, Endpoint, Vec<u8>)> {
    let mut capture = pcap::Capture::from_file(path).expect("open capture");
    let link = capture.get_datalink().0;
    let mut out = Vec::new();
    while let Ok(packet) = capture.next_packet() {
        let data = packet.data;
        let sliced = match link {
            1 => LaxSlicedPacket::from_ethernet(data).ok(),
            // BSD loopback: a 4-byte address family, then IP.
            0 => data.get(4..).and_then(|d| LaxSlicedPacket::from_ip(d).ok()),
            // Linux cooked capture (SLL, 16 bytes; SLL2, 20 bytes).
            113 => data
                .get(16..)
                .and_then(|d| LaxSlicedPacket::from_ip(d).ok()),
            276 => data
                .get(20..)
                .and_then(|d| LaxSlicedPacket::from_ip(d).ok()),
            // Raw IP in its various numberings.
            12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).ok(),
            // PPP: address and control bytes (optional), then a 2-byte protocol.
            9 => {
                let skip = if data.starts_with(&[0xff, 0x03]) {
                    4
                } else {
                    2
                };
                data.get(skip..)
                    .and_then(|d| LaxSlicedPacket::from_ip(d).ok())
            }
            other => {
                eprintln!("{}: link type {other} skipped", path.display());
                return out;
            }
        };
        let Some(sliced) = sliced else { continue };
        let (src, dst): (IpAddr, IpAddr) = match &sliced.net {
            Some(LaxNetSlice::Ipv4(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            Some(LaxNetSlice::Ipv6(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            _ => continue,
        };
        if let Some(TransportSlice::Udp(udp)) = &sliced.transport {
            out.push((
                (src, udp.source_port()),
                (dst, udp.destination_port()),
                udp.payload().to_vec(),
            ));
        }
    }
    out
}

/// What one UDP flow gave: its client (the first sender of a client Initial) and the dissector.
struct FlowResult {
    client: Endpoint,
    server: Endpoint,
    state: QuicClientInitials,
    last: QuicProgress,
}

/// Groups datagrams by unordered endpoint pair and runs the dissector on each QUIC-looking flow.
fn dissect_capture(path: &Path) -> Vec<FlowResult> {
    let mut flows: BTreeMap<(Endpoint, Endpoint), FlowResult> = BTreeMap::new();
    for (src, dst, payload) in udp_datagrams(path) {
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        if let Some(flow) = flows.get_mut(&key) {
            if src == flow.client {
                flow.last = flow.state.on_client_datagram(&payload);
            } else {
                flow.state.on_server_datagram(&payload);
            }
        } else if looks_like_client_initial(&payload) {
            let mut state = QuicClientInitials::new();
            let last = state.on_client_datagram(&payload);
            flows.insert(
                key,
                FlowResult {
                    client: src,
                    server: dst,
                    state,
                    last,
                },
            );
        }
    }
    flows.into_values().collect()
}

/// The server_name of a ClientHello handshake message (a small scan, enough for a test).
fn sni(hello: &[u8]) -> Option<String> {
    let mut pos = 4 + 2 + 32;
    let sid = usize::from(*hello.get(pos)?);
    pos += 1 + sid;
    let suites = usize::from(u16::from_be_bytes(
        hello.get(pos..pos + 2)?.try_into().ok()?,
    ));
    pos += 2 + suites;
    let comp = usize::from(*hello.get(pos)?);
    pos += 1 + comp;
    let ext_len = usize::from(u16::from_be_bytes(
        hello.get(pos..pos + 2)?.try_into().ok()?,
    ));
    pos += 2;
    let end = pos + ext_len;
    while pos + 4 <= end {
        let ty = u16::from_be_bytes(hello.get(pos..pos + 2)?.try_into().ok()?);
        let len = usize::from(u16::from_be_bytes(
            hello.get(pos + 2..pos + 4)?.try_into().ok()?,
        ));
        let body = hello.get(pos + 4..pos + 4 + len)?;
        if ty == 0 {
            let name_len = usize::from(u16::from_be_bytes(body.get(3..5)?.try_into().ok()?));
            return Some(String::from_utf8_lossy(body.get(5..5 + name_len)?).into_owned());
        }
        pos += 4 + len;
    }
    None
}

fn flow_sni(flow: &FlowResult) -> Option<String> {
    flow.state.client_hello().and_then(sni)
}

/// `(src, src_port, dst, dst_port, tls_server_name)` of the snapshot's UDP entries with a `ja4`.
fn ja4_quic_truth(snapshot: &str) -> Vec<(Endpoint, Endpoint, Option<String>)> {
    let mut out = Vec::new();
    for block in snapshot.split("\n- ").skip(1) {
        let field = |name: &str| {
            block.lines().find_map(|l| {
                l.trim_start()
                    .strip_prefix(name)
                    .and_then(|r| r.strip_prefix(": "))
                    .map(|v| v.trim().trim_matches('\'').to_owned())
            })
        };
        if field("transport").as_deref() != Some("udp") || field("ja4").is_none() {
            continue;
        }
        let ep = |ip: &str, port: &str| -> Endpoint {
            (
                field(ip).unwrap().parse().unwrap(),
                field(port).unwrap().parse().unwrap(),
            )
        };
        out.push((
            ep("src", "src_port"),
            ep("dst", "dst_port"),
            field("tls_server_name"),
        ));
    }
    out
}

#[test]
fn ja4_reference_quic_connections_yield_their_client_hello() {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: shared reference captures not found");
        return;
    };
    let ja4 = shared.join("captures/ja4");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(ja4.join("expected-rust-snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let snapshot = std::fs::read_to_string(&path).unwrap();
        let truth = ja4_quic_truth(&snapshot);
        if truth.is_empty() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy();
        let pcap = name
            .trim_start_matches("ja4__insta@")
            .trim_end_matches(".snap");
        let flows = dissect_capture(&ja4.join("pcap").join(pcap));
        for (src, dst, server_name) in truth {
            checked += 1;
            let flow = flows.iter().find(|f| f.client == src && f.server == dst);
            let got = flow.and_then(flow_sni);
            let has_hello = flow.is_some_and(|f| f.state.client_hello().is_some());
            if !has_hello || (server_name.is_some() && got != server_name) {
                failures.push(format!(
                    "{pcap} {src:?}->{dst:?}: expected {server_name:?}, got {got:?} ({:?}, drops {:?})",
                    flow.map(|f| f.last),
                    flow.map(|f| f.state.drops().to_vec())
                ));
            }
        }
    }
    eprintln!(
        "JA4 reference: {checked} QUIC connections checked, {} failed",
        failures.len()
    );
    assert!(
        checked >= 50,
        "expected the ~51 QUIC connections of the JA4 snapshots"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn ndpi_quic_flows_yield_their_sni() {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: shared reference captures not found");
        return;
    };
    let ndpi = shared.join("captures/ndpi");
    let mut total = 0;
    let mut recovered = 0;
    let mut misses = Vec::new();
    let mut extra = Vec::new();
    for entry in std::fs::read_dir(ndpi.join("expected")).unwrap() {
        let path = entry.unwrap().path();
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let quic: Vec<&serde_json::Value> = truth["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                let version = f["quic_version"].as_str().unwrap_or_default();
                let ietf =
                    matches!(version, "V-1" | "V-2" | "MVFST-27") || version.starts_with("Draft-");
                ietf && f["sni"].is_string()
            })
            .collect();
        let pcap = truth["pcap"].as_str().unwrap();
        let any_quic = truth["flows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["quic_version"].is_string());
        if !any_quic {
            continue;
        }
        let flows = dissect_capture(&ndpi.join("pcap").join(pcap));
        for f in &quic {
            total += 1;
            let a: Endpoint = (
                f["client_ip"].as_str().unwrap().parse().unwrap(),
                f["client_port"].as_u64().unwrap() as u16,
            );
            let b: Endpoint = (
                f["server_ip"].as_str().unwrap().parse().unwrap(),
                f["server_port"].as_u64().unwrap() as u16,
            );
            let flow = flows
                .iter()
                .find(|x| (x.client == a && x.server == b) || (x.client == b && x.server == a));
            let got = flow.and_then(flow_sni).map(|s| s.to_lowercase());
            let want = f["sni"].as_str().unwrap().to_owned();
            // nDPI keeps the rightmost 79 characters.
            let got_cut = got.as_ref().map(|g| {
                let skip = g.chars().count().saturating_sub(79);
                g.chars().skip(skip).collect::<String>()
            });
            if got_cut.as_deref() == Some(want.as_str()) {
                recovered += 1;
            } else {
                misses.push(format!(
                    "{pcap} {a:?}<->{b:?} {}: want {want}, got {got:?} ({:?}, drops {:?})",
                    f["quic_version"],
                    flow.map(|x| x.last),
                    flow.map(|x| x.state.drops().to_vec())
                ));
            }
        }
        // Flows nDPI has no SNI for (it gave up, or the ClientHello is too big for it) where we
        // found one.
        for x in &flows {
            let in_truth = quic.iter().any(|f| {
                let ip = |k: &str| f[k].as_str().and_then(|s| s.parse::<IpAddr>().ok());
                let port = |k: &str| f[k].as_u64().map(|p| p as u16);
                let a = ip("client_ip").zip(port("client_port"));
                let b = ip("server_ip").zip(port("server_port"));
                a == Some(x.client) && b == Some(x.server)
                    || a == Some(x.server) && b == Some(x.client)
            });
            if !in_truth && x.state.client_hello().is_some() {
                extra.push(format!("{pcap} {:?}: SNI {:?}", x.client, flow_sni(x)));
            }
        }
    }
    eprintln!(
        "nDPI truth: SNI recovered for {recovered} of {total} IETF QUIC flows (v1, v2, drafts, \
         mvfst) with an SNI; misses: {misses:#?}; ClientHellos in {} more flows where nDPI has no SNI: {extra:#?}",
        extra.len()
    );
    assert!(total > 0);
    assert!(misses.is_empty(), "{misses:#?}");
    // quic_interop_V: clients force Version Negotiation with reserved versions and nDPI gives up;
    // tshark (`-Y tls.handshake.extensions_server_name`) opens all 63 flows' Initials, and the
    // SNIs were compared one by one when this test was written.
    let interop = extra
        .iter()
        .filter(|e| e.starts_with("quic_interop_V") && !e.ends_with("None"))
        .count();
    assert_eq!(interop, 63);
}

#[test]
fn tcpdump_quic_captures_do_not_break_the_dissector() {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: shared reference captures not found");
        return;
    };
    let dir = shared.join("captures/tcpdump/pcap");
    for name in [
        "quic_handshake.pcap",
        "quic_handshake_truncated.pcap",
        "quic_retry.pcap",
        "quic_vn.pcap",
        "quic_32_bit_pointer_overflow.pcap",
    ] {
        let flows = dissect_capture(&dir.join(name));
        for f in &flows {
            eprintln!(
                "{name}: {:?} -> {:?}: {:?}, version {:?}, sni {:?}, retry {}, vn {}, drops {:?}",
                f.client,
                f.server,
                f.last,
                f.state.version(),
                flow_sni(f),
                f.state.retry_seen(),
                f.state.version_negotiation_seen(),
                f.state.drops()
            );
        }
    }
}
