//! Fuzz the server-side TLS scanner (ServerHello, then the first certificate's names for
//! TLS <= 1.2), in both its growing-head and final-head forms. Must never panic.
#![no_main]

use aiwatch::dissect::tls::{
    Scan, TlsRecord, Transport, scan_server_stream, scan_server_stream_final,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for scan in [scan_server_stream(data), scan_server_stream_final(data)] {
        if let Scan::Done(hello) = scan {
            let _ = hello.ja3s_hash();
            let _ = TlsRecord::from_hellos(None, Some(&hello), Transport::Tcp);
        }
    }
});
