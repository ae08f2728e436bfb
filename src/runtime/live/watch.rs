//! A replay watched as if live: paced by packet time and/or shown in the terminal UI. Hooks into
//! `replay::run_with`, so the replay itself (and its output) is the same as a plain replay.

use super::pace::{Pacer, Speed};
use super::{Mark, Rates, VIEW_EVERY, rates_between};
use crate::aggregate::record::FlowRecord;
use crate::aggregate::summary::SummaryBuilder;
use crate::engine::Engine;
use crate::export::ExportOptions;
use crate::runtime::replay::{self, ReplayHooks, ReplayOptions, ReplayOutcome};
use crate::runtime::tui_hook::{self, RecentFlows, View, ViewStatus};
use crate::time::Timestamp;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Frames between two looks at the clock (publishing is decided on wall time).
const CLOCK_EVERY_FRAMES: u32 = 64;

struct Watch {
    pacer: Pacer,
    /// Set when the user closed the UI: the rest of the replay runs unpaced.
    quit: Arc<AtomicBool>,
    view: Option<View>,
    status: ViewStatus,
    recent: RecentFlows,
    frames_since_clock: u32,
    last_publish: Instant,
    mark: Option<Mark>,
}

impl ReplayHooks for Watch {
    fn before_frame(&mut self, ts: Timestamp) {
        if !self.quit.load(Ordering::Relaxed) {
            self.pacer.wait(ts);
        }
    }

    fn on_record(&mut self, record: &FlowRecord) {
        if self.view.is_some() {
            self.recent.push(record);
        }
    }

    fn wants_publish(&mut self) -> bool {
        if self.view.is_none() {
            return false;
        }
        self.frames_since_clock += 1;
        if self.frames_since_clock < CLOCK_EVERY_FRAMES {
            return false;
        }
        self.frames_since_clock = 0;
        self.last_publish.elapsed() >= VIEW_EVERY
    }

    fn publish(&mut self, engine: &Engine, summary: &SummaryBuilder, sources: &[String]) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        let now = Instant::now();
        self.last_publish = now;
        let stats = engine.stats();
        let next = Mark {
            at: now,
            frames: stats.frames,
            bytes: stats.frame_bytes,
        };
        let rates = match &self.mark {
            Some(m) => rates_between(m, &next),
            None => Rates::default(),
        };
        self.mark = Some(next);
        let mut b = summary.clone();
        engine.fold_active(&mut b);
        let s = b.finish(sources, stats, &engine.table_stats());
        let st = &mut self.status;
        st.packet_time = stats.last_ts;
        st.packets_per_sec = rates.packets_per_sec;
        st.bits_per_sec = rates.bits_per_sec;
        st.active_flows = engine.active_flows() as u64;
        st.malformed = stats.malformed_total();
        let active = engine.active_ai_records();
        view(&s, st, self.recent.as_slice(), &active);
    }
}

/// Replays `opts` paced at `speed`, in the terminal UI when `tui`. The text summary (no export) is
/// printed to `out` after the UI has closed.
pub fn run(
    opts: &ReplayOptions,
    export_opts: &ExportOptions,
    speed: Speed,
    tui: bool,
    out: &mut dyn Write,
) -> Result<ReplayOutcome, String> {
    // Bad input is one line on a normal terminal, before the UI takes the screen: open every file
    // and check the export directory first (the replay opens them again).
    for f in &opts.files {
        if f.as_path() != std::path::Path::new("-") {
            crate::capture::FileSource::open(f).map_err(|e| e.to_string())?;
        }
    }
    if let Some(dir) = &export_opts.dir {
        crate::export::dir::check_target(dir, export_opts.force)?;
    }
    let ui = if tui {
        Some(tui_hook::attach(opts.classifier.policy.thresholds)?)
    } else {
        None
    };
    let source: Vec<String> = opts.files.iter().map(|f| f.display().to_string()).collect();
    let mut watch = Watch {
        pacer: Pacer::new(speed),
        quit: Arc::new(AtomicBool::new(false)),
        view: None,
        status: ViewStatus {
            source: source.join(", "),
            ..ViewStatus::default()
        },
        recent: RecentFlows::default(),
        frames_since_clock: 0,
        last_publish: Instant::now(),
        mark: None,
    };
    let Some(ui) = ui else {
        return replay::run_hooked(opts, export_opts, out, &mut watch);
    };
    watch.view = Some(ui.view);
    let run = ui.run;
    let quit = Arc::clone(&watch.quit);
    let ui_thread = std::thread::Builder::new()
        .name("aiwatch-tui".into())
        .spawn(move || {
            let r = run();
            quit.store(true, Ordering::Relaxed);
            r
        })
        .map_err(|e| format!("starting the terminal UI: {e}"))?;
    // The UI owns the terminal until it returns: the text summary waits.
    let mut text = Vec::new();
    let outcome = replay::run_hooked(opts, export_opts, &mut text, &mut watch);
    drop(watch);
    match ui_thread.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("aiwatch: terminal UI: {e}"),
        Err(_) => eprintln!("aiwatch: the terminal UI panicked"),
    }
    out.write_all(&text)
        .map_err(|e| format!("writing the summary: {e}"))?;
    outcome
}
