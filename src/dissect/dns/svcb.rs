//! SVCB and HTTPS record data (RFC 9460 §2.2): priority, target name and the SvcParams that matter
//! for attribution (alpn, ipv4hint, ipv6hint, whether ech is present).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{DnsError, be16, name};
use crate::dissect::limits::dns::{MAX_ALPN_ID_LEN, MAX_SVCB_ALPNS, MAX_SVCB_HINTS};

/// SvcParamKeys (RFC 9460 §14.3.2).
mod key {
    pub const ALPN: u16 = 1;
    pub const IPV4HINT: u16 = 4;
    pub const ECH: u16 = 5;
    pub const IPV6HINT: u16 = 6;
}

/// What one SVCB/HTTPS record says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SvcbData {
    /// SvcPriority; 0 is AliasMode.
    pub priority: u16,
    /// TargetName in text form; the empty string is the root (".", "the owner name itself").
    pub target: String,
    /// ALPN ids, in order, bytes outside printable ASCII as `?` (at most [`MAX_SVCB_ALPNS`]).
    pub alpn: Vec<String>,
    pub ipv4hint: Vec<Ipv4Addr>,
    pub ipv6hint: Vec<Ipv6Addr>,
    /// An `ech` parameter (ECHConfigList) is present.
    pub ech: bool,
    /// Every SvcParamKey, in wire order (at most [`MAX_SVCB_ALPNS`] * 4 kept).
    pub keys: Vec<u16>,
}

const MAX_KEYS_KEPT: usize = MAX_SVCB_ALPNS * 4;

pub(super) fn parse(msg: &[u8], start: usize, end: usize) -> Result<SvcbData, DnsError> {
    let priority = be16(msg, start).ok_or(DnsError::BadRdataLength)?;
    // RFC 9460 §2.2 forbids compressing TargetName; reading with the general reader (backward
    // pointers only) tolerates senders that do, and stays safe.
    let (target, mut pos) = name::read_name(msg, start + 2)?;
    if pos > end {
        return Err(DnsError::BadRdataLength);
    }
    let mut out = SvcbData {
        priority,
        target,
        ..SvcbData::default()
    };
    let params = msg.get(..end).ok_or(DnsError::RecordTruncated)?;
    while pos < end {
        let param_key = be16(params, pos).ok_or(DnsError::SvcParamTruncated)?;
        let len = usize::from(be16(params, pos + 2).ok_or(DnsError::SvcParamTruncated)?);
        let value = params
            .get(pos + 4..pos + 4 + len)
            .ok_or(DnsError::SvcParamTruncated)?;
        if out.keys.len() < MAX_KEYS_KEPT {
            out.keys.push(param_key);
        }
        match param_key {
            key::ALPN => read_alpn(value, &mut out.alpn)?,
            key::IPV4HINT => {
                for chunk in value.chunks(4) {
                    let octets: [u8; 4] = chunk.try_into().map_err(|_| DnsError::BadRdataLength)?;
                    if out.ipv4hint.len() < MAX_SVCB_HINTS {
                        out.ipv4hint.push(Ipv4Addr::from(octets));
                    }
                }
            }
            key::IPV6HINT => {
                for chunk in value.chunks(16) {
                    let octets: [u8; 16] =
                        chunk.try_into().map_err(|_| DnsError::BadRdataLength)?;
                    if out.ipv6hint.len() < MAX_SVCB_HINTS {
                        out.ipv6hint.push(Ipv6Addr::from(octets));
                    }
                }
            }
            key::ECH => out.ech = true,
            _ => {}
        }
        pos += 4 + len;
    }
    Ok(out)
}

/// alpn-ids: a sequence of length-prefixed ids (RFC 9460 §7.1.1).
fn read_alpn(mut value: &[u8], into: &mut Vec<String>) -> Result<(), DnsError> {
    while let Some((&len, rest)) = value.split_first() {
        let len = usize::from(len);
        let id = rest.get(..len).ok_or(DnsError::SvcParamTruncated)?;
        if into.len() < MAX_SVCB_ALPNS {
            into.push(
                id.iter()
                    .take(MAX_ALPN_ID_LEN)
                    .map(|&b| {
                        if b.is_ascii_graphic() {
                            char::from(b)
                        } else {
                            '?'
                        }
                    })
                    .collect(),
            );
        }
        value = rest.get(len..).unwrap_or_default();
    }
    Ok(())
}
