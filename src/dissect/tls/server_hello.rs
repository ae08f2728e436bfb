//! ServerHello: the owned summary and the server-stream scanner, which also reads the names of the
//! first certificate of a TLS ≤ 1.2 Certificate message (TLS 1.3 encrypts it).

use tls_parser::{TlsMessageHandshake, parse_tls_handshake_msg_server_hello};

use super::extensions::{self as ext};
use super::record::{End, join_handshake_records, next_message, starts_handshake_record};
use super::{Scan, cert};
use crate::dissect::limits::tls::MAX_SERVER_FLIGHT_LEN;

const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
const ALERT_RECORD: u8 = 0x15;

/// `random` of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What the server chose, codepoints as on the wire, extensions in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (0x0303 for TLS 1.3).
    pub legacy_version: u16,
    /// The `supported_versions` extension's selected version, if present.
    pub selected_version: Option<u16>,
    pub cipher_suite: u16,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// The ALPN protocol the server selected, raw bytes.
    pub alpn: Option<Vec<u8>>,
    /// True when this ServerHello is a TLS 1.3 HelloRetryRequest.
    pub hello_retry_request: bool,
    /// Subject CNs and subjectAltName DNS names of the first certificate (TLS ≤ 1.2 only).
    pub cert_names: Vec<String>,
    /// Why the certificate's names could not be read, when a Certificate message was seen.
    pub cert_error: Option<&'static str>,
    /// Set when the extension list was cut short by an extension that overruns it.
    pub extensions_error: Option<&'static str>,
}

impl ServerHello {
    /// The version in force: `supported_versions` if present, else `legacy_version`.
    pub fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }

    /// TLS 1.3 (or a 1.3 draft, 0x7fXX): the rest of the flight is encrypted.
    fn encrypts_rest(&self) -> bool {
        let version = self.negotiated_version();
        version >= 0x0304 || version >> 8 == 0x7f || self.hello_retry_request
    }
}

/// Parses one ServerHello handshake message, its 4-byte header included, as QUIC carries it in the
/// server's Initial CRYPTO stream (RFC 9001 §4). Trailing bytes after the message are ignored.
pub fn parse_server_hello_message(msg: &[u8]) -> Result<ServerHello, &'static str> {
    let (message, _) = next_message(msg).ok_or("truncated handshake header")?;
    if message.msg_type != SERVER_HELLO {
        return Err("handshake message is not a ServerHello");
    }
    if message.body_len > MAX_SERVER_FLIGHT_LEN {
        return Err("ServerHello over cap");
    }
    if message.whole.is_none() {
        return Err("truncated ServerHello");
    }
    parse_body(message.body_so_far)
}

/// Parses a ServerHello body (without the 4-byte handshake header).
fn parse_body(body: &[u8]) -> Result<ServerHello, &'static str> {
    let (rest, message) =
        parse_tls_handshake_msg_server_hello(body).map_err(|_| "malformed ServerHello body")?;
    let (legacy_version, random, cipher_suite, ext_block) = match message {
        TlsMessageHandshake::ServerHello(sh) => (sh.version.0, sh.random, sh.cipher.0, sh.ext),
        TlsMessageHandshake::ServerHelloV13Draft18(sh) => {
            (sh.version.0, sh.random, sh.cipher.0, sh.ext)
        }
        _ => return Err("malformed ServerHello body"),
    };
    if ext_block.is_none() && !rest.is_empty() && legacy_version != 0x0300 {
        return Err("extensions block overruns the ServerHello");
    }
    let mut out = ServerHello {
        legacy_version,
        cipher_suite,
        hello_retry_request: random == HELLO_RETRY_REQUEST_RANDOM,
        ..ServerHello::default()
    };
    let mut extensions = ext::Extensions::new(ext_block.unwrap_or_default());
    out.extensions = Vec::with_capacity(extensions.clone().count());
    for (ext_type, ext_body) in extensions.by_ref() {
        out.extensions.push(ext_type);
        match ext_type {
            ext::SUPPORTED_VERSIONS => {
                out.selected_version = ext::server_supported_version(ext_body)
            }
            ext::ALPN => out.alpn = ext::alpn_first(ext_body),
            _ => {}
        }
    }
    out.extensions_error = extensions.error;
    Ok(out)
}

/// The first certificate of a Certificate body (TLS ≤ 1.2, RFC 5246 §7.4.2), once its bytes are in.
/// `None` when they are not all there yet.
fn first_certificate(body_so_far: &[u8]) -> Option<Result<&[u8], &'static str>> {
    let len_at = |at: usize| -> Option<usize> {
        let bytes = body_so_far.get(at..at + 3)?;
        Some(
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
        )
    };
    let list_len = len_at(0)?;
    if list_len == 0 {
        return Some(Err("empty certificate list"));
    }
    let cert_len = len_at(3)?;
    if cert_len.saturating_add(3) > list_len {
        return Some(Err("certificate overruns its list"));
    }
    body_so_far.get(6..6 + cert_len).map(Ok)
}

/// Finds the ServerHello (and, for TLS ≤ 1.2, the first certificate's names) at the start of a
/// server's TCP stream. See the module contract.
pub fn scan_server_stream(head: &[u8]) -> Scan<ServerHello> {
    scan(head, false, true)
}

/// [`scan_server_stream`] for a head that will not grow (the flow ended, or the head reached its
/// cap): a complete ServerHello whose certificate is cut short gives `Done` without names (and a
/// `cert_error`) instead of `NeedMore`, so the ServerHello is not lost.
pub fn scan_server_stream_final(head: &[u8]) -> Scan<ServerHello> {
    scan(head, true, true)
}

/// [`scan_server_stream`] (or its `_final` form) that stops at the ServerHello when the caller has no
/// use for the certificate's names (`cert_names == false`): the ServerHello is the same, with empty
/// `cert_names` and no `cert_error`, and the Certificate message is neither awaited nor parsed.
pub fn scan_server_stream_with(
    head: &[u8],
    head_is_final: bool,
    cert_names: bool,
) -> Scan<ServerHello> {
    scan(head, head_is_final, cert_names)
}

fn scan(head: &[u8], head_is_final: bool, read_cert_names: bool) -> Scan<ServerHello> {
    match starts_handshake_record(head) {
        None => return Scan::NeedMore,
        Some(false) if head.first() == Some(&ALERT_RECORD) => {
            return Scan::Malformed("alert instead of a ServerHello");
        }
        Some(false) => return Scan::NotTls,
        Some(true) => {}
    }
    let joined = match join_handshake_records(head, MAX_SERVER_FLIGHT_LEN) {
        Ok(joined) => joined,
        Err(reason) => return Scan::Malformed(reason),
    };
    let more_may_come = joined.end == End::HeadEnds && !head_is_final;
    let Some((message, rest)) = next_message(&joined.bytes) else {
        return if more_may_come {
            Scan::NeedMore
        } else {
            Scan::Malformed("record stream ends inside the handshake header")
        };
    };
    if message.msg_type != SERVER_HELLO {
        return Scan::Malformed("first handshake message is not a ServerHello");
    }
    if message.whole.is_none() {
        return match joined.end {
            End::HeadEnds if head_is_final => Scan::Malformed("stream ends inside the ServerHello"),
            End::HeadEnds => Scan::NeedMore,
            End::OtherRecord(_) => Scan::Malformed("non-handshake record inside the ServerHello"),
            End::Cap => Scan::Malformed("ServerHello over cap"),
            End::Invalid(reason) => Scan::Malformed(reason),
        };
    }
    let mut hello = match parse_body(message.body_so_far) {
        Ok(hello) => hello,
        Err(reason) => return Scan::Malformed(reason),
    };
    if hello.encrypts_rest() || !read_cert_names {
        return Scan::Done(hello);
    }
    // TLS ≤ 1.2: a Certificate may follow (not on resumption or with anonymous/PSK suites).
    let Some((next, _)) = next_message(rest) else {
        return if more_may_come {
            Scan::NeedMore
        } else {
            Scan::Done(hello)
        };
    };
    if next.msg_type != CERTIFICATE {
        return Scan::Done(hello);
    }
    match first_certificate(next.body_so_far) {
        None if more_may_come => Scan::NeedMore,
        None => {
            hello.cert_error = Some("certificate cut short");
            Scan::Done(hello)
        }
        Some(Err(reason)) => {
            hello.cert_error = Some(reason);
            Scan::Done(hello)
        }
        Some(Ok(der)) => {
            match cert::names(der) {
                Ok(names) => hello.cert_names = names,
                Err(reason) => hello.cert_error = Some(reason),
            }
            Scan::Done(hello)
        }
    }
}
