//! Encrypted DNS blind spots in nDPI's captures (their truth labels these flows DoH_DoT / DoQ):
//! labelled `encrypted_dns` and counted per client in the summary.

mod common;

#[test]
fn doh_dot_and_doq_flows_are_labelled_and_counted() {
    let dir = common::shared_dir().join("captures/ndpi/pcap");
    // (capture, client, kind): from nDPI's expected output (app DoH_DoT, or QUIC with ALPN doq-i00).
    let cases = [
        ("dns_doh.pcap", "172.20.10.4", "DoH"),
        ("doh.pcapng", "192.168.1.253", "DoH"),
        ("dns_dot.pcap", "192.168.1.185", "DoT"),
        ("doq.pcapng", "::1", "DoQ"),
    ];
    for (capture, client, kind) in cases {
        let (records, outcome) = common::replay_records(&[dir.join(capture)]);
        let labelled: Vec<_> = records.iter().filter(|r| r.encrypted_dns).collect();
        assert_eq!(labelled.len(), 1, "{capture}");
        assert_eq!(labelled[0].encrypted_dns_kind, Some(kind), "{capture}");
        let row = &outcome.summary.encrypted_dns_by_client;
        assert_eq!(row.len(), 1, "{capture}");
        assert_eq!(row[0].host, client.parse::<std::net::IpAddr>().unwrap());
        assert_eq!(row[0].kinds, vec![kind]);
    }
}
