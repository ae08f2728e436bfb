//! DNS over TCP splitting, the per-flow DNS record, and a no-panic sweep over every entry point.

mod dns_fixtures;

use aiwatch::dissect::dns::{
    DnsRecord, DnsTcpError, parse_message, qtype_name, resolve_chain, split_tcp_messages,
};
use dns_fixtures::*;

#[test]
fn per_flow_record() {
    let mut record = DnsRecord::default();
    record.fold(&parse_message(&hex(CHAT_QUERY)).expect("valid"));
    record.fold(&parse_message(&hex(CHAT_RESPONSE)).expect("valid"));
    record.fold(&parse_message(&hex(NXDOMAIN_RESPONSE)).expect("valid"));
    let json = serde_json::to_string(&record).unwrap_or_default();
    assert_eq!(
        json,
        r#"{"queries":[{"name":"chat.example.test","qtype":"A"},{"name":"nope.example.test","qtype":"A"}],"rcodes":["NOERROR","NXDOMAIN"],"answers":2}"#
    );
    // RFC 3597 §5 form for types without a mnemonic.
    assert_eq!(qtype_name(65534), "TYPE65534");
    assert_eq!(qtype_name(65), "HTTPS");
}

#[test]
fn tcp_two_messages_in_one_segment() {
    let stream = hex(TCP_SERVER_STREAM);
    let messages: Vec<_> = split_tcp_messages(&stream).collect();
    assert_eq!(messages.len(), 2);
    let ids: Vec<u16> = messages
        .iter()
        .map(|m| {
            parse_message(m.expect("complete"))
                .map(|p| p.id)
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(ids, [0x0a0a, 0x0b0b]);
}

#[test]
fn tcp_message_split_across_segments() {
    let stream = hex(TCP_SERVER_STREAM);
    // Prefixes 0x0032 and 0x0055: the first message ends at 2 + 50, the second at 52 + 2 + 85.
    let (first_end, second_end) = (52, 139);
    assert_eq!(stream.len(), second_end);
    for len in 0..=stream.len() {
        let mut split = split_tcp_messages(&stream[..len]);
        let mut complete = 0;
        let mut need = None;
        for item in split.by_ref() {
            match item {
                Ok(_) => complete += 1,
                Err(DnsTcpError::NeedMore { needed }) => need = Some(needed),
                Err(other) => panic!("len {len}: {other:?}"),
            }
        }
        let expect_complete = [first_end, second_end]
            .iter()
            .filter(|&&e| len >= e)
            .count();
        assert_eq!(complete, expect_complete, "len {len}");
        let expect_need = match len {
            0 => None,
            1..52 => Some(if len < 2 { 2 } else { first_end }),
            52 => None,
            53..139 => Some(if len < 54 { 54 } else { second_end }),
            _ => None,
        };
        assert_eq!(need, expect_need, "len {len}");
        assert_eq!(split.consumed(), [0, first_end, second_end][complete]);
    }
    // A length prefix too small for a header is refused, not waited on.
    let bad: Vec<_> = split_tcp_messages(&[0, 5, 1, 2, 3, 4, 5]).collect();
    assert_eq!(bad, [Err(DnsTcpError::LengthTooShort)]);
}

#[test]
fn per_flow_record_caps_distinct_queries() {
    // The per-flow record keeps 8 distinct queries, each once.
    let mut flow = DnsRecord::default();
    for n in 0..20 {
        let mut query = header(n, 0x0100, [1, 0, 0, 0]);
        query.extend(question(&format!("name{}.example", n % 10), 28));
        flow.fold(&parse_message(&query).expect("valid"));
    }
    assert_eq!(flow.queries.len(), 8);
    assert_eq!(flow.queries[7].name, "name7.example");
    assert_eq!(flow.queries[0].qtype, "AAAA");
    assert!(flow.rcodes.is_empty(), "queries carry no response code");
}

/// Runs every entry point over `bytes`; only a panic (or a broken cap) fails.
fn exercise(bytes: &[u8]) {
    if let Ok(msg) = parse_message(bytes) {
        assert!(msg.questions.len() <= 4 && msg.answers.len() <= 32);
        let _ = resolve_chain(&msg);
        let mut record = DnsRecord::default();
        record.fold(&msg);
    }
    for message in split_tcp_messages(bytes).flatten() {
        let _ = parse_message(message);
    }
    let _ = aiwatch::dissect::http::scan_http_host(bytes);
}

#[test]
fn no_panic_on_truncations_and_bit_flips() {
    let mut fixtures: Vec<Vec<u8>> = [
        CHAT_RESPONSE,
        CHAT_QUERY,
        API_AAAA_RESPONSE,
        SVC_HTTPS_RESPONSE,
        NXDOMAIN_RESPONSE,
        TCP_SERVER_STREAM,
    ]
    .iter()
    .map(|h| hex(h))
    .collect();
    fixtures.push(svcb_response(&hex(RFC9460_FIGURE9)));
    fixtures.push(b"GET /x HTTP/1.1\r\nHost: Example.COM:8080\r\n\r\n".to_vec());
    let mut runs = 0;
    for fixture in &fixtures {
        for len in 0..=fixture.len() {
            exercise(&fixture[..len]);
            runs += 1;
        }
        for bit in 0..fixture.len() * 8 {
            let mut flipped = fixture.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            exercise(&flipped);
            runs += 1;
        }
    }
    assert!(runs > 5_000, "{runs} inputs");
}

#[test]
fn no_panic_on_random_messages() {
    // Deterministic xorshift: header-shaped prefixes with large counts, then bytes biased towards
    // compression pointers (0xC0..) and short labels, where the hostile cases live.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut with_answers = 0;
    for _ in 0..20_000 {
        let len = 12 + (next() % 200) as usize;
        let mut msg = header(
            1,
            0x8180,
            [1 + (next() % 3) as u16, (next() % 40) as u16, 1, 1],
        );
        msg.extend(question("example.com", 1));
        if next() % 2 == 0 {
            msg.extend(record(&[0xc0, 12], 5, 60, &[3, b'c', b'd', b'n', 0xc0, 12]));
            msg.extend(record(&[0xc0, 29 + 2 + 10], 1, 60, &[192, 0, 2, 1]));
        }
        let len = msg.len() + len;
        while msg.len() < len {
            let r = next();
            msg.push(match r % 4 {
                0 => 0xC0 | ((r >> 8) as u8 & 0x01),
                1 => (r >> 8) as u8 % 12,
                _ => (r >> 16) as u8,
            });
        }
        if let Ok(parsed) = parse_message(&msg) {
            with_answers += usize::from(!resolve_chain(&parsed).is_empty());
            exercise(&msg);
        }
    }
    // Not a property of the parser, only that the generator reaches the record paths.
    assert!(with_answers > 0);
}
