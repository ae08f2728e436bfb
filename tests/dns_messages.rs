//! The DNS message parser: real responses, RFC 1035 and RFC 9460 vectors, hostile compression,
//! truncation, CNAME chains, section caps and name text form.

mod dns_fixtures;

use std::net::{Ipv4Addr, Ipv6Addr};

use aiwatch::dissect::dns::{
    AddrSource, DnsError, RData, parse_message, rcode_name, resolve_chain,
};
use dns_fixtures::*;

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
    let sorted = hex(RFC9460_FIGURE9);
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
fn section_caps_keep_the_first_and_count_the_rest() {
    // Six questions: four kept, two parsed past, and the answer after them still read.
    let mut msg = header(12, 0x8180, [6, 1, 0, 0]);
    for n in 0..6 {
        msg.extend(question(&format!("q{n}.example"), 1));
    }
    msg.extend(record(&[0xc0, 12], 1, 60, &[192, 0, 2, 9]));
    let parsed = parse_message(&msg).expect("valid");
    assert_eq!(parsed.stopped, None);
    assert_eq!(parsed.questions.len(), 4);
    assert_eq!(parsed.questions_dropped, 2);
    assert_eq!(parsed.questions[3].name, "q3.example");
    assert_eq!(
        parsed.answers[0].data,
        RData::A(Ipv4Addr::new(192, 0, 2, 9))
    );
}

#[test]
fn multicast_name_ports() {
    // mDNS is UDP 5353 (RFC 6762 §3), LLMNR 5355 (RFC 4795 §2).
    use aiwatch::dissect::dns::is_mdns_or_llmnr;
    assert!(is_mdns_or_llmnr(5353) && is_mdns_or_llmnr(5355));
    assert!(!is_mdns_or_llmnr(53) && !is_mdns_or_llmnr(5354));
}

#[test]
fn non_printable_bytes_are_escaped() {
    // Bytes 0x04..0x06 (as in nDPI's dns-invalid-chars capture), a space, a dot inside a label and
    // a high byte all print as '?'; other printable ASCII is kept, upper case lowered.
    let mut msg = header(13, 0x0100, [1, 0, 0, 0]);
    msg.extend_from_slice(&[
        9, b'A', 4, 5, 6, b' ', b'.', 0xC3, b'*', b'z', 2, b'c', b'n', 0, 0, 1, 0, 1,
    ]);
    let parsed = parse_message(&msg).expect("valid");
    assert_eq!(parsed.questions[0].name, "a??????*z.cn");
}
