//! The server's Initials: from its UDP payloads to the ServerHello they carry.
//!
//! Contract. [`QuicClientInitials::on_server_datagram`] takes the server's UDP payloads of the flow.
//! It notes Version Negotiation and Retry, and removes the protection of the server's Initial
//! packets (fixed bit set or, greased per RFC 9287, clear) with the keys both sides derive from the client's Destination Connection ID: the one of
//! the client's first Initial, or the Source Connection ID of the server's Retry after one (RFC 9001
//! §5.2, labels `server in` and those of the packet's version, RFC 9369 §3.3). It reassembles the
//! server's Initial CRYPTO stream by offset (at most `MAX_SERVER_CRYPTO_BYTES`) and hands back the
//! ServerHello handshake message (`02 LL LL LL` and body) without parsing it. Its keys need the
//! client's: server Initials seen before a client Initial was opened are counted and skipped. It
//! never panics; after `MAX_SERVER_DATAGRAMS` datagrams or `MAX_SERVER_INITIAL_PACKETS` Initials
//! without a ServerHello, or a stream that cannot hold one, it is a terminal
//! [`ServerProgress::Failed`].

use super::QuicClientInitials;
use super::crypto_stream::{CryptoStream, Frame, Frames, Inserted};
use super::keys::{self, PacketKeys, Side};
use super::packet::{LongHeader, LongKind, open_initial, parse_server_long_header};
use super::version;
use crate::dissect::limits::quic as caps;

/// Where the server's side of a flow stands after a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerProgress {
    /// Still waiting for (the rest of) the ServerHello.
    NeedMore,
    /// [`QuicClientInitials::server_hello`] returns the complete message.
    ServerHelloComplete,
    /// The server's datagrams will not yield a ServerHello; further ones are ignored.
    Failed(&'static str),
}

/// The server's Initial keys for one version and one client DCID.
#[derive(Debug)]
struct ServerKeys {
    version: u32,
    dcid: [u8; caps::MAX_CID_LEN],
    dcid_len: usize,
    keys: PacketKeys,
    largest_pn: Option<u64>,
}

impl ServerKeys {
    fn derive(version: u32, dcid: &[u8]) -> Result<Self, &'static str> {
        let params = version::params(version).ok_or("unsupported QUIC version")?;
        let secrets = keys::derive_secrets(params, dcid, Side::Server)?;
        let mut stored = [0; caps::MAX_CID_LEN];
        stored
            .get_mut(..dcid.len())
            .ok_or("connection ID longer than 20 bytes")?
            .copy_from_slice(dcid);
        Ok(ServerKeys {
            version,
            dcid: stored,
            dcid_len: dcid.len(),
            keys: PacketKeys::new(&secrets),
            largest_pn: None,
        })
    }

    fn dcid(&self) -> &[u8] {
        self.dcid.get(..self.dcid_len).unwrap_or_default()
    }
}

/// The server half of a flow's state, kept inside [`QuicClientInitials`].
#[derive(Debug)]
pub(super) struct ServerInitials {
    keys: Option<ServerKeys>,
    crypto: CryptoStream,
    server_hello_len: Option<usize>,
    failed: Option<&'static str>,
    datagrams: usize,
    initial_packets: usize,
}

impl Default for ServerInitials {
    fn default() -> Self {
        ServerInitials {
            keys: None,
            crypto: CryptoStream::with_cap(caps::MAX_SERVER_CRYPTO_BYTES),
            server_hello_len: None,
            failed: None,
            datagrams: 0,
            initial_packets: 0,
        }
    }
}

impl ServerInitials {
    fn terminal(&self) -> Option<ServerProgress> {
        if self.server_hello_len.is_some() {
            Some(ServerProgress::ServerHelloComplete)
        } else {
            self.failed.map(ServerProgress::Failed)
        }
    }
}

impl QuicClientInitials {
    /// Feeds one UDP payload sent by the server: notes Version Negotiation and Retry, and opens
    /// the server's Initials until their CRYPTO stream holds the ServerHello.
    pub fn on_server_datagram(&mut self, datagram: &[u8]) -> ServerProgress {
        if let Some(progress) = self.server.terminal() {
            return progress;
        }
        self.server.datagrams += 1;
        if self.server.datagrams > caps::MAX_SERVER_DATAGRAMS {
            return self.server_fail("no ServerHello within the server datagram budget");
        }
        let mut rest = datagram;
        for index in 0..caps::MAX_COALESCED_PACKETS {
            if rest.is_empty() {
                break;
            }
            // Padding, a short-header packet or garbage ends the datagram; only what opens one
            // (short-header 1-RTT packets aside) is worth a count.
            let header = match parse_server_long_header(rest) {
                Ok(header) => header,
                Err(reason) => {
                    if index == 0 && reason != "short header packet" {
                        self.count(reason);
                    }
                    break;
                }
            };
            rest = rest.get(header.packet.len()..).unwrap_or_default();
            match header.kind {
                LongKind::VersionNegotiation => {
                    self.version_negotiation_seen = true;
                    break;
                }
                LongKind::Retry => {
                    self.on_retry(header.scid);
                    break;
                }
                LongKind::Initial => {
                    if let Some(progress) = self.on_server_initial(&header) {
                        return progress;
                    }
                }
                LongKind::Other => {}
            }
        }
        self.server.terminal().unwrap_or(ServerProgress::NeedMore)
    }

    /// Server datagrams looked at so far.
    pub fn server_datagrams(&self) -> usize {
        self.server.datagrams
    }

    /// The complete ServerHello handshake message, header included, once it is all here.
    pub fn server_hello(&self) -> Option<&[u8]> {
        self.server
            .crypto
            .contiguous()
            .get(..self.server.server_hello_len?)
    }

    fn server_fail(&mut self, reason: &'static str) -> ServerProgress {
        self.server.failed = Some(reason);
        ServerProgress::Failed(reason)
    }

    /// A Retry: the client's next Initials (and the server's) use keys of its SCID.
    fn on_retry(&mut self, scid: &[u8]) {
        if scid.is_empty() {
            return;
        }
        let mut stored = [0; caps::MAX_CID_LEN];
        if let Some(dst) = stored.get_mut(..scid.len()) {
            dst.copy_from_slice(scid);
            self.retry_scid = Some((stored, scid.len()));
            // Whatever the server sent before belonged to the refused attempt.
            self.server.keys = None;
            self.server.crypto.clear();
        }
    }

    /// The DCID the server's Initial keys derive from: the Retry's SCID after a Retry, else the
    /// first DCID of the client's connection attempt whose Initials opened.
    fn server_key_dcid(&self) -> Option<([u8; caps::MAX_CID_LEN], usize)> {
        if let Some(retry) = self.retry_scid {
            return Some(retry);
        }
        let slot = self.slots.get(self.active_slot?)?;
        Some((slot.dcid, slot.dcid_len))
    }

    /// Decrypts one server Initial and feeds its CRYPTO frames; `Some` when the side is decided.
    fn on_server_initial(&mut self, header: &LongHeader<'_>) -> Option<ServerProgress> {
        self.server.initial_packets += 1;
        if self.server.initial_packets > caps::MAX_SERVER_INITIAL_PACKETS {
            return Some(
                self.server_fail("no ServerHello within the server Initial packet budget"),
            );
        }
        let Some((dcid, dcid_len)) = self.server_key_dcid() else {
            self.count("server Initial before any client Initial opened");
            return None;
        };
        let dcid = dcid.get(..dcid_len).unwrap_or_default();
        // The server answers in the client's version or, after compatible version negotiation
        // (RFC 9368), in another one: keys follow the packet's version.
        let stale = self
            .server
            .keys
            .as_ref()
            .is_none_or(|k| k.version != header.version || k.dcid() != dcid);
        if stale {
            match ServerKeys::derive(header.version, dcid) {
                Ok(keys) => self.server.keys = Some(keys),
                Err(reason) => {
                    self.count(reason);
                    return None;
                }
            }
        }
        let keys = self.server.keys.as_mut()?;
        match open_initial(header, &keys.keys, keys.largest_pn, &mut self.scratch) {
            Ok(opened) => {
                keys.largest_pn = keys.largest_pn.max(Some(opened.packet_number));
                self.opened = opened.payload;
            }
            Err(reason) => {
                self.count(reason);
                return None;
            }
        }
        let payload = self.scratch.get(self.opened.clone()).unwrap_or_default();
        let mut reasons: [Option<&'static str>; 2] = [None, None];
        for frame in Frames::of_version(payload, header.version) {
            match frame {
                Ok(Frame::Crypto { offset, data }) => match self.server.crypto.insert(offset, data)
                {
                    Inserted::All => {}
                    Inserted::Truncated => {
                        reasons[0] = Some("server CRYPTO data beyond the buffer cap")
                    }
                    Inserted::TooFragmented => {
                        reasons[0] = Some("server CRYPTO stream too fragmented")
                    }
                },
                Ok(Frame::Ignored) => {}
                Err(reason) => reasons[1] = Some(reason),
            }
        }
        for reason in reasons.into_iter().flatten() {
            self.count(reason);
        }
        self.check_server_hello()
    }

    /// Decides whether the server's contiguous CRYPTO bytes hold a whole ServerHello.
    fn check_server_hello(&mut self) -> Option<ServerProgress> {
        let head = self.server.crypto.contiguous();
        let &msg_type = head.first()?;
        if msg_type != 0x02 {
            return Some(
                self.server_fail("server CRYPTO stream does not start with a ServerHello"),
            );
        }
        let body_len = head
            .get(1..4)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let total = body_len + 4;
        if total > caps::MAX_SERVER_CRYPTO_BYTES {
            return Some(self.server_fail("ServerHello larger than the server CRYPTO buffer cap"));
        }
        if head.len() >= total {
            self.server.server_hello_len = Some(total);
            return Some(ServerProgress::ServerHelloComplete);
        }
        None
    }
}
