//! Geolocation against MaxMind's own test databases (answers from their `*.source.json`, the data
//! they were built from), the embedded database, and the special ranges that are never looked up.

mod common;

use std::net::IpAddr;
use std::path::PathBuf;

use aiwatch::classify::geo::{AsnDb, GeoAnswer, GeoDb, Special};
use ipnet::IpNet;

/// The reference data folder (`tests/common`).
fn shared() -> PathBuf {
    common::shared_dir()
}

fn maxmind(name: &str) -> PathBuf {
    shared().join("geo/maxmind-test").join(name)
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

/// The source records as (network, value) pairs.
fn source_records(name: &str) -> Vec<(IpNet, serde_json::Value)> {
    let text = std::fs::read_to_string(maxmind(name)).expect("source json");
    let list: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&text).expect("json list");
    list.into_iter()
        .flat_map(|m| m.into_iter())
        .map(|(net, value)| (net.parse::<IpNet>().expect("network"), value))
        .collect()
}

/// The record of the longest source network containing `addr` (how MaxMind DB lookups resolve).
fn expected_for(
    records: &[(IpNet, serde_json::Value)],
    addr: IpAddr,
) -> Option<&serde_json::Value> {
    records
        .iter()
        .filter(|(n, _)| n.contains(&addr))
        .max_by_key(|(n, _)| n.prefix_len())
        .map(|(_, v)| v)
}

#[test]
fn country_test_databases_give_the_source_answers() {
    // (GeoLite2-Country-Test has no source file here, so it is not compared.)
    for (db_name, source) in [(
        "GeoIP2-Country-Test.mmdb",
        "GeoIP2-Country-Test.source.json",
    )] {
        let db = GeoDb::open(&maxmind(db_name)).expect("test database opens");
        let records = source_records(source);
        let mut checked = 0;
        for (net, _) in &records {
            for addr in [net.network(), net.broadcast()] {
                if Special::of(addr).is_some()
                    || (net.addr().is_ipv6() && addr.to_canonical().is_ipv4())
                {
                    continue;
                }
                let Some(record) = expected_for(&records, addr) else {
                    continue;
                };
                let expected = record
                    .get("country")
                    .and_then(|c| c.get("iso_code"))
                    .or_else(|| {
                        record
                            .get("registered_country")
                            .and_then(|c| c.get("iso_code"))
                    })
                    .and_then(|c| c.as_str());
                let answer = db.lookup(addr);
                match expected {
                    Some(code) => assert_eq!(answer.country(), Some(code), "{db_name} {addr}"),
                    None => assert_eq!(answer, GeoAnswer::Unknown, "{db_name} {addr}"),
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "{db_name}: only {checked} addresses checked");
    }
}

#[test]
fn city_database_reads_nested_country() {
    // GeoIP2-City-Test: 81.2.69.160 is London, GB in MaxMind's test data (MaxMind-DB README examples
    // and source-data/GeoIP2-City-Test.json).
    let db = GeoDb::open(&maxmind("GeoIP2-City-Test.mmdb")).expect("opens");
    assert_eq!(db.lookup(ip("81.2.69.160")).country(), Some("GB"));
    assert_eq!(db.lookup(ip("2.125.160.216")).country(), Some("GB"));
    assert_eq!(db.lookup(ip("9.9.9.9")), GeoAnswer::Unknown);
}

#[test]
fn asn_test_database_gives_the_source_answers() {
    let db = AsnDb::open(&maxmind("GeoLite2-ASN-Test.mmdb")).expect("opens");
    let records = source_records("GeoLite2-ASN-Test.source.json");
    let mut checked = 0;
    for (net, _) in &records {
        let addr = net.network();
        if Special::of(addr).is_some() || (net.addr().is_ipv6() && addr.to_canonical().is_ipv4()) {
            continue;
        }
        let record = expected_for(&records, addr).expect("own network");
        let answer = db
            .lookup(addr)
            .expect("lookup works")
            .expect("known network");
        assert_eq!(
            Some(u64::from(answer.number)),
            record["autonomous_system_number"].as_u64(),
            "{addr}"
        );
        assert_eq!(
            answer.organization,
            record["autonomous_system_organization"].as_str(),
            "{addr}"
        );
        checked += 1;
    }
    assert!(checked > 50, "only {checked}");
    // From the source: 1.0.0.0/24 is AS15169 "Google Inc.".
    let google = db.lookup(ip("1.0.0.1")).expect("works").expect("known");
    assert_eq!(
        (google.number, google.organization),
        (15169, Some("Google Inc."))
    );
}

#[test]
fn broken_databases_fail_cleanly() {
    // MaxMind's deliberately broken files: one has a node count that puts the search tree past the
    // metadata (refused at open), the other a double stored with the wrong size (opens; the
    // lookup that reaches the bad record must return an error, not panic).
    let invalid = GeoDb::open(&maxmind("GeoIP2-City-Test-Invalid-Node-Count.mmdb"));
    assert!(matches!(invalid, Err(e) if e.to_string().contains("search tree")));
    let broken = GeoDb::open(&maxmind("GeoIP2-City-Test-Broken-Double-Format.mmdb"))
        .expect("metadata is fine");
    let mut errors = 0;
    for addr in [
        "81.2.69.160",
        "2.125.160.216",
        "1.1.1.1",
        "2001:218::1",
        "216.160.83.56",
        "89.160.20.112",
    ] {
        if broken.try_lookup(ip(addr)).is_err() {
            errors += 1;
        }
        // The infallible form degrades to Unknown or a country.
        let _ = broken.lookup(ip(addr));
    }
    assert!(errors > 0, "the broken double must surface as an error");
    let missing = GeoDb::open(&maxmind("does-not-exist.mmdb"));
    assert!(matches!(missing, Err(e) if e.to_string().contains("cannot read")));
    // A file that is not a database at all.
    assert!(GeoDb::open(&maxmind("LICENSE-MIT")).is_err());
    assert!(AsnDb::open(&maxmind("LICENSE-MIT")).is_err());
}

#[test]
fn special_ranges_are_labelled_not_looked_up() {
    let db = GeoDb::embedded();
    for (addr, label) in [
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.255", "cgnat"),
        ("127.0.0.1", "loopback"),
        ("169.254.1.1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("192.0.2.1", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fd00::1", "private"),
        ("fc00::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::fb", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::ffff:192.168.1.1", "private"),
    ] {
        assert_eq!(db.lookup(ip(addr)).as_str(), label, "{addr}");
    }
    // Just outside the ranges: 172.32/16 and 100.128/16 are public.
    assert!(Special::of(ip("172.32.0.1")).is_none());
    assert!(Special::of(ip("100.128.0.1")).is_none());
}

#[test]
fn embedded_database_answers_well_known_registrations() {
    let db = GeoDb::embedded();
    let (kind, built) = db.describe();
    assert!(!kind.is_empty() && built > 1_600_000_000);
    // 8.8.8.0/24 is Google's, registered in the US (ARIN); 223.5.5.5 is AliDNS (APNIC, CN);
    // 2001:4860:4860::8888 is Google's IPv6 resolver (ARIN, US).
    assert_eq!(db.lookup(ip("8.8.8.8")).country(), Some("US"));
    assert_eq!(db.lookup(ip("223.5.5.5")).country(), Some("CN"));
    assert_eq!(db.lookup(ip("2001:4860:4860::8888")).country(), Some("US"));
    assert_eq!(db.lookup(ip("::ffff:8.8.8.8")).country(), Some("US"));
}
