//! Placeholder until the fragment reassembly change lands: every fragment is dropped and counted.

use crate::time::Timestamp;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
    pub scope: u32,
}

#[derive(Clone, Debug, Default)]
pub struct FragmentLimits;

#[derive(Clone, Debug, Default)]
pub struct FragmentStats {
    pub dropped: u64,
}

pub enum FragOutcome<'a> {
    Complete(&'a [u8]),
    Pending,
    Dropped(&'static str),
}

#[derive(Debug, Default)]
pub struct FragmentCache {
    stats: FragmentStats,
}

impl FragmentCache {
    pub fn new(_limits: FragmentLimits) -> Self {
        FragmentCache::default()
    }
    pub fn insert(
        &mut self,
        _now: Timestamp,
        _key: FragKey,
        _offset: u32,
        _more: bool,
        _payload: &[u8],
    ) -> FragOutcome<'_> {
        self.stats.dropped += 1;
        FragOutcome::Dropped("fragment_reassembly_unavailable")
    }
    pub fn expire(&mut self, _now: Timestamp) {}
    pub fn stats(&self) -> &FragmentStats {
        &self.stats
    }
}
