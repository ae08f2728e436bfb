//! TLS handshake dissector: ClientHello and ServerHello summaries, the server certificate's names,
//! and the JA3 / JA3S / JA4 (and, behind the `ja4plus` feature, JA4S) fingerprints.
//!
//! # Contract
//!
//! - **Accepts** the first bytes of one direction of a TCP connection, in order, from its first byte
//!   ([`scan_client_stream`], [`scan_server_stream`]), or one handshake message with its 4-byte
//!   header ([`parse_client_hello_message`], [`parse_server_hello_message`], for QUIC's CRYPTO
//!   streams). The bytes may stop anywhere.
//! - **Promises** a [`Scan`] verdict for every input: `NeedMore` when the hello is cut short (call
//!   again with a longer head), `NotTls` from the first bytes when they cannot start a TLS stream
//!   (plain HTTP and other protocols are rejected after at most five bytes), `Malformed(reason)` with
//!   a static reason to count drops by, or `Done` with an owned summary. A ClientHello split over
//!   several records, and records split over segments, are handled; SSLv2-compatible ClientHellos
//!   (RFC 5246 Appendix E.2) are parsed too.
//! - **Keeps** wire codepoints as integers, GREASE included, in wire order, so that every
//!   fingerprint (and its raw form) can be rebuilt; GREASE is dropped only where the fingerprint
//!   specifications say so.
//! - **Never** panics, performs I/O, reads a clock or keeps state between calls; it never buffers
//!   more than the caps of [`crate::dissect::limits::tls`].
//!
//! Record and handshake framing use `tls-parser`; extension contents are read here, leniently (a
//! malformed extension body keeps its type in the lists, as Wireshark-based reference tools do).
//!
//! # Fingerprints and their licences
//!
//! - **JA3 / JA3S** (Salesforce, BSD 3-Clause): [`ClientHello::ja3_string`], [`ServerHello::ja3s_string`].
//! - **JA4** (FoxIO, BSD 3-Clause, `LICENSE-JA4`): [`ClientHello::ja4`], [`ClientHello::ja4_r`].
//!   Values match FoxIO's reference implementations (Python `ja4.py` and the Rust `ja4` crate),
//!   including their quirk on non-ASCII ALPN bytes (printed as `9`, not as the spec's hex digits).
//! - **JA4S** is a JA4+ method under the **FoxIO License 1.1** (non-commercial; not BSD). It is only
//!   compiled with the opt-in `ja4plus` feature.
//!
//! # Choices (documented here because the specifications leave them open)
//!
//! - **SSLv2-compatible ClientHello**: its 3-byte cipher specs are kept as `u32` in
//!   [`ClientHello::sslv2_cipher_specs`] and also appear in [`ClientHello::cipher_suites`] when they
//!   are TLS suites in V2 form (first byte 0). The Salesforce JA3 script skips SSLv2 hellos; JA3
//!   here follows Zeek's JA3 script, whose `ssl_client_hello` event also fires for SSLv2 hellos
//!   with the specs as 24-bit integers (our reading of Zeek's SSLv2 analyzer, not checked against
//!   a Zeek run): `version,specs-in-decimal,,,`. JA4 uses every spec as lowercase hex of at least four
//!   digits (V2-form TLS suites read as usual, SSLv2-only specs as six digits), sorted as strings
//!   like the references sort their hex lists; version from the hello (`s2` for 0x0002); no
//!   extensions: `ts2iNN0000_<hash>_000000000000`. No reference tool fingerprints SSLv2 with JA4.
//! - **JA4 ALPN part**: non-ASCII bytes print as `9` (the references), other ASCII bytes as
//!   themselves; a one-byte first value prints twice and an empty one as `00` (the JA4 spec).
//! - **ECH**: [`ClientHello::ech_offered`] is true when extension 0xfe0d is present. A GREASE ECH
//!   (draft-ietf-tls-esni §6.2) is by design indistinguishable on the wire from a real one, so it
//!   counts as offered.
//! - **`TlsRecord::cipher`** is the IANA codepoint as `"0x1301"` (lowercase hex): names are not known
//!   for every codepoint and hex keeps GREASE and private values.

mod cert;
mod client_hello;
mod extensions;
mod fingerprint;
mod record;
mod server_hello;
mod sslv2;

pub use client_hello::{
    ClientHello, Details, parse_client_hello_message, parse_client_hello_message_with,
    scan_client_stream, scan_client_stream_with,
};
pub use server_hello::{
    ServerHello, parse_server_hello_message, scan_server_stream, scan_server_stream_final,
    scan_server_stream_with,
};

use serde::Serialize;

/// The verdict of a scan over a stream head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scan<T> {
    /// The head is a valid but incomplete start: call again with more bytes.
    NeedMore,
    /// The first bytes cannot start this side of a TLS handshake.
    NotTls,
    /// The summary, read as soon as everything it needs was in the head.
    Done(T),
    /// TLS framing was recognised but the content is invalid; the reason is static, for counting.
    Malformed(&'static str),
}

/// What carries the handshake: the first character of JA4 / JA4S.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TLS over TCP (`t`).
    Tcp,
    /// QUIC (`q`).
    Quic,
}

impl Transport {
    fn ja4_prefix(self) -> char {
        match self {
            Transport::Tcp => 't',
            Transport::Quic => 'q',
        }
    }
}

/// GREASE values (RFC 8701): `0x?a?a` with both bytes equal.
pub fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

/// `"1.3"`, `"1.2"`, `"1.1"`, `"1.0"`, `"ssl3"`, `"ssl2"`, else the codepoint as `"0x7f1c"`.
pub fn version_name(version: u16) -> String {
    match version {
        0x0304 => "1.3".to_owned(),
        0x0303 => "1.2".to_owned(),
        0x0302 => "1.1".to_owned(),
        0x0301 => "1.0".to_owned(),
        0x0300 => "ssl3".to_owned(),
        0x0002 => "ssl2".to_owned(),
        other => format!("0x{other:04x}"),
    }
}

/// The TLS part of a flow record (schema `aiwatch.flow/1`): what the exporters print.
#[derive(Serialize, Default, Clone, Debug, PartialEq)]
pub struct TlsRecord {
    /// Negotiated version when a ServerHello was seen, else the client's highest offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// The client's ALPN offers (non-UTF-8 bytes replaced by U+FFFD).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja3_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4_r: Option<String>,
    /// Only filled with the `ja4plus` feature (FoxIO License 1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4s: Option<String>,
    /// The server's chosen cipher suite as IANA hex, `"0x1301"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Whether the client offered ECH (extension 0xfe0d, GREASE ECH included); None without a hello.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ech: Option<bool>,
    /// Subject CN and subjectAltName DNS names of the server certificate (TLS ≤ 1.2 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cert_names: Vec<String>,
}

impl TlsRecord {
    /// Builds the record from whichever hellos were seen.
    pub fn from_hellos(
        client: Option<&ClientHello>,
        server: Option<&ServerHello>,
        transport: Transport,
    ) -> TlsRecord {
        let mut record = TlsRecord::default();
        if let Some(ch) = client {
            record.version = Some(version_name(ch.highest_offered_version()));
            record.sni = ch.sni.clone();
            record.alpn = ch
                .alpn
                .iter()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .collect();
            let (ja3, ja3_hash) = ch.ja3_string_and_hash();
            record.ja3 = Some(ja3);
            record.ja3_hash = Some(ja3_hash);
            let (ja4, ja4_r) = ch.ja4_and_ja4_r(transport);
            record.ja4 = Some(ja4);
            record.ja4_r = Some(ja4_r);
            record.ech = Some(ch.ech_offered);
        }
        if let Some(sh) = server {
            record.version = Some(version_name(sh.negotiated_version()));
            record.cipher = Some(format!("0x{:04x}", sh.cipher_suite));
            record.cert_names = sh.cert_names.clone();
            #[cfg(feature = "ja4plus")]
            {
                record.ja4s = Some(sh.ja4s(transport));
            }
        }
        record
    }
}
