use super::*;
use crate::frame::LinkType;
use etherparse::PacketBuilder;

fn frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    Frame {
        ts: Timestamp::from_secs(1),
        link,
        orig_len: data.len() as u32,
        data,
    }
}

fn tcp_ipv4(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [93, 184, 216, 34], 64)
        .tcp(40000, 443, 1000, 65535)
        .syn();
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

#[test]
fn ethernet_ipv4_tcp() {
    let bytes = tcp_ipv4(b"hello");
    let mut d = Decoder::default();
    let Decoded::Packet(p) = d.decode(&frame(LinkType::Ethernet, &bytes)) else {
        panic!("not a packet")
    };
    assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(p.proto, 6);
    assert_eq!(p.ip_len, 20 + 20 + 5);
    assert_eq!(p.payload, b"hello");
    assert!(
        matches!(p.l4, L4::Tcp { src_port: 40000, dst_port: 443, seq: 1000, flags, .. } if flags & TCP_SYN != 0)
    );
}

#[test]
fn snaplen_cut_frame_keeps_original_length() {
    let bytes = tcp_ipv4(&[7u8; 1000]);
    let cut = &bytes[..14 + 20 + 20 + 10];
    let mut d = Decoder::default();
    let snapped = Frame {
        orig_len: bytes.len() as u32,
        ..frame(LinkType::Ethernet, cut)
    };
    let Decoded::Packet(p) = d.decode(&snapped) else {
        panic!("not a packet")
    };
    assert_eq!(p.ip_len, 1040);
    assert_eq!(p.payload_len, 1000);
    assert_eq!(p.payload.len(), 10);
    assert_eq!(d.anomalies().ip_truncated, 1);
}

#[test]
fn cut_inside_tcp_header_is_malformed() {
    let bytes = tcp_ipv4(b"");
    let mut d = Decoder::default();
    let snapped = Frame {
        orig_len: bytes.len() as u32,
        ..frame(LinkType::Ethernet, &bytes[..14 + 20 + 12])
    };
    assert!(matches!(
        d.decode(&snapped),
        Decoded::Malformed(Malformed::TcpHeader)
    ));
    // The same bytes claiming to be the whole frame: the IP length lies.
    let lying = frame(LinkType::Ethernet, &bytes[..14 + 20 + 12]);
    assert!(matches!(
        d.decode(&lying),
        Decoded::Malformed(Malformed::IpLengthExceedsFrame)
    ));
}

#[test]
fn vxlan_inner_flow_wins() {
    let inner = tcp_ipv4(b"x");
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
    vx.extend_from_slice(&inner);
    let b = PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .udp(51000, 4789);
    let mut outer = Vec::new();
    b.write(&mut outer, &vx).unwrap();
    let mut d = Decoder::default();
    let Decoded::Packet(p) = d.decode(&frame(LinkType::Ethernet, &outer)) else {
        panic!("not a packet")
    };
    assert_eq!(p.tunnel, Some(Tunnel::Vxlan));
    assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(p.ip_len, 41);
}

#[test]
fn udp_length_zero_means_no_payload() {
    let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).udp(5353, 53);
    let mut pkt = Vec::new();
    b.write(&mut pkt, &[1u8; 30]).unwrap();
    pkt[20 + 4] = 0;
    pkt[20 + 5] = 0;
    let mut d = Decoder::default();
    let Decoded::Packet(p) = d.decode(&frame(LinkType::Raw, &pkt)) else {
        panic!("not a packet")
    };
    assert!(p.payload.is_empty());
    assert_eq!(d.anomalies().udp_bad_length, 1);
}

#[test]
fn ipv6_under_ipv4_link_type_is_counted() {
    let b = PacketBuilder::ipv6([0; 16], [1; 16], 64).udp(1, 2);
    let mut pkt = Vec::new();
    b.write(&mut pkt, b"").unwrap();
    let mut d = Decoder::default();
    assert!(matches!(
        d.decode(&frame(LinkType::Ipv4, &pkt)),
        Decoded::Malformed(Malformed::IpVersion)
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A deterministic walk over truncations and byte values of a real-shaped frame.
    let base = tcp_ipv4(b"payload bytes");
    let mut d = Decoder::default();
    for cut in 0..base.len() {
        for flip in [0x00u8, 0xff, 0x45, 0x60, 0x08] {
            let mut f = base[..cut].to_vec();
            if let Some(b) = f.get_mut(cut / 2) {
                *b = flip;
            }
            for link in [
                LinkType::Ethernet,
                LinkType::Raw,
                LinkType::Null,
                LinkType::LinuxSll,
                LinkType::LinuxSll2,
                LinkType::Ppp,
            ] {
                let _ = d.decode(&frame(link, &f));
            }
        }
    }
}

/// Field by field, what the IP layer parse returned (`IpLayer` has no `PartialEq`).
type LayerFacts = (
    IpAddr,
    IpAddr,
    u8,
    u8,
    u32,
    u32,
    Vec<u8>,
    bool,
    Option<(u32, u32, bool)>,
);

fn facts(r: Result<IpLayer<'_>, Malformed>) -> Result<LayerFacts, Malformed> {
    r.map(|l| {
        (
            l.src,
            l.dst,
            l.proto,
            l.ttl,
            l.ip_len,
            l.header_len,
            l.payload.to_vec(),
            l.truncated,
            l.fragment,
        )
    })
}

/// The hand-read IPv4 and IPv6 headers give what etherparse's lax slices give (the general path),
/// on headers cut, lying, optioned, fragmented and of every protocol: every prefix of each sample,
/// and every value of the length, flags and first bytes.
#[test]
fn ip_fast_paths_agree_with_etherparse() {
    let mut samples: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut v4 = vec![0x45, 0, 0, 28, 0x12, 0x34, 0x20, 0x10, 64, 17, 0, 0];
    v4.extend([192, 0, 2, 1, 198, 51, 100, 7]);
    v4.extend([0xaa; 12]);
    samples.push((link::ETHERTYPE_IPV4, v4.clone()));
    let mut optioned = v4.clone();
    optioned[0] = 0x46;
    optioned.splice(20..20, [1, 1, 1, 0]);
    samples.push((link::ETHERTYPE_IPV4, optioned));
    let mut v6 = vec![0x60, 0, 0, 0, 0, 12, 6, 33];
    v6.extend((0..32).map(|i| i as u8));
    v6.extend([0xbb; 16]);
    samples.push((link::ETHERTYPE_IPV6, v6.clone()));
    for (ethertype, base) in samples {
        let mut variants = vec![base.clone()];
        for len in [0u16, 1, 19, 20, 24, 28, 40, 52, 60, 1500] {
            let mut b = base.clone();
            let at = if ethertype == link::ETHERTYPE_IPV4 {
                2
            } else {
                4
            };
            b[at..at + 2].copy_from_slice(&len.to_be_bytes());
            variants.push(b);
        }
        for proto in [0u8, 1, 6, 17, 43, 44, 51, 58, 59, 60, 255] {
            let mut b = base.clone();
            b[if ethertype == link::ETHERTYPE_IPV4 {
                9
            } else {
                6
            }] = proto;
            variants.push(b);
        }
        if ethertype == link::ETHERTYPE_IPV4 {
            for first in 0x40..=0x4f {
                let mut b = base.clone();
                b[0] = first;
                variants.push(b);
            }
            for flags in [0x00u8, 0x20, 0x40, 0x1f, 0x3f, 0xff] {
                let mut b = base.clone();
                b[6] = flags;
                variants.push(b);
            }
        }
        for v in &variants {
            for cut in 0..=v.len() {
                let data = &v[..cut];
                assert_eq!(
                    facts(parse_ip(data, ethertype)),
                    facts(parse_ip_general(data, ethertype)),
                    "{data:02x?}"
                );
            }
        }
    }
}

/// The one-pass path for plain Ethernet frames decodes exactly as the general path (packet fields,
/// anomaly counts, drops), over tagged and untagged IPv4/IPv6 frames with TCP, UDP (plain, VXLAN,
/// bad lengths), fragments, AH, options and ICMP, each cut at every length (snap length) and with
/// every lying IP length byte.
#[test]
fn plain_ethernet_path_agrees_with_the_general_path() {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let eth = |tag: Option<u16>, ethertype: u16| {
        let mut f = vec![2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1];
        if let Some(tci) = tag {
            f.extend([0x81, 0x00]);
            f.extend(tci.to_be_bytes());
        }
        f.extend(ethertype.to_be_bytes());
        f
    };
    let udp = |sport: u16, dport: u16, len: u16, body: &[u8]| {
        let mut u = Vec::new();
        u.extend(sport.to_be_bytes());
        u.extend(dport.to_be_bytes());
        u.extend(len.to_be_bytes());
        u.extend([0, 0]);
        u.extend(body);
        u
    };
    let tcp = {
        let mut t = vec![
            0x9c, 0x40, 0x01, 0xbb, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x60, 0x18, 0xff, 0xff,
        ];
        t.extend([0, 0, 0, 0, 2, 4, 5, 0xb4]);
        t.extend(b"GET / HTTP/1.1\r\n");
        t
    };
    let vxlan_inner = {
        let mut v = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        v.extend(eth(None, 0x0800));
        v.extend([
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 59, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        v
    };
    let l4s: Vec<(u8, Vec<u8>)> = vec![
        (6, tcp.clone()),
        (17, udp(5353, 53, 12, b"abcd")),
        (17, udp(5353, 53, 7, b"abcd")),
        (17, udp(5353, 53, 40, b"abcd")),
        (17, udp(5353, 53, 0, b"abcd")),
        (
            17,
            udp(40000, 4789, 8 + vxlan_inner.len() as u16, &vxlan_inner),
        ),
        (17, udp(4789, 40000, 12, b"abcd")),
        (1, vec![8, 0, 0, 0, 0, 1, 0, 1]),
        (51, vec![17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (proto, l4) in &l4s {
        for tag in [None, Some(0x0064), Some(0xf123)] {
            for frag in [0u16, 0x2000, 0x0001] {
                let mut f = eth(tag, 0x0800);
                let total = 20 + l4.len() as u16;
                f.extend([0x45, 0]);
                f.extend(total.to_be_bytes());
                f.extend([0x12, 0x34]);
                f.extend(frag.to_be_bytes());
                f.extend([64, *proto, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7]);
                f.extend(l4);
                frames.push(f);
            }
            let mut f = eth(tag, 0x86dd);
            f.extend([0x60, 0, 0, 0]);
            f.extend((l4.len() as u16).to_be_bytes());
            f.extend([if *proto == 1 { 58 } else { *proto }, 64]);
            f.extend((0..32).map(|i| i as u8));
            f.extend(l4);
            frames.push(f);
        }
    }
    // IPv4 with options, and a second VLAN tag.
    let mut optioned = eth(None, 0x0800);
    optioned.extend([0x46, 0, 0, 24 + tcp.len() as u8, 0, 1, 0x40, 0, 64, 6, 0, 0]);
    optioned.extend([10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 0]);
    optioned.extend(&tcp);
    frames.push(optioned);
    let mut qinq = eth(Some(5), 0x8100);
    qinq.extend([0, 6, 0x08, 0x00]);
    qinq.extend(&frames[0][14..]);
    frames.push(qinq);

    let mut variants = Vec::new();
    for f in &frames {
        variants.push(f.clone());
        let ip_len_at = if f[12] == 0x81 { 18 + 2 } else { 14 + 2 };
        let ip_len_at = if f[ip_len_at - 2] >> 4 == 6 {
            ip_len_at + 2
        } else {
            ip_len_at
        };
        for lie in [0u8, 1, 10, 40, 255] {
            let mut v = f.clone();
            v[ip_len_at + 1] = lie;
            variants.push(v);
        }
    }
    for v in &variants {
        for cut in 0..=v.len() {
            let frame = Frame {
                ts: Timestamp::from_secs(1),
                link: LinkType::Ethernet,
                orig_len: v.len() as u32,
                data: &v[..cut],
            };
            let (mut fast, mut general) = (Decoder::default(), Decoder::default());
            let a = format!("{:?}", fast.decode(&frame));
            let b = format!("{:?}", general.decode_general(&frame));
            assert_eq!(a, b, "{:02x?}", &v[..cut]);
            assert_eq!(fast.anomalies(), general.anomalies(), "{:02x?}", &v[..cut]);
        }
    }
}

/// `grow_and_place` leaves the buffer, the ranges and the result exactly as growing then placing
/// did (`grow_bounded` + `place_first_wins`), over pseudo-random runs of in-order, adjacent,
/// overlapping, conflicting, gapped and out-of-order writes, with a small range cap to reach
/// the too-many-holes error.
#[test]
fn grow_and_place_matches_grow_then_place() {
    use fragments::{grow_and_place, grow_bounded, place_first_wins};
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _run in 0..300 {
        let max = 64 + next(200) as usize;
        let max_ranges = 1 + next(5) as usize;
        let (mut buf_a, mut ranges_a) = (Vec::new(), Vec::new());
        let (mut buf_b, mut ranges_b) = (Vec::new(), Vec::new());
        for _ in 0..12 {
            let start = match next(3) {
                0 => buf_a.len() as u32,
                1 => (buf_a.len() as u64 + next(20)) as u32,
                _ => next(max as u64) as u32,
            };
            let len = next(40) as usize;
            let fill = next(3) as u8;
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_add(fill)).collect();
            let a = grow_and_place(&mut buf_a, max, &mut ranges_a, start, &data, max_ranges);
            grow_bounded(&mut buf_b, start as usize + data.len(), max);
            let b = place_first_wins(&mut buf_b, &mut ranges_b, start, &data, max_ranges);
            assert_eq!(a, b);
            assert_eq!(ranges_a, ranges_b);
            assert_eq!(buf_a, buf_b);
            assert_eq!(buf_a.capacity(), buf_b.capacity());
        }
    }
}
