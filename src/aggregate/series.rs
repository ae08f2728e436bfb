//! Per-interval series of bytes sent (schema part of `aiwatch.summary/1`: the `series` object), for
//! timelines and dashboards: fixed windows of packet time (default one minute), bytes sent by every
//! flow, by AI flows, by restricted flows, by provider jurisdiction and by provider.
//!
//! Method (a choice, documented in the output as `method`): a flow's client→server bytes are spread
//! over the windows its lifetime `[ts_start, ts_end]` touches, in proportion to the time it spent in
//! each (integer shares; the rounding remainder goes to the last window, so every flow's bytes add up
//! exactly). This needs nothing from the per-packet path; a flow that sent in bursts is smoothed over
//! its lifetime. A flow with no duration falls entirely in its start window.
//!
//! Bounded: one bucket per window that saw a flow; `MAX_SPREAD_WINDOWS` caps the windows one flow is
//! spread over (a longer flow puts the rest of its bytes in its last window).

use super::record::FlowTotals;
use crate::time::{NANOS_PER_SEC, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_WINDOW_SECS: u64 = 60;
/// At most this many windows per flow (a week of one-minute windows).
const MAX_SPREAD_WINDOWS: u64 = 7 * 24 * 60;
/// Windows with nothing in them are written only when the whole series has at most this many windows.
const MAX_DENSE_WINDOWS: u64 = 10_000;
pub const SPREAD_METHOD: &str = "flow bytes spread over the flow's lifetime in proportion to time";

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Interval {
    /// Start of the window, RFC 3339 UTC.
    pub start: String,
    pub sent_bytes: u64,
    pub ai_sent_bytes: u64,
    pub restricted_sent_bytes: u64,
    /// Provider legal jurisdiction → bytes sent.
    pub by_jurisdiction: BTreeMap<String, u64>,
    /// Provider id → bytes sent.
    pub by_provider: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Series {
    pub window_secs: u64,
    pub method: &'static str,
    /// In time order; every window from the first to the last when there are at most 10 000.
    pub intervals: Vec<Interval>,
}

#[derive(Clone, Debug, Default)]
struct Bucket {
    sent: u64,
    ai: u64,
    restricted: u64,
    by_jurisdiction: BTreeMap<String, u64>,
    by_provider: BTreeMap<String, u64>,
}

/// Folds flow records into a [`Series`].
#[derive(Clone, Debug)]
pub struct SeriesBuilder {
    window_ns: u64,
    /// By window index; put in window order at the end.
    buckets: HashMap<u64, Bucket, foldhash::fast::RandomState>,
}

impl Default for SeriesBuilder {
    fn default() -> Self {
        SeriesBuilder::new(DEFAULT_WINDOW_SECS)
    }
}

impl SeriesBuilder {
    /// Windows of `window_secs` seconds of packet time (0 is taken as 1).
    pub fn new(window_secs: u64) -> Self {
        SeriesBuilder {
            window_ns: window_secs.max(1).saturating_mul(NANOS_PER_SEC),
            buckets: HashMap::default(),
        }
    }

    pub fn add(&mut self, r: &FlowTotals<'_>) {
        if r.c2s_bytes == 0 {
            return;
        }
        let provider = r.provider;
        let buckets = &mut self.buckets;
        spread_each(
            r.ts_start,
            r.ts_end,
            r.c2s_bytes,
            self.window_ns,
            |window, bytes| {
                let b = buckets.entry(window).or_default();
                b.sent += bytes;
                if let Some(p) = provider {
                    b.ai += bytes;
                    if r.restricted {
                        b.restricted += bytes;
                    }
                    add_to(&mut b.by_jurisdiction, p.jurisdiction, bytes);
                    add_to(&mut b.by_provider, p.id, bytes);
                }
            },
        );
    }

    pub fn finish(self) -> Series {
        let window_ns = self.window_ns;
        let interval = |w: u64, b: Bucket| Interval {
            start: Timestamp::from_nanos(w.saturating_mul(window_ns))
                .rfc3339()
                .to_string(),
            sent_bytes: b.sent,
            ai_sent_bytes: b.ai,
            restricted_sent_bytes: b.restricted,
            by_jurisdiction: b.by_jurisdiction,
            by_provider: b.by_provider,
        };
        let first = self.buckets.keys().min().copied();
        let last = self.buckets.keys().max().copied();
        let dense = matches!((first, last), (Some(f), Some(l)) if l - f < MAX_DENSE_WINDOWS);
        let mut buckets = self.buckets;
        let intervals = match (first, last) {
            (Some(f), Some(l)) if dense => (f..=l)
                .map(|w| interval(w, buckets.remove(&w).unwrap_or_default()))
                .collect(),
            _ => {
                let mut sorted: Vec<(u64, Bucket)> = buckets.into_iter().collect();
                sorted.sort_unstable_by_key(|(w, _)| *w);
                sorted.into_iter().map(|(w, b)| interval(w, b)).collect()
            }
        };
        Series {
            window_secs: window_ns / NANOS_PER_SEC,
            method: SPREAD_METHOD,
            intervals,
        }
    }
}

fn add_to(map: &mut BTreeMap<String, u64>, key: &str, bytes: u64) {
    match map.get_mut(key) {
        Some(v) => *v += bytes,
        None => {
            map.insert(key.to_string(), bytes);
        }
    }
}

/// `(window index, bytes)` shares of `bytes` over the windows `[start, end]` touches, proportional
/// to the time spent in each; the shares add up to `bytes` exactly.
pub fn spread(start: Timestamp, end: Timestamp, bytes: u64, window_ns: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    spread_each(start, end, bytes, window_ns, |w, share| {
        out.push((w, share))
    });
    out
}

/// [`spread`], each share handed to `each` in window order instead of collected.
pub fn spread_each(
    start: Timestamp,
    end: Timestamp,
    bytes: u64,
    window_ns: u64,
    mut each: impl FnMut(u64, u64),
) {
    let window_ns = window_ns.max(1);
    let (s, e) = (start.as_nanos(), end.as_nanos().max(start.as_nanos()));
    let first = s / window_ns;
    let last = (e / window_ns).min(first.saturating_add(MAX_SPREAD_WINDOWS - 1));
    if first == last || e == s {
        each(first, bytes);
        return;
    }
    let duration = u128::from(e - s);
    let mut given = 0u64;
    for w in first..=last {
        let lo = s.max(w.saturating_mul(window_ns));
        let hi = e.min(w.saturating_add(1).saturating_mul(window_ns));
        let span = hi.saturating_sub(lo);
        let share = if w == last {
            bytes - given
        } else if let (Some(product), Ok(duration)) =
            (bytes.checked_mul(span), u64::try_from(duration))
        {
            // The same integer quotient, without 128-bit division when the product fits.
            product / duration
        } else {
            (u128::from(bytes) * u128::from(span) / duration) as u64
        };
        given += share;
        each(w, share);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60 * NANOS_PER_SEC;

    #[test]
    fn a_flow_inside_one_window_keeps_all_its_bytes_there() {
        let s = Timestamp::from_secs(125);
        assert_eq!(
            spread(s, Timestamp::from_secs(170), 999, MIN),
            vec![(2, 999)]
        );
    }

    #[test]
    fn a_flow_over_three_windows_is_split_by_time_and_adds_up() {
        // 30 s in window 0, 60 s in window 1, 30 s in window 2: 1/4, 1/2, 1/4 of 1000 (hand computed).
        let got = spread(
            Timestamp::from_secs(30),
            Timestamp::from_secs(150),
            1000,
            MIN,
        );
        assert_eq!(got, vec![(0, 250), (1, 500), (2, 250)]);
        // Rounding: 1001 bytes → 250, 500, and the remainder 251 in the last window.
        let got = spread(
            Timestamp::from_secs(30),
            Timestamp::from_secs(150),
            1001,
            MIN,
        );
        assert_eq!(got.iter().map(|(_, b)| b).sum::<u64>(), 1001);
        assert_eq!(got, vec![(0, 250), (1, 500), (2, 251)]);
    }

    #[test]
    fn an_end_before_the_start_does_not_panic() {
        let got = spread(Timestamp::from_secs(100), Timestamp::from_secs(5), 7, MIN);
        assert_eq!(got, vec![(1, 7)]);
    }
}
