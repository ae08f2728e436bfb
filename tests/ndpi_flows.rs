//! Conformance of flows and packet counts with nDPI's per-flow truth (../shared/captures/ndpi).
//!
//! How nDPI's truth is converted (its README, "What nDPI counts"): nDPI keeps one flow per
//! (innermost VLAN, protocol, unordered endpoints) for the whole file, across FIN/RST and timeouts,
//! and calls the first sender its client. aiwatch ends flows (FIN, RST, idle) and names the opener
//! its client, so its records are summed per nDPI key and compared by endpoint: packets sent by each
//! endpoint must be identical. Bytes are not compared: nDPI counts captured frame bytes (link headers,
//! tunnel headers, padding), aiwatch counts IP bytes.
//!
//! Definitional differences that remain (7 of 2 266 flows; each checked against the capture with
//! tshark and aiwatch's malformed counters):
//! - Truncated L4 headers and first fragments that never complete: nDPI counts such a packet with
//!   whatever ports it can read (0 when none) — `kerberos_fuzz` (a TCP header cut short),
//!   `ip_fragmented_garbage` (4 first fragments of datagrams that never complete),
//!   `quic-fuzz-overflow` (one lone first fragment), and two flows of `fuzz-2006-06-26-2594`.
//!   aiwatch counts these as `tcp_header` malformed or as fragments held, not as flow packets.
//! - IP length fields larger than the frame on the wire (`ip_length_exceeds_frame`): aiwatch rejects
//!   a header that lies about a frame that was not cut by the snap length; nDPI's reader accepted
//!   one such packet in `reasm_crash_anon` and one in `fuzz-2006-06-26-2594` (fuzzed headers).

mod common;

use serde_json::Value;
use std::collections::HashMap;
use std::net::IpAddr;

use common::{NdpiKey, ndpi_key as key, ndpi_truth_flow};

#[test]
fn flows_and_packet_counts_agree_with_ndpi() {
    let shared = common::shared_dir().join("captures/ndpi");
    let expected = common::files_in(&shared.join("expected"), &[".json"]);
    assert!(
        expected.len() > 100,
        "nDPI truth missing in {}",
        shared.display()
    );
    let (mut total, mut agree) = (0usize, 0usize);
    let mut differences = Vec::new();
    for exp in &expected {
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(exp).unwrap()).unwrap();
        let pcap = shared.join("pcap").join(truth["pcap"].as_str().unwrap());
        let (records, _) = common::replay_records(std::slice::from_ref(&pcap));

        // Packets sent per (key, endpoint), summed over aiwatch's flows of that key.
        let mut sent: HashMap<(NdpiKey, (IpAddr, u16)), u64> = HashMap::new();
        for r in &records {
            let c = (r.client_ip, r.client_port);
            let s = (r.server_ip, r.server_port);
            let k = key(r.proto, r.vlan, c, s);
            *sent.entry((k.clone(), c)).or_default() += r.c2s_packets;
            *sent.entry((k, s)).or_default() += r.s2c_packets;
        }
        for f in truth["flows"].as_array().unwrap() {
            total += 1;
            let (k, c, s) = ndpi_truth_flow(f);
            let vlan = k.1;
            let ours_c = sent.get(&(k.clone(), c)).copied();
            let ours_s = sent.get(&(k, s)).copied();
            let mut want = (
                f["c2s_packets"].as_u64().unwrap(),
                f["s2c_packets"].as_u64().unwrap(),
            );
            // A flow from an endpoint to itself has one side: compare its total.
            let (ours_c, ours_s) = if c == s {
                want = (want.0 + want.1, 0);
                (ours_c, ours_s.map(|_| 0))
            } else {
                (ours_c, ours_s)
            };
            if (ours_c.unwrap_or(0), ours_s.unwrap_or(0)) == want
                && (ours_c.is_some() || ours_s.is_some())
            {
                agree += 1;
            } else {
                differences.push(format!(
                    "{}: {} {:?} -> {:?} vlan {:?}: nDPI {:?}, aiwatch {:?}",
                    truth["pcap"].as_str().unwrap(),
                    f["l4"],
                    c,
                    s,
                    vlan,
                    want,
                    (ours_c, ours_s)
                ));
            }
        }
    }
    let pct = 100.0 * agree as f64 / total as f64;
    println!(
        "nDPI flow conformance: {agree}/{total} flows identical in both directions ({pct:.2}%)"
    );
    for d in &differences {
        println!("  differs: {d}");
    }
    assert!(
        pct >= 99.0,
        "only {pct:.2}% of nDPI's flows agree; see the differences above"
    );
}
