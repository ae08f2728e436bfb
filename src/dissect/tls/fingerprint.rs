//! JA3 / JA3S (Salesforce, BSD 3-Clause), JA4 (FoxIO, BSD 3-Clause) and, behind the `ja4plus`
//! feature, JA4S (FoxIO License 1.1). See the module documentation of `dissect::tls` for the
//! choices where the specifications and the reference tools differ.

use std::fmt::Write as _;

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::extensions::{ALPN, SERVER_NAME};
use super::{ClientHello, ServerHello, Transport, is_grease};

/// Lowercase hex of a digest, cut to `len` characters.
fn hex_prefix(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out.truncate(len);
    out
}

/// First 12 hex characters of SHA-256, `000000000000` for an empty input (JA4 spec).
fn ja4_hash(text: &str) -> String {
    if text.is_empty() {
        return "000000000000".to_owned();
    }
    hex_prefix(&Sha256::digest(text.as_bytes()), 12)
}

fn join_decimal<T: ToString>(values: impl Iterator<Item = T>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join("-")
}

fn join_hex(values: &[u32]) -> String {
    values
        .iter()
        .map(|v| format!("{v:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// JA4's two-character version code.
fn ja4_version(version: u16) -> &'static str {
    match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's ALPN part: first and last character of the first ALPN value, `00` if none or empty.
/// Like FoxIO's reference tools (not the current spec's hex rule), a non-ASCII byte prints as `9`.
/// A one-byte value prints that byte twice (spec: first and last character are the same one).
fn ja4_alpn(first_value: Option<&[u8]>) -> String {
    let printable = |byte: u8| {
        if byte.is_ascii() {
            char::from(byte)
        } else {
            '9'
        }
    };
    match first_value {
        Some([first, .., last]) => format!("{}{}", printable(*first), printable(*last)),
        Some([only]) => format!("{}{}", printable(*only), printable(*only)),
        _ => "00".to_owned(),
    }
}

fn count2(n: usize) -> String {
    format!("{:02}", n.min(99))
}

/// The three parts of JA4: prefix, sorted cipher list, sorted extension list `_` signature algorithms.
struct Ja4Parts {
    prefix: String,
    ciphers: String,
    extensions_and_sigs: String,
}

impl ClientHello {
    /// JA3 string: `version,ciphers,extensions,groups,point_formats` in decimal, GREASE removed.
    /// For an SSLv2 hello the ciphers are its 24-bit specs and the other lists are empty.
    pub fn ja3_string(&self) -> String {
        let ciphers = if self.sslv2 {
            join_decimal(self.sslv2_cipher_specs.iter())
        } else {
            join_decimal(self.cipher_suites.iter().filter(|&&c| !is_grease(c)))
        };
        format!(
            "{},{},{},{},{}",
            self.legacy_version,
            ciphers,
            join_decimal(self.extensions.iter().filter(|&&e| !is_grease(e))),
            join_decimal(self.supported_groups.iter().filter(|&&g| !is_grease(g))),
            join_decimal(self.ec_point_formats.iter()),
        )
    }

    /// JA3: MD5 of [`Self::ja3_string`], lowercase hex.
    pub fn ja3_hash(&self) -> String {
        hex_prefix(&Md5::digest(self.ja3_string().as_bytes()), 32)
    }

    fn ja4_parts(&self, transport: Transport) -> Ja4Parts {
        let ciphers: Vec<u32> = if self.sslv2 {
            self.sslv2_cipher_specs.clone()
        } else {
            self.cipher_suites
                .iter()
                .filter(|&&c| !is_grease(c))
                .map(|&c| u32::from(c))
                .collect()
        };
        let extensions: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|&e| !is_grease(e))
            .collect();
        let sni = if self.has_extension(SERVER_NAME) {
            'd'
        } else {
            'i'
        };
        let prefix = format!(
            "{}{}{}{}{}{}",
            transport.ja4_prefix(),
            ja4_version(self.highest_offered_version()),
            sni,
            count2(ciphers.len()),
            count2(extensions.len()),
            ja4_alpn(self.alpn.first().map(Vec::as_slice)),
        );
        // The references sort the hex strings; for 4-digit values that is numeric order, and it
        // fixes the order of 6-digit SSLv2 specs among them.
        let mut cipher_hex: Vec<String> = ciphers.iter().map(|c| format!("{c:04x}")).collect();
        cipher_hex.sort_unstable();
        let mut hashed_extensions: Vec<u32> = extensions
            .iter()
            .filter(|&&e| e != SERVER_NAME && e != ALPN)
            .map(|&e| u32::from(e))
            .collect();
        hashed_extensions.sort_unstable();
        let sigs: Vec<u32> = self
            .signature_algorithms
            .iter()
            .filter(|&&s| !is_grease(s))
            .map(|&s| u32::from(s))
            .collect();
        let mut extensions_and_sigs = join_hex(&hashed_extensions);
        if !sigs.is_empty() {
            extensions_and_sigs.push('_');
            extensions_and_sigs.push_str(&join_hex(&sigs));
        }
        Ja4Parts {
            prefix,
            ciphers: cipher_hex.join(","),
            extensions_and_sigs,
        }
    }

    /// JA4 (FoxIO, BSD 3-Clause).
    pub fn ja4(&self, transport: Transport) -> String {
        let parts = self.ja4_parts(transport);
        format!(
            "{}_{}_{}",
            parts.prefix,
            ja4_hash(&parts.ciphers),
            ja4_hash(&parts.extensions_and_sigs)
        )
    }

    /// JA4_r: JA4 with the sorted lists in clear instead of hashed.
    pub fn ja4_r(&self, transport: Transport) -> String {
        let parts = self.ja4_parts(transport);
        format!(
            "{}_{}_{}",
            parts.prefix, parts.ciphers, parts.extensions_and_sigs
        )
    }
}

impl ServerHello {
    /// JA3S string: `version,cipher,extensions` in decimal (GREASE removed, as in JA3).
    pub fn ja3s_string(&self) -> String {
        format!(
            "{},{},{}",
            self.legacy_version,
            self.cipher_suite,
            join_decimal(self.extensions.iter().filter(|&&e| !is_grease(e))),
        )
    }

    /// JA3S: MD5 of [`Self::ja3s_string`], lowercase hex.
    pub fn ja3s_hash(&self) -> String {
        hex_prefix(&Md5::digest(self.ja3s_string().as_bytes()), 32)
    }

    #[cfg(feature = "ja4plus")]
    fn ja4s_parts(&self, transport: Transport) -> (String, String) {
        let prefix = format!(
            "{}{}{}{}_{:04x}",
            transport.ja4_prefix(),
            ja4_version(self.negotiated_version()),
            count2(self.extensions.len()),
            ja4_alpn(self.alpn.as_deref()),
            self.cipher_suite,
        );
        let extensions: Vec<u32> = self.extensions.iter().map(|&e| u32::from(e)).collect();
        (prefix, join_hex(&extensions))
    }

    /// JA4S (FoxIO License 1.1, `ja4plus` feature): extensions in wire order, GREASE kept.
    #[cfg(feature = "ja4plus")]
    pub fn ja4s(&self, transport: Transport) -> String {
        let (prefix, extensions) = self.ja4s_parts(transport);
        format!("{prefix}_{}", ja4_hash(&extensions))
    }

    /// JA4S_r (FoxIO License 1.1, `ja4plus` feature).
    #[cfg(feature = "ja4plus")]
    pub fn ja4s_r(&self, transport: Transport) -> String {
        let (prefix, extensions) = self.ja4s_parts(transport);
        format!("{prefix}_{extensions}")
    }
}
