//! From a response to "which address was handed out for which asked-for name".
//!
//! For each question, the CNAME chain is followed through the answer section in any record order
//! (servers and middleboxes reorder), stopping at a loop or after
//! [`MAX_CNAME_CHAIN`](crate::dissect::limits::dns::MAX_CNAME_CHAIN) links. Every A/AAAA answer
//! whose owner is on that chain, and every ipv4hint/ipv6hint of an SVCB/HTTPS answer on it, gives
//! one [`ResolvedAddr`]. Address records not reachable from a question are not attributed: nothing
//! ties them to what the client asked for.

use std::net::IpAddr;

use super::{DnsMessage, RData};
use crate::dissect::limits::dns::MAX_CNAME_CHAIN;

/// Where an address came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrSource {
    /// An A or AAAA record.
    Answer,
    /// An ipv4hint or ipv6hint of an SVCB/HTTPS record.
    SvcbHint,
}

/// One address a response gave for a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedAddr<'a> {
    pub addr: IpAddr,
    /// The question name (the name the client asked for).
    pub query: &'a str,
    /// The question name, then each CNAME target, up to the owner of the address record.
    pub chain: Vec<&'a str>,
    /// Smallest TTL along the chain (the CNAMEs used and the address record), in seconds.
    pub ttl: u32,
    pub source: AddrSource,
}

/// Addresses a response resolved, each with the chain from its question name. Empty for queries.
pub fn resolve_chain(msg: &DnsMessage) -> Vec<ResolvedAddr<'_>> {
    let mut out = Vec::new();
    if !msg.is_response {
        return out;
    }
    for question in &msg.questions {
        // chain[i] is reached with the smallest CNAME TTL ttls[i] (u32::MAX for the question).
        // At most MAX_CNAME_CHAIN links: kept on the stack.
        let mut chain_slots: [&str; MAX_CNAME_CHAIN + 1] = [""; MAX_CNAME_CHAIN + 1];
        let mut ttl_slots = [u32::MAX; MAX_CNAME_CHAIN + 1];
        chain_slots[0] = question.name.as_str();
        let mut len = 1;
        while len <= MAX_CNAME_CHAIN {
            let Some(&current) = chain_slots.get(len - 1) else {
                break;
            };
            let link = msg.answers.iter().find_map(|answer| match &answer.data {
                RData::Cname(target) if answer.name == current => Some((target, answer.ttl)),
                _ => None,
            });
            let Some((target, ttl)) = link else { break };
            if chain_slots
                .get(..len)
                .unwrap_or_default()
                .contains(&target.as_str())
            {
                break;
            }
            let reached = ttl_slots.get(len - 1).copied().unwrap_or(u32::MAX).min(ttl);
            let (Some(chain_slot), Some(ttl_slot)) =
                (chain_slots.get_mut(len), ttl_slots.get_mut(len))
            else {
                break;
            };
            *chain_slot = target.as_str();
            *ttl_slot = reached;
            len += 1;
        }
        let chain = chain_slots.get(..len).unwrap_or_default();
        let ttls = ttl_slots.get(..len).unwrap_or_default();
        for answer in &msg.answers {
            let Some(depth) = chain.iter().position(|name| *name == answer.name) else {
                continue;
            };
            let ttl = ttls.get(depth).copied().unwrap_or(u32::MAX).min(answer.ttl);
            let prefix = chain.get(..=depth).unwrap_or_default();
            let mut emit = |addr: IpAddr, source| {
                out.push(ResolvedAddr {
                    addr,
                    query: question.name.as_str(),
                    chain: prefix.to_vec(),
                    ttl,
                    source,
                })
            };
            match &answer.data {
                RData::A(v4) => emit(IpAddr::V4(*v4), AddrSource::Answer),
                RData::Aaaa(v6) => emit(IpAddr::V6(*v6), AddrSource::Answer),
                RData::Svcb(svcb) => {
                    for v4 in &svcb.ipv4hint {
                        emit(IpAddr::V4(*v4), AddrSource::SvcbHint);
                    }
                    for v6 in &svcb.ipv6hint {
                        emit(IpAddr::V6(*v6), AddrSource::SvcbHint);
                    }
                }
                RData::Cname(_) | RData::Other(_) => {}
            }
        }
    }
    out
}
