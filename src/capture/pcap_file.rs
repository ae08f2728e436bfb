//! A block reader for classic pcap files (format 2.4, micro- or nanosecond magic, either byte order)
//! whose link type aiwatch decodes: the common case, and the one where reading speed matters.
//!
//! Why not libpcap here: libpcap reads a savefile with two `fread`s per packet through a 4 KiB stdio
//! buffer, one `read(2)` per 4 KiB, and copies every packet twice; on the bench corpus that alone is
//! the whole "libpcap floor" (~45 ms for 107 MB). This reader reads through a [`BlockBuffer`] and
//! hands out frames borrowed from it in place. It follows libpcap's `sf-pcap.c` rule for rule
//! (snapshot clamp, oversized-record errors, truncation messages, signed 32-bit seconds) and
//! `tests/pcap_reader_vs_libpcap.rs` checks it frame for frame against libpcap on every reference
//! capture. Anything else (pcap 2.0–2.3, patched formats, exotic link types, standard input and
//! pipes) stays with libpcap: [`PcapFile::open`] says `Ok(None)` and the caller opens it there.

use super::block::BlockBuffer;
use crate::frame::{Frame, LinkType};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const FILE_HEADER: usize = 24;
const RECORD_HEADER: usize = 16;
/// libpcap's MAXIMUM_SNAPLEN: its cap for every link type aiwatch decodes.
pub(super) const MAX_SNAPLEN: u32 = 262_144;

pub struct PcapFile {
    buf: BlockBuffer,
    link: LinkType,
    swapped: bool,
    nanos: bool,
    snapshot: u32,
}

impl PcapFile {
    /// Opens `path` if it is a classic pcap this reader takes; `Ok(None)` leaves it to libpcap.
    pub fn open(path: &Path) -> Result<Option<PcapFile>, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let mut head = [0u8; FILE_HEADER];
        let mut got = 0;
        while got < FILE_HEADER {
            match file.read(&mut head[got..]) {
                Ok(0) => return Ok(None),
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        let Some(header) = FileHeader::parse(&head) else {
            return Ok(None);
        };
        let link = LinkType::from_linktype(header.linktype & 0x03ff_ffff);
        if !link.is_supported() {
            return Ok(None);
        }
        Ok(Some(PcapFile {
            buf: BlockBuffer::new(file),
            link,
            swapped: header.swapped,
            nanos: header.nanos,
            snapshot: adjust_snapshot(header.snaplen),
        }))
    }

    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// The next frame, `Ok(None)` at the end; errors carry libpcap's wording.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        let have = self.buf.fill(RECORD_HEADER)?;
        if have < RECORD_HEADER {
            if have == 0 {
                self.buf.park()?;
                return Ok(None);
            }
            return Err(format!(
                "truncated dump file; tried to read {RECORD_HEADER} header bytes, only got {have}"
            ));
        }
        let mut head = [0u8; RECORD_HEADER];
        head.copy_from_slice(&self.buf.unread()[..RECORD_HEADER]);
        let word = |at: usize| {
            let w = u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
            if self.swapped { w.swap_bytes() } else { w }
        };
        // Seconds and fractions are signed 32-bit fields: libpcap sign-extends them in a file of
        // the machine's byte order, but its SWAPLONG yields an unsigned value, so in a byte-swapped
        // file they are zero-extended.
        let (secs, frac) = if self.swapped {
            (i64::from(word(0)), i64::from(word(4)))
        } else {
            (i64::from(word(0) as i32), i64::from(word(4) as i32))
        };
        let caplen = word(8);
        let orig_len = word(12);
        if caplen > MAX_SNAPLEN {
            return Err(if caplen > self.snapshot {
                format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    self.snapshot
                )
            } else {
                format!(
                    "invalid packet capture length {caplen}, bigger than maximum of {MAX_SNAPLEN}"
                )
            });
        }
        let record = RECORD_HEADER + caplen as usize;
        let have = self.buf.fill(record)?;
        if have < record {
            // libpcap reads a record longer than the snapshot in two steps, the snapshot then the
            // rest, and names whichever step fell short.
            let got = have - RECORD_HEADER;
            let tried = if got < self.snapshot as usize {
                caplen.min(self.snapshot)
            } else {
                caplen
            };
            return Err(format!(
                "truncated dump file; tried to read {tried} captured bytes, only got {got}"
            ));
        }
        // A record longer than the file's snapshot is cut to it, as libpcap does.
        let kept = RECORD_HEADER + caplen.min(self.snapshot) as usize;
        let nanos = if self.nanos { frac } else { frac * 1000 };
        let link = self.link;
        let data = &self.buf.take(record)[RECORD_HEADER..kept];
        Ok(Some(Frame {
            ts: super::timestamp(secs, nanos),
            link,
            orig_len,
            data,
        }))
    }
}

/// libpcap's `pcap_adjust_snapshot`: a snap length of 0 or beyond `INT_MAX` means the maximum;
/// any other is kept, even above the maximum (records are still capped at it).
pub(super) fn adjust_snapshot(snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        MAX_SNAPLEN
    } else {
        snaplen
    }
}

struct FileHeader {
    swapped: bool,
    nanos: bool,
    snaplen: u32,
    linktype: u32,
}

impl FileHeader {
    /// The header of a pcap 2.4 file, `None` for anything else.
    fn parse(head: &[u8; FILE_HEADER]) -> Option<FileHeader> {
        let le =
            |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let (swapped, nanos) = match le(0) {
            MAGIC_MICROS => (false, false),
            MAGIC_NANOS => (false, true),
            m if m.swap_bytes() == MAGIC_MICROS => (true, false),
            m if m.swap_bytes() == MAGIC_NANOS => (true, true),
            _ => return None,
        };
        let word = |at: usize| if swapped { le(at).swap_bytes() } else { le(at) };
        let u16_at = |at: usize| {
            let v = u16::from_le_bytes([head[at], head[at + 1]]);
            if swapped { v.swap_bytes() } else { v }
        };
        if (u16_at(4), u16_at(6)) != (2, 4) {
            return None;
        }
        Some(FileHeader {
            swapped,
            nanos,
            snaplen: word(16),
            linktype: word(20),
        })
    }
}
