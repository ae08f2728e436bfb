//! Matching behaviour of the embedded signature set and of small hand-written sets.

use std::net::IpAddr;

use aiwatch::classify::signatures::{MatchKind, Signatures};

fn set(text: &str) -> Signatures {
    match Signatures::from_texts(&[("t.toml", text)]) {
        Ok(s) => s,
        Err(d) => panic!("fixture should validate: {d:?}"),
    }
}

const OVERLAP: &str = r#"
[[provider]]
id = "broad"
name = "Broad"
operator = "Broad Inc"
jurisdiction = "US"
category = "assistant"
domains = ["example-ai.com", "xn--bcher-kva.example"]
addresses = ["10.0.0.0/8", "2001:db8::/32"]
sources = ["hand-written fixture"]

[[provider]]
id = "narrow"
name = "Narrow"
operator = "Narrow Ltd"
jurisdiction = "CN"
category = "model-api"
domains = ["api.example-ai.com"]
addresses = ["10.1.0.0/16", "2001:db8:1::/48"]
ja4 = ["t13d1516h2_8daaf6152771_02713d6af862"]
sources = ["hand-written fixture"]
"#;

fn provider_of_name(s: &Signatures, name: &str) -> Option<String> {
    s.match_name(name).map(|m| m.provider.id.clone())
}

fn provider_of_addr(s: &Signatures, addr: &str) -> Option<String> {
    let ip: IpAddr = addr.parse().expect("test address");
    s.match_addr(ip).map(|m| m.provider.id.clone())
}

#[test]
fn suffix_matches_whole_labels_only() {
    let s = Signatures::embedded();
    assert_eq!(
        provider_of_name(&s, "deepseek.com").as_deref(),
        Some("deepseek")
    );
    assert_eq!(
        provider_of_name(&s, "api.deepseek.com").as_deref(),
        Some("deepseek")
    );
    assert_eq!(
        provider_of_name(&s, "a.b.c.deepseek.com").as_deref(),
        Some("deepseek")
    );
    // Same trailing characters, different label: must not match.
    assert_eq!(provider_of_name(&s, "notdeepseek.com"), None);
    assert_eq!(provider_of_name(&s, "deepseek.com.evil.net"), None);
    assert_eq!(provider_of_name(&s, "com"), None);
    assert_eq!(provider_of_name(&s, ""), None);
    assert_eq!(provider_of_name(&s, "."), None);
}

#[test]
fn the_key_reported_is_the_most_specific_entry() {
    let s = Signatures::embedded();
    let m = s.match_name("api.deepseek.com").expect("listed host");
    assert_eq!((m.key, m.kind), ("api.deepseek.com", MatchKind::Domain));
    let m = s.match_name("cdn.deepseek.com").expect("under the apex");
    assert_eq!(m.key, "deepseek.com");
    let record = m.record("cdn.deepseek.com");
    assert_eq!(record.value, "cdn.deepseek.com");
    assert_eq!(record.key, "deepseek.com");
}

#[test]
fn overlapping_domains_more_specific_wins() {
    let s = set(OVERLAP);
    assert_eq!(
        provider_of_name(&s, "example-ai.com").as_deref(),
        Some("broad")
    );
    assert_eq!(
        provider_of_name(&s, "www.example-ai.com").as_deref(),
        Some("broad")
    );
    assert_eq!(
        provider_of_name(&s, "api.example-ai.com").as_deref(),
        Some("narrow")
    );
    assert_eq!(
        provider_of_name(&s, "eu.api.example-ai.com").as_deref(),
        Some("narrow")
    );
    // "api" as a label elsewhere does not make it the narrow entry.
    assert_eq!(
        provider_of_name(&s, "api.www.example-ai.com").as_deref(),
        Some("broad")
    );
}

#[test]
fn case_and_trailing_dot_are_normalised() {
    let s = Signatures::embedded();
    assert_eq!(
        provider_of_name(&s, "API.DeepSeek.COM").as_deref(),
        Some("deepseek")
    );
    assert_eq!(
        provider_of_name(&s, "api.deepseek.com.").as_deref(),
        Some("deepseek")
    );
    // Only one trailing dot is a root marker; two means an empty label.
    assert_eq!(provider_of_name(&s, "api.deepseek.com.."), None);
}

#[test]
fn punycode_matches_as_written_and_u_labels_do_not() {
    let s = set(OVERLAP);
    // "bücher" is "xn--bcher-kva" in IDNA (RFC 3492 / RFC 5891); the entry is the A-label.
    assert_eq!(
        provider_of_name(&s, "shop.xn--bcher-kva.example").as_deref(),
        Some("broad")
    );
    assert_eq!(
        provider_of_name(&s, "XN--BCHER-KVA.example").as_deref(),
        Some("broad")
    );
    // SNI carries A-labels (RFC 6066); a U-label is not converted and does not match.
    assert_eq!(provider_of_name(&s, "bücher.example"), None);
}

#[test]
fn overlong_names_never_match() {
    let s = Signatures::embedded();
    let long = format!("{}.deepseek.com", "a.".repeat(130));
    assert!(long.len() > 253);
    assert_eq!(provider_of_name(&s, &long), None);
}

#[test]
fn ipv4_and_ipv6_longest_prefix_wins() {
    let s = set(OVERLAP);
    assert_eq!(provider_of_addr(&s, "10.2.3.4").as_deref(), Some("broad"));
    assert_eq!(
        provider_of_addr(&s, "10.1.200.1").as_deref(),
        Some("narrow")
    );
    assert_eq!(provider_of_addr(&s, "11.0.0.1"), None);
    assert_eq!(
        provider_of_addr(&s, "2001:db8:2::1").as_deref(),
        Some("broad")
    );
    assert_eq!(
        provider_of_addr(&s, "2001:db8:1:ffff::1").as_deref(),
        Some("narrow")
    );
    assert_eq!(provider_of_addr(&s, "2001:db9::1"), None);
    // An IPv4-mapped IPv6 address is the IPv4 address.
    assert_eq!(
        provider_of_addr(&s, "::ffff:10.1.0.1").as_deref(),
        Some("narrow")
    );
    let m = s
        .match_addr("10.1.0.1".parse().expect("addr"))
        .expect("hit");
    assert_eq!((m.key, m.kind), ("10.1.0.0/16", MatchKind::Address));
}

#[test]
fn anthropic_published_ranges_match() {
    // blackmatrix7's Claude list: 160.79.104.0/21 (160.79.104.0-160.79.111.255) and 2607:6bc0::/32.
    let s = Signatures::embedded();
    assert_eq!(
        provider_of_addr(&s, "160.79.111.255").as_deref(),
        Some("anthropic")
    );
    assert_eq!(provider_of_addr(&s, "160.79.112.0"), None);
    assert_eq!(provider_of_addr(&s, "160.79.103.255"), None);
    assert_eq!(
        provider_of_addr(&s, "2607:6bc0:ffff::1").as_deref(),
        Some("anthropic")
    );
}

#[test]
fn ja4_is_exact() {
    let s = set(OVERLAP);
    let m = s
        .match_ja4("t13d1516h2_8daaf6152771_02713d6af862")
        .expect("hit");
    assert_eq!((m.provider.id.as_str(), m.kind), ("narrow", MatchKind::Ja4));
    assert!(
        s.match_ja4("t13d1516h2_8daaf6152771_02713d6af863")
            .is_none()
    );
}

#[test]
fn generic_google_and_microsoft_hosts_do_not_match_but_ai_endpoints_do() {
    let s = Signatures::embedded();
    for generic in [
        "www.google.com",
        "google.com",
        "clients4.google.com",
        "www.googleapis.com",
        "storage.googleapis.com",
        "fonts.googleapis.com",
        "play.googleapis.com",
        "oauth2.googleapis.com",
        "www.gstatic.com",
        "www.microsoft.com",
        "login.microsoftonline.com",
        "www.bing.com",
        "management.azure.com",
        "s3.amazonaws.com",
        "oss-cn-hangzhou.aliyuncs.com",
        "www.cloudflare.com",
        "github.com",
        "x.com",
    ] {
        assert_eq!(
            provider_of_name(&s, generic),
            None,
            "{generic} is a generic host"
        );
    }
    for (ai, id) in [
        ("gemini.google.com", "google-gemini"),
        ("generativelanguage.googleapis.com", "google-gemini"),
        ("us-central1-aiplatform.googleapis.com", "none"),
        ("dashscope.aliyuncs.com", "alibaba-qwen"),
        ("my-resource.openai.azure.com", "azure-openai"),
        ("gateway.ai.cloudflare.com", "cloudflare-ai-gateway"),
        ("copilot.microsoft.com", "microsoft-copilot"),
    ] {
        let expected = (id != "none").then(|| id.to_string());
        assert_eq!(provider_of_name(&s, ai), expected, "{ai}");
    }
}
