//! ClientHello: the owned summary, its parser from one handshake message, and the client-stream
//! scanner that finds it in a TCP stream head.

use tls_parser::parse_tls_handshake_client_hello;

use super::extensions::{self as ext};
use super::record::{End, join_handshake_records, next_message, starts_handshake_record};
use super::{Scan, is_grease, sslv2};
use crate::dissect::limits::tls::MAX_CLIENT_HELLO_LEN;

const CLIENT_HELLO: u8 = 1;

/// What a ClientHello offers, codepoints as on the wire (GREASE kept), lists in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (for SSLv2-compatible hellos, the version field of the V2 hello).
    pub legacy_version: u16,
    /// Versions of the `supported_versions` extension (0x002b), empty if absent.
    pub supported_versions: Vec<u16>,
    /// Cipher suites. For an SSLv2 hello, the specs that are TLS suites in V2 form (first byte 0).
    pub cipher_suites: Vec<u16>,
    /// Every 3-byte cipher spec of an SSLv2-compatible hello; empty for a TLS hello.
    pub sslv2_cipher_specs: Vec<u32>,
    /// True when the hello came in SSLv2-compatible framing (RFC 5246 Appendix E.2).
    pub sslv2: bool,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// `signature_algorithms` (0x000d) in wire order.
    pub signature_algorithms: Vec<u16>,
    /// `supported_groups` (0x000a) in wire order.
    pub supported_groups: Vec<u16>,
    /// `ec_point_formats` (0x000b) in wire order.
    pub ec_point_formats: Vec<u8>,
    /// First `host_name` of `server_name` (0x0000), lossily decoded.
    pub sni: Option<String>,
    /// ALPN protocol names (0x0010), raw bytes, in order.
    pub alpn: Vec<Vec<u8>>,
    /// Extension 0xfe0d present (a GREASE ECH counts: it cannot be told apart on the wire).
    pub ech_offered: bool,
    /// Set when the extension list was cut short by an extension that overruns it; the lists hold
    /// the extensions before it (what nDPI fingerprints in that case).
    pub extensions_error: Option<&'static str>,
}

impl ClientHello {
    /// Highest non-GREASE `supported_versions` entry, else `legacy_version`.
    pub fn highest_offered_version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .filter(|&v| !is_grease(v))
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// Is the extension type present?
    pub fn has_extension(&self, ext_type: u16) -> bool {
        self.extensions.contains(&ext_type)
    }
}

/// Parses one ClientHello handshake message (4-byte header included), e.g. from QUIC CRYPTO frames.
/// Bytes after the message are ignored.
pub fn parse_client_hello_message(msg: &[u8]) -> Result<ClientHello, &'static str> {
    parse_client_hello_message_with(msg, Details::All)
}

/// Which fields of a [`ClientHello`] a parse fills. Both parse and validate the same way (same
/// result, same errors); [`Details::NamesOnly`] leaves every list but `alpn` empty (`sni`, `alpn`,
/// `legacy_version`, `ech_offered` and `extensions_error` are filled), for callers that read nothing
/// else — no fingerprint, no export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Details {
    All,
    NamesOnly,
}

/// [`parse_client_hello_message`], filling the fields `details` asks for.
pub fn parse_client_hello_message_with(
    msg: &[u8],
    details: Details,
) -> Result<ClientHello, &'static str> {
    let (message, _) = next_message(msg).ok_or("truncated handshake header")?;
    if message.msg_type != CLIENT_HELLO {
        return Err("handshake message is not a ClientHello");
    }
    if message.body_len > MAX_CLIENT_HELLO_LEN {
        return Err("ClientHello over cap");
    }
    if message.whole.is_none() {
        return Err("truncated ClientHello");
    }
    parse_body(message.body_so_far, details)
}

fn parse_body(body: &[u8], details: Details) -> Result<ClientHello, &'static str> {
    let (rest, hello) =
        parse_tls_handshake_client_hello(body).map_err(|_| "malformed ClientHello body")?;
    // tls-parser treats an extensions block that overruns the message as absent; it is an error.
    if hello.ext.is_none() && !rest.is_empty() {
        return Err("extensions block overruns the ClientHello");
    }
    let mut out = ClientHello {
        legacy_version: hello.version.0,
        ..ClientHello::default()
    };
    let mut extensions = ext::Extensions::new(hello.ext.unwrap_or_default());
    if details == Details::NamesOnly {
        for (ext_type, ext_body) in extensions.by_ref() {
            match ext_type {
                ext::SERVER_NAME if out.sni.is_none() => out.sni = ext::server_name(ext_body),
                ext::ALPN => out.alpn = ext::alpn(ext_body),
                ext::ENCRYPTED_CLIENT_HELLO => out.ech_offered = true,
                _ => {}
            }
        }
        out.extensions_error = extensions.error;
        return Ok(out);
    }
    out.cipher_suites = hello.ciphers.iter().map(|c| c.0).collect();
    // Counted first, so the type list is allocated once at its size.
    out.extensions = Vec::with_capacity(extensions.clone().count());
    for (ext_type, ext_body) in extensions.by_ref() {
        out.extensions.push(ext_type);
        match ext_type {
            ext::SERVER_NAME if out.sni.is_none() => out.sni = ext::server_name(ext_body),
            ext::ALPN => out.alpn = ext::alpn(ext_body),
            ext::SUPPORTED_VERSIONS => {
                out.supported_versions = ext::client_supported_versions(ext_body)
            }
            ext::SIGNATURE_ALGORITHMS => out.signature_algorithms = ext::u16_vector(ext_body),
            ext::SUPPORTED_GROUPS => out.supported_groups = ext::u16_vector(ext_body),
            ext::EC_POINT_FORMATS => out.ec_point_formats = ext::ec_point_formats(ext_body),
            ext::ENCRYPTED_CLIENT_HELLO => out.ech_offered = true,
            _ => {}
        }
    }
    out.extensions_error = extensions.error;
    Ok(out)
}

/// Finds the ClientHello at the start of a client's TCP stream. See the module contract.
pub fn scan_client_stream(head: &[u8]) -> Scan<ClientHello> {
    scan_client_stream_with(head, Details::All)
}

/// [`scan_client_stream`], filling the fields `details` asks for (an SSLv2-compatible hello is
/// always read whole).
pub fn scan_client_stream_with(head: &[u8], details: Details) -> Scan<ClientHello> {
    match head.first() {
        None => return Scan::NeedMore,
        Some(&first) if first & 0x80 != 0 => return sslv2::scan(head),
        Some(_) => {}
    }
    match starts_handshake_record(head) {
        None => return Scan::NeedMore,
        Some(false) => return Scan::NotTls,
        Some(true) => {}
    }
    let joined = match join_handshake_records(head, MAX_CLIENT_HELLO_LEN.saturating_add(4)) {
        Ok(joined) => joined,
        Err(reason) => return Scan::Malformed(reason),
    };
    let Some((message, _)) = next_message(&joined.bytes) else {
        return match joined.end {
            End::HeadEnds => Scan::NeedMore,
            _ => Scan::Malformed("record stream ends inside the handshake header"),
        };
    };
    if message.msg_type != CLIENT_HELLO {
        return Scan::Malformed("first handshake message is not a ClientHello");
    }
    if message.body_len > MAX_CLIENT_HELLO_LEN {
        return Scan::Malformed("ClientHello over cap");
    }
    if message.whole.is_none() {
        return match joined.end {
            End::HeadEnds => Scan::NeedMore,
            End::OtherRecord(_) => Scan::Malformed("non-handshake record inside the ClientHello"),
            End::Cap => Scan::Malformed("ClientHello over cap"),
            End::Invalid(reason) => Scan::Malformed(reason),
        };
    }
    match parse_body(message.body_so_far, details) {
        Ok(hello) => Scan::Done(hello),
        Err(reason) => Scan::Malformed(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello body (RFC 8446 §4.1.2 layout) with TLS 1.2 legacy version, two suites, the
    /// given extensions block (without its length), hand assembled.
    fn body(extensions: &[u8]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend([0u8; 32]); // random
        b.push(0); // session id
        b.extend([0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f]); // cipher suites
        b.extend([0x01, 0x00]); // compression: null
        b.extend((extensions.len() as u16).to_be_bytes());
        b.extend(extensions);
        b
    }

    fn extensions(tail: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        // server_name: list of one host_name "Example.com".
        e.extend([0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b]);
        e.extend(b"Example.com");
        // ALPN: "h2", "http/1.1".
        e.extend([0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02]);
        e.extend(b"h2");
        e.push(0x08);
        e.extend(b"http/1.1");
        // supported_groups: x25519, secp256r1.
        e.extend([0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
        // encrypted_client_hello, empty.
        e.extend([0xfe, 0x0d, 0x00, 0x00]);
        e.extend(tail);
        e
    }

    /// `Details::NamesOnly` reads the same names and reports the same problems as a full parse,
    /// and leaves the other lists empty.
    #[test]
    fn names_only_parse_keeps_names_and_errors() {
        // The second body ends with an extension claiming 256 bytes with 2 present.
        let cases = [
            (body(&extensions(&[])), None),
            (
                body(&extensions(&[0x00, 0x15, 0x01, 0x00, 0xaa, 0xbb])),
                Some("extension overruns the extensions block"),
            ),
        ];
        for (bytes, error) in cases {
            let full = parse_body(&bytes, Details::All).expect("valid body");
            let lean = parse_body(&bytes, Details::NamesOnly).expect("valid body");
            assert_eq!(full.sni.as_deref(), Some("Example.com"));
            assert_eq!(full.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
            assert_eq!(full.extensions, vec![0x0000, 0x0010, 0x000a, 0xfe0d]);
            assert_eq!(full.cipher_suites, vec![0x1301, 0xc02f]);
            assert_eq!(full.supported_groups, vec![0x001d, 0x0017]);
            assert_eq!(full.extensions_error, error);
            assert_eq!(
                (lean.sni, lean.alpn, lean.legacy_version, lean.ech_offered),
                (full.sni, full.alpn, 0x0303, true)
            );
            assert_eq!(lean.extensions_error, error);
            assert!(lean.extensions.is_empty() && lean.cipher_suites.is_empty());
            assert!(lean.supported_groups.is_empty());
        }
        // A body cut inside the cipher suites is refused by both, with one reason.
        let cut = &body(&[])[..36];
        assert_eq!(
            parse_body(cut, Details::All),
            parse_body(cut, Details::NamesOnly)
        );
        assert!(parse_body(cut, Details::All).is_err());
    }
}
