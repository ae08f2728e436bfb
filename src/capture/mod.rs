//! Capture: the only code that talks to libpcap. Opens capture files (pcap and pcapng, `-` for
//! standard input) and hands out borrowed [`Frame`]s with their packet time; [`live`] opens network
//! interfaces.
//!
//! Capture files are read by block readers ([`pcap_file`], [`pcapng_file`]) that follow libpcap's
//! rules at a fraction of its cost (libpcap copies every packet through a 4 KiB stdio buffer);
//! libpcap reads everything else (older pcap versions, patched formats, standard input) and takes
//! over a pcapng file where the block reader finds something it does not accept, so that damaged
//! files end with libpcap's own message. The pcapng reader also reads on where libpcap stops, at
//! interfaces with different link types. Errors name the file and the packet index, so a user knows
//! where a capture broke.

mod block;
pub mod live;
mod pcap_file;
mod pcapng_file;
pub mod writer;

use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use pcap_file::PcapFile;
use pcapng_file::PcapNgFile;
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
    /// Packets handed out so far.
    delivered: u64,
}

enum Reader {
    Pcap(PcapFile),
    PcapNg(PcapNgFile),
    Libpcap(pcap::Capture<pcap::Offline>),
}

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
        // The block readers peek at the file and may reopen it or seek back: regular files only.
        // Pipes, FIFOs and devices (`<(zcat x.pcap.gz)`) go to libpcap, which reads them in one pass.
        let regular = path != Path::new("-") && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        if regular {
            let own = match PcapFile::open(path).map_err(&err)? {
                Some(file) => Some((file.link_type(), Reader::Pcap(file))),
                None => PcapNgFile::open(path)
                    .map_err(&err)?
                    .map(|file| (file.link_type(), Reader::PcapNg(file))),
            };
            if let Some((link, reader)) = own {
                return Ok(FileSource {
                    name,
                    path: Some(path.to_path_buf()),
                    link,
                    reader,
                    delivered: 0,
                });
            }
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
        let index = self.delivered + 1;
        let error = |source: &FileSource, message: String| CaptureError {
            source: source.name.clone(),
            packet: Some(index),
            message,
        };
        if let Reader::PcapNg(file) = &mut self.reader {
            match file.advance() {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(message) => {
                    // Let libpcap read on from this packet: a file damaged here ends with its
                    // message, and one this reader is stricter about than libpcap reads on.
                    match self.libpcap_from(index) {
                        Some(cap) => self.reader = Reader::Libpcap(cap),
                        None => return Err(error(self, message)),
                    }
                }
            }
        }
        match &mut self.reader {
            Reader::PcapNg(file) => {
                self.delivered = index;
                Ok(file.frame())
            }
            Reader::Pcap(file) => match file.next_frame() {
                Ok(frame) => {
                    self.delivered += u64::from(frame.is_some());
                    Ok(frame)
                }
                Err(message) => Err(CaptureError {
                    source: self.name.clone(),
                    packet: Some(index),
                    message,
                }),
            },
            Reader::Libpcap(cap) => match cap.next_packet() {
                Ok(p) => {
                    self.delivered = index;
                    Ok(Some(Frame {
                        ts: timestamp(p.header.ts.tv_sec, p.header.ts.tv_usec),
                        link: self.link,
                        orig_len: p.header.len,
                        data: p.data,
                    }))
                }
                Err(pcap::Error::NoMorePackets) => Ok(None),
                Err(e) => Err(CaptureError {
                    source: self.name.clone(),
                    packet: Some(index),
                    message: describe(&e),
                }),
            },
        }
    }

    /// libpcap opened on this file and moved past the packets before `index`; `None` when it
    /// cannot get there (it stops earlier on this file, or the file cannot be opened again).
    fn libpcap_from(&self, index: u64) -> Option<pcap::Capture<pcap::Offline>> {
        let path = self.path.as_ref()?;
        let mut cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).ok()?;
        for _ in 1..index {
            cap.next_packet().ok()?;
        }
        Some(cap)
    }
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
