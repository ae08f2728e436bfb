//! No false positives on real traffic: every TLS/QUIC server name nDPI saw in its reference
//! captures (`captures/ndpi/expected/*.json`, field `sni`) is matched against the embedded
//! signatures. The captures predate most AI services and hold none of their traffic, except names
//! judged below; any other match would be a signature that claims a generic host.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use aiwatch::classify::signatures::Signatures;

fn shared() -> PathBuf {
    common::shared_dir()
}

/// Every distinct non-null `sni` in the expected flows.
fn ndpi_server_names() -> BTreeSet<String> {
    let dir = shared().join("captures/ndpi/expected");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("nDPI expected folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        for flow in doc["flows"].as_array().into_iter().flatten() {
            if let Some(sni) = flow["sni"].as_str() {
                names.insert(sni.to_string());
            }
        }
    }
    names
}

/// Names in the captures that really are AI-service hosts (judged by hand; see the test's output).
const GENUINE_AI_HOSTS: &[(&str, &str)] = &[];

#[test]
fn ndpi_server_names_match_no_generic_host() {
    let names = ndpi_server_names();
    assert!(
        names.len() > 300,
        "expected the nDPI names, found {}",
        names.len()
    );
    let sigs = Signatures::embedded();
    let mut matched = Vec::new();
    for name in &names {
        if let Some(m) = sigs.match_name(name) {
            eprintln!("match: {name} -> {} (key {})", m.provider.id, m.key);
            matched.push((name.as_str(), m.provider.id.as_str()));
        }
    }
    let unexpected: Vec<_> = matched
        .iter()
        .filter(|m| !GENUINE_AI_HOSTS.contains(m))
        .collect();
    assert!(
        unexpected.is_empty(),
        "signatures claim non-AI hosts: {unexpected:#?}"
    );
    // And the generic Google/Microsoft names that do occur stay unattributed.
    for generic in names.iter().filter(|n| {
        n.ends_with(".google.com")
            || n.ends_with(".googleapis.com")
            || n.ends_with(".microsoft.com")
    }) {
        assert!(sigs.match_name(generic).is_none(), "{generic}");
    }
}
