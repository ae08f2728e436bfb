//! Evidence: the packets of chosen flows written to a pcap file (libpcap's savefile) for Wireshark.
//!
//! Accepts the capture files of a replay, read a second time, and the flows to keep, each as a
//! [`FlowSpan`]: protocol, both endpoints, VLAN and the flow's first and last packet time (one 5-tuple
//! may hold several flows over time: only packets inside a kept flow's span are written). Promises
//! every frame of those flows, unchanged (same bytes, original length, nanosecond time) in input
//! order, in the link type of the first input file; matching frames with another link type (a later
//! file, or a pcapng interface) are skipped and counted (`EvidenceStats::skipped_link_type`). IP
//! fragments held for reassembly are written with the frame that completes the datagram only
//! (earlier fragments are counted as `skipped_fragments`). The file is written under a temporary name and renamed when complete.

use super::FileSource;
use crate::aggregate::record::proto_name;
use crate::decode::{Decoded, Decoder};
use crate::export::dir::temporary_name;
use crate::frame::LinkType;
use crate::time::{NANOS_PER_SEC, Timestamp};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One flow to keep: its key and the packet time it spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSpan {
    pub proto: &'static str,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub vlan: Option<u16>,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// What the evidence file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceStats {
    pub frames_written: u64,
    pub linktype: u32,
    pub skipped_link_type: u64,
    pub skipped_fragments: u64,
}

type Key = (&'static str, (IpAddr, u16), (IpAddr, u16), Option<u16>);

fn key(proto: &'static str, a: (IpAddr, u16), b: (IpAddr, u16), vlan: Option<u16>) -> Key {
    if a <= b {
        (proto, a, b, vlan)
    } else {
        (proto, b, a, vlan)
    }
}

/// The pcap LINKTYPE_ number of a link type.
fn linktype_number(link: LinkType) -> u32 {
    match link {
        LinkType::Null => 0,
        LinkType::Ethernet => 1,
        LinkType::Ppp => 9,
        LinkType::Raw => 101,
        LinkType::CiscoHdlc => 104,
        LinkType::Loop => 108,
        LinkType::LinuxSll => 113,
        LinkType::Ipv4 => 228,
        LinkType::Ipv6 => 229,
        LinkType::LinuxSll2 => 276,
        LinkType::Other(n) => n,
    }
}

/// Checks that `out` can be written (before any packet is read): its folder exists and it does not
/// exist yet unless `force`.
pub fn check_target(out: &Path, force: bool) -> Result<(), String> {
    if out.to_str().is_none() {
        return Err(format!("{}: the path is not valid UTF-8", out.display()));
    }
    if let Ok(meta) = std::fs::metadata(out) {
        // The evidence is written after a second pass over the inputs: only a regular file can
        // take it then (a folder or a pipe would fail, or block, after the whole replay).
        if !meta.is_file() {
            return Err(format!(
                "{}: not a regular file (a folder, pipe or device); --write-matched needs a file path",
                out.display()
            ));
        }
        if !force {
            return Err(format!(
                "{} already exists; use --force to overwrite it",
                out.display()
            ));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "{}: folder {} does not exist",
            out.display(),
            parent.display()
        ));
    }
    let probe = parent.join(".aiwatch-write-test");
    std::fs::File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("{}: folder not writable: {e}", out.display()))
}

/// Reads `inputs` again and writes the frames of `flows` to `out`.
pub fn write_matched(
    inputs: &[PathBuf],
    flows: &[FlowSpan],
    out: &Path,
) -> Result<EvidenceStats, String> {
    let mut spans: HashMap<Key, Vec<(Timestamp, Timestamp)>> = HashMap::new();
    for f in flows {
        spans
            .entry(key(f.proto, f.client, f.server, f.vlan))
            .or_default()
            .push((f.start, f.end));
    }
    let mut sources = Vec::with_capacity(inputs.len());
    for p in inputs {
        sources.push(FileSource::open(p).map_err(|e| e.to_string())?);
    }
    let Some(link) = sources.first().map(FileSource::link_type) else {
        return Err(format!("{}: no capture file to read", out.display()));
    };
    let linktype = linktype_number(link);
    let tmp = temporary_name(out);
    let fail = |e: String| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", out.display())
    };
    let dead =
        pcap::Capture::dead_with_precision(pcap::Linktype(linktype as i32), pcap::Precision::Nano)
            .map_err(|e| fail(e.to_string()))?;
    let mut file = dead.savefile(&tmp).map_err(|e| fail(e.to_string()))?;
    let mut stats = EvidenceStats {
        linktype,
        ..EvidenceStats::default()
    };
    'files: for source in &mut sources {
        let mut decoder = Decoder::default();
        loop {
            let frame = match source.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                // The first pass stopped at the same broken packet (and reported it): so does this.
                Err(_) => break 'files,
            };
            let (ts, data, orig_len) = (frame.ts, frame.data, frame.orig_len);
            let same_link = frame.link == link;
            let keep = match decoder.decode(&frame) {
                Decoded::Packet(p) => {
                    let (sport, dport) = p.l4.ports();
                    let k = key(proto_name(p.proto), (p.src, sport), (p.dst, dport), p.vlan);
                    spans
                        .get(&k)
                        .is_some_and(|v| v.iter().any(|(s, e)| *s <= ts && ts <= *e))
                }
                Decoded::FragmentHeld => {
                    stats.skipped_fragments += 1;
                    false
                }
                _ => false,
            };
            if keep && !same_link {
                stats.skipped_link_type += 1;
            } else if keep {
                let header = pcap::PacketHeader {
                    ts: libc::timeval {
                        tv_sec: (ts.as_nanos() / NANOS_PER_SEC) as libc::time_t,
                        // Nanosecond precision: libpcap reads this field as nanoseconds.
                        tv_usec: (ts.as_nanos() % NANOS_PER_SEC) as libc::suseconds_t,
                    },
                    caplen: data.len() as u32,
                    len: orig_len,
                };
                file.write(&pcap::Packet::new(&header, data));
                stats.frames_written += 1;
            }
        }
    }
    file.flush().map_err(|e| fail(e.to_string()))?;
    drop(file);
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, out))
        .map_err(|e| fail(e.to_string()))?;
    Ok(stats)
}
