//! TLS stream framing and hostile input: hand-built hellos (GREASE everywhere, SSLv2-compatible),
//! hellos split across records and segments, garbage, other protocols, and a no-panic sweep over
//! truncations and bit flips of every fixture. Expected fingerprints of the hand-built hellos were
//! computed by hand from the specifications (hashes with Python's hashlib), not by this crate.

mod tls_fixtures;

use aiwatch::dissect::tls::{
    Scan, Transport, is_grease, parse_client_hello_message, scan_client_stream, scan_server_stream,
    scan_server_stream_final,
};
use tls_fixtures::*;

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn with_len16(body: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(body.len())
        .expect("short")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(body);
    out
}

fn with_len8(body: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::try_from(body.len()).expect("short")];
    out.extend_from_slice(body);
    out
}

fn extension(ext_type: u16, body: &[u8]) -> Vec<u8> {
    let mut out = ext_type.to_be_bytes().to_vec();
    out.extend(with_len16(body));
    out
}

/// A ClientHello handshake message (header included) built from its parts.
fn client_hello_message(ciphers: &[u16], extensions: &[Vec<u8>]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([0x11; 32]); // random
    body.extend(with_len8(&[0x22; 32])); // legacy_session_id
    body.extend(with_len16(&u16s(ciphers)));
    body.extend(with_len8(&[0])); // compression: null
    body.extend(with_len16(&extensions.concat()));
    let mut message = vec![0x01];
    message.extend(&u32::try_from(body.len()).expect("short").to_be_bytes()[1..]);
    message.extend(body);
    message
}

fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 0x03, 0x01];
    out.extend(with_len16(payload));
    out
}

/// GREASE as a cipher, extension types (empty and non-empty), group, signature algorithm and
/// version, plus ECH (0xfe0d) as Chrome sends it when it GREASEs ECH.
fn grease_everywhere_message() -> Vec<u8> {
    let sni = with_len16(&[&[0u8][..], &with_len16(b"grease.example")].concat());
    let alpn = with_len16(&[with_len8(b"h2"), with_len8(b"http/1.1")].concat());
    client_hello_message(
        &[0x0a0a, 0x1301, 0x1302, 0xc02f],
        &[
            extension(0x1a1a, &[]),
            extension(0x0000, &sni),
            extension(0x000a, &with_len16(&u16s(&[0x2a2a, 0x001d, 0x0017]))),
            extension(0x000b, &with_len8(&[0])),
            extension(0x000d, &with_len16(&u16s(&[0x3a3a, 0x0403, 0x0804]))),
            extension(0x0010, &alpn),
            extension(0x002b, &with_len8(&u16s(&[0x5a5a, 0x0304, 0x0303]))),
            extension(0xfe0d, &[0x00, 0x00, 0x01, 0x00, 0x01, 0x42]),
            extension(0x6a6a, &[0x00]),
        ],
    )
}

#[test]
fn grease_values_are_kept_in_the_hello_and_ignored_by_the_fingerprints() {
    let stream = record(0x16, &grease_everywhere_message());
    let Scan::Done(hello) = scan_client_stream(&stream) else {
        panic!("hand-built hello should parse");
    };
    assert_eq!(hello.cipher_suites, [0x0a0a, 0x1301, 0x1302, 0xc02f]);
    assert_eq!(
        hello.extensions,
        [
            0x1a1a, 0x0000, 0x000a, 0x000b, 0x000d, 0x0010, 0x002b, 0xfe0d, 0x6a6a
        ]
    );
    assert_eq!(hello.supported_groups, [0x2a2a, 0x001d, 0x0017]);
    assert_eq!(hello.signature_algorithms, [0x3a3a, 0x0403, 0x0804]);
    assert_eq!(hello.supported_versions, [0x5a5a, 0x0304, 0x0303]);
    assert_eq!(hello.highest_offered_version(), 0x0304);
    assert!(hello.ech_offered, "GREASE ECH counts as offered");
    // JA4 by hand: 3 ciphers and 7 extensions once GREASE is dropped; SNI/ALPN out of the hash.
    assert_eq!(
        hello.ja4_r(Transport::Tcp),
        "t13d0307h2_1301,1302,c02f_000a,000b,000d,002b,fe0d_0403,0804"
    );
    // sha256("1301,1302,c02f")[:12], sha256("000a,000b,000d,002b,fe0d_0403,0804")[:12]
    assert_eq!(
        hello.ja4(Transport::Tcp),
        "t13d0307h2_40b44b994229_5eaa68c1f691"
    );
    assert_eq!(
        hello.ja3_string(),
        "771,4865-4866-49199,0-10-11-13-16-43-65037,29-23,0"
    );
    assert_eq!(hello.ja3_hash(), "2aeade833da9cbe38d5a5e96f3ae7494");
}

#[test]
fn alpn_part_of_ja4_for_short_and_empty_values() {
    // JA4 spec: a one-character first value counts as first and last; an empty one prints `00`.
    let ja4_alpn = |values: &[&[u8]]| {
        let list: Vec<u8> = values.iter().flat_map(|v| with_len8(v)).collect();
        let message = client_hello_message(&[0x1301], &[extension(0x0010, &with_len16(&list))]);
        let hello = parse_client_hello_message(&message).expect("hello");
        hello.ja4(Transport::Tcp)[8..10].to_owned()
    };
    assert_eq!(ja4_alpn(&[b"x", b"h2"]), "xx");
    assert_eq!(ja4_alpn(&[b"", b"h2"]), "00");
    assert_eq!(ja4_alpn(&[b"http/1.1"]), "h1");
    assert_eq!(ja4_alpn(&[&[0xc3, 0xa9, b'a']]), "9a"); // non-ASCII byte prints as 9
}

#[test]
fn grease_predicate_follows_rfc_8701() {
    let all: Vec<u16> = (0..=0xffff_u16).filter(|&v| is_grease(v)).collect();
    let expected: Vec<u16> = (0..16).map(|i| 0x0a0a + 0x1010 * i).collect();
    assert_eq!(all, expected);
}

/// An SSLv2-compatible ClientHello: version 0x0002, two SSLv2-only specs (RC4-128-MD5 0x010080,
/// DES-64-CBC-MD5 0x060040) and two TLS suites in V2 form (0x00002f, 0x0000ff).
fn sslv2_hello(version: [u8; 2]) -> Vec<u8> {
    let specs = [
        0x01, 0x00, 0x80, 0x06, 0x00, 0x40, 0x00, 0x00, 0x2f, 0x00, 0x00, 0xff,
    ];
    let challenge = [0x33; 16];
    let mut body = vec![0x01, version[0], version[1]];
    body.extend(u16s(&[12, 0, 16]));
    body.extend(specs);
    body.extend(challenge);
    let mut out = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    out.extend(body);
    out
}

#[test]
fn sslv2_compatible_hello_is_parsed_and_fingerprinted() {
    let Scan::Done(hello) = scan_client_stream(&sslv2_hello([0x00, 0x02])) else {
        panic!("SSLv2 hello should parse");
    };
    assert!(hello.sslv2);
    assert_eq!(hello.legacy_version, 0x0002);
    assert_eq!(
        hello.sslv2_cipher_specs,
        [0x010080, 0x060040, 0x00002f, 0x0000ff]
    );
    assert_eq!(hello.cipher_suites, [0x002f, 0x00ff]);
    assert!(hello.extensions.is_empty() && hello.sni.is_none());
    // Zeek's JA3 for SSLv2: 24-bit specs in decimal, no extension fields.
    assert_eq!(hello.ja3_string(), "2,65664-393280-47-255,,,");
    assert_eq!(hello.ja3_hash(), "e6d3983d4a11c64513a84be303d38d9a");
    // JA4: version s2, no SNI, 4 specs, no extensions, no ALPN; sha256("002f,00ff,10080,60040").
    assert_eq!(
        hello.ja4(Transport::Tcp),
        "ts2i040000_1fadce9b70d6_000000000000"
    );
    // A V2-framed hello that offers TLS 1.0 gets version 10.
    let Scan::Done(tls10) = scan_client_stream(&sslv2_hello([0x03, 0x01])) else {
        panic!("SSLv2-framed TLS 1.0 hello should parse");
    };
    assert!(tls10.ja4(Transport::Tcp).starts_with("t10i0400"));
}

#[test]
fn sslv2_framing_with_bad_lengths_is_malformed_not_a_panic() {
    let mut hello = sslv2_hello([0x00, 0x02]);
    hello[6] = 0x0d; // cipher_spec_length 13: not a multiple of 3
    assert!(matches!(scan_client_stream(&hello), Scan::Malformed(_)));
    let truncated = &sslv2_hello([0x00, 0x02])[..20];
    assert_eq!(scan_client_stream(truncated), Scan::NeedMore);
}

#[test]
fn hello_split_across_two_records_gives_the_reference_fingerprint() {
    let whole = hex(TLS12_PCAP_CLIENT);
    let message = &whole[5..];
    for cut in [1, 4, 100, message.len() - 1] {
        let mut stream = record(0x16, &message[..cut]);
        stream.extend(record(0x16, &message[cut..]));
        let Scan::Done(hello) = scan_client_stream(&stream) else {
            panic!("split at {cut} should reassemble");
        };
        assert_eq!(
            hello.ja4(Transport::Tcp),
            "t13d1715h2_5b57614c22b0_3d5424432f57"
        );
    }
}

#[test]
fn every_strict_prefix_of_a_hello_needs_more() {
    for fixture in [TLS12_PCAP_CLIENT, WEBEX_CLIENT] {
        let stream = hex(fixture);
        for len in 0..stream.len() {
            assert_eq!(
                scan_client_stream(&stream[..len]),
                Scan::NeedMore,
                "prefix {len}"
            );
        }
        assert!(matches!(scan_client_stream(&stream), Scan::Done(_)));
    }
    // Also when the prefix ends inside the second record of a split hello.
    let message = &hex(TLS12_PCAP_CLIENT)[5..];
    let mut stream = record(0x16, &message[..200]);
    stream.extend(record(0x16, &message[200..]));
    assert_eq!(
        scan_client_stream(&stream[..stream.len() - 1]),
        Scan::NeedMore
    );
    assert_eq!(scan_client_stream(&stream[..207]), Scan::NeedMore);
}

#[test]
fn garbage_after_a_valid_record_header_is_malformed() {
    let mut stream = vec![0x16, 0x03, 0x01, 0x00, 0x40];
    stream.extend((0..0x40).map(|i| (i * 37 + 5) as u8));
    assert_eq!(
        scan_client_stream(&stream),
        Scan::Malformed("first handshake message is not a ClientHello")
    );
    // A ClientHello type byte with a body that is noise.
    let mut stream = vec![0x16, 0x03, 0x01, 0x00, 0x24, 0x01, 0x00, 0x00, 0x20];
    stream.extend([0xff; 0x20]);
    assert!(matches!(scan_client_stream(&stream), Scan::Malformed(_)));
    // A second record with a broken header inside a split hello.
    let message = &hex(TLS12_PCAP_CLIENT)[5..];
    let mut stream = record(0x16, &message[..100]);
    stream.extend([0x16, 0x09, 0x09, 0x00, 0x10]);
    assert_eq!(
        scan_client_stream(&stream),
        Scan::Malformed("bad record version")
    );
    // A record length past the cap.
    assert_eq!(
        scan_client_stream(&[0x16, 0x03, 0x01, 0xff, 0xff, 0x01]),
        Scan::Malformed("record length over cap")
    );
}

#[test]
fn other_protocols_are_rejected_from_the_first_bytes() {
    for head in [
        &b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"POST",
        b"\x16\x01", // handshake type byte, then no TLS major version
        b"\x16\x03\x07",
        b"\x80\x2e\x02", // SSLv2 framing, but not a CLIENT-HELLO
        b"\x00\x00\x00\x01",
    ] {
        assert_eq!(scan_client_stream(head), Scan::NotTls, "{head:?}");
    }
    assert_eq!(
        scan_server_stream(b"HTTP/1.1 400 Bad Request\r\n"),
        Scan::NotTls
    );
    assert_eq!(scan_client_stream(b"\x16"), Scan::NeedMore);
    assert_eq!(scan_client_stream(b""), Scan::NeedMore);
    // A server that answers with an alert is TLS but gives no ServerHello.
    assert!(matches!(
        scan_server_stream(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]),
        Scan::Malformed(_)
    ));
}

#[test]
fn server_certificate_split_across_records_and_segments() {
    let flight = hex(OPENSSL_TLS12_SERVER_FLIGHT);
    // Records: ServerHello (5 + 65), Certificate (5 + 534), ...
    let sh_end = 5 + 65;
    let cert_record = &flight[sh_end..sh_end + 5 + 534];
    let certificate = &cert_record[5..];
    let mut resplit = flight[..sh_end].to_vec();
    resplit.extend(record(0x16, &certificate[..300]));
    resplit.extend(record(0x16, &certificate[300..]));
    let Scan::Done(server) = scan_server_stream(&resplit) else {
        panic!("certificate split over two records should be read");
    };
    assert_eq!(server.cert_names[0], "server.aiwatch.test");
    // Every head that ends before the first certificate's last byte needs more.
    for len in [0, 3, sh_end, sh_end + 200, sh_end + 5 + 533] {
        assert_eq!(
            scan_server_stream(&flight[..len]),
            Scan::NeedMore,
            "prefix {len}"
        );
    }
    // ... unless the head is final: then the ServerHello is kept without names.
    let Scan::Done(cut) = scan_server_stream_final(&flight[..sh_end + 200]) else {
        panic!("final head with a complete ServerHello");
    };
    assert!(cut.cert_names.is_empty());
    assert_eq!(cut.cert_error, Some("certificate cut short"));
}

#[test]
fn message_parser_rejects_what_is_not_a_whole_client_hello() {
    let message = grease_everywhere_message();
    assert!(parse_client_hello_message(&message).is_ok());
    assert_eq!(
        parse_client_hello_message(&message[..message.len() - 1]),
        Err("truncated ClientHello")
    );
    assert_eq!(
        parse_client_hello_message(&[0x02, 0x00, 0x00, 0x00]),
        Err("handshake message is not a ClientHello")
    );
    assert_eq!(
        parse_client_hello_message(&[0x01]),
        Err("truncated handshake header")
    );
}

/// Every fixture, truncated at every length and with every single bit flipped (bounded to the
/// first 1 KiB of bits to keep the test fast): the scanners and the message parser must return,
/// never panic. Stands in for the fuzz targets when no nightly toolchain runs them.
#[test]
fn truncations_and_bit_flips_never_panic() {
    let mut inputs: Vec<Vec<u8>> = [
        TLS12_PCAP_CLIENT,
        NON_ASCII_ALPN_CLIENT,
        NON_ASCII_ALPN_SERVER_HELLO,
        ALPN_H2_CLIENT,
        ALPN_H2_SERVER_HELLO,
        PROTONVPN_CLIENT,
        PROTONVPN_SERVER_HELLO,
        WEBEX_CLIENT,
        OPENSSL_CLIENT,
        OPENSSL_TLS12_SERVER_FLIGHT,
    ]
    .iter()
    .map(|h| hex(h))
    .collect();
    inputs.push(record(0x16, &grease_everywhere_message()));
    inputs.push(sslv2_hello([0x00, 0x02]));
    let exercise = |bytes: &[u8]| {
        let _ = scan_client_stream(bytes);
        let _ = scan_server_stream(bytes);
        let _ = scan_server_stream_final(bytes);
        let _ = parse_client_hello_message(bytes.get(5..).unwrap_or_default());
        if let Scan::Done(hello) = scan_client_stream(bytes) {
            let _ = (
                hello.ja3_hash(),
                hello.ja4(Transport::Tcp),
                hello.ja4_r(Transport::Quic),
            );
        }
    };
    for input in &inputs {
        for len in 0..=input.len() {
            exercise(&input[..len]);
        }
        let mut flipped = input.clone();
        for bit in 0..(input.len() * 8).min(8 * 1024) {
            flipped[bit / 8] ^= 1 << (bit % 8);
            exercise(&flipped);
            flipped[bit / 8] ^= 1 << (bit % 8);
        }
    }
}
