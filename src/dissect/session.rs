//! Per-flow dissection: which parser sees which bytes of a flow, and when to stop looking.
//!
//! Contract: fed with a flow's stream heads (TCP) or datagrams (UDP) and the flow's ports, it runs
//! the TLS, HTTP/1, DNS and QUIC parsers until each has what it needs, then tells the caller to
//! release the stream heads. After that every call is a flag test, so a flow costs parsing only at
//! its start. It never allocates per packet once a flow is decided (DNS messages aside: each DNS
//! response is parsed, bounded, because every answer feeds the name cache).

use super::dns::{self, DnsMessage, DnsRecord, split_tcp_messages};
use super::gquic;
use super::http::{HttpScan, scan_http_host};
use super::proxy::{Preamble, Proxy, client_preamble, server_preamble};
use super::quic::{
    QuicClientInitials, QuicProgress, ServerProgress, looks_like_client_initial, quic_version_name,
};
use super::tls::{self, ClientHello, Scan, ServerHello, TlsRecord, Transport};
use crate::flow::Direction;

/// What a flow carries, as far as the dissectors could tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppProto {
    #[default]
    Unknown,
    Tls,
    Http,
    Dns,
    Quic,
    /// Looked at and recognised as none of the above.
    Other,
}

/// Whether the caller should keep collecting a TCP direction's head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadNeed {
    More,
    Done,
}

/// Why a dissector gave up on a flow: counted by reason in the engine.
pub type DissectDrop = &'static str;

#[derive(Debug, Default)]
pub struct FlowDissector {
    pub proto: AppProto,
    client_done: bool,
    server_done: bool,
    client_hello: Option<Box<ClientHello>>,
    server_hello: Option<Box<ServerHello>>,
    pub http_host: Option<String>,
    quic: Option<Box<QuicClientInitials>>,
    /// Client datagrams after the ClientHello while no server datagram has been seen: a capture
    /// of one direction only (asymmetric routing) gives up the server side after a few.
    quic_client_only: usize,
    pub quic_version: Option<u32>,
    pub dns: Option<Box<DnsRecord>>,
    /// Bytes of each TCP direction already split into DNS messages.
    dns_tcp_consumed: [usize; 2],
    /// The last reason a parser gave up, for the engine's counters (taken once).
    drop: Option<DissectDrop>,
    /// DNS-over-TCP responses not yet handed to the caller.
    tcp_responses: Vec<DnsMessage>,
    /// A proxy preamble (HTTP CONNECT, SOCKS) before the tunnelled stream, and where the tunnelled
    /// bytes start in each direction once known.
    pub proxy: Option<Proxy>,
    /// The server name of a Google QUIC (Q0xx) cleartext CHLO.
    gquic_sni: Option<String>,
    tunnel_start: [Option<usize>; 2],
    /// The client's head may still become a proxy preamble (a SOCKS5 greeting waits for the
    /// proxy's method choice before its request): the server's head waits for the verdict.
    client_preamble_pending: bool,
    /// Set by [`FlowDissector::skip_unused_cert_names`]: the certificate's names are read only when
    /// the ClientHello gave no SNI (they are then the fallback server name).
    cert_names_only_without_sni: bool,
    /// Set by [`FlowDissector::skip_unused_cert_names`]: no use for the certificate's names at all.
    cert_names_unused: bool,
    /// Set by [`FlowDissector::skip_dns_record`]: DNS messages are not folded into [`Self::dns`].
    dns_record_unused: bool,
    /// Set by [`FlowDissector::skip_hello_details`]: how much of a ClientHello to keep.
    hello_details: Option<tls::Details>,
}

/// A long-header packet of a QUIC version whose Initials can be opened (0-RTT and Handshake packets
/// may be captured before the Initial).
fn is_quic_long_header(payload: &[u8]) -> bool {
    match payload {
        [first, v0, v1, v2, v3, ..] if first & 0xc0 == 0xc0 => {
            super::quic::version::params(u32::from_be_bytes([*v0, *v1, *v2, *v3])).is_some()
        }
        _ => false,
    }
}

/// DNS, mDNS and LLMNR ports.
fn is_dns_port(port: u16) -> bool {
    port == 53 || dns::is_mdns_or_llmnr(port)
}

/// The QR bit of a DNS header (false for anything too short to hold one: no message is read then).
fn is_dns_response(message: &[u8]) -> bool {
    message.get(2).is_some_and(|flags| flags & 0x80 != 0)
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl FlowDissector {
    /// True once nothing more is wanted from this flow's packets.
    pub fn finished(&self) -> bool {
        self.client_done && self.server_done
    }

    /// Takes the reason of the last parser that gave up, if any.
    pub fn take_drop(&mut self) -> Option<DissectDrop> {
        self.drop.take()
    }

    /// The caller keeps no record field but the server name: the server certificate's names (costly
    /// X.509 parsing) are then read only when they can become the server name, that is when the
    /// ClientHello had no SNI and `other_name_known` is false (the flow already has a name from DNS).
    /// Call before the first packet.
    pub fn skip_unused_cert_names(&mut self, other_name_known: bool) {
        self.cert_names_only_without_sni = true;
        self.cert_names_unused = other_name_known;
    }

    /// The caller never reads [`FlowDissector::dns`] (the per-flow DNS record): DNS messages are
    /// still parsed (responses feed the caller's name cache) but not folded into it. Call before
    /// the first packet.
    pub fn skip_dns_record(&mut self) {
        self.dns_record_unused = true;
    }

    /// The caller reads only the ClientHello's names (SNI, ALPN): its other lists are left empty
    /// (see [`tls::Details::NamesOnly`]). Parsing, and so every drop, is the same. Call before the
    /// first packet.
    pub fn skip_hello_details(&mut self) {
        self.hello_details = Some(tls::Details::NamesOnly);
    }

    fn details(&self) -> tls::Details {
        self.hello_details.unwrap_or(tls::Details::All)
    }

    fn give_up(&mut self, reason: DissectDrop) {
        self.drop = Some(reason);
    }

    /// A TCP direction's head grew (or the flow is ending: `last`). Returns whether to keep it.
    pub fn on_tcp_head(
        &mut self,
        dir: Direction,
        head: &[u8],
        server_port: u16,
        last: bool,
    ) -> HeadNeed {
        match dir {
            Direction::ClientToServer if !self.client_done => {
                self.client_head(head, server_port, last)
            }
            Direction::ServerToClient if !self.server_done => {
                self.server_head(head, server_port, last)
            }
            _ => HeadNeed::Done,
        }
    }

    fn client_head(&mut self, head: &[u8], server_port: u16, last: bool) -> HeadNeed {
        if self.proto == AppProto::Dns {
            return self.dns_tcp(Direction::ClientToServer, head);
        }
        // A proxy preamble first (HTTP CONNECT, SOCKS): the TLS to read comes after it.
        if self.proto == AppProto::Unknown && self.proxy.is_none() {
            let preamble = client_preamble(head);
            self.client_preamble_pending = preamble == Preamble::Pending && !last;
            match preamble {
                Preamble::Ends(proxy, at) => {
                    self.proxy = Some(proxy);
                    self.tunnel_start[0] = Some(at);
                }
                Preamble::Pending if !last => return HeadNeed::More,
                Preamble::Pending | Preamble::No => {}
            }
        }
        let head = match self.tunnel_start[0] {
            Some(at) => head.get(at..).unwrap_or(&[]),
            None => head,
        };
        if self.proxy.is_some() && head.is_empty() {
            return if last { HeadNeed::Done } else { HeadNeed::More };
        }
        if matches!(self.proto, AppProto::Unknown | AppProto::Tls) {
            match tls::scan_client_stream_with(head, self.details()) {
                Scan::Done(hello) => {
                    self.proto = AppProto::Tls;
                    self.client_hello = Some(Box::new(hello));
                    self.client_done = true;
                    return HeadNeed::Done;
                }
                Scan::NeedMore if !last => {
                    return HeadNeed::More;
                }
                // The head will not grow: a hello that began but never completed (a lost segment,
                // a hello longer than the head) is TLS we could not read, and is counted.
                Scan::NeedMore if head.first() == Some(&0x16) => {
                    self.proto = AppProto::Tls;
                    self.give_up("tls_client_hello_incomplete");
                    self.client_done = true;
                    return HeadNeed::Done;
                }
                Scan::NeedMore => {}
                Scan::Malformed(reason) => {
                    self.proto = AppProto::Tls;
                    self.give_up(reason);
                    self.client_done = true;
                    return HeadNeed::Done;
                }
                Scan::NotTls => {}
            }
            if self.proto == AppProto::Tls {
                self.client_done = true;
                return HeadNeed::Done;
            }
        }
        match scan_http_host(head) {
            HttpScan::Host(host) => {
                self.proto = AppProto::Http;
                self.http_host = Some(host);
                self.finish_non_tls();
                HeadNeed::Done
            }
            HttpScan::NoHost => {
                self.proto = AppProto::Http;
                self.finish_non_tls();
                HeadNeed::Done
            }
            HttpScan::NeedMore if !last => HeadNeed::More,
            HttpScan::NeedMore | HttpScan::NotHttp(_) => {
                if server_port == 53 {
                    self.proto = AppProto::Dns;
                    return self.dns_tcp(Direction::ClientToServer, head);
                }
                self.proto = AppProto::Other;
                self.finish_non_tls();
                HeadNeed::Done
            }
        }
    }

    fn finish_non_tls(&mut self) {
        self.client_done = true;
        self.server_done = true;
    }

    fn server_head(&mut self, head: &[u8], _server_port: u16, last: bool) -> HeadNeed {
        match self.proto {
            AppProto::Dns => return self.dns_tcp(Direction::ServerToClient, head),
            AppProto::Http | AppProto::Other | AppProto::Quic => {
                self.server_done = true;
                return HeadNeed::Done;
            }
            AppProto::Unknown | AppProto::Tls => {}
        }
        if self.client_preamble_pending && !last {
            // A SOCKS5 method choice (`05 00`) is not TLS, but the tunnel may follow it.
            return HeadNeed::More;
        }
        if let Some(proxy) = self.proxy {
            let at = match self.tunnel_start[1] {
                Some(at) => at,
                None => match server_preamble(proxy, head) {
                    Preamble::Ends(_, at) => {
                        self.tunnel_start[1] = Some(at);
                        at
                    }
                    Preamble::Pending if !last => return HeadNeed::More,
                    Preamble::Pending | Preamble::No => {
                        self.server_done = true;
                        return HeadNeed::Done;
                    }
                },
            };
            let head = head.get(at..).unwrap_or(&[]);
            if head.is_empty() && !last {
                return HeadNeed::More;
            }
            return self.server_tls(head, last);
        }
        self.server_tls(head, last)
    }

    fn server_tls(&mut self, head: &[u8], last: bool) -> HeadNeed {
        // A ClientHello not seen yet may still lack an SNI: read the names then, to be safe.
        let cert_names = !self.cert_names_only_without_sni
            || (!self.cert_names_unused
                && self.client_hello.as_ref().is_none_or(|h| h.sni.is_none()));
        let scan = tls::scan_server_stream_with(head, last, cert_names);
        match scan {
            Scan::Done(hello) => {
                self.server_hello = Some(Box::new(hello));
                self.server_done = true;
                HeadNeed::Done
            }
            Scan::NeedMore if !last => HeadNeed::More,
            Scan::NeedMore | Scan::NotTls => {
                self.server_done = true;
                HeadNeed::Done
            }
            Scan::Malformed(reason) => {
                self.give_up(reason);
                self.server_done = true;
                HeadNeed::Done
            }
        }
    }

    /// DNS over TCP: length-prefixed messages in either direction's head.
    fn dns_tcp(&mut self, dir: Direction, head: &[u8]) -> HeadNeed {
        let i = side(dir);
        let start = self.dns_tcp_consumed[i].min(head.len());
        let mut messages = split_tcp_messages(&head[start..]);
        for msg in messages.by_ref() {
            match msg {
                Ok(bytes) => {
                    let read = !self.dns_record_unused
                        || (dir == Direction::ServerToClient && is_dns_response(bytes));
                    if !read {
                        continue;
                    }
                    if let Ok(m) = dns::parse_message(bytes) {
                        self.fold_dns(&m);
                        if m.is_response && dir == Direction::ServerToClient {
                            self.tcp_responses.push(m);
                        }
                    }
                }
                Err(_) => break,
            }
        }
        self.dns_tcp_consumed[i] = start + messages.consumed();
        HeadNeed::More
    }

    /// DNS-over-TCP responses read since the last call, for the name cache.
    pub fn take_tcp_responses(&mut self) -> Vec<DnsMessage> {
        std::mem::take(&mut self.tcp_responses)
    }

    fn fold_dns(&mut self, msg: &DnsMessage) {
        if self.dns_record_unused {
            return;
        }
        self.dns.get_or_insert_with(Default::default).fold(msg);
    }

    /// A UDP datagram. DNS responses are returned so the caller can feed the name cache.
    pub fn on_udp(
        &mut self,
        dir: Direction,
        payload: &[u8],
        client_port: u16,
        server_port: u16,
    ) -> Option<DnsMessage> {
        match self.proto {
            AppProto::Unknown => {
                if is_dns_port(server_port) || is_dns_port(client_port) {
                    self.proto = AppProto::Dns;
                } else if dir == Direction::ClientToServer
                    && (looks_like_client_initial(payload) || is_quic_long_header(payload))
                {
                    self.proto = AppProto::Quic;
                    self.quic = Some(Box::default());
                } else if let Some(version) =
                    gquic::version(payload).filter(|_| dir == Direction::ClientToServer)
                {
                    self.proto = AppProto::Quic;
                    self.quic_version = Some(version);
                    self.gquic_sni = gquic::chlo_sni(payload);
                    self.finish_non_tls();
                    return None;
                } else if !payload.is_empty() {
                    self.proto = AppProto::Other;
                    self.finish_non_tls();
                    return None;
                } else {
                    return None;
                }
            }
            AppProto::Dns | AppProto::Quic => {}
            _ => return None,
        }
        match self.proto {
            AppProto::Dns => {
                // Without a record to fold them into, queries are of no use: only responses are read.
                if self.dns_record_unused && !is_dns_response(payload) {
                    return None;
                }
                let msg = dns::parse_message(payload).ok()?;
                self.fold_dns(&msg);
                // Only the server's answers feed the name cache: a "response" sent by the client
                // would let any host plant names for others.
                if msg.is_response && dir == Direction::ClientToServer {
                    self.give_up("dns_response_from_client");
                    return None;
                }
                msg.is_response.then_some(msg)
            }
            AppProto::Quic => {
                self.quic_datagram(dir, payload);
                None
            }
            _ => None,
        }
    }

    fn quic_datagram(&mut self, dir: Direction, payload: &[u8]) {
        let Some(quic) = self.quic.as_mut() else {
            return;
        };
        if dir == Direction::ServerToClient {
            // The server's Initials, until they gave the ServerHello (JA4S) or it gave up. A Q050
            // server answers a CHLO with gQUIC's REJ/SHLO, not TLS: nothing to read there.
            if quic.carries_chlo() {
                self.server_done = true;
            } else if !self.server_done {
                match quic.on_server_datagram(payload) {
                    ServerProgress::ServerHelloComplete => {
                        match quic.server_hello().map(tls::parse_server_hello_message) {
                            Some(Ok(hello)) => self.server_hello = Some(Box::new(hello)),
                            Some(Err(reason)) => self.drop = Some(reason),
                            None => {}
                        }
                        self.server_done = true;
                    }
                    ServerProgress::Failed(reason) => {
                        self.drop = Some(reason);
                        self.server_done = true;
                    }
                    ServerProgress::NeedMore => {}
                }
            }
        } else if self.client_done {
            if !self.server_done && quic.server_datagrams() == 0 {
                self.quic_client_only += 1;
                if self.quic_client_only > super::limits::quic::MAX_CLIENT_DATAGRAMS_WITHOUT_SERVER
                {
                    // Nothing from the server: its Initials are not in this capture. The
                    // decryption state (buffers and keys) is freed below.
                    self.server_done = true;
                }
            }
        } else {
            match quic.on_client_datagram(payload) {
                QuicProgress::ClientHelloComplete => {
                    self.quic_version = quic.version();
                    if quic.carries_chlo() {
                        // Google QUIC Q050: the decrypted handshake is a CHLO, not TLS.
                        self.gquic_sni = quic.client_hello().and_then(gquic::chlo_sni);
                    } else {
                        let details = self.hello_details.unwrap_or(tls::Details::All);
                        let parsed = quic
                            .client_hello()
                            .map(|msg| tls::parse_client_hello_message_with(msg, details));
                        match parsed {
                            Some(Ok(hello)) => self.client_hello = Some(Box::new(hello)),
                            Some(Err(reason)) => self.drop = Some(reason),
                            None => {}
                        }
                    }
                    quic.release_client_hello();
                    self.client_done = true;
                }
                QuicProgress::Failed(reason) => {
                    self.quic_version = quic.version();
                    self.drop = Some(reason);
                    // Without the client's keys the server's Initials cannot be opened either.
                    self.client_done = true;
                    self.server_done = true;
                }
                QuicProgress::NeedMore | QuicProgress::NotQuic => {}
            }
        }
        if self.client_done && self.server_done {
            // The decryption state is large; the hello summaries are all that is kept.
            self.quic = None;
        }
    }

    /// The SNI of the client's hello (TLS or QUIC).
    pub fn sni(&self) -> Option<&str> {
        match &self.client_hello {
            Some(hello) => hello.sni.as_deref(),
            None => self.gquic_sni.as_deref(),
        }
    }

    /// The server name of a Google QUIC cleartext CHLO.
    pub fn gquic_sni(&self) -> Option<&str> {
        self.gquic_sni.as_deref()
    }

    pub fn client_hello(&self) -> Option<&ClientHello> {
        self.client_hello.as_deref()
    }

    pub fn server_hello(&self) -> Option<&ServerHello> {
        self.server_hello.as_deref()
    }

    /// The `tls` object of the flow record, when a hello was seen.
    pub fn tls_record(&self) -> Option<TlsRecord> {
        if self.client_hello.is_none() && self.server_hello.is_none() {
            return None;
        }
        let transport = if self.proto == AppProto::Quic {
            Transport::Quic
        } else {
            Transport::Tcp
        };
        Some(TlsRecord::from_hellos(
            self.client_hello.as_deref(),
            self.server_hello.as_deref(),
            transport,
        ))
    }

    pub fn quic_version_name(&self) -> Option<String> {
        self.quic_version.map(quic_version_name)
    }
}

impl FlowDissector {
    /// TLS over TCP, or the TLS inside QUIC.
    pub fn transport(&self) -> Transport {
        if self.proto == AppProto::Quic {
            Transport::Quic
        } else {
            Transport::Tcp
        }
    }

    /// Moves the hellos out (the flow has ended).
    pub fn take_hellos(&mut self) -> (Option<Box<ClientHello>>, Option<Box<ServerHello>>) {
        (self.client_hello.take(), self.server_hello.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::limits::quic::MAX_CLIENT_DATAGRAMS_WITHOUT_SERVER;
    use crate::dissect::quic::rfc_vectors::{RFC9001_CLIENT_INITIAL, RFC9001_SERVER_INITIAL};
    use crate::dissect::quic::test_support::hex;

    /// A short-header packet: the client's 1-RTT data after its Initial.
    const SHORT: &[u8] = &[0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    #[test]
    fn one_sided_quic_gives_up_the_server_side_after_a_few_client_datagrams() {
        let mut d = FlowDissector::default();
        d.on_udp(
            Direction::ClientToServer,
            &hex(RFC9001_CLIENT_INITIAL),
            50000,
            443,
        );
        assert!(d.client_hello().is_some(), "RFC 9001 A.2 ClientHello read");
        for _ in 0..MAX_CLIENT_DATAGRAMS_WITHOUT_SERVER {
            d.on_udp(Direction::ClientToServer, SHORT, 50000, 443);
        }
        assert!(!d.finished(), "still waiting for the server's Initial");
        d.on_udp(Direction::ClientToServer, SHORT, 50000, 443);
        assert!(d.finished(), "no server datagram: its side is given up");
        assert!(d.quic.is_none(), "decryption state freed");
    }

    #[test]
    fn a_server_heard_from_keeps_its_side_open() {
        let mut d = FlowDissector::default();
        d.on_udp(
            Direction::ClientToServer,
            &hex(RFC9001_CLIENT_INITIAL),
            50000,
            443,
        );
        // Something from the server that is not (yet) its ServerHello.
        d.on_udp(Direction::ServerToClient, SHORT, 443, 50000);
        for _ in 0..2 * MAX_CLIENT_DATAGRAMS_WITHOUT_SERVER {
            d.on_udp(Direction::ClientToServer, SHORT, 50000, 443);
        }
        assert!(!d.finished());
        d.on_udp(
            Direction::ServerToClient,
            &hex(RFC9001_SERVER_INITIAL),
            443,
            50000,
        );
        assert!(d.server_hello().is_some(), "RFC 9001 A.3 ServerHello read");
        assert!(d.finished());
    }
}
