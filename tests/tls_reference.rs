//! TLS fingerprints of real hellos against reference tools' outputs: FoxIO's Python `ja4.py`
//! (`captures/ja4/expected/*.json`: JA4.1, JA4_r.1, JA4S, domain), nDPI (`captures/ndpi/expected`:
//! ja3c, ja3s, sni, alpn), and tshark 4.0's own `tls.handshake.ja3`/`ja3s` fields for the local
//! openssl handshake. None of the expected values below was produced by this crate.

mod tls_fixtures;

use aiwatch::dissect::tls::{
    ClientHello, Scan, ServerHello, TlsRecord, Transport, parse_client_hello_message,
    scan_client_stream, scan_server_stream, scan_server_stream_final,
};
use tls_fixtures::*;

fn client(hex_text: &str) -> ClientHello {
    match scan_client_stream(&hex(hex_text)) {
        Scan::Done(hello) => hello,
        other => panic!("expected a ClientHello, got {other:?}"),
    }
}

fn server_final(hex_text: &str) -> ServerHello {
    match scan_server_stream_final(&hex(hex_text)) {
        Scan::Done(hello) => hello,
        other => panic!("expected a ServerHello, got {other:?}"),
    }
}

#[test]
fn firefox_hello_matches_foxio_ja4() {
    // tls12.pcap stream 0 in the Python reference output.
    let hello = client(TLS12_PCAP_CLIENT);
    assert_eq!(
        hello.ja4(Transport::Tcp),
        "t13d1715h2_5b57614c22b0_3d5424432f57"
    );
    assert_eq!(
        hello.ja4_r(Transport::Tcp),
        "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,c030,\
         cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,ff01_0403,0503,\
         0603,0804,0805,0806,0401,0501,0601,0203,0201"
    );
    assert_eq!(hello.sni.as_deref(), Some("contile.services.mozilla.com"));
    // The reference's JA4_ro.1 lists the extensions in wire order, SNI and ALPN included.
    let wire_order = [
        0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x0022, 0x0033, 0x002b,
        0x000d, 0x002d, 0x001c, 0x0015,
    ];
    assert_eq!(hello.extensions, wire_order);
}

#[test]
fn non_ascii_alpn_prints_99_like_the_references() {
    // tls-non-ascii-alpn.pcapng: first ALPN value is `ba ad`; both references print `99`
    // (the JA4 spec's hex rule would give `bd`).
    let hello = client(NON_ASCII_ALPN_CLIENT);
    assert_eq!(
        hello.alpn.first().map(Vec::as_slice),
        Some(&[0xba, 0xad][..])
    );
    assert_eq!(
        hello.ja4(Transport::Tcp),
        "t13d151699_8daaf6152771_e5627efa2ab1"
    );
    assert_eq!(
        hello.ja4_r(Transport::Tcp),
        "t13d151699_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
         0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,\
         0503,0805,0501,0806,0601"
    );
    assert_eq!(hello.sni.as_deref(), Some("clientservices.googleapis.com"));
    // This Chrome hello carries GREASE cipher and extensions: they stay in the parsed lists.
    assert!(hello.cipher_suites.iter().any(|&c| c & 0x0f0f == 0x0a0a));
    assert!(hello.extensions.iter().any(|&e| e & 0x0f0f == 0x0a0a));
}

#[test]
fn tls12_curl_hello_matches_foxio_ja4() {
    // tls-alpn-h2.pcap stream 0: its signature algorithms include the non-GREASE 0xefef/0xeeee.
    let hello = client(ALPN_H2_CLIENT);
    assert_eq!(
        hello.ja4(Transport::Tcp),
        "t12d4605h2_85626a9a5f7f_aaf95bb78ec9"
    );
    assert!(hello.ja4_r(Transport::Tcp).ends_with(
        "_000a,000b,000d_0601,0603,efef,0501,0503,0401,0403,eeee,eded,0301,0303,0201,0203"
    ));
    assert_eq!(hello.sni.as_deref(), Some("www.cloudflare.com"));
}

#[test]
fn handshake_message_parser_gives_the_same_hello_and_the_quic_prefix() {
    // QUIC hands over the handshake message without the 5-byte record header.
    let record = hex(NON_ASCII_ALPN_CLIENT);
    let hello = parse_client_hello_message(&record[5..]).expect("ClientHello message");
    assert_eq!(hello, client(NON_ASCII_ALPN_CLIENT));
    assert_eq!(
        hello.ja4(Transport::Quic),
        "q13d151699_8daaf6152771_e5627efa2ab1"
    );
}

#[test]
fn ja3_matches_ndpi() {
    // protonvpn.pcap, client port 37810: nDPI's ja3c / ja3s / sni / alpn.
    let hello = client(PROTONVPN_CLIENT);
    assert_eq!(hello.ja3_hash(), "6f5e62edfa5933b1332ddf8b9fb3ef9d");
    assert_eq!(hello.sni.as_deref(), Some("vpn-api.proton.me"));
    assert_eq!(hello.alpn, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    let server = server_final(PROTONVPN_SERVER_HELLO);
    assert_eq!(server.ja3s_hash(), "16c0b3e6a7b8173c16d944cfeaeee9cf");
    // webex.pcap, client port 51646: a minimal TLS 1.0 hello without SNI.
    let webex = client(WEBEX_CLIENT);
    assert_eq!(webex.ja3_hash(), "7cb93b2404a98399e9f84c74fef1fb8f");
    assert_eq!(webex.sni, None);
}

#[test]
fn ja3_and_ja3s_strings_match_tshark_on_the_openssl_handshake() {
    // tshark 4.0 `tls.handshake.ja3_full` / `ja3s_full` of the recorded connection.
    let hello = client(OPENSSL_CLIENT);
    assert_eq!(
        hello.ja3_string(),
        "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-\
         49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-16-22-23-13,\
         29-23-30-25-24,0-1-2"
    );
    assert_eq!(hello.ja3_hash(), "22558766122974704364c9c75c5cce0a");
    let Scan::Done(server) = scan_server_stream(&hex(OPENSSL_TLS12_SERVER_FLIGHT)) else {
        panic!("server flight should be complete");
    };
    assert_eq!(server.ja3s_string(), "771,49196,65281-11-35-23");
    assert_eq!(server.ja3s_hash(), "abade5a4a7f42baf54766e5d108283b6");
}

#[test]
fn tls12_server_flight_yields_certificate_names() {
    // Names as `openssl x509 -noout -subject -ext subjectAltName` prints them: the CN, then the
    // SAN DNS names in order (the CN repeats as the first SAN: kept once; the IP SAN is no name).
    let Scan::Done(server) = scan_server_stream(&hex(OPENSSL_TLS12_SERVER_FLIGHT)) else {
        panic!("server flight should be complete");
    };
    assert_eq!(server.negotiated_version(), 0x0303);
    assert_eq!(server.cipher_suite, 0xc02c);
    assert_eq!(
        server.cert_names,
        ["server.aiwatch.test", "*.cdn.aiwatch.test", "alt.example"]
    );
    assert_eq!(server.cert_error, None);
}

#[test]
fn tls12_server_waits_for_the_certificate_unless_the_head_is_final() {
    // tls-alpn-h2.pcap: the first server record is the ServerHello alone; a Certificate follows.
    let head = hex(ALPN_H2_SERVER_HELLO);
    assert_eq!(scan_server_stream(&head), Scan::NeedMore);
    let server = server_final(ALPN_H2_SERVER_HELLO);
    assert_eq!(server.extensions, [0x0000, 0xff01, 0x000b, 0x0010]); // JA4S_r's list
    assert_eq!(server.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(server.cipher_suite, 0xcca9);
}

#[test]
fn tls13_server_hello_is_done_at_once() {
    let Scan::Done(server) = scan_server_stream(&hex(NON_ASCII_ALPN_SERVER_HELLO)) else {
        panic!("a TLS 1.3 ServerHello needs nothing more");
    };
    assert_eq!(server.negotiated_version(), 0x0304);
    assert_eq!(server.extensions, [0x0033, 0x002b]); // JA4S_r: t130200_1301_0033,002b
    assert!(!server.hello_retry_request);
}

#[cfg(feature = "ja4plus")]
#[test]
fn ja4s_matches_foxio() {
    let tls13 = server_final(NON_ASCII_ALPN_SERVER_HELLO);
    assert_eq!(tls13.ja4s(Transport::Tcp), "t130200_1301_234ea6891581");
    assert_eq!(tls13.ja4s_r(Transport::Tcp), "t130200_1301_0033,002b");
    let tls12 = server_final(ALPN_H2_SERVER_HELLO);
    assert_eq!(tls12.ja4s(Transport::Tcp), "t1204h2_cca9_1428ce7b4018");
    assert_eq!(
        tls12.ja4s_r(Transport::Tcp),
        "t1204h2_cca9_0000,ff01,000b,0010"
    );
}

#[test]
fn flow_record_takes_version_from_the_server_and_serializes_the_schema_names() {
    let hello = client(OPENSSL_CLIENT);
    let Scan::Done(server) = scan_server_stream(&hex(OPENSSL_TLS12_SERVER_FLIGHT)) else {
        panic!("server flight should be complete");
    };
    let record = TlsRecord::from_hellos(Some(&hello), Some(&server), Transport::Tcp);
    assert_eq!(record.version.as_deref(), Some("1.2"));
    assert_eq!(record.cipher.as_deref(), Some("0xc02c"));
    assert_eq!(record.sni.as_deref(), Some("server.aiwatch.test"));
    assert_eq!(record.alpn, ["h2", "http/1.1"]);
    assert_eq!(record.ech, Some(false));
    assert_eq!(
        record.ja3_hash.as_deref(),
        Some("22558766122974704364c9c75c5cce0a")
    );
    let json = serde_json::to_value(&record).expect("serializable");
    let mut keys: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        "alpn",
        "cert_names",
        "cipher",
        "ech",
        "ja3",
        "ja3_hash",
        "ja4",
        "ja4_r",
        "sni",
        "version",
    ];
    if cfg!(feature = "ja4plus") {
        expected.push("ja4s");
        expected.sort_unstable();
    }
    assert_eq!(keys, expected);

    // Client only: the version is the highest offered; empty fields are left out.
    let client_only =
        TlsRecord::from_hellos(Some(&client(TLS12_PCAP_CLIENT)), None, Transport::Tcp);
    assert_eq!(client_only.version.as_deref(), Some("1.3"));
    let json = serde_json::to_value(&client_only).expect("serializable");
    assert!(json.get("cipher").is_none() && json.get("cert_names").is_none());
}
