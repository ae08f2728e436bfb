//! Fuzz the signature and policy readers with arbitrary text, and the matchers with arbitrary
//! names, addresses and JA4 strings. Must never panic; a refused file must carry diagnostics.
#![no_main]

use std::net::{IpAddr, Ipv6Addr};

use aiwatch::classify::policy::Policy;
use aiwatch::classify::signatures::Signatures;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let embedded = Signatures::embedded();
    // The input as a signature file: either a valid set, or at least one diagnostic.
    match Signatures::from_texts(&[("fuzz.toml", text)]) {
        Ok(sigs) => {
            for name in text.split_whitespace().take(64) {
                let _ = sigs.match_name(name);
                let _ = sigs.match_ja4(name);
            }
        }
        Err(diagnostics) => assert!(!diagnostics.is_empty()),
    }
    // The input as a policy file.
    if let Err(diagnostics) = Policy::from_text("fuzz.toml", text, &embedded) {
        assert!(!diagnostics.is_empty());
    }
    // The input as names and addresses against the shipped set.
    for token in text.split(|c: char| c.is_whitespace() || c == ',').take(64) {
        let _ = embedded.match_name(token);
        let _ = embedded.match_ja4(token);
    }
    if data.len() >= 16 {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&data[..16]);
        let _ = embedded.match_addr(IpAddr::V6(Ipv6Addr::from(bytes)));
    }
});
