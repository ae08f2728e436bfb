//! DNS parser, CNAME chains, SVCB/HTTPS, TCP splitting and the per-flow record.
//!
//! Fixtures: responses captured from dnsmasq 2.90 on loopback (configuration in each comment; the
//! expected values are what was configured, and `dig` decoded the same records), RFC 9460
//! Appendix D wire vectors, and messages assembled by hand in this file.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aiwatch::dissect::dns::{
    AddrSource, DnsError, DnsRecord, DnsTcpError, RData, parse_message, qtype_name, rcode_name,
    resolve_chain, split_tcp_messages,
};

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0))
        .collect()
}

// dnsmasq --cname=chat.example.test,edge.cdn.example.net --host-record=edge.cdn.example.net,192.0.2.20
// --local-ttl=300; query chat.example.test A, id 0x1a2b.
const CHAT_RESPONSE: &str = "1a2b858000010002000000000463686174076578616d706c6504746573740000010001\
    c00c000500010000012c001604656467650363646e076578616d706c65036e657400c02f000100010000012c0004c0000214";
const CHAT_QUERY: &str = "1a2b010000010000000000000463686174076578616d706c6504746573740000010001";
// --host-record=api.example.test,192.0.2.10,2001:db8::10; query AAAA with an EDNS OPT (1232).
const API_AAAA_RESPONSE: &str = "01028580000100010000000103617069076578616d706c65047465737400001c0001\
    c00c001c00010000012c001020010db800000000000000000000001000002904d0000000000000";
// --dns-rr=svc.example.test,65,<HTTPS 1 . alpn=h3,h2 ipv4hint=192.0.2.30 ech=AAb+DQACq80=
// ipv6hint=2001:db8::30> (dig printed exactly these parameters back).
const SVC_HTTPS_RESPONSE: &str = "03038580000100010000000003737663076578616d706c6504746573740000410001\
    c00c004100010000012c00350001000001000602683302683200040004c000021e000500080006fe0d0002abcd\
    0006001020010db8000000000000000000000030";
// --local=/example.test/: a name with no record gets NXDOMAIN (rcode 3), with EDNS.
const NXDOMAIN_RESPONSE: &str = "040481830001000000000001046e6f7065076578616d706c650474657374000001\
    000100002904d0000000000000";
// The server side of one TCP connection carrying two pipelined queries (api A, then chat A).
const TCP_SERVER_STREAM: &str = "00320a0a8580000100010000000003617069076578616d706c650474657374000001\
    0001c00c000100010000012c0004c000020a00550b0b858000010002000000000463686174076578616d706c6504746573\
    740000010001c00c000500010000012c001604656467650363646e076578616d706c65036e657400c02f000100010000\
    012c0004c0000214";

/// A name in uncompressed wire form.
fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

fn record(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

fn question(name: &str, qtype: u16) -> Vec<u8> {
    let mut out = wire_name(name);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out
}

fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED))
}

fn v6(text: &str) -> IpAddr {
    IpAddr::V6(text.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED))
}

#[test]
fn dnsmasq_cname_response() {
    let msg = parse_message(&hex(CHAT_RESPONSE)).expect("valid response");
    assert_eq!(msg.id, 0x1a2b);
    assert!(msg.is_response && !msg.truncated && msg.stopped.is_none());
    assert_eq!((msg.opcode, msg.rcode), (0, 0));
    assert_eq!(msg.questions.len(), 1);
    assert_eq!(msg.questions[0].name, "chat.example.test");
    assert_eq!((msg.questions[0].qtype, msg.questions[0].qclass), (1, 1));
    assert_eq!(msg.answers.len(), 2);
    assert_eq!(msg.answers[0].name, "chat.example.test");
    assert_eq!(msg.answers[0].ttl, 300);
    assert_eq!(
        msg.answers[0].data,
        RData::Cname("edge.cdn.example.net".into())
    );
    // The A record's owner is a pointer into the CNAME's record data.
    assert_eq!(msg.answers[1].name, "edge.cdn.example.net");
    assert_eq!(msg.answers[1].data, RData::A(Ipv4Addr::new(192, 0, 2, 20)));

    let resolved = resolve_chain(&msg);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].addr, v4("192.0.2.20"));
    assert_eq!(resolved[0].query, "chat.example.test");
    assert_eq!(
        resolved[0].chain,
        ["chat.example.test", "edge.cdn.example.net"]
    );
    assert_eq!(resolved[0].ttl, 300);
    assert_eq!(resolved[0].source, AddrSource::Answer);

    let query = parse_message(&hex(CHAT_QUERY)).expect("valid query");
    assert!(!query.is_response);
    assert!(resolve_chain(&query).is_empty(), "a query resolves nothing");
}

#[test]
fn dnsmasq_aaaa_with_edns() {
    let msg = parse_message(&hex(API_AAAA_RESPONSE)).expect("valid response");
    assert!(msg.edns);
    assert_eq!(msg.additional_count, 1);
    assert_eq!(
        msg.answers[0].data,
        RData::Aaaa("2001:db8::10".parse().unwrap_or(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(resolve_chain(&msg)[0].addr, v6("2001:db8::10"));
}

#[test]
fn dnsmasq_https_record_with_ech_and_hints() {
    let msg = parse_message(&hex(SVC_HTTPS_RESPONSE)).expect("valid response");
    assert_eq!(msg.answers[0].rtype, 65);
    let RData::Svcb(svcb) = &msg.answers[0].data else {
        panic!("HTTPS answer not read as SVCB: {:?}", msg.answers[0].data);
    };
    assert_eq!(svcb.priority, 1);
    assert_eq!(svcb.target, "", "target '.' is the root");
    assert_eq!(svcb.alpn, ["h3", "h2"]);
    assert_eq!(svcb.ipv4hint, [Ipv4Addr::new(192, 0, 2, 30)]);
    assert_eq!(
        svcb.ipv6hint,
        ["2001:db8::30"
            .parse::<Ipv6Addr>()
            .unwrap_or(Ipv6Addr::LOCALHOST)]
    );
    assert!(svcb.ech);
    assert_eq!(svcb.keys, [1, 4, 5, 6]);

    let resolved = resolve_chain(&msg);
    let addrs: Vec<_> = resolved
        .iter()
        .map(|r| (r.addr, r.source, r.query))
        .collect();
    assert_eq!(
        addrs,
        [
            (v4("192.0.2.30"), AddrSource::SvcbHint, "svc.example.test"),
            (v6("2001:db8::30"), AddrSource::SvcbHint, "svc.example.test"),
        ]
    );
}

/// Wraps SVCB record data in a response to `name` SVCB.
fn svcb_response(rdata: &[u8]) -> Vec<u8> {
    let mut msg = header(7, 0x8180, [1, 1, 0, 0]);
    msg.extend(question("example.com", 64));
    msg.extend(record(&[0xc0, 0x0c], 64, 60, rdata));
    msg
}

#[test]
fn rfc9460_appendix_d_vectors() {
    // D.1 Figure 2, AliasMode: "example.com. HTTPS 0 foo.example.com."
    let alias = hex("00 00 03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00");
    // D.2 Figure 7: "SVCB 1 foo.example.com. ipv6hint=\"2001:db8::1,2001:db8::53:1\""
    let hints = hex(
        "00 01 03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 06 00 20
         20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
         20 01 0d b8 00 00 00 00 00 00 00 00 00 53 00 01",
    );
    // D.2 Figure 9: "SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1"
    let sorted = hex(
        "00 10 03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 6f 72 67 00 00 00 00 04 00 01 00 04
         00 01 00 09 02 68 32 05 68 33 2d 31 39 00 04 00 04 c0 00 02 01",
    );
    let read = |rdata: &[u8]| {
        let msg = parse_message(&svcb_response(rdata)).expect("valid");
        assert_eq!(msg.stopped, None);
        match &msg.answers[0].data {
            RData::Svcb(svcb) => svcb.clone(),
            other => panic!("not SVCB: {other:?}"),
        }
    };
    let alias = read(&alias);
    assert_eq!(
        (alias.priority, alias.target.as_str()),
        (0, "foo.example.com")
    );
    assert!(alias.keys.is_empty());
    let hints = read(&hints);
    assert_eq!(
        hints.ipv6hint,
        [
            "2001:db8::1".parse::<Ipv6Addr>().ok(),
            "2001:db8::53:1".parse().ok()
        ]
        .map(|a| a.unwrap_or(Ipv6Addr::UNSPECIFIED))
    );
    let sorted = read(&sorted);
    assert_eq!(
        (sorted.priority, sorted.target.as_str()),
        (16, "foo.example.org")
    );
    assert_eq!(sorted.alpn, ["h2", "h3-19"]);
    assert_eq!(sorted.ipv4hint, [Ipv4Addr::new(192, 0, 2, 1)]);
    assert_eq!(sorted.keys, [0, 1, 4]);
    assert!(!sorted.ech);
}

#[test]
fn rfc1035_compression_example() {
    // RFC 1035 §4.1.4: F.ISI.ARPA written out, FOO.F.ISI.ARPA as "FOO" + a pointer to it, ARPA as
    // a pointer into it, and the root as a single zero octet. Upper case is lower-cased.
    let mut msg = header(1, 0x8180, [1, 3, 0, 0]);
    msg.extend(question("F.ISI.ARPA", 1)); // name at offset 12; "ARPA" label at 12 + 2 + 4 = 18
    let mut foo = vec![3];
    foo.extend_from_slice(b"FOO");
    foo.extend_from_slice(&[0xc0, 12]);
    msg.extend(record(&foo, 1, 10, &[10, 0, 0, 1]));
    msg.extend(record(&[0xc0, 18], 2, 10, &wire_name("a.root-servers.net")));
    msg.extend(record(&[0], 2, 10, &wire_name("b.root-servers.net")));
    let parsed = parse_message(&msg).expect("valid");
    assert_eq!(parsed.stopped, None);
    let owners: Vec<&str> = parsed.answers.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(owners, ["foo.f.isi.arpa", "arpa", ""]);
    assert_eq!(parsed.questions[0].name, "f.isi.arpa");
    assert_eq!(parsed.answers[1].data, RData::Other(2));
}

/// A response whose question is `example.com` A and whose single answer owner is `owner`.
fn with_answer_owner(owner: &[u8]) -> Vec<u8> {
    let mut msg = header(2, 0x8180, [1, 1, 0, 0]);
    msg.extend(question("example.com", 1));
    msg.extend(record(owner, 1, 60, &[192, 0, 2, 1]));
    msg
}

fn stop_reason(msg: &[u8]) -> Option<DnsError> {
    parse_message(msg).ok().and_then(|m| m.stopped)
}

#[test]
fn compression_loops_and_forward_pointers_are_rejected() {
    // The question name is a pointer to itself.
    let mut own = header(3, 0x0100, [1, 0, 0, 0]);
    own.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(stop_reason(&own), Some(DnsError::ForwardPointer));

    // "a" then a pointer back to the start of the same name: behind the pointer, so a check of
    // "target < pointer position" alone would loop; the name's own start is not before itself.
    let mut back_to_start = header(3, 0x0100, [1, 0, 0, 0]);
    back_to_start.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(stop_reason(&back_to_start), Some(DnsError::ForwardPointer));

    // A pointer forward, to a valid name later in the message.
    let mut forward = header(3, 0x0100, [1, 0, 0, 0]);
    forward.extend_from_slice(&[0xc0, 18, 0, 1, 0, 1]);
    forward.extend(wire_name("example.com"));
    assert_eq!(stop_reason(&forward), Some(DnsError::ForwardPointer));

    // Two answer owners pointing at each other: the first points forward.
    let mut mutual = header(4, 0x8180, [1, 2, 0, 0]);
    mutual.extend(question("example.com", 1)); // ends at 12 + 13 + 4 = 29
    let first_at = mutual.len();
    let second_at = first_at + 4 + 10 + 4;
    mutual.extend(record(
        &[1, b'x', 0xc0, second_at as u8],
        1,
        60,
        &[192, 0, 2, 1],
    ));
    mutual.extend(record(
        &[1, b'y', 0xc0, first_at as u8],
        1,
        60,
        &[192, 0, 2, 2],
    ));
    let parsed = parse_message(&mutual).expect("question is fine");
    assert_eq!(parsed.answers.len(), 0);
    assert_eq!(parsed.stopped, Some(DnsError::ForwardPointer));

    // The reserved 0b01 label type.
    let parsed = parse_message(&with_answer_owner(&[0x41, 0])).expect("question is fine");
    assert_eq!(parsed.stopped, Some(DnsError::ReservedLabelType));
}

#[test]
fn backward_pointer_chains_stop_at_255_octets() {
    // Answer owners each made of one label plus a pointer to the previous owner: every pointer
    // is legal, the expanded names grow by one label a step.
    let mut response = header(6, 0x8180, [1, 100, 0, 0]);
    response.extend(question("a", 1)); // 12..21, the "a" name at 12
    let mut previous = 12usize;
    for _ in 0..100 {
        let at = response.len();
        response.extend(record(
            &[1, b'a', 0xc0 | (previous >> 8) as u8, previous as u8],
            1,
            1,
            &[1, 2, 3, 4],
        ));
        previous = at;
    }
    let parsed = parse_message(&response).expect("question is fine");
    // Name k (k = 1..) has k + 1 labels of 2 octets plus the root: 2k + 3 octets, over 255 from
    // k = 127 on; only 100 here, so every name is legal, and the last has 101 labels.
    assert_eq!(parsed.stopped, None);
    assert_eq!(parsed.answers.len(), 32, "MAX_ANSWERS_KEPT");
    assert_eq!(parsed.answers_dropped, 68);

    // Now labels of 10 octets: 11k + 13 octets exceeds 255 at k = 23.
    let mut long = header(6, 0x8180, [1, 30, 0, 0]);
    long.extend(question("a", 1));
    let mut previous = 12usize;
    for _ in 0..30 {
        let at = long.len();
        let mut owner = vec![10];
        owner.extend_from_slice(b"abcdefghij");
        owner.extend_from_slice(&[0xc0 | (previous >> 8) as u8, previous as u8]);
        long.extend(record(&owner, 1, 1, &[1, 2, 3, 4]));
        previous = at;
    }
    let parsed = parse_message(&long).expect("question is fine");
    assert_eq!(parsed.answers.len(), 22);
    assert_eq!(parsed.stopped, Some(DnsError::NameTooLong));
}

#[test]
fn truncated_at_every_length() {
    let full = hex(CHAT_RESPONSE);
    // Offsets by hand: header 12, question 19 + 4 (ends 35), CNAME record 2 + 10 + 22 (ends 69),
    // A record 2 + 10 + 4 (ends 85).
    assert_eq!(full.len(), 85);
    for len in 0..=full.len() {
        let result = parse_message(&full[..len]);
        match len {
            0..=11 => assert_eq!(result, Err(DnsError::HeaderTruncated), "len {len}"),
            12..=34 => {
                // Header read, question cut: nothing kept, and the reason says where.
                let msg = result.expect("header complete");
                assert_eq!(
                    (msg.id, msg.question_count, msg.questions.len()),
                    (0x1a2b, 1, 0)
                );
                let reason = if len <= 30 {
                    DnsError::NameTruncated
                } else {
                    DnsError::QuestionTruncated
                };
                assert_eq!(msg.stopped, Some(reason), "len {len}");
            }
            _ => {
                let msg = result.expect("question complete");
                let complete = [69, 85].iter().filter(|&&end| len >= end).count();
                assert_eq!(msg.answers.len(), complete, "len {len}");
                let expect_stop = if len == 85 {
                    None
                } else {
                    Some(DnsError::RecordTruncated)
                };
                // Cut before or inside an owner's 2-octet pointer: the name is what is truncated.
                let in_owner = matches!(len, 35 | 36 | 69 | 70);
                let expect_stop = if in_owner {
                    Some(DnsError::NameTruncated)
                } else {
                    expect_stop
                };
                assert_eq!(msg.stopped, expect_stop, "len {len}");
            }
        }
    }
}

#[test]
fn cname_chain_in_any_order() {
    // chat.deepseek.com -> mid.cdn.net -> x.cdn.net -> 1.2.3.4, with the records reversed and an
    // unrelated A record that no question leads to.
    let mut msg = header(9, 0x8180, [1, 4, 0, 0]);
    msg.extend(question("chat.deepseek.com", 1));
    msg.extend(record(&wire_name("x.cdn.net"), 1, 60, &[1, 2, 3, 4]));
    msg.extend(record(
        &wire_name("unrelated.example"),
        1,
        60,
        &[9, 9, 9, 9],
    ));
    msg.extend(record(
        &wire_name("mid.cdn.net"),
        5,
        30,
        &wire_name("x.cdn.net"),
    ));
    msg.extend(record(
        &wire_name("chat.deepseek.com"),
        5,
        300,
        &wire_name("mid.cdn.net"),
    ));
    let parsed = parse_message(&msg).expect("valid");
    let resolved = resolve_chain(&parsed);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].addr, v4("1.2.3.4"));
    assert_eq!(resolved[0].query, "chat.deepseek.com");
    assert_eq!(
        resolved[0].chain,
        ["chat.deepseek.com", "mid.cdn.net", "x.cdn.net"]
    );
    assert_eq!(resolved[0].ttl, 30, "smallest TTL along the chain");

    // A CNAME cycle (a -> b -> a) with an address on b: terminates, attributes once.
    let mut cycle = header(10, 0x8180, [1, 3, 0, 0]);
    cycle.extend(question("a.test", 1));
    cycle.extend(record(&wire_name("a.test"), 5, 60, &wire_name("b.test")));
    cycle.extend(record(&wire_name("b.test"), 5, 60, &wire_name("a.test")));
    cycle.extend(record(&wire_name("b.test"), 1, 60, &[5, 6, 7, 8]));
    let parsed = parse_message(&cycle).expect("valid");
    let resolved = resolve_chain(&parsed);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].chain, ["a.test", "b.test"]);
}

#[test]
fn extended_rcode_from_opt() {
    // RFC 6891 §6.1.3: BADVERS (16) is EXTENDED-RCODE 1 with header RCODE 0.
    let mut msg = header(11, 0x8180, [1, 0, 0, 1]);
    msg.extend(question("example.com", 1));
    msg.extend(record(&[0], 41, 0x0100_0000, &[]));
    let parsed = parse_message(&msg).expect("valid");
    assert!(parsed.edns);
    assert_eq!(parsed.rcode, 16);
    assert_eq!(rcode_name(parsed.rcode), "BADVERS");
}

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
    fixtures.push(svcb_response(&hex(
        "00 10 03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 6f 72 67 00 00 00 00 04 00 01 00 04
         00 01 00 09 02 68 32 05 68 33 2d 31 39 00 04 00 04 c0 00 02 01",
    )));
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
