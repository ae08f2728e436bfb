//! Live capture from a network interface through libpcap.
//!
//! Contract: [`LiveSource::open`] opens an interface (promiscuous unless asked not to, nanosecond
//! timestamps, frames handed over within a read timeout, or at once in immediate mode), and applies a
//! BPF filter compiled by libpcap. [`LiveSource::dispatch`] copies the frames libpcap has ready into
//! a reusable [`FrameBatch`]: once a batch's buffers have grown to their capacity nothing is allocated
//! per packet. Packet time is the capture timestamp libpcap gives. Errors are one clear line each
//! (missing privilege and how to grant it, libpcap's own message for a bad filter or interface).
//! Threads, channels and the wall clock belong to `runtime::live`, not here.

use super::timestamp;
use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use pcap::{Active, Capture};
use std::fmt;

/// Bytes of frame data one batch holds (at least one snap length).
pub const BATCH_BYTES: usize = 1 << 20;
/// Frames one batch holds.
pub const BATCH_FRAMES: usize = 1024;
/// Milliseconds a captured frame may wait in libpcap's ring before it is handed over (the TPACKET_V3
/// block timeout on Linux). A quiet link may block a read longer, so a stop request also wakes the
/// capture with `pcap_breakloop`.
pub const READ_TIMEOUT_MS: i32 = 100;

/// How to open the interface.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub interface: String,
    pub bpf: Option<String>,
    pub snaplen: u32,
    /// libpcap's kernel buffer size in bytes (libpcap's default when `None`).
    pub buffer_size: Option<u32>,
    pub promiscuous: bool,
    /// libpcap's immediate mode: each packet delivered at once. On Linux it selects the TPACKET_V2
    /// ring, whose slots are sized for the largest frame (64 KiB on interfaces with offloads), so
    /// the default buffer holds only a few dozen frames and bursts are dropped. Off by default: the
    /// TPACKET_V3 ring packs frames and hands them over within [`READ_TIMEOUT_MS`].
    pub immediate: bool,
}

/// Why the interface could not be captured on. `Display` is the one line the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// The process lacks CAP_NET_RAW (or libpcap said permission was denied).
    Permission { interface: String, message: String },
    /// libpcap could not compile or set the filter.
    BadFilter { filter: String, message: String },
    /// Opening, reading or querying the interface failed.
    Pcap { interface: String, message: String },
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Permission { interface, message } => write!(
                f,
                "capturing on {interface} needs the CAP_NET_RAW capability ({message}): run as \
                 root, or grant it with `sudo setcap cap_net_raw,cap_net_admin=eip $(which aiwatch)`"
            ),
            LiveError::BadFilter { filter, message } => {
                write!(f, "bad --bpf filter {filter:?}: {message}")
            }
            LiveError::Pcap { interface, message } => write!(f, "{interface}: {message}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// libpcap's counters (`pcap_stats`): since the capture opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// `ps_recv`: packets the kernel handed to the capture (platform-dependent meaning).
    pub received: u64,
    /// `ps_drop`: packets dropped because the capture buffer was full.
    pub dropped: u64,
    /// `ps_ifdrop`: packets the interface or its driver dropped.
    pub if_dropped: u64,
}

/// Where one frame sits in a batch's data buffer.
#[derive(Clone, Copy, Debug)]
struct Slot {
    ts: Timestamp,
    orig_len: u32,
    start: u32,
    len: u32,
}

/// Frames copied out of libpcap's ring, to be handed to another thread. Reused: `clear` keeps the
/// buffers, so a warm batch never allocates.
#[derive(Debug)]
pub struct FrameBatch {
    link: LinkType,
    data: Vec<u8>,
    slots: Vec<Slot>,
    /// The largest frame that can arrive (the snap length): room kept free for one more.
    max_frame: usize,
}

impl FrameBatch {
    pub fn new(link: LinkType, snaplen: u32) -> Self {
        let max_frame = snaplen as usize;
        FrameBatch {
            link,
            data: Vec::with_capacity(BATCH_BYTES.max(max_frame)),
            slots: Vec::with_capacity(BATCH_FRAMES),
            max_frame,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many more frames of the largest size fit without growing a buffer.
    pub fn room(&self) -> usize {
        let bytes_left = self.data.capacity() - self.data.len();
        let by_bytes = bytes_left.checked_div(self.max_frame).unwrap_or(bytes_left);
        by_bytes.min(self.slots.capacity() - self.slots.len())
    }

    pub fn is_full(&self) -> bool {
        self.room() == 0
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.slots.clear();
    }

    /// Copies one frame in; `false` (nothing copied) when it does not fit.
    pub fn push(&mut self, ts: Timestamp, orig_len: u32, bytes: &[u8]) -> bool {
        let start = self.data.len();
        if bytes.len() > self.data.capacity() - start || self.slots.len() == self.slots.capacity() {
            return false;
        }
        let (Ok(start32), Ok(len32)) = (u32::try_from(start), u32::try_from(bytes.len())) else {
            return false;
        };
        self.data.extend_from_slice(bytes);
        self.slots.push(Slot {
            ts,
            orig_len,
            start: start32,
            len: len32,
        });
        true
    }

    /// The frames in capture order.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'_>> {
        self.slots.iter().map(|s| {
            let start = s.start as usize;
            let end = start + s.len as usize;
            Frame {
                ts: s.ts,
                link: self.link,
                orig_len: s.orig_len,
                data: self.data.get(start..end).unwrap_or_default(),
            }
        })
    }
}

/// Wakes a capture blocked in libpcap from another thread.
pub struct Breaker(pcap::BreakLoop);

impl Breaker {
    pub fn wake(&self) {
        self.0.breakloop();
    }
}

/// An open interface.
pub struct LiveSource {
    interface: String,
    immediate: bool,
    cap: Capture<Active>,
    link: LinkType,
    snaplen: u32,
}

impl LiveSource {
    /// Opens the interface and sets the filter. Needs CAP_NET_RAW (checked first, so the error says
    /// so rather than whatever libpcap's first failing call reports).
    pub fn open(config: &LiveConfig) -> Result<LiveSource, LiveError> {
        let interface = config.interface.clone();
        let pcap_err = |e: pcap::Error| classify_open_error(&interface, e);
        if let Err(message) = check_raw_socket_permission() {
            return Err(LiveError::Permission {
                interface: interface.clone(),
                message,
            });
        }
        let snaplen = i32::try_from(config.snaplen).unwrap_or(i32::MAX);
        let mut inactive = Capture::from_device(interface.as_str())
            .map_err(pcap_err)?
            .promisc(config.promiscuous)
            .immediate_mode(config.immediate)
            .snaplen(snaplen)
            .timeout(READ_TIMEOUT_MS)
            .precision(pcap::Precision::Nano);
        if let Some(size) = config.buffer_size {
            inactive = inactive.buffer_size(i32::try_from(size).unwrap_or(i32::MAX));
        }
        let mut cap = inactive.open().map_err(pcap_err)?;
        if let Some(filter) = &config.bpf {
            cap.filter(filter, true).map_err(|e| LiveError::BadFilter {
                filter: filter.clone(),
                message: describe(&e),
            })?;
        }
        let link = LinkType::from_linktype(cap.get_datalink().0 as u32);
        Ok(LiveSource {
            interface,
            immediate: config.immediate,
            cap,
            link,
            snaplen: config.snaplen,
        })
    }

    /// How long a frame may sit in libpcap's ring before a read can see it.
    pub fn handover_delay(&self) -> std::time::Duration {
        if self.immediate {
            std::time::Duration::ZERO
        } else {
            std::time::Duration::from_millis(READ_TIMEOUT_MS as u64)
        }
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// libpcap's name for the link type (e.g. `EN10MB`).
    pub fn link_name(&self) -> String {
        let dl = self.cap.get_datalink();
        dl.get_name().unwrap_or_else(|_| format!("DLT {}", dl.0))
    }

    /// An empty batch sized for this capture.
    pub fn new_batch(&self) -> FrameBatch {
        FrameBatch::new(self.link, self.snaplen)
    }

    pub fn breaker(&mut self) -> Breaker {
        Breaker(self.cap.breakloop_handle())
    }

    /// Copies the frames libpcap has ready (waiting up to the read timeout for the first) into
    /// `batch`, at most as many as fit. Returns how many were copied, and whether libpcap gave
    /// fewer than asked (its buffer is drained for now).
    pub fn dispatch(&mut self, batch: &mut FrameBatch) -> Result<Dispatched, LiveError> {
        let want = batch.room();
        if want == 0 {
            return Ok(Dispatched {
                copied: 0,
                drained: false,
            });
        }
        let mut copied = 0usize;
        let result = self.cap.dispatch(Some(want), |p| {
            let ts = timestamp(p.header.ts.tv_sec, p.header.ts.tv_usec);
            copied += usize::from(batch.push(ts, p.header.len, p.data));
        });
        match result {
            Ok(n) => Ok(Dispatched {
                copied,
                drained: n < want,
            }),
            Err(e) => Err(LiveError::Pcap {
                interface: self.interface.clone(),
                message: describe(&e),
            }),
        }
    }

    /// The same capture, but `dispatch` returns at once when nothing is waiting (used to drain what
    /// libpcap holds at shutdown: blocking reads may wait for the next packet forever, as libpcap
    /// ignores the read timeout on some Linux ring versions).
    pub fn nonblocking(self) -> Result<LiveSource, LiveError> {
        let LiveSource {
            interface,
            immediate,
            cap,
            link,
            snaplen,
        } = self;
        match cap.setnonblock() {
            Ok(cap) => Ok(LiveSource {
                interface,
                immediate,
                cap,
                link,
                snaplen,
            }),
            Err(e) => Err(LiveError::Pcap {
                interface,
                message: describe(&e),
            }),
        }
    }

    /// libpcap's counters since the capture opened.
    pub fn stats(&mut self) -> Result<CaptureStats, LiveError> {
        let s = self.cap.stats().map_err(|e| LiveError::Pcap {
            interface: self.interface.clone(),
            message: describe(&e),
        })?;
        Ok(CaptureStats {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        })
    }
}

/// What one `dispatch` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dispatched {
    pub copied: usize,
    /// libpcap returned fewer frames than asked for: nothing more is waiting right now.
    pub drained: bool,
}

/// The interfaces libpcap can capture on, one per line with flags and addresses.
pub fn list_interfaces() -> Result<String, String> {
    let devices = pcap::Device::list().map_err(|e| describe(&e))?;
    let mut out = String::new();
    for d in devices {
        let mut flags = Vec::new();
        if d.flags.is_up() {
            flags.push("up");
        }
        if d.flags.is_running() {
            flags.push("running");
        }
        if d.flags.is_loopback() {
            flags.push("loopback");
        }
        if d.flags.is_wireless() {
            flags.push("wireless");
        }
        out.push_str(&d.name);
        if !flags.is_empty() {
            out.push_str(&format!(" [{}]", flags.join(",")));
        }
        if let Some(desc) = &d.desc {
            out.push_str(&format!(" ({desc})"));
        }
        out.push('\n');
        for a in &d.addresses {
            match a.netmask {
                Some(mask) => out.push_str(&format!("    {} netmask {}\n", a.addr, mask)),
                None => out.push_str(&format!("    {}\n", a.addr)),
            }
        }
    }
    Ok(out)
}

fn describe(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(m) => m.clone(),
        other => other.to_string(),
    }
}

fn classify_open_error(interface: &str, e: pcap::Error) -> LiveError {
    let message = describe(&e);
    let lower = message.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("operation not permitted") {
        LiveError::Permission {
            interface: interface.to_string(),
            message,
        }
    } else {
        LiveError::Pcap {
            interface: interface.to_string(),
            message,
        }
    }
}

/// Whether this process may open a packet socket (what libpcap does on Linux): CAP_NET_RAW.
#[cfg(target_os = "linux")]
fn check_raw_socket_permission() -> Result<(), String> {
    // SAFETY: plain system calls on a descriptor this function owns and closes.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => Err(err.to_string()),
            // Anything else (no packet sockets at all, …) is left for libpcap to report.
            _ => Ok(()),
        };
    }
    // SAFETY: `fd` was just returned by socket() and is closed once.
    unsafe { libc::close(fd) };
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn check_raw_socket_permission() -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_keeps_frames_in_order_and_refuses_what_does_not_fit() {
        let mut b = FrameBatch::new(LinkType::Ethernet, 100);
        assert!(b.push(Timestamp::from_secs(1), 60, &[1; 60]));
        assert!(b.push(Timestamp::from_secs(2), 1500, &[2; 100]));
        let frames: Vec<_> = b.frames().collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].data, &[1u8; 60][..]);
        assert_eq!(frames[1].orig_len, 1500);
        assert_eq!(frames[1].data.len(), 100);
        assert_eq!(frames[1].ts, Timestamp::from_secs(2));
        // Fill every slot: the next push is refused rather than growing the buffers.
        while b.len() < BATCH_FRAMES {
            assert!(b.push(Timestamp::ZERO, 1, &[0]));
        }
        assert!(b.is_full());
        assert!(!b.push(Timestamp::ZERO, 1, &[0]));
        let caps = (b.data.capacity(), b.slots.capacity());
        b.clear();
        assert!(b.is_empty());
        assert_eq!((b.data.capacity(), b.slots.capacity()), caps);
    }

    #[test]
    fn room_counts_worst_case_frames() {
        // 1 MiB of data at a 64 KiB snap length: 16 worst-case frames, fewer than the slots.
        let b = FrameBatch::new(LinkType::Ethernet, 65536);
        assert_eq!(b.room(), BATCH_BYTES / 65536);
        let small = FrameBatch::new(LinkType::Ethernet, 64);
        assert_eq!(small.room(), BATCH_FRAMES);
    }

    #[test]
    fn permission_message_says_how_to_grant_it() {
        let e = LiveError::Permission {
            interface: "eth0".into(),
            message: "Operation not permitted".into(),
        };
        let line = e.to_string();
        assert!(line.contains("CAP_NET_RAW"), "{line}");
        assert!(
            line.contains("setcap cap_net_raw,cap_net_admin=eip"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
