//! Check of the fragment cache against real captures in ../shared (`tests/common` locates it;
//! skipped with a note when absent).
//!
//! Every expected number below was obtained with tshark 4.x on the same files:
//! - fragments / last fragments: `tshark -r F -o ip.defragment:FALSE -Y 'ip.flags.mf==1 || ip.frag_offset>0'`
//!   and `-Y 'ip.flags.mf==0 && ip.frag_offset>0'` (IPv6: `-o ipv6.defragment:FALSE -Y 'ipv6.fraghdr'` and
//!   `-Y 'ipv6.fraghdr.more==0 && ipv6.fraghdr.offset>0'`), counting lines;
//! - reassembled datagrams, their lengths and bytes: `tshark -r F -Y 'ip.fragments || ipv6.fragments'
//!   -T fields -e ip.reassembled.data -e ipv6.reassembled.data`, hex-decoded in Python, lengths summed and
//!   all payloads, in order, hashed with SHA-256; UDP lengths with `-e udp.length`;
//! - overlaps: `-Y 'ip.fragment.overlap'` (fragments flagged) and `-Y 'ip.fragment.overlap.conflict'`.

mod common;

use std::path::PathBuf;

use aiwatch::decode::fragments::{
    FragKey, FragOutcome, FragmentCache, FragmentLimits, FragmentStats,
};
use aiwatch::time::Timestamp;
use etherparse::{
    Ethernet2HeaderSlice, Ipv4Slice, Ipv6ExtensionSlice, Ipv6Slice, SingleVlanHeaderSlice,
};
use sha2::{Digest, Sha256};

fn shared_dir() -> Option<PathBuf> {
    Some(common::shared_dir()).filter(|dir| dir.join("captures").is_dir())
}

#[derive(Default)]
struct Replay {
    fragments: usize,
    last_fragments: usize,
    /// (reassembled payload length, UDP length field) per completed datagram, in order.
    completed: Vec<(usize, u16)>,
    digest: Sha256,
    stats: FragmentStats,
    in_flight_at_end: usize,
}

/// One fragment as the decode stage would hand it over.
struct Fragment<'a> {
    key: FragKey,
    offset: u32,
    more: bool,
    payload: &'a [u8],
}

/// Parses an Ethernet frame down to its IP fragment, trimming the frame to the IP length first (the
/// frag_with_padding capture has Ethernet padding after its last IP datagram).
fn fragment_of(frame: &[u8]) -> Option<Fragment<'_>> {
    let eth = Ethernet2HeaderSlice::from_slice(frame).ok()?;
    let mut ether_type = eth.ether_type().0;
    let mut ip = frame.get(eth.slice().len()..)?;
    // frag_with_padding is 802.1Q-tagged (VLAN 19): the VLAN id becomes the key's scope.
    let mut scope = 0;
    if ether_type == 0x8100 || ether_type == 0x88a8 {
        let vlan = SingleVlanHeaderSlice::from_slice(ip).ok()?;
        scope = u32::from(vlan.vlan_identifier().value());
        ether_type = vlan.ether_type().0;
        ip = ip.get(vlan.slice().len()..)?;
    }
    match ether_type {
        0x0800 => {
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let v4 = Ipv4Slice::from_slice(ip.get(..total)?).ok()?;
            let h = v4.header();
            let offset = u32::from(h.fragments_offset().byte_offset());
            if !h.more_fragments() && offset == 0 {
                return None;
            }
            let key: FragKey = FragKey::v4(
                h.source_addr(),
                h.destination_addr(),
                h.protocol().0,
                h.identification(),
                scope,
            );
            Some(Fragment {
                key,
                offset,
                more: h.more_fragments(),
                payload: v4.payload().payload,
            })
        }
        0x86dd => {
            let total = 40 + usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let v6 = Ipv6Slice::from_slice(ip.get(..total)?).ok()?;
            let frag = v6
                .extensions()
                .clone()
                .into_iter()
                .find_map(|ext| match ext {
                    Ipv6ExtensionSlice::Fragment(f) => Some(f),
                    _ => None,
                })?;
            let h = v6.header();
            Some(Fragment {
                key: FragKey::v6(
                    h.source_addr(),
                    h.destination_addr(),
                    frag.next_header().0,
                    frag.identification(),
                    scope,
                ),
                offset: u32::from(frag.fragment_offset().byte_offset()),
                more: frag.more_fragments(),
                payload: v6.payload().payload,
            })
        }
        _ => None,
    }
}

fn replay(relative: &str) -> Option<Replay> {
    let Some(dir) = shared_dir() else {
        eprintln!("shared directory not found: skipping {relative}");
        return None;
    };
    let path = dir.join(relative);
    let mut capture = pcap::Capture::from_file(&path).expect("open capture");
    let mut cache = FragmentCache::new(FragmentLimits::default());
    let mut out = Replay::default();
    while let Ok(packet) = capture.next_packet() {
        let ts = Timestamp::from_secs_nanos(
            packet.header.ts.tv_sec as u64,
            (packet.header.ts.tv_usec as u32).saturating_mul(1000),
        );
        let Some(frag) = fragment_of(packet.data) else {
            continue;
        };
        out.fragments += 1;
        if !frag.more && frag.offset > 0 {
            out.last_fragments += 1;
        }
        match cache.insert(ts, frag.key, frag.offset, frag.more, frag.payload) {
            FragOutcome::Complete(datagram) => {
                assert_eq!(
                    frag.key.protocol, 17,
                    "all reassembled datagrams here are UDP"
                );
                let udp_len = match datagram.get(4..6) {
                    Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
                    _ => panic!("{relative}: reassembled datagram shorter than a UDP header"),
                };
                out.completed.push((datagram.len(), udp_len));
                out.digest.update(datagram);
            }
            FragOutcome::Pending => {}
            FragOutcome::Dropped(reason) => panic!("{relative}: fragment dropped: {reason}"),
        }
    }
    out.stats = cache.stats().clone();
    out.in_flight_at_end = cache.in_flight();
    Some(out)
}

fn hex(digest: Sha256) -> String {
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn ip4_fragments_with_duplicates_and_late_tails() {
    let Some(r) = replay("captures/pcapplusplus/pcap/ip4_fragments.pcap") else {
        return;
    };
    assert_eq!(r.fragments, 50);
    // 8 last fragments, but 2 (frames 30 and 42) are duplicate tails arriving after their datagram was
    // complete: tshark reassembles 6 datagrams, and so do we; the 2 late tails wait in the cache.
    assert_eq!(r.last_fragments, 8);
    assert_eq!(r.completed, vec![(8320, 8320); 6]);
    assert_eq!(r.in_flight_at_end, 2);
    // tshark flags 12 fragments as overlapping (exact duplicates), none conflicting.
    assert_eq!(r.stats.overlaps, 12);
    assert_eq!(r.stats.overlap_conflicts, 0);
    assert_eq!(
        hex(r.digest),
        "fe778a4cb5b6521e4b6d5c71664a081b5c2a4a709819df7990f2e41a12c9271e"
    );
}

#[test]
fn ip6_fragments() {
    let Some(r) = replay("captures/pcapplusplus/pcap/ip6_fragments.pcap") else {
        return;
    };
    assert_eq!(r.fragments, 36);
    assert_eq!(r.last_fragments, 4);
    // tshark: ipv6.reassembled.length 741/1452/1003/786 with udp.length 737/1448/999/782. These
    // reassembled payloads carry 4 bytes past the UDP datagram (likely the original frames' FCS kept by
    // the tool that fragmented them), so here the UDP length is checked against tshark, not against
    // the payload length.
    assert_eq!(
        r.completed,
        vec![(741, 737), (1452, 1448), (1003, 999), (786, 782)]
    );
    assert_eq!(r.in_flight_at_end, 0);
    assert_eq!(r.stats.overlaps, 0);
    assert_eq!(
        hex(r.digest),
        "1211f858ae8818982c88d2a8fb1d0361f4938197551dcc1164136d9feb6a67e9"
    );
}

#[test]
fn frag_with_padding_trimmed_to_ip_length() {
    let Some(r) = replay("captures/pcapplusplus/pcap/frag_with_padding.pcap") else {
        return;
    };
    // The offset-0 fragment arrives last, in a 60-byte frame (Ethernet + VLAN tag)
    // carrying 14 bytes of padding after its 28-byte IP datagram.
    assert_eq!(r.fragments, 8);
    assert_eq!(r.last_fragments, 1);
    assert_eq!(r.completed, vec![(9409, 9409)]);
    // A caller that did not trim would hand over 14 zero bytes past the 8-byte payload, over bytes 8..22
    // of the next fragment, which are not zero (tshark reassembled data): a conflict would be counted.
    assert_eq!(r.stats.overlap_conflicts, 0);
    assert_eq!(
        hex(r.digest),
        "b50695b102e3ef88ee595baf4916d35afa16453917fa1c5ca79fbf5920cb0ebe"
    );
}

#[test]
fn afs_rx_over_udp() {
    let Some(r) = replay("captures/tcpdump/pcap/afs.pcap") else {
        return;
    };
    assert_eq!(r.fragments, 200);
    assert_eq!(r.last_fragments, 51);
    assert_eq!(r.completed.len(), 51);
    for &(payload_len, udp_len) in &r.completed {
        assert_eq!(payload_len, usize::from(udp_len));
    }
    assert_eq!(r.completed.iter().map(|c| c.0).sum::<usize>(), 282_456);
    assert_eq!(r.in_flight_at_end, 0);
    assert_eq!(
        hex(r.digest),
        "c9f08d8248a0f5af442286fc710904f3bcc76c1f3a686bcbb7011c74a17ade16"
    );
}

#[test]
fn frame_parser_ignores_unfragmented_packets() {
    // Guards the harness itself: a minimal unfragmented IPv4/UDP frame yields no fragment.
    let mut frame = vec![0u8; 14];
    frame[12] = 0x08;
    let header = etherparse::Ipv4Header::new(
        8,
        64,
        etherparse::IpNumber::UDP,
        [10, 0, 0, 1],
        [10, 0, 0, 2],
    )
    .expect("header");
    frame.extend_from_slice(&header.to_bytes());
    frame.extend_from_slice(&[0, 53, 0, 53, 0, 8, 0, 0]);
    assert!(fragment_of(&frame).is_none());
}
