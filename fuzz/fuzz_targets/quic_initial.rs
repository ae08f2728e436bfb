//! Feeds arbitrary bytes to the QUIC client-Initial state machine, split into datagrams at 0xff
//! 0xfe markers, alternating which side sent them; it must never panic.
#![no_main]

use aiwatch::dissect::quic::{QuicClientInitials, looks_like_client_initial};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut flow = QuicClientInitials::new();
    let mut from_client = true;
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest.windows(2).position(|w| w == [0xff, 0xfe]).unwrap_or(rest.len());
        let (datagram, tail) = rest.split_at(end);
        let _ = looks_like_client_initial(datagram);
        if from_client {
            let _ = flow.on_client_datagram(datagram);
        } else {
            flow.on_server_datagram(datagram);
        }
        if let Some(hello) = flow.client_hello() {
            assert_eq!(hello.first(), Some(&1));
        }
        from_client = !from_client;
        rest = tail.get(2..).unwrap_or_default();
    }
});
