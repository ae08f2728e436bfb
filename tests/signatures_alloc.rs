//! Lookups must not allocate: a counting global allocator observes the calling thread while it
//! matches names, addresses and JA4s and geolocates addresses.

use std::net::IpAddr;

use aiwatch::classify::geo::GeoDb;
use aiwatch::classify::signatures::Signatures;

mod counting_alloc;
use counting_alloc::{Counting, allocations_in};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn matching_and_geolocation_do_not_allocate() {
    let sigs = Signatures::embedded();
    let geo = GeoDb::embedded();
    let names = [
        "api.deepseek.com",
        "API.DeepSeek.COM.",
        "www.google.com",
        "a.very.long.name.under.some.unrelated.example.org",
        "notdeepseek.com",
        "",
    ];
    let addrs: Vec<IpAddr> = [
        "160.79.104.1",
        "8.8.8.8",
        "2607:6bc0::1",
        "10.0.0.1",
        "::ffff:223.5.5.5",
    ]
    .iter()
    .map(|a| a.parse().expect("address"))
    .collect();
    let mut hits = 0usize;
    let count = allocations_in(|| {
        for _ in 0..100 {
            for name in names {
                hits += usize::from(sigs.match_name(name).is_some());
                hits += usize::from(sigs.match_ja4(name).is_some());
            }
            for &ip in &addrs {
                hits += usize::from(sigs.match_addr(ip).is_some());
                hits += usize::from(geo.lookup(ip).country().is_some());
            }
        }
    });
    assert_eq!(count, 0, "lookups allocated {count} times");
    // Sanity: the lookups did find things: DeepSeek for two spellings, Anthropic for its IPv4 and
    // IPv6 ranges, and a country for the four public addresses (10.0.0.1 is private).
    assert_eq!(hits, 100 * 8);
}
