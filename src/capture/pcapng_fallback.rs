//! A pure-Rust pcapng reader (the `pcap-file` crate) for the files libpcap refuses: pcapng sections
//! whose interfaces have different link types (e.g. Ethernet and Linux SLL in one file).

use crate::frame::{Frame, LinkType};
use crate::time::Timestamp;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

pub struct PcapNgFallback {
    reader: PcapNgReader<BufReader<File>>,
    /// The current packet's bytes: the reader's blocks borrow from itself, so copy into a reused buffer.
    buf: Vec<u8>,
}

impl PcapNgFallback {
    /// Opens `path` and skips the first `skip` packets (already read through libpcap).
    pub fn open(path: &Path, skip: u64) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let reader = PcapNgReader::new(BufReader::new(file)).map_err(|e| e.to_string())?;
        let mut me = PcapNgFallback {
            reader,
            buf: Vec::new(),
        };
        for _ in 0..skip {
            if me.next_frame()?.is_none() {
                break;
            }
        }
        Ok(me)
    }

    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        loop {
            let Some(block) = self.reader.next_block() else {
                return Ok(None);
            };
            let (interface, ts, orig_len) = match block.map_err(|e| e.to_string())? {
                Block::EnhancedPacket(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(&p.data);
                    (p.interface_id, p.timestamp, p.original_len)
                }
                Block::SimplePacket(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(&p.data);
                    (0, std::time::Duration::ZERO, p.original_len)
                }
                _ => continue,
            };
            let link = self
                .reader
                .interfaces()
                .get(interface as usize)
                .map(|i| LinkType::from_linktype(u32::from(i.linktype)))
                .ok_or_else(|| {
                    format!("packet names interface {interface}, which the file does not describe")
                })?;
            let ts = Timestamp::from_secs_nanos(ts.as_secs(), ts.subsec_nanos());
            return Ok(Some(Frame {
                ts,
                link,
                orig_len,
                data: &self.buf,
            }));
        }
    }
}
