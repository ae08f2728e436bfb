//! `--format ecs`: every field name outside `aiwatch.*` is an ECS field (tests/data/ecs_fields_used.txt,
//! copied from the official ECS field list), and the values carry the facts of FACTS.md.

mod export_support;

use aiwatch::export::{ExportOptions, FlowFormat};
use export_support::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn leaf_names(prefix: &str, v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_names(&name, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

fn ecs_list() -> BTreeSet<String> {
    read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ecs_fields_used.txt"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn ecs_documents_use_only_listed_ecs_names_outside_the_aiwatch_namespace() {
    let list = ecs_list();
    let mut used = BTreeSet::new();
    for cap in own_captures() {
        let dir = scratch(&format!(
            "ecs-{}",
            cap.file_stem().unwrap().to_string_lossy()
        ));
        export(
            std::slice::from_ref(&cap),
            &dir,
            ExportOptions {
                format: FlowFormat::Ecs,
                ..Default::default()
            },
        );
        for doc in ndjson(&dir.join("flows.ndjson")) {
            leaf_names("", &doc, &mut used);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let foreign: Vec<&String> = used
        .iter()
        .filter(|n| !n.starts_with("aiwatch.") && !list.contains(*n))
        .collect();
    assert!(foreign.is_empty(), "not in the ECS field list: {foreign:?}");
    // The core names the brief asks for are there.
    for name in [
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "destination.geo.country_iso_code",
        "network.transport",
        "network.protocol",
        "event.start",
        "event.end",
        "source.bytes",
        "destination.bytes",
        "source.packets",
        "tls.client.server_name",
        "tls.client.ja3",
        "tls.version",
        "tls.cipher",
        "dns.question.name",
        "aiwatch.tls.ja4",
        "aiwatch.provider.id",
        "aiwatch.jurisdiction",
        "aiwatch.restricted",
        "aiwatch.policy_rule",
    ] {
        assert!(used.contains(name), "{name} never written");
    }
}

#[test]
fn ecs_values_match_the_capture_facts() {
    let dir = scratch("ecs-values");
    export(
        &[capture("ai-tls-mix.pcap")],
        &dir,
        ExportOptions {
            format: FlowFormat::Ecs,
            ..Default::default()
        },
    );
    let docs = ndjson(&dir.join("flows.ndjson"));
    // FACTS.md flow 4: 192.168.10.22:47070 → 116.205.173.10:443, 25/11 packets, 26167/2421 IP bytes.
    let d = docs
        .iter()
        .find(|d| d["source"]["port"] == 47070)
        .expect("the .22 DeepSeek flow");
    assert_eq!(d["source"]["ip"], "192.168.10.22");
    assert_eq!(d["destination"]["ip"], "116.205.173.10");
    assert_eq!(d["destination"]["port"], 443);
    assert_eq!(d["source"]["packets"], 25);
    assert_eq!(d["destination"]["packets"], 11);
    assert_eq!(d["source"]["bytes"], 26167);
    assert_eq!(d["destination"]["bytes"], 2421);
    assert_eq!(d["network"]["transport"], "tcp");
    assert_eq!(d["destination"]["geo"]["country_iso_code"], "CN");
    assert_eq!(d["tls"]["client"]["server_name"], "api.deepseek.com");
    assert_eq!(
        d["tls"]["client"]["ja3"],
        "0149f47eabf9a20d0893e2a44e5a6323"
    );
    assert_eq!(d["tls"]["cipher"], "0x1302");
    assert_eq!(
        d["aiwatch"]["tls"]["ja4"],
        "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6"
    );
    assert_eq!(d["aiwatch"]["jurisdiction"], "CN");
    assert_eq!(d["aiwatch"]["restricted"], true);
    // DNS flow 1: api.deepseek.com A, answered NOERROR; the private resolver has no ISO country.
    let dns = docs
        .iter()
        .find(|d| d["source"]["port"] == 40209)
        .expect("DNS flow");
    assert_eq!(dns["dns"]["question"]["name"], "api.deepseek.com");
    assert_eq!(dns["dns"]["question"]["type"], "A");
    assert!(dns["destination"].get("geo").is_none());
    assert_eq!(dns["aiwatch"]["dst_country"], "private");
    let _ = std::fs::remove_dir_all(&dir);
}
