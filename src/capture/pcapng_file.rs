//! A block reader for pcapng files, the format Wireshark and dumpcap write by default.
//!
//! It reads Section Header, Interface Description (link type, snap length, `if_tsresol`,
//! `if_tsoffset`), Enhanced, Simple and (obsolete) Packet blocks, skips every other block, and
//! follows libpcap's `sf-pcapng.c` for what it accepts and how it converts timestamps. Where libpcap
//! stops, at an interface whose link type or snap length differs from the first interface's, this
//! reader goes on: each frame carries its own interface's link type.
//!
//! It is strict rather than clever: anything it does not accept is an error, and the caller
//! ([`super::FileSource`]) then lets libpcap read the file from that packet on, so a damaged file
//! reports libpcap's own message. `tests/pcap_reader_vs_libpcap.rs` checks the frames against
//! libpcap's on every reference pcapng.

use super::block::BlockBuffer;
use super::pcap_file::{MAX_SNAPLEN, adjust_snapshot};
use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use std::fs::File;
use std::ops::Range;
use std::path::Path;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// libpcap's limits: any block, and the first section header.
const MAX_BLOCK: usize = 16 * 1024 * 1024;
const MAX_FIRST_SHB: usize = 1024 * 1024;
/// Timestamps are handed out in nanoseconds.
const NANOS: u64 = 1_000_000_000;

#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snapshot: u32,
    /// Timestamp units per second, and whether that is a power of two.
    units: u64,
    binary: bool,
    offset_secs: i64,
}

pub struct PcapNgFile {
    buf: BlockBuffer,
    swapped: bool,
    /// Whether the first Section Header Block has been read.
    started: bool,
    /// The current section's interfaces.
    interfaces: Vec<Interface>,
    /// The first interface of the file (its link type names the file's).
    first: Option<Interface>,
    /// The packet moved to, and the length of its block (consumed at the next move).
    current: Option<Current>,
    lent: usize,
}

struct Current {
    ts: Timestamp,
    link: LinkType,
    orig_len: u32,
    /// Where the packet's bytes are in the unread part of the buffer.
    data: Range<usize>,
}

/// What one block turned out to be.
enum Block {
    Packet {
        interface: u32,
        ts: u64,
        caplen: u32,
        orig_len: u32,
        /// Where the packet bytes start within the block.
        data_at: usize,
        /// Block length, to consume after lending the bytes.
        len: usize,
    },
    Other,
    End,
}

impl PcapNgFile {
    /// Opens `path` if it is a pcapng file whose first interface has a link type aiwatch decodes,
    /// reading up to that interface as libpcap does when it opens a file; `Ok(None)` leaves the
    /// file to libpcap (which then reports whatever made this reader decline).
    pub fn open(path: &Path) -> Result<Option<PcapNgFile>, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut me = PcapNgFile {
            buf: BlockBuffer::new(file),
            swapped: false,
            started: false,
            interfaces: Vec::new(),
            first: None,
            current: None,
            lent: 0,
        };
        while me.first.is_none() {
            match me.next_block() {
                Ok(Block::Other) => {}
                _ => return Ok(None),
            }
        }
        if !me.link_type().is_supported() {
            return Ok(None);
        }
        me.buf.park()?;
        Ok(Some(me))
    }

    /// The first interface's link type.
    pub fn link_type(&self) -> LinkType {
        self.first.map_or(LinkType::Other(0), |i| i.link)
    }

    fn u16_at(&self, b: &[u8], at: usize) -> Option<u16> {
        let v = u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]);
        Some(if self.swapped { v.swap_bytes() } else { v })
    }

    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let v = u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?);
        Some(if self.swapped { v.swap_bytes() } else { v })
    }

    /// Reads the next block into the buffer (without consuming a packet block's bytes).
    fn next_block(&mut self) -> Result<Block, String> {
        let have = self.buf.fill(12)?;
        if have == 0 {
            return Ok(Block::End);
        }
        if have < 8 {
            return Err("truncated pcapng dump file".into());
        }
        let head = self.buf.unread();
        let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if !self.started {
            // The first block decides the byte order: its magic follows the length.
            if raw_type != SHB || have < 12 {
                return Err("not a pcapng file".into());
            }
            let magic = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
            self.swapped = match magic {
                BYTE_ORDER_MAGIC => false,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                _ => return Err("pcapng section header with an unknown byte-order magic".into()),
            };
        }
        let kind = if self.swapped {
            raw_type.swap_bytes()
        } else {
            raw_type
        };
        let len = self.u32_at(head, 4).unwrap_or(0) as usize;
        let max = if self.started {
            MAX_BLOCK
        } else {
            MAX_FIRST_SHB
        };
        if len < 12 || !len.is_multiple_of(4) || len > max {
            return Err(format!("pcapng block with an invalid length {len}"));
        }
        if self.buf.fill(len)? < len {
            return Err("truncated pcapng block".into());
        }
        let block = &self.buf.unread()[..len];
        if self.u32_at(block, len - 4) != Some(len as u32) {
            return Err("pcapng block lengths in header and trailer differ".into());
        }
        let body = &block[8..len - 4];
        let found = match kind {
            SHB => {
                self.check_section(body)?;
                self.started = true;
                self.interfaces.clear();
                Block::Other
            }
            IDB => {
                let iface = self.interface(body)?;
                self.interfaces.push(iface);
                self.first.get_or_insert(iface);
                Block::Other
            }
            EPB | PB => {
                let word = |at| self.u32_at(body, at).ok_or("short packet block");
                let interface = if kind == EPB {
                    word(0)?
                } else {
                    u32::from(self.u16_at(body, 0).ok_or("short packet block")?)
                };
                Block::Packet {
                    interface,
                    ts: (u64::from(word(4)?) << 32) | u64::from(word(8)?),
                    caplen: word(12)?,
                    orig_len: word(16)?,
                    data_at: 8 + 20,
                    len,
                }
            }
            SPB => {
                let orig_len = self.u32_at(body, 0).ok_or("short simple packet block")?;
                // The captured length is the packet's, cut to the file's first snapshot (libpcap's).
                let snapshot = self.first.map_or(MAX_SNAPLEN, |i| i.snapshot);
                Block::Packet {
                    interface: 0,
                    ts: 0,
                    caplen: orig_len.min(snapshot),
                    orig_len,
                    data_at: 8 + 4,
                    len,
                }
            }
            _ => Block::Other,
        };
        if !matches!(found, Block::Packet { .. }) {
            self.buf.take(len);
        }
        Ok(found)
    }

    /// A Section Header Block: same byte order as the file's first, major version 1.
    fn check_section(&self, body: &[u8]) -> Result<(), String> {
        if body.len() < 16 {
            return Err("short section header block".into());
        }
        if self.u32_at(body, 0) != Some(BYTE_ORDER_MAGIC) {
            return Err("the file has sections with different byte orders".into());
        }
        let (major, minor) = (self.u16_at(body, 4), self.u16_at(body, 6));
        let supported = if self.started {
            major == Some(1)
        } else {
            major == Some(1) && matches!(minor, Some(0 | 2))
        };
        if !supported {
            return Err("unsupported pcapng version".into());
        }
        Ok(())
    }

    /// An Interface Description Block, with libpcap's checks on its timestamp options.
    fn interface(&self, body: &[u8]) -> Result<Interface, String> {
        let link = self
            .u16_at(body, 0)
            .ok_or("short interface description block")?;
        let snaplen = self
            .u32_at(body, 4)
            .ok_or("short interface description block")?;
        let mut iface = Interface {
            link: LinkType::from_linktype(u32::from(link)),
            snapshot: adjust_snapshot(snaplen),
            units: 1_000_000,
            binary: false,
            offset_secs: 0,
        };
        let (mut saw_resolution, mut saw_offset) = (false, false);
        let mut at = 8;
        while at < body.len() {
            let bad = || "bad interface description option".to_string();
            let code = self.u16_at(body, at).ok_or_else(bad)?;
            let len = usize::from(self.u16_at(body, at + 2).ok_or_else(bad)?);
            let value = body
                .get(at + 4..at + 4 + len.div_ceil(4) * 4)
                .ok_or_else(bad)?;
            match code {
                0 if len == 0 => break,
                9 if len == 1 && !saw_resolution => {
                    saw_resolution = true;
                    let r = value[0];
                    (iface.units, iface.binary) = if r & 0x80 != 0 {
                        let shift = r & 0x7f;
                        (
                            1u64.checked_shl(u32::from(shift))
                                .filter(|_| shift <= 63)
                                .ok_or_else(bad)?,
                            true,
                        )
                    } else {
                        (10u64.checked_pow(u32::from(r)).ok_or_else(bad)?, false)
                    };
                }
                14 if len == 8 && !saw_offset => {
                    saw_offset = true;
                    let raw = u64::from_le_bytes(value[..8].try_into().map_err(|_| bad())?);
                    iface.offset_secs = if self.swapped { raw.swap_bytes() } else { raw } as i64;
                }
                0 | 9 | 14 => return Err(bad()),
                _ => {}
            }
            at += 4 + len.div_ceil(4) * 4;
        }
        Ok(iface)
    }

    /// Moves to the next packet (lent by [`frame`](Self::frame)); `Ok(false)` at the end.
    pub fn advance(&mut self) -> Result<bool, String> {
        // The previous packet's block is consumed only now: it was lent until this call.
        self.buf.take(std::mem::take(&mut self.lent));
        self.current = None;
        loop {
            let (interface, ts, caplen, orig_len, data_at, len) = match self.next_block()? {
                Block::End => {
                    self.buf.park()?;
                    return Ok(false);
                }
                Block::Other => continue,
                Block::Packet {
                    interface,
                    ts,
                    caplen,
                    orig_len,
                    data_at,
                    len,
                } => (interface, ts, caplen, orig_len, data_at, len),
            };
            let iface = *self.interfaces.get(interface as usize).ok_or_else(|| {
                format!(
                    "a packet arrived on interface {interface}, which its section does not describe"
                )
            })?;
            if caplen > iface.snapshot {
                return Err(format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    iface.snapshot
                ));
            }
            let data_end = data_at + caplen as usize;
            if data_end > len - 4 {
                return Err("packet longer than its block".into());
            }
            self.lent = len;
            self.current = Some(Current {
                ts: iface.timestamp(ts),
                link: iface.link,
                orig_len,
                data: data_at..data_end,
            });
            return Ok(true);
        }
    }

    /// The packet [`advance`](Self::advance) moved to.
    pub fn frame(&self) -> Option<Frame<'_>> {
        let c = self.current.as_ref()?;
        Some(Frame {
            ts: c.ts,
            link: c.link,
            orig_len: c.orig_len,
            data: self.buf.unread().get(c.data.clone())?,
        })
    }
}

impl Interface {
    /// libpcap's conversion to nanoseconds, wrapping and truncating where its C arithmetic does.
    fn timestamp(&self, ts: u64) -> Timestamp {
        let secs = (ts / self.units).wrapping_add(self.offset_secs as u64) as i64;
        let frac = ts % self.units;
        let nanos = if self.units == NANOS {
            frac
        } else if self.binary {
            frac.wrapping_mul(NANOS) / self.units
        } else if self.units > NANOS {
            frac / (self.units / NANOS)
        } else {
            frac * (NANOS / self.units)
        };
        super::timestamp(secs, i64::from(nanos as i32))
    }
}
