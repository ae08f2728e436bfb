//! Shared DNS test fixtures: responses captured from dnsmasq 2.90 on loopback (configuration in
//! each comment; the expected values are what was configured, and `dig` decoded the same records)
//! and helpers that assemble messages by hand.
#![allow(dead_code)] // each test binary uses a different part

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0))
        .collect()
}

// dnsmasq --cname=chat.example.test,edge.cdn.example.net --host-record=edge.cdn.example.net,192.0.2.20
// --local-ttl=300; query chat.example.test A, id 0x1a2b.
pub const CHAT_RESPONSE: &str = "1a2b858000010002000000000463686174076578616d706c6504746573740000010001\
    c00c000500010000012c001604656467650363646e076578616d706c65036e657400c02f000100010000012c0004c0000214";
pub const CHAT_QUERY: &str =
    "1a2b010000010000000000000463686174076578616d706c6504746573740000010001";
// --host-record=api.example.test,192.0.2.10,2001:db8::10; query AAAA with an EDNS OPT (1232).
pub const API_AAAA_RESPONSE: &str = "01028580000100010000000103617069076578616d706c65047465737400001c0001\
    c00c001c00010000012c001020010db800000000000000000000001000002904d0000000000000";
// --dns-rr=svc.example.test,65,<HTTPS 1 . alpn=h3,h2 ipv4hint=192.0.2.30 ech=AAb+DQACq80=
// ipv6hint=2001:db8::30> (dig printed exactly these parameters back).
pub const SVC_HTTPS_RESPONSE: &str = "03038580000100010000000003737663076578616d706c6504746573740000410001\
    c00c004100010000012c00350001000001000602683302683200040004c000021e000500080006fe0d0002abcd\
    0006001020010db8000000000000000000000030";
// --local=/example.test/: a name with no record gets NXDOMAIN (rcode 3), with EDNS.
pub const NXDOMAIN_RESPONSE: &str = "040481830001000000000001046e6f7065076578616d706c650474657374000001\
    000100002904d0000000000000";
// The server side of one TCP connection carrying two pipelined queries (api A, then chat A).
pub const TCP_SERVER_STREAM: &str = "00320a0a8580000100010000000003617069076578616d706c650474657374000001\
    0001c00c000100010000012c0004c000020a00550b0b858000010002000000000463686174076578616d706c6504746573\
    740000010001c00c000500010000012c001604656467650363646e076578616d706c65036e657400c02f000100010000\
    012c0004c0000214";

/// A name in uncompressed wire form.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

pub fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

pub fn record(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

pub fn question(name: &str, qtype: u16) -> Vec<u8> {
    let mut out = wire_name(name);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out
}

pub fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED))
}

pub fn v6(text: &str) -> IpAddr {
    IpAddr::V6(text.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED))
}

/// Wraps SVCB record data in a response to `name` SVCB.
pub fn svcb_response(rdata: &[u8]) -> Vec<u8> {
    let mut msg = header(7, 0x8180, [1, 1, 0, 0]);
    msg.extend(question("example.com", 64));
    msg.extend(record(&[0xc0, 0x0c], 64, 60, rdata));
    msg
}

/// RFC 9460 Appendix D.2 Figure 9: "SVCB 16 foo.example.org. alpn=h2,h3-19
/// mandatory=ipv4hint,alpn ipv4hint=192.0.2.1".
pub const RFC9460_FIGURE9: &str =
    "00 10 03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 6f 72 67 00 00 00 00 04
    00 01 00 04 00 01 00 09 02 68 32 05 68 33 2d 31 39 00 04 00 04 c0 00 02 01";
