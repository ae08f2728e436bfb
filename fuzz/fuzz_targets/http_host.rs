//! Any bytes as an HTTP/1 client stream head: no panic, and a verdict that only firms up as bytes
//! are added (a prefix never says "not HTTP" when the whole says it is, and hosts are normalised).
#![no_main]

use aiwatch::dissect::http::{HttpScan, scan_http_host};
use aiwatch::dissect::limits::http::MAX_HOST_LEN;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = scan_http_host(data);
    if let HttpScan::Host(host) = &whole {
        assert!(!host.is_empty() && host.len() <= MAX_HOST_LEN);
        assert!(host.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase()));
    }
    if matches!(whole, HttpScan::Host(_) | HttpScan::NoHost) {
        for cut in [data.len() / 2, data.len().saturating_sub(1)] {
            let prefix = scan_http_host(&data[..cut]);
            assert!(!matches!(prefix, HttpScan::NotHttp(_)), "prefix {cut} rejected: {prefix:?}");
        }
    }
});
