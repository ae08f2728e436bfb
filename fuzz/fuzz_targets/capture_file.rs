//! The capture-file readers against libpcap itself on arbitrary bytes: aiwatch's block readers
//! (classic pcap and pcapng, with their hand-over to libpcap) must deliver exactly the frames and
//! the final error libpcap delivers, except where libpcap stops at an interface with another link
//! type or snap length (there aiwatch must deliver libpcap's frames, then read on). The bytes are
//! written to a file in /dev/shm because both readers take a path.
#![no_main]

use aiwatch::capture::FileSource;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Frames read per file: bounded, so a fuzzed file cannot make a run slow.
const MAX_FRAMES: usize = 2_000;

static PATH: OnceLock<PathBuf> = OnceLock::new();

type Frames = Vec<(u64, u32, Vec<u8>)>;

fn ours(path: &PathBuf) -> (Frames, Option<String>) {
    let mut src = match FileSource::open(path) {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(format!("open: {}", e.message))),
    };
    let mut frames = Vec::new();
    while frames.len() < MAX_FRAMES {
        match src.next_frame() {
            Ok(Some(f)) => frames.push((f.ts.as_nanos(), f.orig_len, f.data.to_vec())),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e.message)),
        }
    }
    (frames, None)
}

fn libpcap(path: &PathBuf) -> (Frames, Option<String>) {
    let mut cap = match pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano) {
        Ok(c) => c,
        Err(pcap::Error::PcapError(m)) => return (Vec::new(), Some(format!("open: {m}"))),
        Err(e) => return (Vec::new(), Some(format!("open: {e}"))),
    };
    let mut frames = Vec::new();
    while frames.len() < MAX_FRAMES {
        match cap.next_packet() {
            Ok(p) => {
                let secs = p.header.ts.tv_sec.max(0) as u64;
                let nanos = p.header.ts.tv_usec.clamp(0, 999_999_999) as u64;
                let ts = secs.saturating_mul(1_000_000_000).saturating_add(nanos);
                frames.push((ts, p.header.len, p.data.to_vec()));
            }
            Err(pcap::Error::NoMorePackets) => return (frames, None),
            Err(pcap::Error::PcapError(m)) => return (frames, Some(m)),
            Err(e) => return (frames, Some(e.to_string())),
        }
    }
    (frames, None)
}

fuzz_target!(|data: &[u8]| {
    let path = PATH.get_or_init(|| PathBuf::from(format!("/dev/shm/aiwatch-fuzz-{}.cap", std::process::id())));
    if std::fs::write(path, data).is_err() {
        return;
    }
    let (a, a_err) = ours(path);
    let (b, b_err) = libpcap(path);
    let read_past = b_err.as_deref().is_some_and(|e| {
        e.contains("different from the type of the first interface")
            || e.contains("different from the snapshot length of the first interface")
    });
    if read_past {
        assert!(a.len() >= b.len(), "read past libpcap: {} < {}", a.len(), b.len());
        assert_eq!(&a[..b.len()], &b[..]);
    } else {
        assert_eq!(a_err, b_err, "final error");
        assert_eq!(a.len(), b.len(), "frame count");
        assert_eq!(a, b);
    }
});
