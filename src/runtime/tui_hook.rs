//! The one place the runtimes meet the terminal UI. The runtimes publish a running summary and a
//! status a few times per second through a [`View`]; [`attach`] pairs that publisher with the UI
//! loop (run on its own thread; it returns when the user quits and restores the terminal itself).
//!
//! The TUI (`crate::tui`, built in parallel on branch `tui`) is not in this tree yet, so [`attach`]
//! reports that. Once it lands, `attach` becomes (API of `tui` at 33abb0b):
//!
//! ```text
//! use crate::aggregate::snapshot::{LiveStatus, Snapshot};
//! let (tx, rx) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
//! let mut rate = RestrictedRate::default();
//! let view = move |summary: &Summary, s: &ViewStatus| {
//!     rate.observe(summary, s.packet_time);
//!     let status = LiveStatus { source: s.source.clone(), progress: s.progress,
//!         packet_time: s.packet_time, packets_per_sec: s.packets_per_sec,
//!         bits_per_sec: s.bits_per_sec, active_flows: s.active_flows, drops: s.drops,
//!         malformed: s.malformed, paused: s.paused };
//!     tx.send_replace(Arc::new(Snapshot::build(summary, &status, &[], rate.series())));
//! };
//! Ok(Ui { view: Box::new(view), run: Box::new(move || crate::tui::run(rx)) })
//! ```
//! and `AVAILABLE` becomes `true`. The TUI returns on `q`, Ctrl-C, SIGTERM or SIGHUP; when the
//! runtime drops the view (capture over) it shows the last snapshot until the user quits.

use crate::aggregate::summary::Summary;
use crate::time::Timestamp;
use std::io;

/// Most points of the restricted-rate series kept (an hour of seconds).
const RATE_POINTS: usize = 3_600;

/// The status beside the summary: field for field the TUI's `LiveStatus`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewStatus {
    /// Interface name, or the capture files.
    pub source: String,
    /// Fraction of a replay done (by packets read), `None` live.
    pub progress: Option<f64>,
    pub packet_time: Option<Timestamp>,
    pub packets_per_sec: f64,
    pub bits_per_sec: f64,
    pub active_flows: u64,
    /// Capture + interface + queue drops.
    pub drops: u64,
    pub malformed: u64,
    pub paused: bool,
}

/// Receives running summaries (called from the engine thread, at most a few times per second).
pub type View = Box<dyn FnMut(&Summary, &ViewStatus) + Send>;

/// A terminal UI: its publisher and its loop.
pub struct Ui {
    pub view: View,
    /// Runs until the user quits; restores the terminal before returning.
    pub run: Box<dyn FnOnce() -> io::Result<()> + Send>,
}

/// Whether this build has a terminal UI (the default for `live` on a terminal when it has).
pub const AVAILABLE: bool = false;

/// The terminal UI, or why there is none.
pub fn attach() -> Result<Ui, String> {
    Err(
        "the terminal UI is not built into this version of aiwatch yet (run without --tui)"
            .to_string(),
    )
}

/// Bytes sent to restricted services per second of packet time, from successive running summaries
/// (the TUI's `restricted_rate` series, oldest first). A summary's restricted `sent_bytes` only
/// grows; the growth since the previous summary is spread evenly over the seconds in between.
#[derive(Clone, Debug, Default)]
pub struct RestrictedRate {
    last: Option<(u64, u64)>,
    series: Vec<u64>,
}

impl RestrictedRate {
    pub fn observe(&mut self, summary: &Summary, packet_time: Option<Timestamp>) {
        let Some(now) = packet_time.map(|t| t.as_secs()) else {
            return;
        };
        let bytes = summary.restricted.sent_bytes;
        let Some((sec, before)) = self.last else {
            self.last = Some((now, bytes));
            return;
        };
        if now <= sec {
            return;
        }
        let seconds = now - sec;
        let grown = bytes.saturating_sub(before);
        // Only the newest RATE_POINTS seconds can be kept.
        let kept = seconds.min(RATE_POINTS as u64);
        let each = grown / seconds;
        for i in 0..kept {
            // The remainder goes to the last second so the series sums to the growth.
            let extra = if i + 1 == kept {
                grown - each * seconds
            } else {
                0
            };
            self.series.push(each + extra);
        }
        let over = self.series.len().saturating_sub(RATE_POINTS);
        self.series.drain(..over);
        self.last = Some((now, bytes));
    }

    pub fn series(&self) -> &[u64] {
        &self.series
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::summary::SummaryBuilder;
    use crate::engine::EngineStats;
    use crate::flow::TableStats;

    fn summary_with_restricted(sent: u64) -> Summary {
        let mut s =
            SummaryBuilder::default().finish(&[], &EngineStats::default(), &TableStats::default());
        s.restricted.sent_bytes = sent;
        s
    }

    #[test]
    fn restricted_rate_spreads_growth_over_packet_seconds() {
        let mut r = RestrictedRate::default();
        r.observe(&summary_with_restricted(0), Some(Timestamp::from_secs(100)));
        assert!(r.series().is_empty());
        // Same second: nothing yet.
        r.observe(
            &summary_with_restricted(50),
            Some(Timestamp::from_secs(100)),
        );
        assert!(r.series().is_empty());
        // 3 s later, 3000 + 1 bytes more (counted from the first observation): 1000, 1000, 1001.
        r.observe(
            &summary_with_restricted(3001),
            Some(Timestamp::from_secs(103)),
        );
        assert_eq!(r.series(), &[1000, 1000, 1001]);
        r.observe(
            &summary_with_restricted(3001),
            Some(Timestamp::from_secs(104)),
        );
        assert_eq!(r.series(), &[1000, 1000, 1001, 0]);
        // No packet time yet: ignored.
        r.observe(&summary_with_restricted(9999), None);
        assert_eq!(r.series().len(), 4);
    }

    #[test]
    fn restricted_rate_keeps_the_newest_hour() {
        let mut r = RestrictedRate::default();
        r.observe(&summary_with_restricted(0), Some(Timestamp::from_secs(0)));
        r.observe(
            &summary_with_restricted(0),
            Some(Timestamp::from_secs(10_000)),
        );
        assert_eq!(r.series().len(), RATE_POINTS);
    }
}
