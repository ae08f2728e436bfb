//! The one place the runtimes meet the terminal UI. The runtimes publish a running summary and a
//! status a few times per second through a [`View`]; [`attach`] pairs that publisher with the UI
//! loop (run on its own thread; it returns when the user quits and restores the terminal itself).
//!
//! The runtime's status is the TUI's [`LiveStatus`]; the restricted-rate chart is derived here from
//! successive summaries ([`RestrictedRate`]); the drill-down shows the recent flows to AI providers
//! the runtime hands over. Policy alerts come from the same alert logic as `alerts.ndjson`, over the
//! recent ended flows and the open ones, so a restricted flow alerts while it is still open.

use crate::aggregate::record::FlowRecord;
use crate::aggregate::snapshot::{AlertRow, LiveStatus, MAX_FLOWS, Snapshot};
use crate::aggregate::summary::Summary;
use crate::classify::policy::Thresholds;
use crate::export::alerts::alerts;
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::io::{self, IsTerminal};
use std::sync::Arc;

/// Most points of the restricted-rate series kept (an hour of seconds).
const RATE_POINTS: usize = 3_600;

/// The status beside the summary (interface or files, rates, drops).
pub type ViewStatus = LiveStatus;

/// Receives running summaries, with the most recent ended flow records to AI providers and the
/// open ones (called from the engine thread, at most a few times per second).
pub type View = Box<dyn FnMut(&Summary, &ViewStatus, &[FlowRecord], &[FlowRecord]) + Send>;

/// A terminal UI: its publisher and its loop.
pub struct Ui {
    pub view: View,
    /// Runs until the user quits; restores the terminal before returning.
    pub run: Box<dyn FnOnce() -> io::Result<()> + Send>,
}

/// Whether this build has a terminal UI (the default for `live` on a terminal).
pub const AVAILABLE: bool = true;

/// The terminal UI, or why there is none (standard output is not a terminal).
pub fn attach(thresholds: Thresholds) -> Result<Ui, String> {
    if !io::stdout().is_terminal() {
        return Err("--tui needs a terminal on standard output".to_string());
    }
    let (tx, rx) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
    let mut rate = RestrictedRate::default();
    let view = move |summary: &Summary,
                     status: &ViewStatus,
                     recent: &[FlowRecord],
                     active: &[FlowRecord]| {
        rate.observe(summary, status.packet_time);
        let alerts = alert_rows(recent, active, &thresholds);
        let snapshot = Snapshot::build(summary, status, &alerts, rate.series()).with_flows(recent);
        tx.send_replace(Arc::new(snapshot));
    };
    Ok(Ui {
        view: Box::new(view),
        run: Box::new(move || crate::tui::run(rx)),
    })
}

/// Policy alerts over the recent ended flows and the open ones, in time order.
fn alert_rows(
    recent: &[FlowRecord],
    active: &[FlowRecord],
    thresholds: &Thresholds,
) -> Vec<AlertRow> {
    let mut all: Vec<&FlowRecord> = recent.iter().chain(active).collect();
    all.sort_by_key(|r| r.ts_start);
    let owned: Vec<FlowRecord> = all.into_iter().cloned().collect();
    alerts(&owned, thresholds)
        .into_iter()
        .map(|a| AlertRow {
            ts: a.at,
            host: a.host,
            provider: a.provider_name,
            jurisdiction: a.jurisdiction,
            sent_bytes: a.sent_bytes,
            rule: a.rule,
        })
        .collect()
}

/// The most recent flow records to AI providers (the drill-down's input), at most
/// [`snapshot::MAX_FLOWS`](crate::aggregate::snapshot::MAX_FLOWS).
#[derive(Debug, Default)]
pub struct RecentFlows(VecDeque<FlowRecord>);

impl RecentFlows {
    pub fn push(&mut self, r: &FlowRecord) {
        if r.provider.is_none() {
            return;
        }
        if self.0.len() == MAX_FLOWS {
            self.0.pop_front();
        }
        self.0.push_back(r.clone());
    }

    pub fn as_slice(&mut self) -> &[FlowRecord] {
        self.0.make_contiguous()
    }
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
            // What was already sent when the view started belongs to its first second.
            self.series.push(bytes);
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
        assert_eq!(r.series(), &[0]);
        // Same second: nothing yet.
        r.observe(
            &summary_with_restricted(50),
            Some(Timestamp::from_secs(100)),
        );
        assert_eq!(r.series(), &[0]);
        // 3 s later, 3000 + 1 bytes more (counted from the first observation): 1000, 1000, 1001.
        r.observe(
            &summary_with_restricted(3001),
            Some(Timestamp::from_secs(103)),
        );
        assert_eq!(r.series(), &[0, 1000, 1000, 1001]);
        r.observe(
            &summary_with_restricted(3001),
            Some(Timestamp::from_secs(104)),
        );
        assert_eq!(r.series(), &[0, 1000, 1000, 1001, 0]);
        // No packet time yet: ignored.
        r.observe(&summary_with_restricted(9999), None);
        assert_eq!(r.series().len(), 5);
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
