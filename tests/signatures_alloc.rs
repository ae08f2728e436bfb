//! Lookups must not allocate: a counting global allocator observes the calling thread while it
//! matches names, addresses and JA4s and geolocates addresses.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::IpAddr;

use aiwatch::classify::geo::GeoDb;
use aiwatch::classify::signatures::Signatures;

struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // try_with: the thread-locals may already be gone while a thread shuts down.
        let _ = WATCHING.try_with(|w| {
            if w.get() {
                let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
            }
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    ALLOCATIONS.with(|a| a.get())
}

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
