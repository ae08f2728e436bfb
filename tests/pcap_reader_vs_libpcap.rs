//! The classic-pcap block reader (src/capture/pcap_file.rs) against libpcap itself, frame for frame:
//! timestamps, lengths, bytes, and the error a broken file ends with. libpcap is the independent
//! truth here; the files are every reference capture in ../shared plus damaged copies of a real one
//! (cut mid-header and mid-record, an oversized record, a record longer than the snap length, the
//! other byte order, nanosecond timestamps), built by this test with libpcap's file format rules.

mod common;

use aiwatch::capture::FileSource;
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq)]
struct Read {
    frames: Vec<(u64, u32, Vec<u8>)>,
    error: Option<String>,
}

fn by_aiwatch(path: &Path) -> (Read, bool) {
    let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{e}"));
    let own = !src.read_by_libpcap();
    let mut frames = Vec::new();
    let error = loop {
        match src.next_frame() {
            Ok(Some(f)) => frames.push((f.ts.as_nanos(), f.orig_len, f.data.to_vec())),
            Ok(None) => break None,
            Err(e) => break Some(e.message),
        }
    };
    (Read { frames, error }, own)
}

fn by_libpcap(path: &Path) -> Read {
    let mut cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut frames = Vec::new();
    let error = loop {
        match cap.next_packet() {
            Ok(p) => {
                let secs = p.header.ts.tv_sec.max(0) as u64;
                let nanos = p.header.ts.tv_usec.clamp(0, 999_999_999) as u64;
                frames.push((secs * 1_000_000_000 + nanos, p.header.len, p.data.to_vec()));
            }
            Err(pcap::Error::NoMorePackets) => break None,
            Err(pcap::Error::PcapError(m)) => break Some(m),
            Err(e) => break Some(e.to_string()),
        }
    };
    Read { frames, error }
}

/// Compares the two readers on `path`; returns whether the block reader (not libpcap) read it.
fn agree(path: &Path) -> bool {
    let (ours, own) = by_aiwatch(path);
    let truth = by_libpcap(path);
    assert_eq!(
        ours.frames.len(),
        truth.frames.len(),
        "{}: frame count",
        path.display()
    );
    for (i, (a, b)) in ours.frames.iter().zip(&truth.frames).enumerate() {
        assert_eq!(a, b, "{}: frame {}", path.display(), i + 1);
    }
    assert_eq!(ours.error, truth.error, "{}: final error", path.display());
    own
}

fn classic_pcaps(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            classic_pcaps(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            let magic = bytes
                .get(..4)
                .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
            let classic = [0xa1b2_c3d4u32, 0xa1b2_3c4d];
            if magic.is_some_and(|m| classic.contains(&m) || classic.contains(&m.swap_bytes())) {
                out.push(p);
            }
        }
    }
}

#[test]
fn every_reference_pcap_reads_as_libpcap_reads_it() {
    let mut files = Vec::new();
    classic_pcaps(&common::shared_dir().join("captures"), &mut files);
    classic_pcaps(Path::new("captures"), &mut files);
    files.sort();
    assert!(
        files.len() > 150,
        "only {} classic pcaps found",
        files.len()
    );
    let own = files.iter().filter(|f| agree(f)).count();
    println!(
        "{} classic pcaps identical to libpcap, {own} read by the block reader",
        files.len()
    );
    // Only files whose link type aiwatch does not decode (or pcap < 2.4) stay with libpcap.
    assert!(
        own * 10 >= files.len() * 9,
        "block reader took only {own} of {}",
        files.len()
    );
}

/// A real little-endian microsecond capture, with the offsets of its records.
fn sample() -> (Vec<u8>, Vec<usize>) {
    let bytes = std::fs::read("captures/tls-clients.pcap").expect("bundled capture");
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "sample is LE microseconds"
    );
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        offsets.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    assert!(offsets.len() > 10);
    (bytes, offsets)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn damaged_and_variant_files_read_as_libpcap_reads_them() {
    let dir = std::env::temp_dir().join(format!("aiwatch-pcapfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (bytes, offsets) = sample();
    let third = offsets[3];
    let caplen3 = u32::from_le_bytes(bytes[third + 8..third + 12].try_into().unwrap()) as usize;
    let mut cases: Vec<(String, Vec<u8>)> = vec![("whole".into(), bytes.clone())];
    cases.push(("header-only".into(), bytes[..24].to_vec()));
    cases.push(("cut-in-record-header".into(), bytes[..third + 7].to_vec()));
    cases.push((
        "cut-in-record-data".into(),
        bytes[..third + 16 + caplen3 / 2].to_vec(),
    ));
    // A caplen beyond libpcap's 256 KiB maximum.
    let mut huge = bytes.clone();
    put_u32(&mut huge, third + 8, 300_000);
    cases.push(("oversized-caplen".into(), huge));
    // A snap length of 60: longer records are cut to it (and the rest skipped), as libpcap does.
    let mut snapped = bytes.clone();
    put_u32(&mut snapped, 16, 60);
    cases.push(("snaplen-60".into(), snapped.clone()));
    // ... and such a record cut short past the snap length, then before it.
    cases.push((
        "snaplen-60-cut-late".into(),
        snapped[..third + 16 + 80].to_vec(),
    ));
    cases.push((
        "snaplen-60-cut-early".into(),
        snapped[..third + 16 + 30].to_vec(),
    ));
    // Snap length 0 means the maximum.
    let mut zero = bytes.clone();
    put_u32(&mut zero, 16, 0);
    cases.push(("snaplen-0".into(), zero));
    // Nanosecond magic: the fraction field is read as nanoseconds.
    let mut nanos = bytes.clone();
    put_u32(&mut nanos, 0, 0xa1b2_3c4d);
    cases.push(("nanosecond-magic".into(), nanos));
    // Seconds past 2038 (negative as libpcap's signed 32-bit field) and fractions out of range.
    let mut odd_time = bytes.clone();
    put_u32(&mut odd_time, offsets[1], 0x8000_0001);
    put_u32(&mut odd_time, offsets[2] + 4, 2_000_000);
    cases.push(("odd-timestamps".into(), odd_time));
    // Big-endian: every header field byte-swapped, packet bytes unchanged.
    let mut big = bytes.clone();
    for at in [0, 16, 20] {
        big[at..at + 4].reverse();
    }
    big[4..6].reverse();
    big[6..8].reverse();
    big[8..12].reverse();
    big[12..16].reverse();
    for &o in &offsets {
        for f in 0..4 {
            big[o + 4 * f..o + 4 * f + 4].reverse();
        }
    }
    cases.push(("big-endian".into(), big));
    // pcap 2.2 (lengths in the old order) stays with libpcap.
    let mut old = bytes.clone();
    old[6] = 2;
    cases.push(("version-2.2".into(), old));

    let mut own = 0;
    for (name, data) in &cases {
        let p = write(&dir, &format!("{name}.pcap"), data);
        if agree(&p) {
            own += 1;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        own,
        cases.len() - 1,
        "all but the 2.2 file go through the block reader"
    );
}
