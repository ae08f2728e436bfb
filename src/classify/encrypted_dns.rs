//! Encrypted DNS: flows whose names we cannot read because the resolution itself is encrypted.
//!
//! Accepts: a flow's IP protocol, server port, TLS/QUIC SNI (if any) and server address. Promises:
//! `Some("DoT")` for TCP/853 (RFC 7858), `Some("DoQ")` for UDP/853 (RFC 9250), `Some("DoH")` when the
//! SNI is a well-known DoH resolver name (matched as a whole-label suffix, case-insensitively) or,
//! without a matching SNI, when the server is a well-known public resolver address on port 443 (TCP
//! for HTTP/2, UDP for HTTP/3); `None` otherwise. Never: guesses from traffic shape — a private DoH
//! server on an unknown name and address is not recognised.
//!
//! Sources for the lists (checked 2026-11): the curl project's wiki page "DNS-over-HTTPS" (public
//! DoH endpoints, as mirrored in safing/intel-data `lists/securedns.txt` and wranders/doh-list), the
//! resolver templates Windows ships (`netsh dns show encryption`: Cloudflare, Google, Quad9 addresses
//! and their DoH URLs), Firefox's built-in provider list (mozilla.cloudflare-dns.com, NextDNS), and
//! the providers' own pages for AdGuard (dns.adguard-dns.com, 94.140.14.14), OpenDNS
//! (208.67.222.222), AliDNS (223.5.5.5) and DNSPod (doh.pub).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const TCP: u8 = 6;
const UDP: u8 = 17;

/// DoH host names; a name matches if it equals one of these or ends with `.` + one of these.
const DOH_NAMES: &[&str] = &[
    // Google Public DNS
    "dns.google",
    "dns.google.com",
    "8888.google",
    // Cloudflare (also covers mozilla., family., security., chrome. … subdomains)
    "cloudflare-dns.com",
    "one.one.one.one",
    // Quad9
    "dns.quad9.net",
    "dns9.quad9.net",
    "dns10.quad9.net",
    "dns11.quad9.net",
    "dns12.quad9.net",
    // Cisco OpenDNS
    "doh.opendns.com",
    "doh.familyshield.opendns.com",
    // NextDNS (per-profile subdomains)
    "dns.nextdns.io",
    // AdGuard
    "dns.adguard-dns.com",
    "family.adguard-dns.com",
    "unfiltered.adguard-dns.com",
    "dns.adguard.com",
    "dns-family.adguard.com",
    // Others from the curl list
    "doh.cleanbrowsing.org",
    "doh.dns.sb",
    "doh.mullvad.net",
    "dns.controld.com",
    "freedns.controld.com",
    "doh.xfinity.com",
    "doh.libredns.gr",
    "dns.digitale-gesellschaft.ch",
    "dns.switch.ch",
    "doh.applied-privacy.net",
    "dns.alidns.com",
    "doh.pub",
    "doh.360.cn",
];

/// Each of [`DOH_NAMES`] with its last byte, which is compared before the whole name.
const DOH_BY_LAST_BYTE: [(u8, &str); DOH_NAMES.len()] = {
    let mut out = [(0u8, ""); DOH_NAMES.len()];
    let mut i = 0;
    while i < DOH_NAMES.len() {
        let name = DOH_NAMES[i].as_bytes();
        out[i] = (name[name.len() - 1], DOH_NAMES[i]);
        i += 1;
    }
    out
};

const DOH_V4: &[Ipv4Addr] = &[
    Ipv4Addr::new(8, 8, 8, 8),
    Ipv4Addr::new(8, 8, 4, 4),
    Ipv4Addr::new(1, 1, 1, 1),
    Ipv4Addr::new(1, 0, 0, 1),
    Ipv4Addr::new(1, 1, 1, 2),
    Ipv4Addr::new(1, 0, 0, 2),
    Ipv4Addr::new(1, 1, 1, 3),
    Ipv4Addr::new(1, 0, 0, 3),
    Ipv4Addr::new(9, 9, 9, 9),
    Ipv4Addr::new(149, 112, 112, 112),
    Ipv4Addr::new(9, 9, 9, 11),
    Ipv4Addr::new(149, 112, 112, 11),
    Ipv4Addr::new(208, 67, 222, 222),
    Ipv4Addr::new(208, 67, 220, 220),
    Ipv4Addr::new(94, 140, 14, 14),
    Ipv4Addr::new(94, 140, 15, 15),
    Ipv4Addr::new(223, 5, 5, 5),
    Ipv4Addr::new(223, 6, 6, 6),
];

const DOH_V6: &[Ipv6Addr] = &[
    Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888),
    Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8844),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1001),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1112),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1002),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1113),
    Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1003),
    Ipv6Addr::new(0x2620, 0xfe, 0, 0, 0, 0, 0, 0x9),
    Ipv6Addr::new(0x2620, 0xfe, 0, 0, 0, 0, 0, 0xfe),
    Ipv6Addr::new(0x2620, 0xfe, 0, 0, 0, 0, 0, 0x11),
    Ipv6Addr::new(0x2620, 0xfe, 0, 0, 0, 0, 0xfe, 0x11),
    Ipv6Addr::new(0x2620, 0x119, 0x35, 0, 0, 0, 0, 0x35),
    Ipv6Addr::new(0x2620, 0x119, 0x53, 0, 0, 0, 0, 0x53),
    Ipv6Addr::new(0x2a10, 0x50c0, 0, 0, 0, 0, 0xad1, 0xff),
    Ipv6Addr::new(0x2a10, 0x50c0, 0, 0, 0, 0, 0xad2, 0xff),
];

/// Which kind of encrypted DNS a flow is, if it is one we recognise.
pub fn encrypted_dns_kind(
    proto: u8,
    server_port: u16,
    sni: Option<&str>,
    server: IpAddr,
) -> Option<&'static str> {
    match (proto, server_port) {
        (TCP, 853) => return Some("DoT"),
        (UDP, 853) => return Some("DoQ"),
        _ => {}
    }
    if let Some(sni) = sni
        && is_doh_name(sni)
    {
        return Some("DoH");
    }
    let web = server_port == 443 && (proto == TCP || proto == UDP);
    if !web {
        return None;
    }
    let known_addr = match server {
        IpAddr::V4(v4) => DOH_V4.contains(&v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => DOH_V4.contains(&v4),
            None => DOH_V6.contains(&v6),
        },
    };
    known_addr.then_some("DoH")
}

/// Whether `name` is a known DoH resolver name or a subdomain of one (whole labels, any case,
/// trailing dot ignored).
pub fn is_doh_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    // The last byte first: most names differ there, and the known names are lower case.
    let Some(last) = name.as_bytes().last().map(u8::to_ascii_lowercase) else {
        return false;
    };
    DOH_BY_LAST_BYTE.iter().any(|&(known_last, known)| {
        last == known_last && name.len() >= known.len() && {
            let split = name.len() - known.len();
            let (head, tail) = name.split_at_checked(split).unwrap_or(("", ""));
            tail.eq_ignore_ascii_case(known) && (head.is_empty() || head.ends_with('.'))
        }
    })
}

/// DNS over QUIC or TLS announced by ALPN in the ClientHello: `doq` (RFC 9250 §4.1.1; its drafts
/// used `doq-i00`…`doq-i11`) and `dot` (RFC 7858 reserved no ALPN, but IANA lists `dot`).
pub fn kind_by_alpn<'a>(mut alpn: impl Iterator<Item = &'a [u8]>) -> Option<&'static str> {
    alpn.find_map(|a| {
        if a == b"doq" || a.starts_with(b"doq-i") {
            Some("DoQ")
        } else if a == b"dot" {
            Some("DoT")
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn doq_and_dot_by_alpn() {
        let offered: [&[u8]; 2] = [b"h3", b"doq-i00"];
        assert_eq!(kind_by_alpn(offered.into_iter()), Some("DoQ"));
        assert_eq!(kind_by_alpn([b"dot".as_slice()].into_iter()), Some("DoT"));
        assert_eq!(
            kind_by_alpn([b"h2".as_slice(), b"http/1.1"].into_iter()),
            None
        );
    }

    #[test]
    fn port_853_is_dot_over_tcp_and_doq_over_udp() {
        // RFC 7858 §3.1 (TCP 853) and RFC 9250 §4.1.1 (UDP 853).
        assert_eq!(encrypted_dns_kind(6, 853, None, ANY), Some("DoT"));
        assert_eq!(encrypted_dns_kind(17, 853, None, ANY), Some("DoQ"));
        assert_eq!(encrypted_dns_kind(6, 53, None, ANY), None);
    }

    #[test]
    fn doh_names_match_whole_labels_only() {
        for sni in [
            "dns.google",
            "mozilla.cloudflare-dns.com",
            "DNS.Quad9.net.",
            "abc123.dns.nextdns.io",
        ] {
            assert_eq!(
                encrypted_dns_kind(6, 443, Some(sni), ANY),
                Some("DoH"),
                "{sni}"
            );
        }
        // Same text but not on a label boundary, or only a parent domain.
        for sni in [
            "notdns.google",
            "evilcloudflare-dns.com",
            "quad9.net",
            "google",
        ] {
            assert_eq!(encrypted_dns_kind(6, 443, Some(sni), ANY), None, "{sni}");
        }
    }

    #[test]
    fn resolver_addresses_count_only_on_443() {
        let google: IpAddr = "8.8.8.8".parse().unwrap_or(ANY);
        let quad9_v6: IpAddr = "2620:fe::fe".parse().unwrap_or(ANY);
        assert_eq!(encrypted_dns_kind(6, 443, None, google), Some("DoH"));
        assert_eq!(encrypted_dns_kind(17, 443, None, quad9_v6), Some("DoH"));
        assert_eq!(encrypted_dns_kind(17, 53, None, google), None);
        assert_eq!(encrypted_dns_kind(6, 443, Some("example.com"), ANY), None);
    }
}
