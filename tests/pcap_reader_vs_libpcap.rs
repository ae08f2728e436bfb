//! The block readers (src/capture/pcap_file.rs, pcapng_file.rs) against libpcap itself, frame for
//! frame: timestamps, lengths, bytes, and the error a broken file ends with. libpcap is the
//! independent truth here; the files are every reference pcap and pcapng in ../shared plus damaged
//! copies of a real one (cut mid-header and mid-record, an oversized record, a record longer than the
//! snap length, the other byte order, nanosecond timestamps), built by this test with libpcap's file
//! format rules. Where libpcap stops at an interface with another link type or snap length, the
//! pcapng reader must deliver everything libpcap delivered, then read on.

mod common;

use aiwatch::capture::FileSource;
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq)]
struct Read {
    frames: Vec<(u64, u32, Vec<u8>)>,
    error: Option<String>,
}

/// libpcap's refusals that the pcapng reader deliberately reads past.
const READ_PAST: [&str; 2] = [
    "different from the type of the first interface",
    "different from the snapshot length of the first interface",
];

fn by_aiwatch(path: &Path) -> (Read, bool) {
    let mut src = match FileSource::open(path) {
        Ok(src) => src,
        Err(e) => {
            let read = Read {
                frames: Vec::new(),
                error: Some(format!("open: {}", e.message)),
            };
            return (read, false);
        }
    };
    let mut frames = Vec::new();
    let error = loop {
        match src.next_frame() {
            Ok(Some(f)) => frames.push((f.ts.as_nanos(), f.orig_len, f.data.to_vec())),
            Ok(None) => break None,
            Err(e) => break Some(e.message),
        }
    };
    // Asked at the end: a pcapng the block reader hands over to libpcap midway counts as libpcap's.
    (Read { frames, error }, !src.read_by_libpcap())
}

fn by_libpcap(path: &Path) -> Read {
    let mut cap = match pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano) {
        Ok(cap) => cap,
        Err(pcap::Error::PcapError(m)) => {
            return Read {
                frames: Vec::new(),
                error: Some(format!("open: {m}")),
            };
        }
        Err(e) => panic!("{}: {e}", path.display()),
    };
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

/// Compares the two readers on `path`; returns whether a block reader (not libpcap) read it.
fn agree(path: &Path) -> bool {
    let (ours, own) = by_aiwatch(path);
    let truth = by_libpcap(path);
    let read_past = truth
        .error
        .as_deref()
        .is_some_and(|e| READ_PAST.iter().any(|r| e.contains(r)));
    if read_past {
        assert!(own, "{}: the pcapng reader reads this file", path.display());
        assert!(
            ours.frames.len() > truth.frames.len(),
            "{}: read past libpcap's stop",
            path.display()
        );
    } else {
        assert_eq!(
            ours.frames.len(),
            truth.frames.len(),
            "{}: frame count",
            path.display()
        );
        assert_eq!(ours.error, truth.error, "{}: final error", path.display());
    }
    for (i, (a, b)) in ours.frames.iter().zip(&truth.frames).enumerate() {
        assert_eq!(a, b, "{}: frame {}", path.display(), i + 1);
    }
    own
}

/// Files whose first bytes are a classic pcap magic (`pcapng` false) or a pcapng section header.
fn captures(dir: &Path, pcapng: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, pcapng, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            let magic = bytes
                .get(..4)
                .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
            let wanted: &[u32] = if pcapng {
                &[0x0a0d_0d0a]
            } else {
                &[0xa1b2_c3d4, 0xa1b2_3c4d]
            };
            if magic.is_some_and(|m| wanted.contains(&m) || wanted.contains(&m.swap_bytes())) {
                out.push(p);
            }
        }
    }
}

#[test]
fn every_reference_pcapng_reads_as_libpcap_reads_it() {
    let mut files = Vec::new();
    captures(&common::shared_dir().join("captures"), true, &mut files);
    files.sort();
    assert!(files.len() > 60, "only {} pcapng files found", files.len());
    let own = files.iter().filter(|f| agree(f)).count();
    println!(
        "{} pcapng files agree with libpcap, {own} read by the block reader",
        files.len()
    );
    assert!(
        own * 10 >= files.len() * 8,
        "block reader took only {own} of {}",
        files.len()
    );
}

#[test]
fn every_reference_pcap_reads_as_libpcap_reads_it() {
    let mut files = Vec::new();
    captures(&common::shared_dir().join("captures"), false, &mut files);
    captures(Path::new("captures"), false, &mut files);
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
    // A snap length above the 256 KiB maximum is kept (libpcap adjusts only 0 and > INT_MAX), so
    // an oversized record is "bigger than the maximum", not than the snap length (found by the
    // capture_file fuzz target).
    let mut big_snap = bytes.clone();
    put_u32(&mut big_snap, 16, 1 << 20);
    put_u32(&mut big_snap, third + 8, 300_000);
    cases.push(("snaplen-1MiB-oversized".into(), big_snap));
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
    cases.push(("big-endian".into(), big.clone()));
    // ... with seconds and a fraction past 2^31: libpcap zero-extends them in a swapped file
    // (its SWAPLONG is unsigned) where it sign-extends them in a native one.
    let mut big_odd = big;
    big_odd[offsets[1]..offsets[1] + 4].copy_from_slice(&0x8080_8080u32.to_be_bytes());
    big_odd[offsets[2] + 4..offsets[2] + 8].copy_from_slice(&0x8000_0001u32.to_be_bytes());
    cases.push(("big-endian-odd-timestamps".into(), big_odd));
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

/// A pcapng writer for the damaged-file cases below (pcapng spec, draft-ietf-opsawg-pcapng).
struct PcapNg {
    big_endian: bool,
    out: Vec<u8>,
}

impl PcapNg {
    fn new(big_endian: bool) -> Self {
        let mut me = PcapNg {
            big_endian,
            out: Vec::new(),
        };
        let mut body = me.u32(0x1a2b_3c4d);
        body.extend(me.u16(1));
        body.extend(me.u16(0));
        body.extend([0xff; 8]); // section length: unspecified
        me.block(0x0a0d_0d0a, &body);
        me
    }
    fn u16(&self, v: u16) -> Vec<u8> {
        if self.big_endian {
            v.to_be_bytes().to_vec()
        } else {
            v.to_le_bytes().to_vec()
        }
    }
    fn u32(&self, v: u32) -> Vec<u8> {
        if self.big_endian {
            v.to_be_bytes().to_vec()
        } else {
            v.to_le_bytes().to_vec()
        }
    }
    fn block(&mut self, kind: u32, body: &[u8]) {
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        let mut b = self.u32(kind);
        b.extend(self.u32(len));
        b.extend(body);
        b.resize(8 + padded, 0);
        b.extend(self.u32(len));
        self.out.extend(b);
    }
    /// An interface; `options` are (code, value) pairs.
    fn interface(&mut self, link: u16, snaplen: u32, options: &[(u16, Vec<u8>)]) {
        let mut body = self.u16(link);
        body.extend(self.u16(0));
        body.extend(self.u32(snaplen));
        for (code, value) in options {
            body.extend(self.u16(*code));
            body.extend(self.u16(value.len() as u16));
            body.extend(value);
            body.resize(body.len().div_ceil(4) * 4, 0);
        }
        if !options.is_empty() {
            body.extend([0; 4]);
        }
        self.block(1, &body);
    }
    fn enhanced(&mut self, interface: u32, ts: u64, data: &[u8], orig_len: u32) {
        let mut body = self.u32(interface);
        body.extend(self.u32((ts >> 32) as u32));
        body.extend(self.u32(ts as u32));
        body.extend(self.u32(data.len() as u32));
        body.extend(self.u32(orig_len));
        body.extend(data);
        self.block(6, &body);
    }
    fn simple(&mut self, data: &[u8]) {
        let mut body = self.u32(data.len() as u32);
        body.extend(data);
        self.block(3, &body);
    }
}

/// The packets of the bundled capture: (timestamp in microseconds, bytes, original length).
fn sample_packets() -> Vec<(u64, Vec<u8>, u32)> {
    let (bytes, offsets) = sample();
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    offsets
        .iter()
        .map(|&o| {
            let ts = u64::from(word(o)) * 1_000_000 + u64::from(word(o + 4));
            let caplen = word(o + 8) as usize;
            (ts, bytes[o + 16..o + 16 + caplen].to_vec(), word(o + 12))
        })
        .collect()
}

#[test]
fn damaged_and_variant_pcapng_files_read_as_libpcap_reads_them() {
    let dir = std::env::temp_dir().join(format!("aiwatch-pcapng-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let packets = sample_packets();
    let build = |big_endian: bool, options: &[(u16, Vec<u8>)], scale: &dyn Fn(u64) -> u64| {
        let mut f = PcapNg::new(big_endian);
        f.interface(1, 0, options);
        for (ts, data, orig) in &packets {
            f.enhanced(0, scale(*ts), data, *orig);
        }
        f
    };
    let micros = |t: u64| t;
    let mut cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("plain", build(false, &[], &micros).out, true),
        ("big-endian", build(true, &[], &micros).out, true),
        // Nanosecond resolution with a 1000-second offset; and 2^-20 units (libpcap's rounding).
        (
            "ns-offset",
            build(
                false,
                &[(9, vec![9]), (14, 1000u64.to_le_bytes().to_vec())],
                &|t| t * 1000,
            )
            .out,
            true,
        ),
        (
            "binary-units",
            build(false, &[(9, vec![0x80 | 20])], &|t| (t << 20) / 1_000_000).out,
            true,
        ),
        // A duplicate if_tsresol: libpcap refuses the file when it opens it.
        (
            "duplicate-tsresol",
            build(false, &[(9, vec![6]), (9, vec![6])], &micros).out,
            false,
        ),
    ];
    let whole = build(false, &[], &micros).out;
    let mut block_ends = Vec::new();
    {
        let mut at = 0;
        while at + 8 <= whole.len() {
            let len = u32::from_le_bytes(whole[at + 4..at + 8].try_into().unwrap()) as usize;
            at += len;
            block_ends.push(at);
        }
    }
    // Blocks: SHB, IDB, then one EPB per packet; the fifth block is the third packet's. Cut inside
    // it: the first two packets are read, then libpcap's message.
    cases.push(("cut-mid-block", whole[..block_ends[4] - 10].to_vec(), false));
    let mut bad_trailer = whole.clone();
    bad_trailer[block_ends[4] - 4] ^= 0x40;
    cases.push(("trailer-mismatch", bad_trailer, false));
    // A packet on an interface the section never described.
    let mut f = build(false, &[], &micros);
    f.enhanced(3, 0, &packets[0].1, packets[0].2);
    cases.push(("unknown-interface", f.out, false));
    // A packet longer than the snap length of 60.
    let mut f = PcapNg::new(false);
    f.interface(1, 60, &[]);
    f.enhanced(0, 1, &packets[0].1[..50], 50);
    f.enhanced(0, 2, &packets[1].1, packets[1].2);
    cases.push(("caplen-over-snaplen", f.out, false));
    // Simple packet blocks (no timestamps, cut to the snap length), and an unknown block skipped.
    let long = packets
        .iter()
        .find(|p| p.1.len() > 200)
        .expect("a long packet");
    let mut f = PcapNg::new(false);
    f.interface(1, 100, &[]);
    f.simple(&long.1);
    f.block(0x0bad, &[1, 2, 3, 4]);
    f.simple(&packets[1].1[..40]);
    cases.push(("simple-blocks", f.out, true));
    // A second section restarts the interfaces.
    let mut f = build(false, &[], &micros);
    f.out.extend(build(false, &[], &micros).out);
    cases.push(("two-sections", f.out, true));
    // A second interface of another link type (raw IP): libpcap stops there, aiwatch reads on.
    let mut f = build(false, &[], &micros);
    f.interface(101, 0, &[]);
    for (ts, data, orig) in &packets {
        f.enhanced(1, *ts, &data[14..], orig - 14);
    }
    cases.push(("second-link-type", f.out, true));

    for (name, data, own_expected) in &cases {
        let p = dir.join(format!("{name}.pcapng"));
        std::fs::write(&p, data).unwrap();
        let own = agree(&p);
        assert_eq!(
            own, *own_expected,
            "{name}: read by the block reader to the end"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_capture_through_a_fifo_reads_as_the_file_does() {
    // `aiwatch replay <(zcat x.pcapng.gz)`: a pipe cannot be peeked at and reopened, so libpcap
    // reads it in one pass; the frames must equal the regular file's.
    let dir = std::env::temp_dir().join(format!("aiwatch-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut pcapng = Vec::new();
    captures(&common::shared_dir().join("captures"), true, &mut pcapng);
    pcapng.sort();
    let sources = [
        PathBuf::from("captures/tls-clients.pcap"),
        pcapng.first().expect("a reference pcapng").clone(),
    ];
    for (i, source) in sources.iter().enumerate() {
        let fifo = dir.join(format!("fifo-{i}"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let writer = {
            let (fifo, source) = (fifo.clone(), source.clone());
            std::thread::spawn(move || {
                let bytes = std::fs::read(&source).unwrap();
                std::fs::write(&fifo, bytes).unwrap();
            })
        };
        let (through_fifo, _) = by_aiwatch(&fifo);
        writer.join().unwrap();
        let (from_file, _) = by_aiwatch(source);
        assert_eq!(through_fifo.error, from_file.error, "{}", source.display());
        assert_eq!(
            through_fifo.frames,
            from_file.frames,
            "{}",
            source.display()
        );
        assert!(!from_file.frames.is_empty());
    }
    std::fs::remove_dir_all(&dir).ok();
}
