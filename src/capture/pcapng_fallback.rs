//! A small pcapng reader for the files libpcap refuses: sections whose interfaces have different
//! link types (e.g. Ethernet and Linux SLL in one file). It reads Section Header, Interface
//! Description (link type, `if_tsresol`, `if_tsoffset`), Enhanced and Simple Packet blocks, and
//! skips every other block. Block lengths are checked against a cap before anything is read.

use crate::frame::{Frame, LinkType};
use crate::time::{NANOS_PER_SEC, Timestamp};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// No legitimate block is larger than this (a 256 KiB snap length plus headers and options).
const MAX_BLOCK: usize = 16 * 1024 * 1024;
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const SPB: u32 = 3;
const EPB: u32 = 6;

#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    units_per_sec: u64,
    offset_secs: i64,
    snaplen: u32,
}

pub struct PcapNgFallback {
    reader: BufReader<File>,
    big_endian: bool,
    interfaces: Vec<Interface>,
    block: Vec<u8>,
    /// Where the current packet's bytes sit in `block`.
    packet: (usize, usize),
}

impl PcapNgFallback {
    /// Opens `path` and skips the first `skip` packets (already read through libpcap).
    pub fn open(path: &Path, skip: u64) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut me = PcapNgFallback {
            reader: BufReader::new(file),
            big_endian: false,
            interfaces: Vec::new(),
            block: Vec::new(),
            packet: (0, 0),
        };
        for _ in 0..skip {
            if me.next_frame()?.is_none() {
                break;
            }
        }
        Ok(me)
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.block.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.block.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    /// Reads one whole block into `self.block`; `Ok(false)` at a clean end of file.
    fn read_block(&mut self) -> Result<bool, String> {
        let mut head = [0u8; 8];
        match self.reader.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e.to_string()),
        }
        let kind_le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if kind_le == SHB {
            // The byte-order magic follows the length; it decides how to read this section.
            let mut magic = [0u8; 4];
            self.reader
                .read_exact(&mut magic)
                .map_err(|e| e.to_string())?;
            self.big_endian = match magic {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                _ => return Err("pcapng section header with an unknown byte-order magic".into()),
            };
            self.interfaces.clear();
            let len = self.len_of(&head)?;
            self.block.clear();
            self.block.extend_from_slice(&head);
            self.block.extend_from_slice(&magic);
            self.block.resize(len, 0);
            return self
                .reader
                .read_exact(&mut self.block[12..])
                .map(|_| true)
                .map_err(|e| e.to_string());
        }
        let len = self.len_of(&head)?;
        self.block.clear();
        self.block.extend_from_slice(&head);
        self.block.resize(len, 0);
        self.reader
            .read_exact(&mut self.block[8..])
            .map_err(|e| format!("truncated pcapng block: {e}"))?;
        Ok(true)
    }

    fn len_of(&self, head: &[u8; 8]) -> Result<usize, String> {
        let b = [head[4], head[5], head[6], head[7]];
        let len = if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize;
        if !(12..=MAX_BLOCK).contains(&len) || !len.is_multiple_of(4) {
            return Err(format!("pcapng block with an invalid length {len}"));
        }
        Ok(len)
    }

    fn kind(&self) -> u32 {
        self.u32_at(0).unwrap_or(0)
    }

    fn parse_idb(&mut self) -> Result<(), String> {
        let link = self.u16_at(8).ok_or("short interface description block")?;
        let snaplen = self.u32_at(12).unwrap_or(0);
        let mut iface = Interface {
            link: LinkType::from_linktype(u32::from(link)),
            units_per_sec: 1_000_000,
            offset_secs: 0,
            snaplen,
        };
        // Options: code, length, value padded to 4 bytes; end at code 0 or the block's trailer.
        let end = self.block.len().saturating_sub(4);
        let mut at = 16;
        while at + 4 <= end {
            let (code, len) = (
                self.u16_at(at).unwrap_or(0),
                usize::from(self.u16_at(at + 2).unwrap_or(0)),
            );
            let value = at + 4;
            match code {
                0 => break,
                9 if len >= 1 => {
                    let r = self.block.get(value).copied().unwrap_or(6);
                    iface.units_per_sec = if r & 0x80 != 0 {
                        1u64.checked_shl(u32::from(r & 0x7f)).unwrap_or(1_000_000)
                    } else {
                        10u64.checked_pow(u32::from(r)).unwrap_or(1_000_000)
                    };
                }
                14 if len >= 8 => {
                    let lo = u64::from(self.u32_at(value).unwrap_or(0));
                    let hi = u64::from(self.u32_at(value + 4).unwrap_or(0));
                    iface.offset_secs = if self.big_endian {
                        (lo << 32 | hi) as i64
                    } else {
                        (hi << 32 | lo) as i64
                    };
                }
                _ => {}
            }
            at = value + len.div_ceil(4) * 4;
        }
        self.interfaces.push(iface);
        Ok(())
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        loop {
            if !self.read_block()? {
                return Ok(None);
            }
            let (iface_id, raw_ts, caplen, orig_len, data_at) = match self.kind() {
                IDB => {
                    self.parse_idb()?;
                    continue;
                }
                EPB => {
                    let get = |me: &Self, at| me.u32_at(at).ok_or("short enhanced packet block");
                    let ts = (u64::from(get(self, 12)?) << 32) | u64::from(get(self, 16)?);
                    (
                        get(self, 8)?,
                        ts,
                        get(self, 20)? as usize,
                        get(self, 24)?,
                        28,
                    )
                }
                SPB => {
                    let orig = self.u32_at(8).ok_or("short simple packet block")?;
                    let snap = self.interfaces.first().map_or(0, |i| i.snaplen) as usize;
                    let room = self.block.len().saturating_sub(16);
                    let cap = if snap == 0 {
                        orig as usize
                    } else {
                        (orig as usize).min(snap)
                    };
                    (0, 0, cap.min(room), orig, 12)
                }
                _ => continue,
            };
            let iface = *self.interfaces.get(iface_id as usize).ok_or_else(|| {
                format!("packet names interface {iface_id}, which the file does not describe")
            })?;
            if data_at + caplen > self.block.len().saturating_sub(4) {
                return Err("packet longer than its block".into());
            }
            self.packet = (data_at, data_at + caplen);
            let secs = raw_ts / iface.units_per_sec;
            let frac = raw_ts % iface.units_per_sec;
            let nanos = (u128::from(frac) * u128::from(NANOS_PER_SEC)
                / u128::from(iface.units_per_sec)) as u32;
            let secs = (secs as i64).saturating_add(iface.offset_secs).max(0) as u64;
            let data = &self.block[self.packet.0..self.packet.1];
            return Ok(Some(Frame {
                ts: Timestamp::from_secs_nanos(secs, nanos),
                link: iface.link,
                orig_len,
                data,
            }));
        }
    }
}
