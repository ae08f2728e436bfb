//! DNS messages (RFC 1035) over UDP and TCP, parsed from untrusted bytes.
//!
//! Accepts: one DNS message (a UDP payload, or one message cut out of a TCP stream by
//! [`split_tcp_messages`]).
//!
//! Promises: no panic and bounded allocation on any input; at most [`MAX_QUESTIONS_KEPT`] questions
//! and [`MAX_ANSWERS_KEPT`] answers kept, the rest parsed past and counted; names as text — labels
//! joined by `.`, no trailing dot, the root as the empty string, ASCII letters lower-cased, and every
//! byte outside `!`..=`~` (and a `.` inside a label) written as `?`. That is lossy for such names,
//! like nDPI's `?`, but always printable and unambiguous about label boundaries. Unlike nDPI, other
//! printable bytes (`*`, `/`, …) are kept rather than written as `_`.
//!
//! Never: follows a compression pointer that does not point strictly before the piece of name being
//! read (so no loop can form), reads past the slice, or trusts a count or length from the wire.
//!
//! Errors and truncation: only a message shorter than the 12-byte header is an `Err`. Any later
//! problem (a section cut short by a truncated UDP payload or snap length, a bad name, a record
//! whose data does not fit its type) stops parsing without discarding what was read: the message is
//! returned with the questions and answers parsed so far and [`DnsMessage::stopped`] set to the
//! reason, as etherparse's lax parsers record where they stopped. Callers count `stopped` reasons.
//!
//! Only the answer section's records are kept. The authority section is parsed past; the additional
//! section is read only for an EDNS OPT record (RFC 6891), whose extended RCODE bits are folded into
//! [`DnsMessage::rcode`].

mod chain;
mod name;
mod record;
mod svcb;
mod tcp;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dissect::limits::dns::{MAX_ANSWERS_KEPT, MAX_QUESTIONS_KEPT};
use name::NameMemo;

pub use chain::{AddrSource, ResolvedAddr, resolve_chain};
pub use record::{DnsQuery, DnsRecord, qtype_name, rcode_name};
pub use svcb::SvcbData;
pub use tcp::{DnsTcpError, TcpMessages, split_tcp_messages};

/// Record types this parser gives meaning to.
pub mod rtype {
    pub const A: u16 = 1;
    pub const CNAME: u16 = 5;
    pub const AAAA: u16 = 28;
    pub const OPT: u16 = 41;
    pub const SVCB: u16 = 64;
    pub const HTTPS: u16 = 65;
}

/// Multicast DNS (RFC 6762) and LLMNR (RFC 4795) ports: DNS-shaped, but names there are local and
/// never explain where a flow goes, so callers recognise these flows without feeding the name cache.
pub fn is_mdns_or_llmnr(port: u16) -> bool {
    matches!(port, 5353 | 5355)
}

/// Why a message, or the rest of it, could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("shorter than the 12-byte DNS header")]
    HeaderTruncated,
    #[error("name runs past the end of the message")]
    NameTruncated,
    #[error("compression pointer does not point backwards")]
    ForwardPointer,
    #[error("too many compression pointers in one name")]
    TooManyPointers,
    #[error("name longer than 255 octets")]
    NameTooLong,
    #[error("reserved label type (0b01 or 0b10)")]
    ReservedLabelType,
    #[error("question runs past the end of the message")]
    QuestionTruncated,
    #[error("resource record runs past the end of the message")]
    RecordTruncated,
    #[error("record data does not match its type's length")]
    BadRdataLength,
    #[error("SVCB parameter runs past its record data")]
    SvcParamTruncated,
}

impl DnsError {
    /// A stable, machine-readable reason, for counting drops by cause.
    pub fn reason(&self) -> &'static str {
        match self {
            DnsError::HeaderTruncated => "dns_header_truncated",
            DnsError::NameTruncated => "dns_name_truncated",
            DnsError::ForwardPointer => "dns_forward_pointer",
            DnsError::TooManyPointers => "dns_too_many_pointers",
            DnsError::NameTooLong => "dns_name_too_long",
            DnsError::ReservedLabelType => "dns_reserved_label_type",
            DnsError::QuestionTruncated => "dns_question_truncated",
            DnsError::RecordTruncated => "dns_record_truncated",
            DnsError::BadRdataLength => "dns_bad_rdata_length",
            DnsError::SvcParamTruncated => "dns_svc_param_truncated",
        }
    }
}

/// One entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// One answer-section record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub name: String,
    /// The wire type, kept even when [`Answer::data`] interprets it.
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

/// Record data, for the types that say where a name leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    /// SVCB (64) or HTTPS (65), RFC 9460.
    Svcb(SvcbData),
    /// Any other type: kept as its number only.
    Other(u16),
}

/// What [`parse_message`] read from one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    /// QR bit.
    pub is_response: bool,
    pub opcode: u8,
    /// The 4-bit header RCODE, extended with the OPT record's upper 8 bits when one was read.
    pub rcode: u16,
    /// TC bit: the sender cut the message (the client will retry over TCP).
    pub truncated: bool,
    /// An EDNS OPT record was found in the additional section.
    pub edns: bool,
    /// Section counts as the header claims them.
    pub question_count: u16,
    pub answer_count: u16,
    pub authority_count: u16,
    pub additional_count: u16,
    pub questions: Vec<Question>,
    /// Questions parsed past but not kept ([`MAX_QUESTIONS_KEPT`]).
    pub questions_dropped: u16,
    pub answers: Vec<Answer>,
    /// Answers parsed past but not kept ([`MAX_ANSWERS_KEPT`]).
    pub answers_dropped: u16,
    /// Set when parsing stopped before the end of the message; what precedes is kept.
    pub stopped: Option<DnsError>,
}

fn be16(msg: &[u8], at: usize) -> Option<u16> {
    let bytes = msg.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]))
}

fn be32(msg: &[u8], at: usize) -> Option<u32> {
    Some((u32::from(be16(msg, at)?) << 16) | u32::from(be16(msg, at.checked_add(2)?)?))
}

/// Parses one DNS message. Only a message shorter than its header is an `Err`; otherwise check
/// [`DnsMessage::stopped`] (see the module documentation).
pub fn parse_message(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::HeaderTruncated);
    }
    let header = |at| be16(msg, at).ok_or(DnsError::HeaderTruncated);
    let flags = header(2)?;
    let mut out = DnsMessage {
        id: header(0)?,
        is_response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0f) as u8,
        truncated: flags & 0x0200 != 0,
        rcode: flags & 0x000f,
        question_count: header(4)?,
        answer_count: header(6)?,
        authority_count: header(8)?,
        additional_count: header(10)?,
        ..DnsMessage::default()
    };

    let mut memo = NameMemo::default();
    let sections = read_questions(msg, &mut out, &mut memo)
        .and_then(|pos| read_records(msg, pos, &mut out, &mut memo));
    if let Err(err) = sections {
        out.stopped = Some(err);
    }
    Ok(out)
}

/// Where a name already read is kept in the message being built (see [`NameMemo`]).
#[derive(Clone, Copy)]
enum Kept {
    Question(usize),
    Owner(usize),
    Cname(usize),
}

fn kept_text(out: &DnsMessage, at: Kept) -> Option<&str> {
    match at {
        Kept::Question(i) => out.questions.get(i).map(|q| q.name.as_str()),
        Kept::Owner(i) => out.answers.get(i).map(|a| a.name.as_str()),
        Kept::Cname(i) => match out.answers.get(i).map(|a| &a.data) {
            Some(RData::Cname(target)) => Some(target.as_str()),
            _ => None,
        },
    }
}

/// [`name::read_name`], copying the text of a name read before when this one only points at it;
/// also returns the pointers followed.
fn read_name_memo(
    msg: &[u8],
    pos: usize,
    out: &DnsMessage,
    memo: &NameMemo<Kept>,
) -> Result<(String, usize, usize), DnsError> {
    if let Some((at, end, jumps)) = memo.lookup(msg, pos)
        && let Some(text) = kept_text(out, at)
    {
        return Ok((text.to_owned(), end, jumps));
    }
    name::read_name_counted(msg, pos)
}

/// Reads the question section; returns the offset just past it.
fn read_questions(
    msg: &[u8],
    out: &mut DnsMessage,
    memo: &mut NameMemo<Kept>,
) -> Result<usize, DnsError> {
    let mut pos = 12;
    // Sized once: each question takes at least 5 bytes, so the claimed count is bounded by the
    // message as well as by the cap.
    out.questions = Vec::with_capacity(
        usize::from(out.question_count)
            .min(MAX_QUESTIONS_KEPT)
            .min(msg.len().saturating_sub(pos) / 5),
    );
    for _ in 0..out.question_count {
        let keep = out.questions.len() < MAX_QUESTIONS_KEPT;
        let (name, after) = if keep {
            let (name, after, jumps) = read_name_memo(msg, pos, out, memo)?;
            memo.remember(pos, jumps, Kept::Question(out.questions.len()));
            (Some(name), after)
        } else {
            (None, name::skip_name(msg, pos)?)
        };
        let qtype = be16(msg, after).ok_or(DnsError::QuestionTruncated)?;
        let qclass = be16(msg, after + 2).ok_or(DnsError::QuestionTruncated)?;
        pos = after + 4;
        match name {
            Some(name) => out.questions.push(Question {
                name,
                qtype,
                qclass,
            }),
            None => out.questions_dropped = out.questions_dropped.saturating_add(1),
        }
    }
    Ok(pos)
}

/// Fixed part of a resource record after its owner name.
struct RecordHead {
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata_start: usize,
    rdata_end: usize,
}

fn record_head(msg: &[u8], after_name: usize) -> Result<RecordHead, DnsError> {
    let rtype = be16(msg, after_name).ok_or(DnsError::RecordTruncated)?;
    let class = be16(msg, after_name + 2).ok_or(DnsError::RecordTruncated)?;
    let ttl = be32(msg, after_name + 4).ok_or(DnsError::RecordTruncated)?;
    let rdlen = be16(msg, after_name + 8).ok_or(DnsError::RecordTruncated)?;
    let rdata_start = after_name + 10;
    let rdata_end = rdata_start + usize::from(rdlen);
    if rdata_end > msg.len() {
        return Err(DnsError::RecordTruncated);
    }
    Ok(RecordHead {
        rtype,
        class,
        ttl,
        rdata_start,
        rdata_end,
    })
}

fn read_records(
    msg: &[u8],
    mut pos: usize,
    out: &mut DnsMessage,
    memo: &mut NameMemo<Kept>,
) -> Result<(), DnsError> {
    // Sized once: each record takes at least 11 bytes (a root owner name and the fixed fields).
    out.answers = Vec::with_capacity(
        usize::from(out.answer_count)
            .min(MAX_ANSWERS_KEPT)
            .min(msg.len().saturating_sub(pos) / 11),
    );
    for _ in 0..out.answer_count {
        if out.answers.len() < MAX_ANSWERS_KEPT {
            let (name, after, jumps) = read_name_memo(msg, pos, out, memo)?;
            let head = record_head(msg, after)?;
            let (data, cname_jumps) = read_rdata(msg, &head, out, memo)?;
            let index = out.answers.len();
            memo.remember(pos, jumps, Kept::Owner(index));
            if let Some(jumps) = cname_jumps {
                memo.remember(head.rdata_start, jumps, Kept::Cname(index));
            }
            out.answers.push(Answer {
                name,
                rtype: head.rtype,
                class: head.class,
                ttl: head.ttl,
                data,
            });
            pos = head.rdata_end;
        } else {
            let after = name::skip_name(msg, pos)?;
            pos = record_head(msg, after)?.rdata_end;
            out.answers_dropped = out.answers_dropped.saturating_add(1);
        }
    }
    for _ in 0..out.authority_count {
        let after = name::skip_name(msg, pos)?;
        pos = record_head(msg, after)?.rdata_end;
    }
    for _ in 0..out.additional_count {
        let after = name::skip_name(msg, pos)?;
        let head = record_head(msg, after)?;
        if head.rtype == rtype::OPT && !out.edns {
            // RFC 6891 §6.1.3: the TTL field holds EXTENDED-RCODE (upper 8 bits of the 12-bit
            // RCODE), VERSION and flags.
            out.edns = true;
            out.rcode |= ((head.ttl >> 24) as u16) << 4;
        }
        pos = head.rdata_end;
    }
    Ok(())
}

/// The record data, and for a CNAME the pointers its target name followed.
fn read_rdata(
    msg: &[u8],
    head: &RecordHead,
    out: &DnsMessage,
    memo: &NameMemo<Kept>,
) -> Result<(RData, Option<usize>), DnsError> {
    let rdata = msg
        .get(head.rdata_start..head.rdata_end)
        .ok_or(DnsError::RecordTruncated)?;
    if head.rtype == rtype::CNAME {
        // The name may be compressed against the whole message, but must end inside the
        // record data.
        let (target, end, jumps) = read_name_memo(msg, head.rdata_start, out, memo)?;
        if end != head.rdata_end {
            return Err(DnsError::BadRdataLength);
        }
        return Ok((RData::Cname(target), Some(jumps)));
    }
    let data = match head.rtype {
        rtype::A => {
            let octets: [u8; 4] = rdata.try_into().map_err(|_| DnsError::BadRdataLength)?;
            RData::A(Ipv4Addr::from(octets))
        }
        rtype::AAAA => {
            let octets: [u8; 16] = rdata.try_into().map_err(|_| DnsError::BadRdataLength)?;
            RData::Aaaa(Ipv6Addr::from(octets))
        }
        rtype::SVCB | rtype::HTTPS => {
            RData::Svcb(svcb::parse(msg, head.rdata_start, head.rdata_end)?)
        }
        other => RData::Other(other),
    };
    Ok((data, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `Www.Example.COM A`: a CNAME to `cdn.edge.net`, an A record whose owner points
    /// at the CNAME's target, and one whose owner points at that owner (two jumps). Offsets are
    /// hand computed: question name at 12, answers at 33, 59 and 75, CNAME target at 45.
    fn response(third_owner: [u8; 2]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0];
        m.extend([3, b'W', b'w', b'w', 7]);
        m.extend(b"Example");
        m.extend([3, b'C', b'O', b'M', 0, 0, 1, 0, 1]);
        assert_eq!(m.len(), 33);
        m.extend([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 14]);
        m.extend([
            3, b'c', b'd', b'n', 4, b'e', b'd', b'g', b'e', 3, b'n', b'e', b't', 0,
        ]);
        assert_eq!(m.len(), 59);
        m.extend([0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 1]);
        assert_eq!(m.len(), 75);
        m.extend(third_owner);
        m.extend([0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 2]);
        m
    }

    /// Names copied from earlier ones read exactly as walking them does.
    #[test]
    fn names_pointing_at_earlier_names_read_as_walked() {
        let msg = response([0xc0, 59]);
        let parsed = parse_message(&msg).expect("header present");
        assert_eq!(parsed.stopped, None);
        let names: Vec<&str> = parsed.answers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["www.example.com", "cdn.edge.net", "cdn.edge.net"]);
        assert_eq!(parsed.answers[0].data, RData::Cname("cdn.edge.net".into()));
        for (answer, at) in parsed.answers.iter().zip([33, 59, 75]) {
            let (walked, _) = name::read_name(&msg, at).expect("valid name");
            assert_eq!(answer.name, walked);
        }
        // The third owner pointing at itself is a forward pointer, as when walked.
        let msg = response([0xc0, 75]);
        let parsed = parse_message(&msg).expect("header present");
        assert_eq!(parsed.stopped, Some(DnsError::ForwardPointer));
        assert_eq!(parsed.answers.len(), 2);
    }
}
