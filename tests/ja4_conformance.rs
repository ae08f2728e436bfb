//! JA4 (and, with `--features ja4plus`, JA4S) of every TLS-over-TCP and QUIC handshake in FoxIO's
//! reference captures (../shared/captures/ja4), through the whole pipeline: 100% identical, no
//! exception list. Truth: the Rust reference's insta snapshots (the only reference output with QUIC)
//! and the Python reference's JSON (JA4.1 / JA4S), which agree wherever both have a stream. Streams
//! are matched by their unordered endpoints.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

type Endpoints = ((IpAddr, u16), (IpAddr, u16));

fn endpoints(a: (IpAddr, u16), b: (IpAddr, u16)) -> Endpoints {
    if a <= b { (a, b) } else { (b, a) }
}

#[derive(Default, Debug)]
struct Expected {
    ja4: Option<String>,
    ja4s: Option<String>,
    sni: Option<String>,
}

/// Items of an insta YAML snapshot: `- stream: N` starts one, `  key: value` lines fill it.
fn rust_snapshot(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut items = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("- ") {
            items.push(BTreeMap::new());
            if let Some((k, v)) = rest.split_once(": ") {
                items
                    .last_mut()
                    .unwrap()
                    .insert(k.to_string(), v.trim().to_string());
            }
        } else if let Some(rest) = line.strip_prefix("  ") {
            if rest.starts_with(' ') || rest.starts_with('-') {
                continue; // nested lists (certificates, http, ssh)
            }
            if let (Some(item), Some((k, v))) = (items.last_mut(), rest.split_once(": ")) {
                item.insert(k.to_string(), v.trim().to_string());
            }
        }
    }
    items
}

#[test]
fn ja4_matches_the_foxio_references_on_every_handshake() {
    let dir = common::shared_dir().join("captures/ja4");
    let mut truth: BTreeMap<(String, &'static str, Endpoints), Expected> = BTreeMap::new();
    for snap in common::files_in(&dir.join("expected-rust-snapshots"), &[".snap"]) {
        let name = snap.file_name().unwrap().to_str().unwrap();
        let capture = name
            .trim_start_matches("ja4__insta@")
            .trim_end_matches(".snap")
            .to_string();
        for item in rust_snapshot(&std::fs::read_to_string(&snap).unwrap()) {
            let Some(ja4) = item.get("ja4") else { continue };
            let ip = |k: &str| item[k].parse::<IpAddr>().unwrap();
            let port = |k: &str| item[k].parse::<u16>().unwrap();
            let ends = endpoints((ip("src"), port("src_port")), (ip("dst"), port("dst_port")));
            let proto = if item["transport"] == "udp" {
                "udp"
            } else {
                "tcp"
            };
            let e = truth.entry((capture.clone(), proto, ends)).or_default();
            e.ja4 = Some(ja4.clone());
            e.ja4s = item.get("ja4s").cloned();
            e.sni = item.get("tls_server_name").cloned();
        }
    }
    for json in common::files_in(&dir.join("expected"), &[".json"]) {
        let capture = json
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_end_matches(".json")
            .to_string();
        let records: Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        for r in records.as_array().unwrap() {
            let Some(ja4) = r.get("JA4.1").and_then(Value::as_str) else {
                continue;
            };
            let ip = |k: &str| r[k].as_str().unwrap().parse::<IpAddr>().unwrap();
            let port = |k: &str| r[k].as_str().unwrap().parse::<u16>().unwrap();
            let ends = endpoints((ip("src"), port("srcport")), (ip("dst"), port("dstport")));
            let e = truth.entry((capture.clone(), "tcp", ends)).or_default();
            if let Some(prev) = &e.ja4 {
                assert_eq!(
                    prev, ja4,
                    "the two references disagree on {capture} {ends:?}"
                );
            }
            e.ja4 = Some(ja4.to_string());
            if let Some(s) = r.get("JA4S").and_then(Value::as_str) {
                e.ja4s.get_or_insert_with(|| s.to_string());
            }
        }
    }
    assert!(
        truth.len() > 190,
        "reference output missing under {}",
        dir.display()
    );

    let mut ours: BTreeMap<(String, &'static str, Endpoints), Value> = BTreeMap::new();
    let captures: Vec<String> = truth
        .keys()
        .map(|k| k.0.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for capture in &captures {
        let (records, _) = common::replay_records(&[dir.join("pcap").join(capture)]);
        for r in records {
            let Some(tls) = &r.tls else { continue };
            let v = serde_json::to_value(tls.record()).unwrap();
            let ends = endpoints((r.client_ip, r.client_port), (r.server_ip, r.server_port));
            // The first flow of a key wins, as the references fingerprint a stream's first hello.
            ours.entry((capture.clone(), r.proto, ends)).or_insert(v);
        }
    }
    let (mut ja4_ok, mut ja4s_ok, mut ja4s_total) = (0, 0, 0);
    let mut failures = Vec::new();
    for (key, want) in &truth {
        let got = ours.get(key);
        let got_ja4 = got.and_then(|v| v["ja4"].as_str());
        if got_ja4 == want.ja4.as_deref() {
            ja4_ok += 1;
        } else {
            failures.push(format!("{key:?}: JA4 want {:?} got {got_ja4:?}", want.ja4));
        }
        if let Some(sni) = &want.sni {
            let got_sni = got.and_then(|v| v["sni"].as_str());
            if got_sni != Some(sni.as_str()) {
                failures.push(format!("{key:?}: SNI want {sni} got {got_sni:?}"));
            }
        }
        if cfg!(feature = "ja4plus")
            && let Some(s) = &want.ja4s
        {
            ja4s_total += 1;
            let got_s = got.and_then(|v| v["ja4s"].as_str());
            if got_s == Some(s.as_str()) {
                ja4s_ok += 1;
            } else {
                failures.push(format!("{key:?}: JA4S want {s} got {got_s:?}"));
            }
        }
    }
    println!(
        "JA4: {ja4_ok}/{} handshakes identical; JA4S: {ja4s_ok}/{ja4s_total}",
        truth.len()
    );
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{} differences from the references",
        failures.len()
    );
}
