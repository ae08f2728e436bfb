//! The one place the runtimes meet the terminal UI. The runtimes publish a running summary and a
//! status a few times per second through a [`View`]; [`attach`] pairs that publisher with the UI
//! loop (run on its own thread; it returns when the user quits and restores the terminal itself).
//!
//! The TUI (`crate::tui`, built in parallel) is not in this tree yet, so [`attach`] reports that.
//! Once it lands, `attach` becomes:
//!
//! ```text
//! let (tx, rx) = tokio::sync::watch::channel(Arc::new(Snapshot::build(
//!     &Summary::empty(), &LiveStatus::default(), &[], &[])));   // or any initial snapshot
//! let view = move |summary: &Summary, s: &ViewStatus| {
//!     let status = LiveStatus { source: s.source.clone(), progress: s.progress,
//!         packet_time: s.packet_time, packets_per_sec: s.packets_per_sec,
//!         bits_per_sec: s.bits_per_sec, active_flows: s.active_flows, drops: s.drops,
//!         malformed: s.malformed, paused: s.paused };
//!     tx.send_replace(Arc::new(Snapshot::build(summary, &status, &[], &[])));
//! };
//! Ok(Ui { view: Box::new(view), run: Box::new(move || crate::tui::run(rx)) })
//! ```

use crate::aggregate::summary::Summary;
use crate::time::Timestamp;
use std::io;

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
