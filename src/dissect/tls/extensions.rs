//! Hello extensions: the raw `(type, body)` list and the few bodies the summaries need. Bodies are
//! read leniently: a malformed body yields what could be read (possibly nothing), never an error,
//! because the reference tools keep the extension's type in that case too.

use crate::dissect::limits::tls::{MAX_ALPN_VALUES, MAX_SNI_LEN};

pub(crate) const SERVER_NAME: u16 = 0x0000;
pub(crate) const SUPPORTED_GROUPS: u16 = 0x000a;
pub(crate) const EC_POINT_FORMATS: u16 = 0x000b;
pub(crate) const SIGNATURE_ALGORITHMS: u16 = 0x000d;
pub(crate) const ALPN: u16 = 0x0010;
pub(crate) const SUPPORTED_VERSIONS: u16 = 0x002b;
pub(crate) const ENCRYPTED_CLIENT_HELLO: u16 = 0xfe0d;

/// The `(type, body)` pairs of an extensions block (without its 2-byte length), in wire order.
/// Iteration stops at the first extension that does not fit, keeping those before it (as nDPI and
/// Wireshark do), and [`Extensions::error`] then says why.
#[derive(Clone)]
pub(crate) struct Extensions<'a> {
    block: &'a [u8],
    pub error: Option<&'static str>,
}

impl<'a> Extensions<'a> {
    pub fn new(block: &'a [u8]) -> Self {
        Extensions { block, error: None }
    }

    fn stop(&mut self, reason: &'static str) -> Option<(u16, &'a [u8])> {
        self.block = &[];
        self.error = Some(reason);
        None
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.block.is_empty() {
            return None;
        }
        let Some((ext_type, rest)) = be_u16(self.block) else {
            return self.stop("truncated extension header");
        };
        let Some((len, rest)) = be_u16(rest) else {
            return self.stop("truncated extension header");
        };
        let len = usize::from(len);
        let Some(body) = rest.get(..len) else {
            return self.stop("extension overruns the extensions block");
        };
        self.block = rest.get(len..).unwrap_or_default();
        Some((ext_type, body))
    }
}

pub(crate) fn be_u16(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let hi = *bytes.first()?;
    let lo = *bytes.get(1)?;
    Some((
        u16::from_be_bytes([hi, lo]),
        bytes.get(2..).unwrap_or_default(),
    ))
}

/// A vector with a 1-byte length prefix; lenient: a short vector yields what is present.
fn vec8(bytes: &[u8]) -> &[u8] {
    match bytes.split_first() {
        Some((&len, rest)) => rest.get(..usize::from(len)).unwrap_or(rest),
        None => &[],
    }
}

/// A vector with a 2-byte length prefix; lenient like [`vec8`].
fn vec16(bytes: &[u8]) -> &[u8] {
    match be_u16(bytes) {
        Some((len, rest)) => rest.get(..usize::from(len)).unwrap_or(rest),
        None => &[],
    }
}

fn u16_list(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| {
            u16::from_be_bytes([
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            ])
        })
        .collect()
}

/// `server_name` (RFC 6066 §3): the first `host_name` entry, lossily decoded, cut to a cap.
pub(crate) fn server_name(body: &[u8]) -> Option<String> {
    let mut list = vec16(body);
    while let Some((&name_type, rest)) = list.split_first() {
        let (len, rest) = be_u16(rest)?;
        let name = rest.get(..usize::from(len))?;
        if name_type == 0 {
            let mut text = String::from_utf8_lossy(name).into_owned();
            if text.len() > MAX_SNI_LEN {
                let mut cut = MAX_SNI_LEN;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            return Some(text);
        }
        list = rest.get(usize::from(len)..).unwrap_or_default();
    }
    None
}

/// `application_layer_protocol_negotiation` (RFC 7301): protocol names, raw bytes, in order.
pub(crate) fn alpn(body: &[u8]) -> Vec<Vec<u8>> {
    let mut list = vec16(body);
    let mut out = Vec::new();
    while let Some((&len, rest)) = list.split_first() {
        let Some(name) = rest.get(..usize::from(len)) else {
            break;
        };
        if out.len() < MAX_ALPN_VALUES {
            out.push(name.to_vec());
        }
        list = rest.get(usize::from(len)..).unwrap_or_default();
    }
    out
}

/// The first ALPN protocol name (what a server selects), without collecting the others.
pub(crate) fn alpn_first(body: &[u8]) -> Option<Vec<u8>> {
    let list = vec16(body);
    let (&len, rest) = list.split_first()?;
    rest.get(..usize::from(len)).map(<[u8]>::to_vec)
}

/// Client `supported_versions` (RFC 8446 §4.2.1): 1-byte length, then versions.
pub(crate) fn client_supported_versions(body: &[u8]) -> Vec<u16> {
    u16_list(vec8(body))
}

/// Server `supported_versions`: the selected version.
pub(crate) fn server_supported_version(body: &[u8]) -> Option<u16> {
    be_u16(body).map(|(version, _)| version)
}

/// `signature_algorithms` and `supported_groups`: 2-byte length, then u16 codepoints.
pub(crate) fn u16_vector(body: &[u8]) -> Vec<u16> {
    u16_list(vec16(body))
}

/// `ec_point_formats` (RFC 8422 §5.1.2): 1-byte length, then u8 codepoints.
pub(crate) fn ec_point_formats(body: &[u8]) -> Vec<u8> {
    vec8(body).to_vec()
}
