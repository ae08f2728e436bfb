//! Live capture: an interface → the capture thread → a bounded queue of frame batches → the engine
//! on this thread → the sinks as flows end. The only runtime that reads the wall clock: packet time
//! is libpcap's capture timestamp, and when the link is idle a wall-clock tick (once a second)
//! drives the engine's timeouts so idle flows still end.
//!
//! Shutdown (SIGINT/SIGTERM, the UI quitting, or the capture breaking) stops the capture thread,
//! which hands over what libpcap still holds; then every open flow ends with reason `shutdown`, the
//! records and summary are written, and the text summary printed (headless). Losses are counted
//! where they happen: libpcap's buffer (`capture_drops`), the interface (`interface_drops`), and the
//! engine's queue (`queue_drops`), and reported in the status line and summary.json.

mod capture_thread;
mod os;
pub mod pace;
pub mod watch;

use crate::aggregate::record::FlowRecord;
use crate::aggregate::summary::{CaptureCounters, Summary, SummaryBuilder};
use crate::capture::live::{FrameBatch, LiveConfig, LiveError, LiveSource};
use crate::classify::Classifier;
use crate::engine::{Engine, EngineConfig};
use crate::export::dir::ExportDir;
use crate::export::{ExportOptions, FlowFormat, alerts, csv, ecs, html, ndjson, text};
use crate::flow::EndReason;
use crate::runtime::tui_hook::{self, RecentFlows, View, ViewStatus};
use crate::time::Timestamp;
use capture_thread::Stopper;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use capture_thread::QUEUE_BATCHES;

/// How often the engine thread wakes when no batch arrives.
const POLL: Duration = Duration::from_millis(100);
/// Idle time after which the wall clock drives the engine's timeouts (and how often it then does).
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Flow records kept in memory for the end-of-run CSV, alerts and HTML report; a longer run writes
/// only flows.ndjson (streamed) and summary.json.
pub const KEEP_RECORDS: usize = 200_000;
/// How often a running summary goes to the UI.
const VIEW_EVERY: Duration = Duration::from_millis(500);

pub struct LiveOptions {
    pub capture: LiveConfig,
    /// `dir`, `format`, `force` and `window_secs` apply (`write_matched` needs capture files).
    pub export: ExportOptions,
    pub engine: EngineConfig,
    pub classifier: Arc<Classifier>,
    /// Switch to this user once the interface is open.
    pub user: Option<String>,
    /// Run the terminal UI (otherwise headless).
    pub tui: bool,
    /// Headless status line on stderr this often (`None`: never).
    pub status_interval: Option<Duration>,
    /// Rewrite summary.json this often while running (`None`: only at the end).
    pub summary_interval: Option<Duration>,
}

/// What a live run produced.
pub struct LiveOutcome {
    /// Writing the export failed (said on stderr when it happened); the text summary went to the
    /// output instead.
    pub export_error: Option<String>,
    pub summary: Summary,
    /// The capture broke (interface gone, …): everything before it was still processed and reported.
    pub capture_error: Option<LiveError>,
}

/// Runs a live capture until stopped. `Err` means nothing was captured (bad interface, filter,
/// privilege, export directory); the message is one line.
pub fn run(opts: &LiveOptions, out: &mut dyn Write) -> Result<LiveOutcome, String> {
    let ui = if opts.tui {
        Some(tui_hook::attach(opts.classifier.policy.thresholds)?)
    } else {
        None
    };
    let mut src = LiveSource::open(&opts.capture).map_err(|e| e.to_string())?;
    if !src.link_type().is_supported() {
        return Err(format!(
            "{}: unsupported link type {}",
            src.interface(),
            src.link_name()
        ));
    }
    if let Some(user) = &opts.user {
        os::drop_privileges(user)?;
    }
    // The export files are created as the (possibly unprivileged) user the capture runs as.
    let export = opts
        .export
        .dir
        .as_deref()
        .map(|d| ExportDir::prepare(d, opts.export.force))
        .transpose()?;
    let lines = match &export {
        Some(dir) => {
            let path = dir.path().join("flows.ndjson");
            let f = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            dir.remove_earlier(&["flows.ndjson"])?;
            Some((BufWriter::new(f), path))
        }
        None => None,
    };

    let stopper = Arc::new(Stopper::new());
    stopper.set_breaker(src.breaker());
    let signals = os::SignalWatch::start(Arc::clone(&stopper))?;
    let (queue_tx, queue_rx) = mpsc::sync_channel::<FrameBatch>(QUEUE_BATCHES);
    let (recycle_tx, recycle_rx) = mpsc::channel::<FrameBatch>();
    let counters = Arc::new(capture_thread::CaptureCounters::default());
    let source_name = src.interface().to_string();
    eprintln!(
        "aiwatch: capturing on {} ({}, snaplen {}{}{}{}); stop with Ctrl-C or SIGTERM",
        source_name,
        src.link_name(),
        opts.capture.snaplen,
        if opts.capture.immediate {
            ", immediate"
        } else {
            ""
        },
        if opts.capture.promiscuous {
            ", promiscuous"
        } else {
            ""
        },
        opts.capture
            .bpf
            .as_deref()
            .map(|f| format!(", filter {f:?}"))
            .unwrap_or_default(),
    );
    let capture = {
        let counters = Arc::clone(&counters);
        let stopper = Arc::clone(&stopper);
        std::thread::Builder::new()
            .name("aiwatch-capture".into())
            .spawn(move || capture_thread::run(src, queue_tx, recycle_rx, counters, stopper))
            .map_err(|e| format!("starting the capture thread: {e}"))?
    };
    let (view, ui_thread) = match ui {
        Some(ui) => {
            let stopper = Arc::clone(&stopper);
            let run = ui.run;
            let t = std::thread::Builder::new()
                .name("aiwatch-tui".into())
                .spawn(move || {
                    let r = run();
                    stopper.stop();
                    r
                })
                .map_err(|e| format!("starting the terminal UI: {e}"))?;
            (Some(ui.view), Some(t))
        }
        None => (None, None),
    };

    let mut driver = Driver {
        engine: Engine::new(opts.engine.clone(), Arc::clone(&opts.classifier)),
        summary: SummaryBuilder::with_window(opts.export.window_secs),
        flows_ended: 0,
        lines,
        format: opts.export.format,
        kept: export.is_some().then(Vec::new),
        write_error: None,
        sources: vec![source_name.clone()],
        counters: Arc::clone(&counters),
        export: export.as_ref(),
        view,
        recent: RecentFlows::default(),
        view_status: ViewStatus {
            source: source_name,
            ..ViewStatus::default()
        },
    };
    let status_every = if opts.tui { None } else { opts.status_interval };
    driver.run(&queue_rx, &recycle_tx, status_every, opts.summary_interval);

    let (stats, capture_error) = capture
        .join()
        .map_err(|_| "the capture thread panicked".to_string())?;
    drop(signals);
    driver.engine.finish(EndReason::Shutdown);
    driver.take_records();
    let mut capture_counters = driver.capture_counters();
    capture_counters.capture_drops = stats.dropped;
    capture_counters.interface_drops = stats.if_dropped;
    let summary = driver.summary(false, capture_counters);
    driver.publish(&summary, Rates::default());
    drop(driver.view.take());
    let mut export_error = None;
    if let Some((mut w, path)) = driver.lines.take()
        && let Err(e) = w.flush()
    {
        driver
            .write_error
            .get_or_insert(format!("{}: {e}", path.display()));
    }
    export_error = export_error.or(driver.write_error.take());
    if let Some(dir) = &export {
        // Written even when flows.ndjson failed: the totals are complete either way.
        let written = write_summary_json(dir, &summary)
            .and_then(|()| write_reports(dir, driver.kept.take(), &summary, &opts.classifier));
        if let Err(e) = written {
            export_error.get_or_insert(e);
        }
    }
    if let Some(t) = ui_thread {
        match t.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("aiwatch: terminal UI: {e}"),
            Err(_) => eprintln!("aiwatch: the terminal UI panicked"),
        }
    }
    if export.is_some() && export_error.is_none() {
        print_text_summary(&mut std::io::stderr().lock(), &summary)
    } else {
        print_text_summary(out, &summary)
    }
    .map_err(|e| format!("writing the summary: {e}"))?;
    Ok(LiveOutcome {
        summary,
        capture_error,
        export_error,
    })
}

/// The text summary, then the capture's counters (what the live run adds to a replay's summary).
fn print_text_summary(out: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    text::write_summary(out, s)?;
    if let Some(c) = &s.capture {
        writeln!(
            out,
            "  capture   {} packets received; dropped: {} by libpcap, {} by the interface, {} by \
             the queue",
            c.packets_received, c.capture_drops, c.interface_drops, c.queue_drops
        )?;
    }
    Ok(())
}

/// flows.csv, alerts.ndjson and report.html, from the records kept (`None`: too many were).
fn write_reports(
    dir: &ExportDir,
    kept: Option<Vec<FlowRecord>>,
    summary: &Summary,
    classifier: &Classifier,
) -> Result<(), String> {
    let Some(mut records) = kept else {
        eprintln!(
            "aiwatch: more than {KEEP_RECORDS} flows: flows.csv, alerts.ndjson and report.html are \
             not written for a live run this long (flows.ndjson and summary.json are complete)"
        );
        return Ok(());
    };
    records.sort_by_cached_key(FlowRecord::sort_key);
    let alerts = alerts::alerts(&records, &classifier.policy.thresholds);
    dir.write("flows.csv", |w| csv::write_csv(w, &records))?;
    dir.write("alerts.ndjson", |w| ndjson::write_lines(w, &alerts))?;
    dir.write("report.html", |w| {
        html::write_report(
            w,
            &html::ReportInput {
                summary,
                records: &records,
                alerts: &alerts,
                classifier,
            },
        )
    })
}

fn write_summary_json(dir: &ExportDir, summary: &Summary) -> Result<(), String> {
    dir.write("summary.json", |w| {
        serde_json::to_writer_pretty(&mut *w, summary).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
}

/// The wall clock as packet time (for idle ticks only).
fn wall_clock() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Rates over the last status interval.
#[derive(Clone, Copy, Debug, Default)]
struct Rates {
    packets_per_sec: f64,
    bits_per_sec: f64,
}

/// Frame and byte counts at an instant, to compute rates from.
struct Mark {
    at: Instant,
    frames: u64,
    bytes: u64,
}

/// The engine thread's state: the engine and where its output goes.
struct Driver<'a> {
    engine: Engine,
    summary: SummaryBuilder,
    flows_ended: u64,
    lines: Option<(BufWriter<File>, PathBuf)>,
    /// The first failure writing flows.ndjson (the run continues; reported at the end).
    write_error: Option<String>,
    sources: Vec<String>,
    format: FlowFormat,
    /// Records kept for the end-of-run reports (CSV, alerts, HTML), `None` once past
    /// [`KEEP_RECORDS`] (or without export).
    kept: Option<Vec<FlowRecord>>,
    counters: Arc<capture_thread::CaptureCounters>,
    export: Option<&'a ExportDir>,
    view: Option<View>,
    view_status: ViewStatus,
    /// Recent flows to AI providers for the view's drill-down (kept only with a view).
    recent: RecentFlows,
}

impl Driver<'_> {
    /// Feeds batches until the capture thread hangs up.
    fn run(
        &mut self,
        queue: &mpsc::Receiver<FrameBatch>,
        recycle: &mpsc::Sender<FrameBatch>,
        status_every: Option<Duration>,
        summary_every: Option<Duration>,
    ) {
        let start = Instant::now();
        let mut last_packet = start;
        let mut last_tick = start;
        let mut last_status = start;
        let mut last_summary = start;
        let mut last_view = start;
        // Rates are over the interval since the previous status line (or view).
        let mut status_mark = self.mark(start);
        let mut view_mark = self.mark(start);
        loop {
            match queue.recv_timeout(POLL) {
                Ok(mut batch) => {
                    for frame in batch.frames() {
                        self.engine.handle_frame(&frame);
                    }
                    batch.clear();
                    let _ = recycle.send(batch);
                    last_packet = Instant::now();
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let now = Instant::now();
            if now.duration_since(last_packet) >= IDLE_TICK
                && now.duration_since(last_tick) >= IDLE_TICK
            {
                last_tick = now;
                let last_ts = self.engine.stats().last_ts.unwrap_or(Timestamp::ZERO);
                self.engine.handle_timeout(wall_clock().max(last_ts));
            }
            self.take_records();
            if let Some(every) = status_every
                && now.duration_since(last_status) >= every
            {
                last_status = now;
                let next = self.mark(now);
                eprintln!("{}", self.status_line(rates_between(&status_mark, &next)));
                status_mark = next;
            }
            if self.view.is_some() && now.duration_since(last_view) >= VIEW_EVERY {
                last_view = now;
                let next = self.mark(now);
                let rates = rates_between(&view_mark, &next);
                view_mark = next;
                let s = self.summary(true, self.capture_counters());
                self.publish(&s, rates);
            }
            if let (Some(every), Some(dir)) = (summary_every, self.export)
                && now.duration_since(last_summary) >= every
            {
                last_summary = now;
                let s = self.summary(true, self.capture_counters());
                if let Err(e) = write_summary_json(dir, &s) {
                    self.write_error.get_or_insert(e);
                }
            }
        }
    }

    fn mark(&self, at: Instant) -> Mark {
        let s = self.engine.stats();
        Mark {
            at,
            frames: s.frames,
            bytes: s.frame_bytes,
        }
    }

    /// Folds the records of flows that ended into the summary and appends them to flows.ndjson.
    fn take_records(&mut self) {
        let mut wrote = false;
        for r in self.engine.drain_records() {
            self.flows_ended += 1;
            self.summary.add(&r);
            if self.view.is_some() {
                self.recent.push(&r);
            }
            if let Some((w, path)) = &mut self.lines
                && self.write_error.is_none()
            {
                if let Err(e) = write_line(w, &r, self.format) {
                    let e = format!("{}: {e}", path.display());
                    // Said at once (the capture goes on): the flows still reach the summary.
                    eprintln!("aiwatch: {e}; flows that end from now on are not written to it");
                    self.write_error = Some(e);
                }
                wrote = true;
            }
            if let Some(kept) = &mut self.kept {
                if kept.len() < KEEP_RECORDS {
                    kept.push(r);
                } else {
                    self.kept = None;
                }
            }
        }
        // Flushed as flows end, so `tail -f flows.ndjson` shows them.
        if wrote
            && let Some((w, path)) = &mut self.lines
            && let Err(e) = w.flush()
        {
            self.write_error
                .get_or_insert(format!("{}: {e}", path.display()));
        }
    }

    /// The counters known on this thread (libpcap's are refreshed by the capture thread).
    fn capture_counters(&self) -> CaptureCounters {
        CaptureCounters {
            packets_received: self.engine.stats().frames,
            capture_drops: self.counters.pcap_dropped.load(Ordering::Relaxed),
            interface_drops: self.counters.pcap_if_dropped.load(Ordering::Relaxed),
            queue_drops: self.counters.queue_drops.load(Ordering::Relaxed),
        }
    }

    /// The summary of the flows that ended, plus (when `with_active`) those still open.
    fn summary(&self, with_active: bool, capture: CaptureCounters) -> Summary {
        let mut b = self.summary.clone();
        if with_active {
            self.engine.fold_active(&mut b);
        }
        let mut s = b.finish(
            &self.sources,
            self.engine.stats(),
            &self.engine.table_stats(),
        );
        s.capture = Some(capture);
        s
    }

    fn publish(&mut self, summary: &Summary, rates: Rates) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        let c = summary.capture.unwrap_or_default();
        let st = &mut self.view_status;
        st.packet_time = self.engine.stats().last_ts;
        st.packets_per_sec = rates.packets_per_sec;
        st.bits_per_sec = rates.bits_per_sec;
        st.active_flows = self.engine.active_flows() as u64;
        st.drops = c.capture_drops + c.interface_drops + c.queue_drops;
        st.malformed = self.engine.stats().malformed_total();
        let active = self.engine.active_ai_records();
        view(summary, st, self.recent.as_slice(), &active);
    }

    fn status_line(&self, rates: Rates) -> String {
        let c = self.capture_counters();
        status_line(
            rates,
            self.engine.active_flows() as u64,
            self.flows_ended,
            &c,
            self.engine.stats().malformed_total(),
        )
    }
}

fn write_line(w: &mut BufWriter<File>, r: &FlowRecord, format: FlowFormat) -> std::io::Result<()> {
    match format {
        FlowFormat::Native => serde_json::to_writer(&mut *w, r),
        FlowFormat::Ecs => serde_json::to_writer(&mut *w, &ecs::document(r)),
    }
    .map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

fn rates_between(a: &Mark, b: &Mark) -> Rates {
    let secs = b.at.duration_since(a.at).as_secs_f64();
    if secs <= 0.0 {
        return Rates::default();
    }
    Rates {
        packets_per_sec: b.frames.saturating_sub(a.frames) as f64 / secs,
        bits_per_sec: b.bytes.saturating_sub(a.bytes) as f64 * 8.0 / secs,
    }
}

/// The headless status line.
fn status_line(
    rates: Rates,
    active: u64,
    ended: u64,
    c: &CaptureCounters,
    malformed: u64,
) -> String {
    format!(
        "aiwatch: {:.0} pkt/s, {}, {} active flows, {} flows ended, drops: {} capture, {} interface, \
         {} queue, {} malformed",
        rates.packets_per_sec,
        human_bits(rates.bits_per_sec),
        active,
        ended,
        c.capture_drops,
        c.interface_drops,
        c.queue_drops,
        malformed
    )
}

fn human_bits(bps: f64) -> String {
    if bps >= 1e9 {
        format!("{:.2} Gbit/s", bps / 1e9)
    } else if bps >= 1e6 {
        format!("{:.2} Mbit/s", bps / 1e6)
    } else if bps >= 1e3 {
        format!("{:.1} kbit/s", bps / 1e3)
    } else {
        format!("{bps:.0} bit/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_names_every_counter() {
        let c = CaptureCounters {
            packets_received: 10,
            capture_drops: 1,
            interface_drops: 2,
            queue_drops: 3,
        };
        let rates = Rates {
            packets_per_sec: 1500.0,
            bits_per_sec: 12_000_000.0,
        };
        let line = status_line(rates, 4, 5, &c, 6);
        assert_eq!(
            line,
            "aiwatch: 1500 pkt/s, 12.00 Mbit/s, 4 active flows, 5 flows ended, drops: 1 capture, \
             2 interface, 3 queue, 6 malformed"
        );
    }

    #[test]
    fn rates_divide_by_elapsed_time() {
        let t0 = Instant::now();
        let a = Mark {
            at: t0,
            frames: 100,
            bytes: 1000,
        };
        let b = Mark {
            at: t0 + Duration::from_secs(2),
            frames: 300,
            bytes: 3000,
        };
        let r = rates_between(&a, &b);
        assert_eq!(r.packets_per_sec, 100.0);
        assert_eq!(r.bits_per_sec, 8000.0);
        assert_eq!(human_bits(999.0), "999 bit/s");
        assert_eq!(human_bits(1_500.0), "1.5 kbit/s");
    }
}
