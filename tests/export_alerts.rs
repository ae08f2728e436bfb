//! alerts.ndjson for ai-tls-mix.pcap. Expected set worked out from captures/README.md and FACTS.md:
//! with the shipped policy (restrict jurisdiction CN, alert on any byte; allowed providers never
//! alert), .21 and .22 send to api.deepseek.com (DeepSeek, CN) and .21 to api.moonshot.cn (Moonshot,
//! CN); .23 → api.openai.com and .21 → api.anthropic.com are US-controlled: no alert. One flow per
//! (host, provider), so "bytes so far" is that flow's c→s payload / IP bytes from FACTS.md.

mod export_support;

use aiwatch::export::ExportOptions;
use export_support::*;
use std::collections::BTreeSet;

#[test]
fn ai_tls_mix_raises_exactly_three_alerts_with_the_facts_byte_counts() {
    let dir = scratch("alerts-mix");
    export(
        &[capture("ai-tls-mix.pcap")],
        &dir,
        ExportOptions::default(),
    );
    let alerts = ndjson(&dir.join("alerts.ndjson"));
    let got: BTreeSet<(String, String, u64, u64, String, u64)> = alerts
        .iter()
        .map(|a| {
            assert_eq!(a["schema"], "aiwatch.alert/1");
            assert_eq!(a["jurisdiction"], "CN");
            assert_eq!(a["rule"], "restrict jurisdiction CN");
            assert_eq!(a["destination"]["country"], "CN");
            assert_eq!(a["destination"]["port"], 443);
            (
                a["host"].as_str().unwrap().to_string(),
                a["provider"].as_str().unwrap().to_string(),
                a["sent_payload_bytes"].as_u64().unwrap(),
                a["sent_bytes"].as_u64().unwrap(),
                a["destination"]["server_name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                a["flow"]["client_port"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, u64, u64, String, u64)> = [
        (
            "192.168.10.21",
            "deepseek",
            12837,
            13677,
            "api.deepseek.com",
            40492,
        ),
        (
            "192.168.10.22",
            "deepseek",
            24859,
            26167,
            "api.deepseek.com",
            47070,
        ),
        (
            "192.168.10.21",
            "moonshot",
            6835,
            7467,
            "api.moonshot.cn",
            50548,
        ),
    ]
    .into_iter()
    .map(|(h, p, pay, ip, n, port)| (h.into(), p.into(), pay, ip, n.into(), port))
    .collect();
    assert_eq!(alerts.len(), 3, "one alert per (host, provider, rule)");
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_pair_alerts_once_per_hour_window_and_thresholds_count_bytes() {
    use aiwatch::classify::policy::{Threshold, Thresholds};
    use aiwatch::export::alerts::alerts;
    use aiwatch::time::Timestamp;
    let o = aiwatch::runtime::replay::run(
        &replay_opts(&[capture("ai-tls-mix.pcap")]),
        &mut std::io::sink(),
    )
    .expect("replay");
    let deepseek_21 = o
        .records
        .iter()
        .find(|r| r.restricted && r.client_port == 40492)
        .expect("the .21 DeepSeek flow")
        .clone();
    // The same flow three times: twice in one hour, once two hours later.
    let shifted = |secs: u64| {
        let mut r = deepseek_21.clone();
        r.ts_start = Timestamp::from_nanos(r.ts_start.as_nanos() + secs * 1_000_000_000);
        r.ts_end = Timestamp::from_nanos(r.ts_end.as_nanos() + secs * 1_000_000_000);
        r
    };
    let records = vec![deepseek_21.clone(), shifted(1), shifted(2 * 3600)];
    let any = Thresholds {
        restricted: Threshold::AnyByte,
        allowed: Threshold::Never,
    };
    let got = alerts(&records, &any);
    assert_eq!(got.len(), 2, "once in the first hour, once in the third");
    assert_eq!(got[0].sent_payload_bytes, 12837);
    assert_eq!(got[1].sent_payload_bytes, 12837);
    // Threshold of 20000 payload bytes per hour: crossed by the second flow (2 × 12837 = 25674).
    let n = Thresholds {
        restricted: Threshold::BytesPerHostPerHour(20_000),
        allowed: Threshold::Never,
    };
    let got = alerts(&records, &n);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sent_payload_bytes, 25674);
    assert_eq!(got[0].flows, 2);
    let never = Thresholds {
        restricted: Threshold::Never,
        allowed: Threshold::Never,
    };
    assert!(alerts(&records, &never).is_empty());
}

/// The scenario, exactly: two hosts send to a restricted provider and one host to an allowed
/// one. With a policy restricting only DeepSeek (by provider id, default allow), ai-tls-mix.pcap is
/// that scenario (.21 and .22 → DeepSeek, .23 → OpenAI; Moonshot and Anthropic allowed): two alerts.
#[test]
fn two_hosts_to_a_restricted_provider_and_one_to_an_allowed_one_make_two_alerts() {
    use aiwatch::classify::Classifier;
    use aiwatch::classify::policy::Policy;
    use aiwatch::classify::signatures::Signatures;
    use aiwatch::runtime::replay;
    use std::sync::Arc;

    let signatures = Signatures::embedded();
    let policy_text = "default = \"allow\"\n[restrict]\nproviders = [\"deepseek\"]\n[alert]\nrestricted = \"any\"\nallowed = \"never\"\n";
    let policy =
        Policy::from_text("deepseek-only.toml", policy_text, &signatures).expect("valid policy");
    let classifier = Arc::new(Classifier {
        signatures,
        policy,
        ..Classifier::default()
    });
    let dir = scratch("alerts-two");
    let opts = replay::ReplayOptions {
        classifier,
        ..replay_opts(&[capture("ai-tls-mix.pcap")])
    };
    let export = ExportOptions {
        dir: Some(dir.clone()),
        ..ExportOptions::default()
    };
    replay::run_with_export(&opts, &export, &mut std::io::sink()).expect("replay");
    let alerts = ndjson(&dir.join("alerts.ndjson"));
    let got: BTreeSet<(String, String, u64)> = alerts
        .iter()
        .map(|a| {
            assert_eq!(a["rule"], "restrict provider deepseek");
            (
                a["host"].as_str().unwrap().to_string(),
                a["provider"].as_str().unwrap().to_string(),
                a["sent_payload_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    // Byte counts: c→s TCP payload of each flow, from captures/FACTS.md.
    let want: BTreeSet<(String, String, u64)> = [
        ("192.168.10.21", "deepseek", 12837),
        ("192.168.10.22", "deepseek", 24859),
    ]
    .into_iter()
    .map(|(h, p, b)| (h.to_string(), p.to_string(), b))
    .collect();
    assert_eq!(got, want);
}
