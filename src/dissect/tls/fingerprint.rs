//! JA3 / JA3S (Salesforce, BSD 3-Clause), JA4 (FoxIO, BSD 3-Clause) and, behind the `ja4plus`
//! feature, JA4S (FoxIO License 1.1). See the module documentation of `dissect::tls` for the
//! choices where the specifications and the reference tools differ.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::extensions::{ALPN, SERVER_NAME};
use super::{ClientHello, ServerHello, Transport, is_grease};

// The strings are built by appending digits to one pre-sized `String`: `format!` and
// `Vec<String>::join` per number cost an allocation and a trip through `core::fmt` each, which made
// fingerprinting the dearest step of an export.

/// The lowercase hex digit of the low four bits of `value`.
fn hex_digit(value: u32) -> char {
    // The mask keeps the value below 16, so `from_digit` always succeeds.
    char::from_digit(value & 0xf, 16).unwrap_or('0')
}

/// Appends `value` in lowercase hex, at least four digits (`{value:04x}`).
fn push_hex4(out: &mut String, value: u32) {
    let digits = (32 - value.leading_zeros()).div_ceil(4).max(4);
    for place in (0..digits).rev() {
        out.push(hex_digit(value >> (place * 4)));
    }
}

/// Appends `value` in decimal (`{value}`).
fn push_decimal(out: &mut String, value: u32) {
    let mut digits = [0u8; 10];
    let mut rest = value;
    let mut used = 0;
    for slot in digits.iter_mut().rev() {
        // `rest % 10` is a single decimal digit.
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
        used += 1;
        if rest == 0 {
            break;
        }
    }
    for &digit in digits.iter().skip(digits.len() - used) {
        out.push(char::from(digit));
    }
}

/// Appends the values in decimal, separated by `-` (JA3's list form).
fn push_decimal_list(out: &mut String, values: impl Iterator<Item = u32>) {
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_decimal(out, value);
    }
}

/// Appends the values as `{:04x}`, separated by `,` (JA4's list form).
fn push_hex_list(out: &mut String, values: &[u32]) {
    for (i, &value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_hex4(out, value);
    }
}

/// Appends the lowercase hex of the first `len` hex characters of a digest.
fn push_hex_prefix(out: &mut String, bytes: &[u8], len: usize) {
    for byte in bytes.iter().take(len.div_ceil(2)) {
        out.push(hex_digit(u32::from(*byte) >> 4));
        out.push(hex_digit(u32::from(*byte)));
    }
    if len % 2 == 1 {
        out.pop();
    }
}

/// Lowercase hex of an MD5 digest (32 characters).
fn md5_hex(text: &str) -> String {
    let mut out = String::with_capacity(32);
    push_hex_prefix(&mut out, &Md5::digest(text.as_bytes()), 32);
    out
}

/// Appends the first 12 hex characters of SHA-256, `000000000000` for an empty input (JA4 spec).
fn push_ja4_hash(out: &mut String, text: &str) {
    if text.is_empty() {
        out.push_str("000000000000");
    } else {
        push_hex_prefix(out, &Sha256::digest(text.as_bytes()), 12);
    }
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

/// Appends JA4's ALPN part: first and last character of the first ALPN value, `00` if none or
/// empty. Like FoxIO's reference tools (not the current spec's hex rule), a non-ASCII byte prints
/// as `9`. A one-byte value prints that byte twice (spec: first and last character are the same
/// one).
fn push_ja4_alpn(out: &mut String, first_value: Option<&[u8]>) {
    let printable = |byte: u8| {
        if byte.is_ascii() {
            char::from(byte)
        } else {
            '9'
        }
    };
    match first_value {
        Some([first, .., last]) => {
            out.push(printable(*first));
            out.push(printable(*last));
        }
        Some([only]) => {
            out.push(printable(*only));
            out.push(printable(*only));
        }
        _ => out.push_str("00"),
    }
}

/// Appends a count as two decimal digits, capped at 99 (`{:02}`).
fn push_count2(out: &mut String, n: usize) {
    let n = u32::try_from(n.min(99)).unwrap_or(99);
    out.push(hex_digit(n / 10));
    out.push(hex_digit(n % 10));
}

/// Ordering of the `{:04x}` texts of two values, the order the reference tools sort JA4's cipher
/// list in (for 4-digit values that is numeric order; 6-digit SSLv2 specs fall among them by text).
fn hex_text_order(a: u32, b: u32) -> std::cmp::Ordering {
    let text = |value: u32| {
        let mut digits = [0u8; 8];
        let len = (32 - value.leading_zeros()).div_ceil(4).max(4);
        for (i, slot) in digits.iter_mut().take(len as usize).enumerate() {
            // `len - 1 - i` is below 8, so the shift stays below 32.
            let place = len - 1 - i as u32;
            *slot = hex_digit(value >> (place * 4)) as u8;
        }
        (digits, len as usize)
    };
    let (a_digits, a_len) = text(a);
    let (b_digits, b_len) = text(b);
    a_digits.get(..a_len).cmp(&b_digits.get(..b_len))
}

/// JA4_r with where its two hashed lists lie in it: `prefix_ciphers_extensions[_sigs]`.
struct Ja4Raw {
    text: String,
    ciphers: std::ops::Range<usize>,
    extensions_and_sigs: std::ops::Range<usize>,
}

impl Ja4Raw {
    /// JA4: the raw lists replaced by their truncated SHA-256.
    fn hashed(&self) -> String {
        let part = |range: &std::ops::Range<usize>| self.text.get(range.clone()).unwrap_or("");
        let prefix = self.text.get(..self.ciphers.start).unwrap_or("");
        let mut out = String::with_capacity(prefix.len() + 25);
        out.push_str(prefix);
        push_ja4_hash(&mut out, part(&self.ciphers));
        out.push('_');
        push_ja4_hash(&mut out, part(&self.extensions_and_sigs));
        out
    }
}

impl ClientHello {
    /// JA3 string: `version,ciphers,extensions,groups,point_formats` in decimal, GREASE removed.
    /// For an SSLv2 hello the ciphers are its 24-bit specs and the other lists are empty.
    pub fn ja3_string(&self) -> String {
        let numbers = self.cipher_suites.len()
            + self.sslv2_cipher_specs.len()
            + self.extensions.len()
            + self.supported_groups.len()
            + self.ec_point_formats.len();
        let mut out = String::with_capacity(10 + 6 * numbers);
        push_decimal(&mut out, u32::from(self.legacy_version));
        out.push(',');
        if self.sslv2 {
            push_decimal_list(&mut out, self.sslv2_cipher_specs.iter().copied());
        } else {
            push_decimal_list(&mut out, non_grease(&self.cipher_suites));
        }
        out.push(',');
        push_decimal_list(&mut out, non_grease(&self.extensions));
        out.push(',');
        push_decimal_list(&mut out, non_grease(&self.supported_groups));
        out.push(',');
        push_decimal_list(
            &mut out,
            self.ec_point_formats.iter().map(|&f| u32::from(f)),
        );
        out
    }

    /// JA3: MD5 of [`Self::ja3_string`], lowercase hex.
    pub fn ja3_hash(&self) -> String {
        md5_hex(&self.ja3_string())
    }

    /// The JA3 string and its hash, the string built once.
    pub(super) fn ja3_string_and_hash(&self) -> (String, String) {
        let text = self.ja3_string();
        let hash = md5_hex(&text);
        (text, hash)
    }

    fn ja4_raw(&self, transport: Transport) -> Ja4Raw {
        let mut ciphers: Vec<u32> = if self.sslv2 {
            self.sslv2_cipher_specs.clone()
        } else {
            non_grease(&self.cipher_suites).collect()
        };
        let extension_count = self.extensions.iter().filter(|&&e| !is_grease(e)).count();
        let mut hashed_extensions: Vec<u32> = non_grease(&self.extensions)
            .filter(|&e| e != u32::from(SERVER_NAME) && e != u32::from(ALPN))
            .collect();
        hashed_extensions.sort_unstable();
        let sni = if self.has_extension(SERVER_NAME) {
            'd'
        } else {
            'i'
        };
        let mut text = String::with_capacity(
            14 + 7 * ciphers.len()
                + 5 * hashed_extensions.len()
                + 5 * self.signature_algorithms.len(),
        );
        text.push(transport.ja4_prefix());
        text.push_str(ja4_version(self.highest_offered_version()));
        text.push(sni);
        push_count2(&mut text, ciphers.len());
        push_count2(&mut text, extension_count);
        push_ja4_alpn(&mut text, self.alpn.first().map(Vec::as_slice));
        text.push('_');
        // The references sort the hex strings; for 4-digit values that is numeric order, and it
        // fixes the order of 6-digit SSLv2 specs among them.
        if ciphers.iter().all(|&c| c <= 0xffff) {
            ciphers.sort_unstable();
        } else {
            ciphers.sort_unstable_by(|&a, &b| hex_text_order(a, b));
        }
        let ciphers_start = text.len();
        push_hex_list(&mut text, &ciphers);
        let ciphers_range = ciphers_start..text.len();
        text.push('_');
        let extensions_start = text.len();
        push_hex_list(&mut text, &hashed_extensions);
        let mut sigs = non_grease(&self.signature_algorithms).peekable();
        if sigs.peek().is_some() {
            text.push('_');
            for (i, sig) in sigs.enumerate() {
                if i > 0 {
                    text.push(',');
                }
                push_hex4(&mut text, sig);
            }
        }
        let extensions_range = extensions_start..text.len();
        Ja4Raw {
            text,
            ciphers: ciphers_range,
            extensions_and_sigs: extensions_range,
        }
    }

    /// JA4 (FoxIO, BSD 3-Clause).
    pub fn ja4(&self, transport: Transport) -> String {
        self.ja4_raw(transport).hashed()
    }

    /// JA4_r: JA4 with the sorted lists in clear instead of hashed.
    pub fn ja4_r(&self, transport: Transport) -> String {
        self.ja4_raw(transport).text
    }

    /// JA4 and JA4_r, the sorted lists built once.
    pub(super) fn ja4_and_ja4_r(&self, transport: Transport) -> (String, String) {
        let raw = self.ja4_raw(transport);
        (raw.hashed(), raw.text)
    }
}

/// The non-GREASE values of a list, widened for formatting.
fn non_grease(values: &[u16]) -> impl Iterator<Item = u32> + '_ {
    values
        .iter()
        .filter(|&&v| !is_grease(v))
        .map(|&v| u32::from(v))
}

impl ServerHello {
    /// JA3S string: `version,cipher,extensions` in decimal (GREASE removed, as in JA3).
    pub fn ja3s_string(&self) -> String {
        let mut out = String::with_capacity(12 + 6 * self.extensions.len());
        push_decimal(&mut out, u32::from(self.legacy_version));
        out.push(',');
        push_decimal(&mut out, u32::from(self.cipher_suite));
        out.push(',');
        push_decimal_list(&mut out, non_grease(&self.extensions));
        out
    }

    /// JA3S: MD5 of [`Self::ja3s_string`], lowercase hex.
    pub fn ja3s_hash(&self) -> String {
        md5_hex(&self.ja3s_string())
    }

    /// JA4S_r, with where its extension list starts.
    #[cfg(feature = "ja4plus")]
    fn ja4s_raw(&self, transport: Transport) -> (String, usize) {
        let mut text = String::with_capacity(16 + 5 * self.extensions.len());
        text.push(transport.ja4_prefix());
        text.push_str(ja4_version(self.negotiated_version()));
        push_count2(&mut text, self.extensions.len());
        push_ja4_alpn(&mut text, self.alpn.as_deref());
        text.push('_');
        push_hex4(&mut text, u32::from(self.cipher_suite));
        text.push('_');
        let extensions_start = text.len();
        for (i, &extension) in self.extensions.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            push_hex4(&mut text, u32::from(extension));
        }
        (text, extensions_start)
    }

    /// JA4S (FoxIO License 1.1, `ja4plus` feature): extensions in wire order, GREASE kept.
    #[cfg(feature = "ja4plus")]
    pub fn ja4s(&self, transport: Transport) -> String {
        let (raw, extensions_start) = self.ja4s_raw(transport);
        let mut out = String::with_capacity(extensions_start + 12);
        out.push_str(raw.get(..extensions_start).unwrap_or(""));
        push_ja4_hash(&mut out, raw.get(extensions_start..).unwrap_or(""));
        out
    }

    /// JA4S_r (FoxIO License 1.1, `ja4plus` feature).
    #[cfg(feature = "ja4plus")]
    pub fn ja4s_r(&self, transport: Transport) -> String {
        self.ja4s_raw(transport).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(value: u32) -> String {
        let mut out = String::new();
        push_decimal(&mut out, value);
        out
    }

    fn hex4(value: u32) -> String {
        let mut out = String::new();
        push_hex4(&mut out, value);
        out
    }

    #[test]
    fn decimal_digits_match_hand_values() {
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(7), "7");
        assert_eq!(decimal(10), "10");
        assert_eq!(decimal(771), "771");
        assert_eq!(decimal(65535), "65535");
        assert_eq!(decimal(u32::MAX), "4294967295");
    }

    #[test]
    fn hex_is_at_least_four_lowercase_digits() {
        assert_eq!(hex4(0), "0000");
        assert_eq!(hex4(0x0a), "000a");
        assert_eq!(hex4(0x1301), "1301");
        assert_eq!(hex4(0xc02b), "c02b");
        // SSLv2 cipher specs are 24-bit: no padding beyond four digits.
        assert_eq!(hex4(0x010080), "10080");
        assert_eq!(hex4(0x0700c0), "700c0");
        assert_eq!(hex4(0x12345), "12345");
        assert_eq!(hex4(u32::MAX), "ffffffff");
    }

    #[test]
    fn formatting_agrees_with_std_fmt_over_a_sweep() {
        // std's formatter is the independent reference for `{}` and `{:04x}`.
        for value in (0..70_000u32).chain([0xff_ffff, 0x100_0000, u32::MAX - 1]) {
            assert_eq!(decimal(value), format!("{value}"));
            assert_eq!(hex4(value), format!("{value:04x}"));
        }
    }

    #[test]
    fn counts_are_two_digits_capped_at_99() {
        let count = |n| {
            let mut out = String::new();
            push_count2(&mut out, n);
            out
        };
        assert_eq!(count(0), "00");
        assert_eq!(count(5), "05");
        assert_eq!(count(42), "42");
        assert_eq!(count(150), "99");
    }

    #[test]
    fn hex_text_order_is_string_order() {
        // "10080" < "2000" as text although 0x10080 > 0x2000 as numbers.
        assert_eq!(hex_text_order(0x010080, 0x2000), std::cmp::Ordering::Less);
        assert_eq!(hex_text_order(0x0a0b, 0x0a0b), std::cmp::Ordering::Equal);
        assert_eq!(hex_text_order(0xc02b, 0x1301), std::cmp::Ordering::Greater);
        // "0000" < "10000".
        assert_eq!(hex_text_order(0, 0x10000), std::cmp::Ordering::Less);
    }

    #[test]
    fn digest_hex_is_truncated_at_the_requested_length() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e (RFC 1321 A.5).
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        // SHA-256("abc") starts ba7816bf8f01 (FIPS 180-2 B.1).
        let mut out = String::new();
        push_ja4_hash(&mut out, "abc");
        assert_eq!(out, "ba7816bf8f01");
        let mut odd = String::new();
        push_hex_prefix(&mut odd, &[0xab, 0xcd], 3);
        assert_eq!(odd, "abc");
    }
}
