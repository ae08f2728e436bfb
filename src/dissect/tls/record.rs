//! The record layer of a stream head: validates record headers and joins the payloads of the
//! leading handshake records into one handshake byte stream (RFC 8446 §5.1: a handshake message may
//! span records, and one record may hold several messages).

use std::borrow::Cow;

use tls_parser::{TlsRecordType, parse_tls_record_header};

/// Why the joined handshake bytes end where they do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The head ends, on a record boundary or inside a record: more handshake bytes may follow.
    HeadEnds,
    /// A record of another content type follows (ChangeCipherSpec, Alert, application data): the
    /// plaintext handshake flight is over.
    OtherRecord(u8),
    /// The cap was reached.
    Cap,
    /// A record header after the first one is invalid: the bytes before it stand, nothing after.
    Invalid(&'static str),
}

/// Handshake bytes joined from the leading handshake records of a stream head: borrowed from the
/// head while they come from one record (the common case), copied once a second record adds to them.
pub(crate) struct Joined<'a> {
    pub(crate) bytes: Cow<'a, [u8]>,
    pub(crate) end: End,
}

/// Appends a record's payload to the joined bytes, copying only when there is something before it.
fn append<'a>(bytes: &mut Cow<'a, [u8]>, payload: &'a [u8]) {
    if bytes.is_empty() {
        *bytes = Cow::Borrowed(payload);
    } else {
        bytes.to_mut().extend_from_slice(payload);
    }
}

/// Is the record version one a TLS peer may write (0x0300..=0x0304)?
fn plausible_record_version(major: u8, minor: u8) -> bool {
    major == 3 && minor <= 4
}

/// Cheap test on the first (up to) three bytes: can they start a TLS handshake record?
/// `None` when too few bytes to say.
pub(crate) fn starts_handshake_record(head: &[u8]) -> Option<bool> {
    let first = *head.first()?;
    if first != 0x16 {
        return Some(false);
    }
    match (head.get(1), head.get(2)) {
        (Some(&major), Some(&minor)) => Some(plausible_record_version(major, minor)),
        (Some(&major), None) => (major == 3).then_some(true).or(Some(false)),
        _ => None,
    }
}

/// Joins the payloads of the leading handshake records of `head` (whose first record must be a
/// handshake record), up to `cap` bytes. Bytes of a record cut short by the end of the head are
/// included, so callers can read messages that are already complete. An invalid first record header
/// is an error; a later one ends the join ([`End::Invalid`]).
pub(crate) fn join_handshake_records(head: &[u8], cap: usize) -> Result<Joined<'_>, &'static str> {
    let mut bytes = Cow::Borrowed(&[][..]);
    match join_into(head, cap, &mut bytes) {
        Ok(end) => Ok(Joined { bytes, end }),
        Err(reason) if bytes.is_empty() => Err(reason),
        Err(reason) => Ok(Joined {
            bytes,
            end: End::Invalid(reason),
        }),
    }
}

fn join_into<'a>(
    head: &'a [u8],
    cap: usize,
    bytes: &mut Cow<'a, [u8]>,
) -> Result<End, &'static str> {
    let mut rest = head;
    loop {
        if rest.is_empty() {
            return Ok(End::HeadEnds);
        }
        let Ok((payload_and_more, header)) = parse_tls_record_header(rest) else {
            // Fewer than five bytes: an incomplete header. Check what is there.
            let content_type = rest.first().copied().unwrap_or(0);
            if content_type != u8::from(TlsRecordType::Handshake) {
                return Ok(End::OtherRecord(content_type));
            }
            if rest.get(1).is_some_and(|&major| major != 3) {
                return Err("bad record version");
            }
            return Ok(End::HeadEnds);
        };
        let version = header.version.0;
        if !plausible_record_version((version >> 8) as u8, (version & 0xff) as u8) {
            return Err("bad record version");
        }
        let len = usize::from(header.len);
        if len > crate::dissect::limits::tls::MAX_RECORD_LEN {
            return Err("record length over cap");
        }
        let content_type = u8::from(header.record_type);
        if header.record_type != TlsRecordType::Handshake {
            if !matches!(content_type, 20..=24) {
                return Err("unknown record content type");
            }
            return Ok(End::OtherRecord(content_type));
        }
        if len == 0 {
            return Err("empty handshake record");
        }
        let available = len.min(payload_and_more.len());
        let payload = payload_and_more.get(..available).unwrap_or_default();
        let room = cap.saturating_sub(bytes.len());
        if payload.len() > room {
            append(bytes, payload.get(..room).unwrap_or_default());
            return Ok(End::Cap);
        }
        append(bytes, payload);
        if available < len {
            return Ok(End::HeadEnds);
        }
        rest = payload_and_more.get(len..).unwrap_or_default();
    }
}

/// One handshake message in the joined bytes: type, body (possibly incomplete), and whether the
/// whole body is present.
pub(crate) struct Message<'a> {
    pub(crate) msg_type: u8,
    /// The whole message, header included (only when complete).
    pub(crate) whole: Option<&'a [u8]>,
    /// The body bytes present so far.
    pub(crate) body_so_far: &'a [u8],
    /// Declared body length.
    pub(crate) body_len: usize,
}

/// Splits the next handshake message off `bytes`. `None` when not even the 4-byte header is there.
pub(crate) fn next_message(bytes: &[u8]) -> Option<(Message<'_>, &[u8])> {
    let header = bytes.get(..4)?;
    let msg_type = *header.first()?;
    let body_len = header
        .get(1..4)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let total = 4usize.saturating_add(body_len);
    let body_so_far = bytes.get(4..total.min(bytes.len())).unwrap_or_default();
    let whole = bytes.get(..total);
    let rest = bytes.get(total..).unwrap_or_default();
    Some((
        Message {
            msg_type,
            whole,
            body_so_far,
            body_len,
        },
        rest,
    ))
}
