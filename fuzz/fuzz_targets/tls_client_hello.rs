//! Fuzz the client-side TLS entry points: the stream scanner and the handshake-message parser
//! (QUIC's path), then every fingerprint of whatever parsed. Must never panic.
#![no_main]

use aiwatch::dissect::tls::{Scan, Transport, parse_client_hello_message, scan_client_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let from_stream = match scan_client_stream(data) {
        Scan::Done(hello) => Some(hello),
        _ => None,
    };
    let from_message = parse_client_hello_message(data).ok();
    for hello in from_stream.iter().chain(from_message.iter()) {
        let _ = hello.ja3_hash();
        let _ = hello.ja4(Transport::Tcp);
        let _ = hello.ja4_r(Transport::Quic);
    }
});
