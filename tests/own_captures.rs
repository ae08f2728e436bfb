//! The project's own captures (captures/README.md): what aiwatch must find in each, as stated there
//! from tshark and ja4plus output, never from aiwatch's.

mod common;

use aiwatch::aggregate::record::FlowRecord;
use aiwatch::aggregate::summary::Summary;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn replay(name: &str) -> (Vec<FlowRecord>, Summary) {
    let (records, outcome) = common::replay_records(&[capture(name)]);
    assert!(outcome.read_error.is_none());
    (records, outcome.summary)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The flow from `client` to `server:port` (exactly one expected).
fn flow<'a>(records: &'a [FlowRecord], client: &str, server: &str, port: u16) -> &'a FlowRecord {
    let found: Vec<&FlowRecord> = records
        .iter()
        .filter(|r| r.client_ip == ip(client) && r.server_ip == ip(server) && r.server_port == port)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "flows {client} -> {server}:{port}: {found:#?}"
    );
    found[0]
}

fn ja4(r: &FlowRecord) -> Option<String> {
    r.tls.as_ref().and_then(|t| t.record().ja4.clone())
}

fn provider(r: &FlowRecord) -> Option<&str> {
    r.provider.as_ref().map(|p| p.id.as_str())
}

#[test]
fn ai_tls_mix_names_providers_and_jurisdictions() {
    let (records, summary) = replay("ai-tls-mix.pcap");
    assert_eq!(records.len(), 10);
    assert_eq!(records.iter().filter(|r| r.app == Some("dns")).count(), 5);
    let cases = [
        (
            "192.168.10.21",
            "116.205.173.10",
            "api.deepseek.com",
            "deepseek",
            "CN",
            true,
            16,
            12837,
        ),
        (
            "192.168.10.22",
            "116.205.173.10",
            "api.deepseek.com",
            "deepseek",
            "CN",
            true,
            25,
            24859,
        ),
        (
            "192.168.10.23",
            "104.18.32.47",
            "api.openai.com",
            "openai",
            "US",
            false,
            35,
            36879,
        ),
        (
            "192.168.10.21",
            "39.106.22.173",
            "api.moonshot.cn",
            "moonshot",
            "CN",
            true,
            0,
            6835,
        ),
        (
            "192.168.10.21",
            "160.79.104.10",
            "api.anthropic.com",
            "anthropic",
            "US",
            false,
            0,
            9829,
        ),
    ];
    for (client, server, name, prov, country, restricted, packets, payload) in cases {
        let r = flow(&records, client, server, 443);
        assert_eq!(r.server_name.as_deref(), Some(name));
        assert_eq!(r.name_source, Some("tls_sni"));
        // The A answer before the connection names it too, despite the AAAA NXDOMAIN for deepseek.
        assert_eq!(r.dns_name.as_deref(), Some(name));
        assert_eq!(provider(r), Some(prov));
        assert_eq!(r.dst_country, country);
        assert_eq!(r.restricted, restricted, "{name}");
        assert_eq!(r.c2s_payload_bytes, payload);
        if packets > 0 {
            assert_eq!(r.c2s_packets, packets);
        }
        assert_eq!(
            ja4(r).as_deref(),
            Some("t13d3112h2_e8f1e7e78f70_b26ce05bbdd6")
        );
        assert_eq!(
            r.tls
                .as_ref()
                .and_then(|t| t.record().ja3_hash.clone())
                .as_deref(),
            Some("0149f47eabf9a20d0893e2a44e5a6323")
        );
    }
    // Internal hosts are labelled, not geolocated (the DB would say AU for 192.168/16).
    let dns = records.iter().find(|r| r.app == Some("dns")).unwrap();
    assert_eq!(dns.dst_country, "private");

    // Summary totals equal sums computed here from the records.
    let mut by_jur: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_prov: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        if let Some(p) = &r.provider {
            *by_jur.entry(p.jurisdiction.clone()).or_default() += r.c2s_bytes;
            *by_prov.entry(p.id.clone()).or_default() += r.c2s_bytes;
        }
    }
    let got_jur: BTreeMap<String, u64> = summary
        .sent_by_jurisdiction
        .iter()
        .map(|j| (j.jurisdiction.clone(), j.totals.sent_bytes))
        .collect();
    let got_prov: BTreeMap<String, u64> = summary
        .sent_by_provider
        .iter()
        .map(|p| (p.provider.clone(), p.totals.sent_bytes))
        .collect();
    assert_eq!(got_jur, by_jur);
    assert_eq!(got_prov, by_prov);
    let cn = summary
        .sent_by_jurisdiction
        .iter()
        .find(|j| j.jurisdiction == "CN")
        .unwrap();
    assert_eq!(
        cn.totals.hosts, 2,
        "two internal hosts sent to CN-controlled services"
    );
    assert_eq!(cn.restricted_sent_bytes, cn.totals.sent_bytes);
    assert!(
        summary
            .sent_by_provider
            .iter()
            .find(|p| p.provider == "deepseek")
            .unwrap()
            .restricted
    );
    assert!(
        !summary
            .sent_by_provider
            .iter()
            .find(|p| p.provider == "openai")
            .unwrap()
            .restricted
    );
    assert_eq!(summary.restricted.flows, 3);
}

#[test]
fn dns_names_flows_without_sni_per_client() {
    let (records, _) = replay("dns-no-sni.pcap");
    let a = flow(&records, "192.168.10.21", "172.66.0.243", 443);
    let b = flow(&records, "192.168.10.22", "172.66.0.243", 443);
    assert_eq!(
        (a.server_name.as_deref(), a.name_source),
        (Some("chat.deepseek.com"), Some("dns"))
    );
    assert_eq!(
        (b.server_name.as_deref(), b.name_source),
        (Some("api.mistral.ai"), Some("dns"))
    );
    assert_eq!(a.tls.as_ref().and_then(|t| t.record().sni.clone()), None);
    assert_eq!(provider(a), Some("deepseek"));
    assert!(a.restricted);
    assert_eq!(provider(b), Some("mistral"));
    assert!(!b.restricted);
    assert_eq!(
        ja4(a).as_deref(),
        Some("t13i310900_e8f1e7e78f70_1f22a2ca17c4")
    );
}

#[test]
fn http_host_names_plain_http() {
    let (records, _) = replay("http-host.pcap");
    for (client, server, port, name) in [
        ("192.168.10.21", "116.205.173.10", 80, "api.deepseek.com"),
        ("192.168.10.22", "116.205.173.10", 80, "api.deepseek.com"),
        ("192.168.10.23", "39.106.22.173", 8080, "api.moonshot.cn"),
    ] {
        let r = flow(&records, client, server, port);
        assert_eq!(
            (r.server_name.as_deref(), r.name_source),
            (Some(name), Some("http_host"))
        );
        assert_eq!(r.http_host.as_deref(), Some(name));
        assert!(r.restricted);
    }
}

#[test]
fn cname_chain_and_dns_over_tcp() {
    let (records, _) = replay("dns-cname.pcap");
    let r = flow(&records, "192.168.10.21", "8.219.170.45", 443);
    assert_eq!(r.dns_name.as_deref(), Some("chat.deepseek.com"));
    assert_eq!(
        r.dns_chain,
        vec![
            "chat.deepseek.com",
            "chat-deepseek.edge.cdn.example",
            "x.cdn.example"
        ]
    );
    assert_eq!(provider(r), Some("deepseek"));
    assert_eq!(r.dst_country, "SG");
    let tcp_dns = flow(&records, "192.168.10.22", "192.168.10.53", 53);
    assert_eq!(tcp_dns.proto, "tcp");
    let dns = tcp_dns.dns.as_ref().expect("DNS over TCP dissected");
    assert_eq!(
        dns.queries.first().map(|q| q.name.as_str()),
        Some("api.deepseek.com")
    );
    assert!(dns.answers >= 1);
}

#[test]
fn tls_clients_fingerprints() {
    let (records, _) = replay("tls-clients.pcap");
    let cases = [
        (
            "192.168.10.21",
            "104.18.32.47",
            "api.openai.com",
            "t13d0412h2_16476d049b0b_85302d7e289e",
        ),
        (
            "192.168.10.22",
            "160.79.104.10",
            "api.anthropic.com",
            "t12d2807h2_d943125447b4_a44c6288192a",
        ),
        (
            "192.168.10.23",
            "116.205.173.10",
            "api.deepseek.com",
            "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4",
        ),
        (
            "192.168.10.21",
            "51.159.22.45",
            "api.mistral.ai",
            "t13d1812h1_85036bcba153_d41ae481755e",
        ),
    ];
    for (client, server, sni, want) in cases {
        let r = flow(&records, client, server, 443);
        assert_eq!(r.server_name.as_deref(), Some(sni));
        assert_eq!(ja4(r).as_deref(), Some(want), "{sni}");
    }
    // TLS 1.2: the certificate is in clear.
    let anthropic = flow(&records, "192.168.10.22", "160.79.104.10", 443)
        .tls
        .as_ref()
        .unwrap()
        .record();
    assert_eq!(anthropic.version.as_deref(), Some("1.2"));
    assert_eq!(anthropic.cipher.as_deref(), Some("0xc02c"));
    assert!(
        anthropic
            .cert_names
            .contains(&"api.anthropic.com".to_string())
    );
    assert!(
        anthropic
            .cert_names
            .contains(&"*.anthropic.com".to_string())
    );
    // Chromium's post-quantum ClientHellos span two TCP segments; GREASE ECH counts as offered.
    let chromium: Vec<&FlowRecord> = records
        .iter()
        .filter(|r| r.server_ip == ip("120.92.78.97"))
        .collect();
    assert_eq!(chromium.len(), 2);
    for r in chromium {
        let t = r.tls.as_ref().unwrap().record();
        assert_eq!(
            t.ja4.as_deref(),
            Some("t13d1517h2_8daaf6152771_cb7bf5808d99")
        );
        assert_eq!(t.sni.as_deref(), Some("chat.deepseek.com"));
        assert_eq!(t.ech, Some(true));
    }
}

#[test]
fn quic_initials_are_decrypted() {
    let (records, _) = replay("quic.pcap");
    let a = flow(&records, "192.168.10.21", "116.205.173.10", 443);
    assert_eq!(
        (a.server_name.as_deref(), a.name_source),
        (Some("api.deepseek.com"), Some("quic_sni"))
    );
    assert_eq!(
        ja4(a).as_deref(),
        Some("q13d0307h3_55b375c5d22e_1cecd519fee8")
    );
    assert_eq!(a.quic_version.as_deref(), Some("V-1"));
    assert_eq!(a.c2s_payload_bytes, 10720);
    // Chromium: the ClientHello is split into out-of-order CRYPTO frames across two Initials.
    let b = flow(&records, "192.168.10.22", "104.18.32.47", 443);
    assert_eq!(b.server_name.as_deref(), Some("api.openai.com"));
    assert_eq!(
        ja4(b).as_deref(),
        Some("q13d0312h3_55b375c5d22e_178839b6cec1")
    );
}

#[test]
fn chromium_dns_https_records_and_nxdomain() {
    let (records, _) = replay("chromium-dns.pcap");
    let tls: Vec<&FlowRecord> = records.iter().filter(|r| r.app == Some("tls")).collect();
    assert_eq!(tls.len(), 2);
    for r in &tls {
        assert_eq!(r.server_ip, ip("120.92.78.97"));
        assert_eq!(r.dns_name.as_deref(), Some("chat.deepseek.com"));
        assert_eq!(provider(r), Some("deepseek"));
    }
    assert_eq!(records.iter().filter(|r| r.app == Some("dns")).count(), 20);
    let https_queries = records
        .iter()
        .filter_map(|r| r.dns.as_ref())
        .flat_map(|d| d.queries.iter())
        .filter(|q| q.qtype == "HTTPS")
        .count();
    assert!(https_queries >= 1);
}
