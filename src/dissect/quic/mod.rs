//! QUIC Initials: from the UDP payloads of one flow to the TLS ClientHello (and ServerHello) they
//! carry.
//!
//! Contract. [`QuicClientInitials`] takes the client's UDP payloads of one flow (and, optionally,
//! the server's: to notice Version Negotiation and Retry, and to read the ServerHello from the
//! server's Initials, see `server.rs`). It removes the Initial packet protection of QUIC v1
//! (RFC 9001), v2 (RFC 9369), drafts 27 to 34, mvfst's draft-27, Google QUIC Q050/T050/T051
//! (their own salts and frame types; Q050 carries a gQUIC CHLO instead of a TLS ClientHello) and the
//! reserved `0x?a?a?a?a` versions clients send to force Version Negotiation (protected as draft 29),
//! whose keys derive
//! from public values (the version's salt and the client's Destination Connection ID). It
//! reassembles the Initial CRYPTO stream by offset in any order across packets and hands back the
//! complete ClientHello handshake message (`01 LL LL LL` and body) without parsing it. It never
//! panics, reads nothing but its arguments, and keeps what
//! [`limits::quic`](crate::dissect::limits::quic) allows per flow: a client CRYPTO buffer of
//! `MAX_CRYPTO_BYTES` (freed by [`QuicClientInitials::release_client_hello`]), a server one of
//! `MAX_SERVER_CRYPTO_BYTES`, and one packet of scratch. Packets it cannot use (unknown version,
//! failed authentication, malformed frames) are counted by reason and never end the flow; only a
//! stream that cannot hold a ClientHello, or an exhausted packet budget, is a terminal
//! [`QuicProgress::Failed`]. It does not decrypt Handshake or 1-RTT packets (their keys are
//! secret); Google QUIC before Q050 sends its CHLO in clear (`dissect::gquic`).
//!
//! Cryptography. RustCrypto (`hkdf` 0.13, `sha2` 0.11, `aes` 0.9, `aes-gcm` 0.11): pure Rust, no
//! C or assembly build step, the same crates the rest of aiwatch already uses for hashing, and
//! their released APIs (`AeadInOut::decrypt_inout_detached`, `BlockCipherEncrypt`) let us decrypt
//! in place in a reusable buffer and run a single AES block for header protection. `ring` would
//! also do (its `quic::HeaderProtectionKey` even fits), but adds a C/asm build and a second crypto
//! stack for no gain at Initial-packet rates; the Initial keys protect nothing secret anyway.

mod crypto_stream;
mod keys;
mod packet;
mod server;
pub(crate) mod version;

#[cfg(test)]
pub(crate) mod rfc_vectors;
#[cfg(test)]
mod server_tests;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use crate::dissect::limits::quic as caps;
use crypto_stream::{CryptoStream, Frame, Frames, Inserted};
use keys::PacketKeys;
use packet::{LongKind, open_initial, parse_long_header};

pub use server::ServerProgress;
pub use version::{QUIC_DRAFT_29, QUIC_V1, QUIC_V2, quic_version_name};

/// Where a flow stands after a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuicProgress {
    /// The datagram held no long-header packet of a version we can open.
    NotQuic,
    /// Still waiting for (the rest of) the ClientHello.
    NeedMore,
    /// [`QuicClientInitials::client_hello`] returns the complete message.
    ClientHelloComplete,
    /// The flow will not yield a ClientHello; further datagrams are ignored.
    Failed(&'static str),
}

/// Cheap test, before allocating any state: does `datagram` start with a client Initial of a
/// version we can decrypt (long header, fixed bit, known version, Initial type, sane CID length)?
pub fn looks_like_client_initial(datagram: &[u8]) -> bool {
    let (Some(&first), Some(version), Some(&dcid_len)) = (
        datagram.first(),
        datagram
            .get(1..5)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes),
        datagram.get(5),
    ) else {
        return false;
    };
    let Some(params) = version::params(version) else {
        return false;
    };
    // RFC 9000 §7.2: a client's first DCID is at least 8 bytes; later ones (after Retry) may be
    // shorter, but never empty in an Initial we can decrypt meaningfully.
    packet::is_initial_first_byte(first, params)
        && (1..=caps::MAX_CID_LEN).contains(&usize::from(dcid_len))
}

/// Keys derived from one Destination Connection ID, with the largest packet number they opened.
#[derive(Debug)]
struct KeySlot {
    version: u32,
    dcid: [u8; caps::MAX_CID_LEN],
    dcid_len: usize,
    keys: PacketKeys,
    largest_pn: Option<u64>,
    /// Order of creation: a higher one is a later connection attempt.
    seq: u32,
}

impl KeySlot {
    fn dcid(&self) -> &[u8] {
        self.dcid.get(..self.dcid_len).unwrap_or_default()
    }
}

/// Per-flow state: the client's Initial keys and CRYPTO stream. Allocate it only for a flow whose
/// client datagram passes [`looks_like_client_initial`].
#[derive(Debug, Default)]
pub struct QuicClientInitials {
    /// At most `MAX_KEY_SLOTS`; the last one opened the packets now feeding `crypto`.
    slots: Vec<KeySlot>,
    active_slot: Option<usize>,
    crypto: CryptoStream,
    scratch: Vec<u8>,
    /// Where the last opened packet's plaintext lies in `scratch`.
    opened: std::ops::Range<usize>,
    /// Sequence number given to the next key slot, to tell newer connection attempts from older.
    next_seq: u32,
    version: Option<u32>,
    client_hello_len: Option<usize>,
    failed: Option<&'static str>,
    datagrams: usize,
    initial_packets: usize,
    /// The SCID of a server Retry: the client's next Initials use it as DCID, and new keys.
    retry_scid: Option<([u8; caps::MAX_CID_LEN], usize)>,
    version_negotiation_seen: bool,
    drops: Vec<(&'static str, u32)>,
    /// The server's Initials and the ServerHello they carry (`server.rs`).
    server: server::ServerInitials,
}

impl QuicClientInitials {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one UDP payload sent by the client.
    pub fn on_client_datagram(&mut self, datagram: &[u8]) -> QuicProgress {
        if let Some(progress) = self.terminal() {
            return progress;
        }
        self.datagrams += 1;
        if self.datagrams > caps::MAX_CLIENT_DATAGRAMS {
            return self.fail("no ClientHello within the datagram budget");
        }
        let mut rest = datagram;
        let mut saw_quic = false;
        for _ in 0..caps::MAX_COALESCED_PACKETS {
            if rest.is_empty() {
                break;
            }
            let header = match parse_long_header(rest) {
                Ok(header) => header,
                Err(reason) => {
                    // Trailing zero padding or a coalesced short-header packet ends the datagram;
                    // anything else at its start is worth a count.
                    if !saw_quic {
                        self.count(reason);
                    }
                    break;
                }
            };
            saw_quic = true;
            rest = rest.get(header.packet.len()..).unwrap_or_default();
            match header.kind {
                LongKind::Initial => {
                    if let Some(progress) = self.on_client_initial(&header) {
                        return progress;
                    }
                }
                LongKind::Other => {}
                LongKind::Retry | LongKind::VersionNegotiation => {
                    self.count("Retry or Version Negotiation sent by the client");
                    break;
                }
            }
        }
        if let Some(progress) = self.terminal() {
            progress
        } else if saw_quic || self.version.is_some() {
            QuicProgress::NeedMore
        } else {
            QuicProgress::NotQuic
        }
    }

    /// The complete ClientHello handshake message, header included, once it is all here.
    pub fn client_hello(&self) -> Option<&[u8]> {
        self.crypto.contiguous().get(..self.client_hello_len?)
    }

    /// Frees the client's CRYPTO buffer once the caller has read the ClientHello, as the flow may
    /// then wait a while for the server's Initials; [`Self::client_hello`] returns `None` after.
    pub fn release_client_hello(&mut self) {
        self.crypto = CryptoStream::default();
    }

    /// The version of the Initials that carry the ClientHello being reassembled.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// Did the server answer with Version Negotiation?
    pub fn version_negotiation_seen(&self) -> bool {
        self.version_negotiation_seen
    }

    /// Did the server send a Retry?
    pub fn retry_seen(&self) -> bool {
        self.retry_scid.is_some()
    }

    /// Packets, frames or CRYPTO data skipped, and connection-attempt restarts, by reason, in
    /// first-seen order (at most `MAX_DROP_REASONS` reasons).
    pub fn drops(&self) -> &[(&'static str, u32)] {
        &self.drops
    }

    fn terminal(&self) -> Option<QuicProgress> {
        if self.client_hello_len.is_some() {
            Some(QuicProgress::ClientHelloComplete)
        } else {
            self.failed.map(QuicProgress::Failed)
        }
    }

    fn fail(&mut self, reason: &'static str) -> QuicProgress {
        self.failed = Some(reason);
        QuicProgress::Failed(reason)
    }

    fn count(&mut self, reason: &'static str) {
        if let Some(entry) = self.drops.iter_mut().find(|(r, _)| *r == reason) {
            entry.1 = entry.1.saturating_add(1);
        } else if self.drops.len() < caps::MAX_DROP_REASONS {
            self.drops.push((reason, 1));
        }
    }

    /// Decrypts one client Initial and feeds its CRYPTO frames; `Some` when the flow is decided.
    fn on_client_initial(&mut self, header: &packet::LongHeader<'_>) -> Option<QuicProgress> {
        self.initial_packets += 1;
        if self.initial_packets > caps::MAX_INITIAL_PACKETS {
            return Some(self.fail("no ClientHello within the Initial packet budget"));
        }
        let slot_index = self.open(header)?;
        if self.active_slot != Some(slot_index) {
            let seq_of = |i: Option<usize>| i.and_then(|i| self.slots.get(i)).map(|s| s.seq);
            if seq_of(Some(slot_index)) < seq_of(self.active_slot) {
                self.count("Initial of an earlier connection attempt");
                return None;
            }
            // Newer keys opened it: a new connection attempt (after Retry or Version Negotiation,
            // or a new connection on the same 4-tuple). Its ClientHello starts again at offset 0.
            if self.active_slot.is_some() {
                self.count("connection attempt restarted");
            }
            self.crypto.clear();
            self.active_slot = Some(slot_index);
            self.version = Some(header.version);
        }
        let payload = self.scratch.get(self.opened.clone()).unwrap_or_default();
        let mut reasons: [Option<&'static str>; 2] = [None, None];
        for frame in Frames::of_version(payload, header.version) {
            match frame {
                Ok(Frame::Crypto { offset, data }) => match self.crypto.insert(offset, data) {
                    Inserted::All => {}
                    Inserted::Truncated => reasons[0] = Some("CRYPTO data beyond the buffer cap"),
                    Inserted::TooFragmented => reasons[0] = Some("CRYPTO stream too fragmented"),
                },
                Ok(Frame::Ignored) => {}
                Err(reason) => reasons[1] = Some(reason),
            }
        }
        for reason in reasons.into_iter().flatten() {
            self.count(reason);
        }
        self.check_client_hello()
    }

    /// Finds keys that open `header`'s packet, deriving new ones from its DCID when needed.
    /// On success the plaintext is in `self.scratch[self.opened]`.
    fn open(&mut self, header: &packet::LongHeader<'_>) -> Option<usize> {
        let after_retry = self
            .retry_scid
            .as_ref()
            .is_some_and(|(scid, len)| scid.get(..*len) == Some(header.dcid));
        // Keys already known for this version: first those of the packet's own DCID, then the
        // others (after the server's first Initial the client's DCID changes but its keys do not;
        // after a Retry they do change, so the old keys are not worth a try).
        let passes: &[bool] = if after_retry { &[true] } else { &[true, false] };
        let mut last_error = None;
        for &same_dcid in passes {
            for i in 0..self.slots.len() {
                let Some(slot) = self.slots.get_mut(i) else {
                    continue;
                };
                if slot.version != header.version || (slot.dcid() == header.dcid) != same_dcid {
                    continue;
                }
                match open_initial(header, &slot.keys, slot.largest_pn, &mut self.scratch) {
                    Ok(opened) => {
                        slot.largest_pn = slot.largest_pn.max(Some(opened.packet_number));
                        self.opened = opened.payload;
                        return Some(i);
                    }
                    Err(reason) => last_error = Some((reason, same_dcid)),
                }
            }
        }
        if let Some((reason, true)) = last_error {
            // Keys of this very DCID exist and failed: deriving them again would not help.
            self.count(reason);
            return None;
        }
        let opened = self.derive_slot(header).and_then(|mut slot| {
            let opened = open_initial(header, &slot.keys, None, &mut self.scratch)?;
            slot.largest_pn = Some(opened.packet_number);
            Ok((slot, opened))
        });
        match opened {
            Ok((slot, opened)) => {
                self.opened = opened.payload;
                Some(self.insert_slot(slot))
            }
            Err(reason) => {
                self.count(reason);
                None
            }
        }
    }

    fn derive_slot(&self, header: &packet::LongHeader<'_>) -> Result<KeySlot, &'static str> {
        let params = version::params(header.version).ok_or("unsupported QUIC version")?;
        let secrets = keys::derive_client_secrets(params, header.dcid)?;
        let mut dcid = [0; caps::MAX_CID_LEN];
        dcid.get_mut(..header.dcid.len())
            .ok_or("connection ID longer than 20 bytes")?
            .copy_from_slice(header.dcid);
        Ok(KeySlot {
            version: header.version,
            dcid,
            dcid_len: header.dcid.len(),
            keys: PacketKeys::new(&secrets),
            largest_pn: None,
            seq: self.next_seq,
        })
    }

    /// Stores a new key slot, replacing the oldest one that is not active when full.
    fn insert_slot(&mut self, slot: KeySlot) -> usize {
        self.next_seq = self.next_seq.saturating_add(1);
        if self.slots.len() < caps::MAX_KEY_SLOTS {
            self.slots.push(slot);
            return self.slots.len() - 1;
        }
        let victim = (0..self.slots.len())
            .find(|&i| Some(i) != self.active_slot)
            .unwrap_or(0);
        if let Some(place) = self.slots.get_mut(victim) {
            *place = slot;
        }
        if self.active_slot == Some(victim) {
            self.active_slot = None;
        }
        victim
    }

    /// Whether the handshake message is a gQUIC CHLO (Q050) rather than a TLS ClientHello.
    pub fn carries_chlo(&self) -> bool {
        self.version
            .and_then(version::params)
            .is_some_and(|p| p.chlo)
    }

    /// Decides whether the contiguous CRYPTO bytes hold a whole ClientHello (or CHLO).
    fn check_client_hello(&mut self) -> Option<QuicProgress> {
        let head = self.crypto.contiguous();
        let (length, too_large) = if self.carries_chlo() {
            (chlo_length(head)?, "CHLO larger than the CRYPTO buffer cap")
        } else {
            (
                client_hello_length(head)?,
                "ClientHello larger than the CRYPTO buffer cap",
            )
        };
        let total = match length {
            Ok(total) => total,
            Err(reason) => return Some(self.fail(reason)),
        };
        if total > caps::MAX_CRYPTO_BYTES {
            return Some(self.fail(too_large));
        }
        if head.len() >= total {
            self.client_hello_len = Some(total);
            return Some(QuicProgress::ClientHelloComplete);
        }
        None
    }
}

/// The length of the TLS handshake message `01 LL LL LL` the CRYPTO stream starts with; `None`
/// until its header is here, `Err` when the stream starts with something else.
fn client_hello_length(head: &[u8]) -> Option<Result<usize, &'static str>> {
    if *head.first()? != 0x01 {
        return Some(Err("CRYPTO stream does not start with a ClientHello"));
    }
    let body_len = head
        .get(1..4)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some(Ok(body_len + 4))
}

/// The length of a gQUIC CHLO: `CHLO`, a little-endian entry count and padding, (tag, value end
/// offset) entries, then the values; known once the last entry's end offset is here.
fn chlo_length(head: &[u8]) -> Option<Result<usize, &'static str>> {
    if head.get(..4)? != b"CHLO" {
        return Some(Err("CRYPTO stream does not start with a CHLO"));
    }
    let entries = usize::from(u16::from_le_bytes([*head.get(4)?, *head.get(5)?]));
    if entries == 0 || entries > crate::dissect::limits::gquic::MAX_CHLO_TAGS {
        return Some(Err("CHLO with an implausible number of tags"));
    }
    let last = 8 + (entries - 1) * 8 + 4;
    let end = u32::from_le_bytes(head.get(last..last + 4)?.try_into().ok()?) as usize;
    Some(Ok((8 + entries * 8).saturating_add(end)))
}
