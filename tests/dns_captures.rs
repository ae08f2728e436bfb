//! Dev check against nDPI's reference captures (../shared/captures/ndpi): for every UDP/53 flow that
//! nDPI labelled `DNS…` with a host name, the first question name our parser reads from the flow's
//! packets must equal nDPI's `sni` (lower-case, rightmost 79 characters), and the first A/AAAA of
//! the first response must equal `dns_first_answer`. Packets are read with `pcap` and sliced with
//! `etherparse` here, independently of aiwatch's own decoder; VXLAN is decapsulated (nDPI ran with
//! `-t`). Skipped, with a note, when the shared folder is absent.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use aiwatch::dissect::dns::{DnsMessage, RData, parse_message, split_tcp_messages};
use etherparse::{LaxNetSlice, LaxSlicedPacket};

fn shared_dir() -> Option<PathBuf> {
    Some(common::shared_dir()).filter(|dir| dir.join("captures").is_dir())
}

type Endpoint = (IpAddr, u16);

/// IP protocol and the unordered pair of endpoints: the same key for both directions.
type FlowKey = (u8, Endpoint, Endpoint);

fn flow_key(proto: u8, a: Endpoint, b: Endpoint) -> FlowKey {
    if a <= b { (proto, a, b) } else { (proto, b, a) }
}

const TCP: u8 = 6;
const UDP: u8 = 17;

/// One UDP datagram or TCP segment: protocol, source, destination, TCP sequence number, payload.
type Segment<'a> = (u8, Endpoint, Endpoint, u32, &'a [u8]);

struct Truth {
    file: String,
    sni: String,
    first_answer: String,
}

#[derive(Default)]
struct Seen {
    first_name: Option<String>,
    first_response_name: Option<String>,
    last_name: Option<String>,
    first_answer: Option<String>,
}

/// UDP datagrams (source, destination, payload) in one frame, descending into VXLAN.
fn segments<'a>(packet: &LaxSlicedPacket<'a>, depth: usize, out: &mut Vec<Segment<'a>>) {
    let Some(net) = &packet.net else { return };
    let (src, dst, payload) = match net {
        LaxNetSlice::Ipv4(v4) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.payload(),
        ),
        LaxNetSlice::Ipv6(v6) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.payload(),
        ),
        LaxNetSlice::Arp(_) => return,
    };
    if payload.ip_number == etherparse::IpNumber::TCP {
        let tcp = payload.payload;
        let (Some(ports), Some(seq), Some(&offset)) = (tcp.get(..4), tcp.get(4..8), tcp.get(12))
        else {
            return;
        };
        let Some(body) = tcp.get(usize::from(offset >> 4) * 4..) else {
            return;
        };
        let seq = u32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]);
        let (sport, dport) = (
            u16::from_be_bytes([ports[0], ports[1]]),
            u16::from_be_bytes([ports[2], ports[3]]),
        );
        out.push((TCP, (src, sport), (dst, dport), seq, body));
        return;
    }
    if payload.ip_number != etherparse::IpNumber::UDP || payload.payload.len() < 8 {
        return;
    }
    let udp = payload.payload;
    let sport = u16::from_be_bytes([udp[0], udp[1]]);
    let dport = u16::from_be_bytes([udp[2], udp[3]]);
    let body = &udp[8..];
    if dport == 4789 && depth == 0 && body.len() > 8 {
        let inner = body.get(8 + 12..).and_then(ip_after_ether_type);
        if let Some(inner) = inner.and_then(|ip| LaxSlicedPacket::from_ip(ip).ok()) {
            segments(&inner, depth + 1, out);
        }
        return;
    }
    out.push((UDP, (src, sport), (dst, dport), 0, body));
}

/// The IP packet after an EtherType field (`rest` starts at it), through 802.1Q/802.1ad tags and a
/// PPPoE session header; `None` for anything else.
fn ip_after_ether_type(mut rest: &[u8]) -> Option<&[u8]> {
    loop {
        let ether_type = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
        match ether_type {
            0x8100 | 0x88a8 | 0x9100 => rest = rest.get(4..)?,
            0x0800 | 0x86dd => return rest.get(2..),
            // PPPoE session: 6-byte header, then the 2-byte PPP protocol (0x0021 IPv4, 0x0057 IPv6).
            0x8864 => {
                let ppp = rest.get(8..)?;
                return match u16::from_be_bytes([*ppp.first()?, *ppp.get(1)?]) {
                    0x0021 | 0x0057 => ppp.get(2..),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
}

fn read_capture(
    path: &PathBuf,
    wanted: &HashMap<FlowKey, Truth>,
    seen: &mut HashMap<FlowKey, Seen>,
) {
    let Ok(mut capture) = pcap::Capture::from_file(path) else {
        eprintln!("cannot open {}", path.display());
        return;
    };
    let linktype = capture.get_datalink().0;
    // TCP: segments per (flow, sender) by sequence number, and the order streams first appeared.
    let mut streams: HashMap<(FlowKey, Endpoint), BTreeMap<u32, Vec<u8>>> = HashMap::new();
    let mut stream_order: Vec<(FlowKey, Endpoint)> = Vec::new();
    while let Ok(frame) = capture.next_packet() {
        let data = frame.data;
        let ip = match linktype {
            1 => data.get(12..).and_then(ip_after_ether_type),
            113 => data.get(14..).and_then(ip_after_ether_type),
            12 | 101 => Some(data),
            _ => None,
        };
        let Some(packet) = ip.and_then(|ip| LaxSlicedPacket::from_ip(ip).ok()) else {
            continue;
        };
        let mut found = Vec::new();
        segments(&packet, 0, &mut found);
        for (proto, src, dst, seq, payload) in found {
            let key = flow_key(proto, src, dst);
            if !wanted.contains_key(&key) {
                continue;
            }
            if proto == TCP {
                if payload.is_empty() {
                    continue;
                }
                let stream = (key, src);
                if !streams.contains_key(&stream) {
                    stream_order.push(stream);
                }
                streams
                    .entry(stream)
                    .or_default()
                    .entry(seq)
                    .or_insert_with(|| payload.to_vec());
                continue;
            }
            if let Ok(msg) = parse_message(payload) {
                observe(seen.entry(key).or_default(), &msg);
            }
        }
    }
    for stream in stream_order {
        let Some(segments) = streams.get(&stream) else {
            continue;
        };
        // In-order bytes from the lowest sequence number; overlaps trimmed, a gap ends the stream.
        let mut bytes = Vec::new();
        let mut next = None;
        for (&seq, payload) in segments {
            let start = next.map_or(0, |n: u32| n.wrapping_sub(seq) as usize);
            if next.is_some_and(|n| seq > n) {
                break;
            }
            if let Some(rest) = payload.get(start..) {
                bytes.extend_from_slice(rest);
            }
            next = Some(
                seq.wrapping_add(payload.len() as u32)
                    .max(next.unwrap_or(0)),
            );
        }
        for message in split_tcp_messages(&bytes).flatten() {
            if let Ok(msg) = parse_message(message) {
                observe(seen.entry(stream.0).or_default(), &msg);
            }
        }
    }
}

fn observe(entry: &mut Seen, msg: &DnsMessage) {
    let question = msg.questions.first().map(|q| q.name.clone());
    if entry.first_name.is_none() {
        entry.first_name.clone_from(&question);
    }
    if question.is_some() {
        entry.last_name.clone_from(&question);
    }
    if msg.is_response && entry.first_response_name.is_none() {
        entry.first_response_name.clone_from(&question);
    }
    if msg.is_response && entry.first_answer.is_none() {
        let addr = msg.answers.iter().find_map(|a| match a.data {
            RData::A(v4) => Some(IpAddr::V4(v4)),
            RData::Aaaa(v6) => Some(IpAddr::V6(v6)),
            _ => None,
        });
        entry.first_answer = Some(
            addr.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
                .to_string(),
        );
    }
}

fn rightmost_79(name: &str) -> &str {
    let skip = name.chars().count().saturating_sub(79);
    name.char_indices()
        .nth(skip)
        .map_or("", |(at, _)| &name[at..])
}

#[test]
fn query_names_match_ndpi() {
    let Some(shared) = shared_dir() else {
        eprintln!("shared reference data not found: skipped");
        return;
    };
    let ndpi = shared.join("captures/ndpi");
    let mut by_file: HashMap<String, HashMap<FlowKey, Truth>> = HashMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(ndpi.join("expected"))
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let file = json["pcap"].as_str().unwrap_or_default().to_string();
        for flow in json["flows"].as_array().into_iter().flatten() {
            let app = flow["app"].as_str().unwrap_or_default();
            let (Some(sni), true, true) = (
                flow["sni"].as_str(),
                (flow["l4"] == "UDP" || flow["l4"] == "TCP")
                    && (flow["server_port"] == 53 || flow["client_port"] == 53),
                app.starts_with("DNS"),
            ) else {
                continue;
            };
            let endpoint = |ip: &str, port: &str| -> Option<Endpoint> {
                Some((
                    flow[ip].as_str()?.parse().ok()?,
                    u16::try_from(flow[port].as_u64()?).ok()?,
                ))
            };
            let (Some(client), Some(server)) = (
                endpoint("client_ip", "client_port"),
                endpoint("server_ip", "server_port"),
            ) else {
                continue;
            };
            let proto = if flow["l4"] == "TCP" { TCP } else { UDP };
            by_file.entry(file.clone()).or_default().insert(
                flow_key(proto, client, server),
                Truth {
                    file: file.clone(),
                    sni: sni.to_string(),
                    first_answer: flow["dns_first_answer"]
                        .as_str()
                        .unwrap_or("0.0.0.0")
                        .to_string(),
                },
            );
        }
    }

    // The fuzzed capture (bit flips in headers and names, several retransmissions per flow) is
    // tallied apart: there nDPI's name is that of whichever packet it read last.
    let mut clean = Tally::default();
    let mut fuzzed = Tally::default();
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (file, wanted) in &files {
        let mut seen = HashMap::new();
        read_capture(&ndpi.join("pcap").join(file), wanted, &mut seen);
        let is_fuzzed = file.starts_with("fuzz-");
        let tally = if is_fuzzed { &mut fuzzed } else { &mut clean };
        let mut keys: Vec<_> = wanted.keys().collect();
        keys.sort();
        for key in keys {
            let truth = &wanted[key];
            let seen = seen.get(key);
            let pick = |f: fn(&Seen) -> Option<&str>| seen.and_then(f).unwrap_or("<none>");
            let expected = truth.sni.to_lowercase();
            let first = pick(|s| s.first_name.as_deref());
            // nDPI re-reads the question from every packet it processes: once a response is
            // seen, its question is the one reported.
            let response_first =
                pick(|s| s.first_response_name.as_deref().or(s.first_name.as_deref()));
            let last = pick(|s| s.last_name.as_deref());
            let answer = pick(|s| s.first_answer.as_deref());
            let answer = if answer == "<none>" {
                "0.0.0.0"
            } else {
                answer
            };
            tally.flows += 1;
            if key.0 == TCP {
                tally.tcp += 1;
                tally.tcp_responses +=
                    usize::from(seen.is_some_and(|s| s.first_response_name.is_some()));
            }
            tally.first += usize::from(rightmost_79(first) == expected);
            tally.response_first += usize::from(rightmost_79(response_first) == expected);
            tally.last += usize::from(rightmost_79(last) == expected);
            tally.answer += usize::from(answer == truth.first_answer);
            if !is_fuzzed && (rightmost_79(first) != expected || answer != truth.first_answer) {
                println!(
                    "{} {key:?}: nDPI {:?} / {}, ours first {first:?}, response-first \
                     {response_first:?}, answer {answer}",
                    truth.file, truth.sni, truth.first_answer
                );
            }
        }
    }
    println!("clean captures: {}", clean.summary());
    println!("fuzzed capture: {}", fuzzed.summary());
    assert!(
        clean.flows >= 200,
        "expected the nDPI DNS flows, found {}",
        clean.flows
    );
    // Measured: 224/226 first query name, 225/226 response-first, 225/226 first answer. The misses:
    // dns-invalid-chars (the response carries a different name than the query; nDPI reports the
    // response's), dns_ambiguous_names (`*` kept as printed, nDPI writes `_` for printable bytes
    // outside [-_0-9A-Za-z]), malformed_dns (the response's second question
    // name runs past 255 octets: we stop there, RFC 1035 §2.3.4; nDPI reads on to 66.66.66.66).
    assert!(
        clean.pct(clean.response_first) >= 99.5,
        "{}",
        clean.summary()
    );
    assert!(clean.pct(clean.first) >= 99.0, "{}", clean.summary());
    assert!(clean.pct(clean.answer) >= 99.5, "{}", clean.summary());
    assert!(
        clean.tcp >= 2 && clean.tcp_responses == clean.tcp,
        "{}",
        clean.summary()
    );
}

#[derive(Default)]
struct Tally {
    flows: usize,
    /// DNS-over-TCP flows, and those whose response was cut out of the reassembled stream.
    tcp: usize,
    tcp_responses: usize,
    first: usize,
    response_first: usize,
    last: usize,
    answer: usize,
}

impl Tally {
    fn pct(&self, ok: usize) -> f64 {
        100.0 * ok as f64 / self.flows.max(1) as f64
    }

    fn summary(&self) -> String {
        format!(
            "{} flows; name agrees: first query {} ({:.2}%), response-first {} ({:.2}%), last packet \
             {} ({:.2}%); first answer agrees {} ({:.2}%); TCP flows {} with a response read {}",
            self.flows,
            self.first,
            self.pct(self.first),
            self.response_first,
            self.pct(self.response_first),
            self.last,
            self.pct(self.last),
            self.answer,
            self.pct(self.answer),
            self.tcp,
            self.tcp_responses
        )
    }
}
