//! A small, hand-built office network for the TUI tests and the `tui_demo` example.
//!
//! Six ended flows (times from 2024-10-21T08:00:00Z = 1_729_497_600 s):
//!
//! | client    | provider (jurisdiction) | server country | sent      | received |
//! |-----------|-------------------------|----------------|-----------|----------|
//! | 10.0.0.11 | DeepSeek (CN), restr.   | CN             | 2 MiB     | 64 KiB   |
//! | 10.0.0.12 | DeepSeek (CN), restr.   | CN             | 1 MiB     | 32 KiB   |
//! | 10.0.0.13 | DeepSeek (CN), restr.   | SG (a CDN)     | 512 KiB   | 16 KiB   |
//! | 10.0.0.11 | OpenAI (US)             | US             | 800 KiB   | 256 KiB  |
//! | 10.0.0.14 | OpenAI (US)             | US             | 256 KiB   | 128 KiB  |
//! | 10.0.0.12 | none (example.org)      | US             | 10 MiB    | 1000 B   |

#![allow(dead_code)]

use aiwatch::aggregate::record::{FLOW_SCHEMA, FlowRecord};
use aiwatch::aggregate::snapshot::{AlertRow, LiveStatus, Snapshot};
use aiwatch::aggregate::summary::Summary;
use aiwatch::classify::signatures::{Category, ProviderRecord};
use aiwatch::engine::EngineStats;
use aiwatch::flow::TableStats;
use aiwatch::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr};

/// 2024-10-21T08:00:00Z.
pub const T0: u64 = 1_729_497_600;
pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * 1024;

pub fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

pub fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

fn deepseek() -> ProviderRecord {
    ProviderRecord {
        id: "deepseek".into(),
        name: "DeepSeek".into(),
        jurisdiction: "CN".into(),
        category: Category::ModelApi,
    }
}

fn openai() -> ProviderRecord {
    ProviderRecord {
        id: "openai".into(),
        name: "OpenAI".into(),
        jurisdiction: "US".into(),
        category: Category::ModelApi,
    }
}

#[allow(clippy::too_many_arguments)]
fn flow(
    client: u8,
    server: [u8; 4],
    name: &str,
    provider: Option<ProviderRecord>,
    country: &str,
    sent: u64,
    received: u64,
    start: u64,
) -> FlowRecord {
    let restricted = provider.as_ref().is_some_and(|p| p.jurisdiction == "CN");
    FlowRecord {
        schema: FLOW_SCHEMA,
        ts_start: at(start),
        ts_end: at(start + 60),
        proto: "tcp",
        client_ip: ip(client),
        client_port: 50_000 + u16::from(client),
        server_ip: IpAddr::V4(Ipv4Addr::from(server)),
        server_port: 443,
        vlan: None,
        tunnel: None,
        c2s_packets: sent / 1000 + 1,
        c2s_bytes: sent,
        c2s_payload_bytes: sent,
        s2c_packets: received / 1000 + 1,
        s2c_bytes: received,
        s2c_payload_bytes: received,
        end_reason: "fin",
        app: Some("tls"),
        server_name: Some(name.to_string()),
        name_source: Some("tls_sni"),
        dns_name: None,
        dns_chain: Vec::new(),
        http_host: None,
        tls: None,
        quic_version: None,
        dns: None,
        encrypted_dns: false,
        encrypted_dns_kind: None,
        provider,
        matched: None,
        dst_country: country.to_string(),
        dst_asn: None,
        dst_as_org: None,
        restricted,
        policy_rule: if restricted {
            "restrict jurisdiction CN".into()
        } else {
            "allow".into()
        },
    }
}

pub fn records() -> Vec<FlowRecord> {
    vec![
        flow(
            11,
            [198, 51, 100, 10],
            "api.deepseek.com",
            Some(deepseek()),
            "CN",
            2 * MIB,
            64 * KIB,
            10,
        ),
        flow(
            12,
            [198, 51, 100, 10],
            "api.deepseek.com",
            Some(deepseek()),
            "CN",
            MIB,
            32 * KIB,
            20,
        ),
        flow(
            13,
            [203, 0, 113, 20],
            "chat.deepseek.com",
            Some(deepseek()),
            "SG",
            512 * KIB,
            16 * KIB,
            30,
        ),
        flow(
            11,
            [192, 0, 2, 30],
            "api.openai.com",
            Some(openai()),
            "US",
            800 * KIB,
            256 * KIB,
            40,
        ),
        flow(
            14,
            [192, 0, 2, 30],
            "api.openai.com",
            Some(openai()),
            "US",
            256 * KIB,
            128 * KIB,
            50,
        ),
        flow(
            12,
            [192, 0, 2, 99],
            "example.org",
            None,
            "US",
            10 * MIB,
            1000,
            60,
        ),
    ]
}

pub fn status() -> LiveStatus {
    LiveStatus {
        source: "replay captures/office-monday.pcapng".into(),
        progress: Some(0.42),
        packet_time: Some(at(120)),
        packets_per_sec: 1234.0,
        bits_per_sec: 12_345_678.0,
        active_flows: 17,
        drops: 0,
        malformed: 2,
        paused: false,
    }
}

/// One alert per restricted flow, at the flow's end.
pub fn alerts(records: &[FlowRecord]) -> Vec<AlertRow> {
    records
        .iter()
        .filter(|r| r.restricted)
        .map(|r| AlertRow {
            ts: r.ts_end,
            host: r.client_ip,
            provider: r
                .provider
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            jurisdiction: "CN".into(),
            sent_bytes: r.c2s_bytes,
            rule: r.policy_rule.clone(),
        })
        .collect()
}

/// Bytes per second sent to restricted services: a ramp with a burst (peak 48 KiB/s), ending at
/// 8 KiB/s.
pub fn restricted_rate() -> Vec<u64> {
    let mut rate: Vec<u64> = (0..100u64).map(|i| (i % 10) * KIB).collect();
    rate[70] = 48 * KIB;
    rate.push(8 * KIB);
    rate
}

pub fn summary(records: &[FlowRecord]) -> Summary {
    Summary::build(
        &["office-monday.pcapng".to_string()],
        records,
        &EngineStats::default(),
        &TableStats::default(),
    )
}

pub fn snapshot() -> Snapshot {
    let records = records();
    Snapshot::build(
        &summary(&records),
        &status(),
        &alerts(&records),
        &restricted_rate(),
    )
    .with_flows(&records)
}
