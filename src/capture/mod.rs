//! Capture: the only code that talks to libpcap. Opens capture files (pcap and pcapng, `-` for
//! standard input) and hands out borrowed [`Frame`]s with their packet time; [`live`] opens network
//! interfaces.
//!
//! Classic pcap files are read by [`pcap_file`], a block reader that follows libpcap's rules at a
//! fraction of its cost; libpcap reads everything else (pcapng, older pcap versions, standard input).
//! A pcapng whose interfaces have different link types (which libpcap refuses mid-file) is read
//! again by a pure-Rust pcapng reader, continuing where libpcap stopped. Errors name the file and the
//! packet index, so a user knows where a capture broke.

pub mod live;
mod pcap_file;
mod pcapng_fallback;
pub mod writer;

use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use pcap_file::PcapFile;
use pcapng_fallback::PcapNgFallback;
use std::fmt;
use std::path::{Path, PathBuf};

/// Something went wrong reading a capture: which file, which packet (1-based), and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub source: String,
    pub packet: Option<u64>,
    pub message: String,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.packet {
            Some(n) => write!(f, "{}: packet {}: {}", self.source, n, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for CaptureError {}

/// A capture file being read, packet by packet.
pub struct FileSource {
    name: String,
    path: Option<PathBuf>,
    reader: Reader,
    link: LinkType,
    /// Set once libpcap gave up on a pcapng with mixed link types.
    fallback: Option<Box<PcapNgFallback>>,
    /// Packets handed out so far.
    delivered: u64,
}

enum Reader {
    Pcap(PcapFile),
    Libpcap(pcap::Capture<pcap::Offline>),
}

const MIXED_LINK_TYPES: &str = "different from the type of the first interface";

impl FileSource {
    /// Opens `path` (`-` reads standard input).
    pub fn open(path: &Path) -> Result<FileSource, CaptureError> {
        let name = if path == Path::new("-") {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let err = |message: String| CaptureError {
            source: name.clone(),
            packet: None,
            message,
        };
        if path != Path::new("-")
            && let Some(file) = PcapFile::open(path).map_err(&err)?
        {
            return Ok(FileSource {
                name: name.clone(),
                path: Some(path.to_path_buf()),
                link: file.link_type(),
                reader: Reader::Pcap(file),
                fallback: None,
                delivered: 0,
            });
        }
        let cap = if path == Path::new("-") {
            // SAFETY: fd 0 stays open for the life of the process; libpcap reads it through a FILE*.
            unsafe { pcap::Capture::from_raw_fd_with_precision(0, pcap::Precision::Nano) }
        } else {
            if let Err(e) = std::fs::metadata(path) {
                return Err(err(e.to_string()));
            }
            pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano)
        }
        .map_err(|e| err(describe(&e)))?;
        let link = LinkType::from_linktype(cap.get_datalink().0 as u32);
        let file_path = (path != Path::new("-")).then(|| path.to_path_buf());
        Ok(FileSource {
            name,
            path: file_path,
            reader: Reader::Libpcap(cap),
            link,
            fallback: None,
            delivered: 0,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Packets read so far.
    pub fn packets_read(&self) -> u64 {
        self.delivered
    }

    /// Whether libpcap reads this file (else the block reader for classic pcap does).
    pub fn read_by_libpcap(&self) -> bool {
        matches!(self.reader, Reader::Libpcap(_))
    }

    /// The link type of the file (of its first interface, for pcapng).
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// The next frame, `Ok(None)` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.fallback.is_some() {
            return from_fallback(&mut self.fallback, &self.name, &mut self.delivered);
        }
        let index = self.delivered + 1;
        let libpcap = match &mut self.reader {
            Reader::Libpcap(cap) => cap,
            Reader::Pcap(file) => {
                return match file.next_frame() {
                    Ok(frame) => {
                        self.delivered += u64::from(frame.is_some());
                        Ok(frame)
                    }
                    Err(message) => Err(CaptureError {
                        source: self.name.clone(),
                        packet: Some(index),
                        message,
                    }),
                };
            }
        };
        match libpcap.next_packet() {
            Ok(p) => {
                self.delivered = index;
                let ts = timestamp(p.header.ts.tv_sec, p.header.ts.tv_usec);
                Ok(Some(Frame {
                    ts,
                    link: self.link,
                    orig_len: p.header.len,
                    data: p.data,
                }))
            }
            Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) if e.to_string().contains(MIXED_LINK_TYPES) && self.path.is_some() => {
                let path = self.path.clone().unwrap_or_default();
                let fallback = PcapNgFallback::open(&path, self.delivered).map_err(|message| {
                    CaptureError {
                        source: self.name.clone(),
                        packet: Some(index),
                        message,
                    }
                })?;
                self.fallback = Some(Box::new(fallback));
                from_fallback(&mut self.fallback, &self.name, &mut self.delivered)
            }
            Err(e) => Err(CaptureError {
                source: self.name.clone(),
                packet: Some(index),
                message: describe(&e),
            }),
        }
    }
}

fn from_fallback<'a>(
    fallback: &'a mut Option<Box<PcapNgFallback>>,
    name: &str,
    delivered: &mut u64,
) -> Result<Option<Frame<'a>>, CaptureError> {
    let Some(reader) = fallback.as_mut() else {
        return Ok(None);
    };
    let index = *delivered + 1;
    let frame = reader.next_frame().map_err(|message| CaptureError {
        source: name.to_string(),
        packet: Some(index),
        message,
    })?;
    *delivered += u64::from(frame.is_some());
    Ok(frame)
}

fn describe(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Packet time from a libpcap header opened with nanosecond precision (`tv_usec` holds nanoseconds).
pub(crate) fn timestamp(secs: i64, nanos: i64) -> Timestamp {
    Timestamp::from_secs_nanos(secs.max(0) as u64, nanos.clamp(0, 999_999_999) as u32)
}
