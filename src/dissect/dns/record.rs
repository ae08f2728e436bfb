//! The per-flow DNS summary exported with flow records, and the mnemonics it uses.

use std::borrow::Cow;

use serde::Serialize;

use super::DnsMessage;
use crate::dissect::limits::dns::{MAX_RECORD_QUERIES, MAX_RECORD_RCODES};

/// One distinct question seen in a DNS flow.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsQuery {
    pub name: String,
    /// Mnemonic ("A", "AAAA", "HTTPS") or RFC 3597 form ("TYPE65534").
    pub qtype: String,
}

/// What a DNS flow asked and was told, bounded: at most [`MAX_RECORD_QUERIES`] distinct queries and
/// [`MAX_RECORD_RCODES`] distinct response codes, in first-seen order.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct DnsRecord {
    pub queries: Vec<DnsQuery>,
    /// Response codes of the responses seen ("NOERROR", "NXDOMAIN", …), distinct.
    pub rcodes: Vec<String>,
    /// Answer-section records read from responses, in all.
    pub answers: u32,
}

impl DnsRecord {
    /// Adds one parsed message (query or response) to the record.
    pub fn fold(&mut self, msg: &DnsMessage) {
        for question in &msg.questions {
            if self.queries.len() >= MAX_RECORD_QUERIES {
                break;
            }
            let qtype = qtype_name(question.qtype);
            let seen = self
                .queries
                .iter()
                .any(|q| q.name == question.name && q.qtype == qtype);
            if !seen {
                self.queries.push(DnsQuery {
                    name: question.name.clone(),
                    qtype: qtype.into_owned(),
                });
            }
        }
        if msg.is_response {
            let rcode = rcode_name(msg.rcode);
            if self.rcodes.len() < MAX_RECORD_RCODES && !self.rcodes.iter().any(|r| *r == rcode) {
                self.rcodes.push(rcode.into_owned());
            }
            let read = msg.answers.len() + usize::from(msg.answers_dropped);
            self.answers = self
                .answers
                .saturating_add(u32::try_from(read).unwrap_or(u32::MAX));
        }
    }
}

/// Mnemonic of a record type (IANA "Resource Record (RR) TYPEs"), else `TYPEnnn` (RFC 3597 §5).
pub fn qtype_name(qtype: u16) -> Cow<'static, str> {
    let name = match qtype {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return Cow::Owned(format!("TYPE{qtype}")),
    };
    Cow::Borrowed(name)
}

/// Mnemonic of a (possibly EDNS-extended) RCODE (IANA "DNS RCODEs"), else `RCODEnnn`.
pub fn rcode_name(rcode: u16) -> Cow<'static, str> {
    let name = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        _ => return Cow::Owned(format!("RCODE{rcode}")),
    };
    Cow::Borrowed(name)
}
