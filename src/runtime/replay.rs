//! Replay: capture files in order, packet time from the files, output after the last packet.

use crate::aggregate::record::FlowRecord;
use crate::aggregate::summary::{Summary, SummaryBuilder};
use crate::capture::{CaptureError, FileSource};
use crate::classify::Classifier;
use crate::engine::{Engine, EngineConfig};
use crate::export::{self, ExportOptions, RunOutput, text};
use crate::flow::EndReason;
use crate::time::Timestamp;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

pub struct ReplayOptions {
    pub files: Vec<PathBuf>,
    pub export: Option<PathBuf>,
    pub engine: EngineConfig,
    pub classifier: Arc<Classifier>,
    /// Keep every flow record in the outcome (export keeps them anyway, to sort them).
    pub keep_records: bool,
}

/// What a replay produced, for the caller (CLI or test) to report.
pub struct ReplayOutcome {
    pub records: Vec<FlowRecord>,
    pub summary: Summary,
    /// A capture that broke mid-way: everything before it was still processed and reported.
    pub read_error: Option<CaptureError>,
    /// What the export wrote besides its files' names (alerts, evidence frames).
    pub export: export::ExportReport,
    /// The export failed after the capture was processed (nothing half-written was left; the text
    /// summary went to the output instead).
    pub export_error: Option<String>,
}

/// Runs a replay. `Err` means nothing was processed (bad input caught before the first packet).
pub fn run(opts: &ReplayOptions, out: &mut dyn Write) -> Result<ReplayOutcome, String> {
    let export = ExportOptions {
        dir: opts.export.clone(),
        ..ExportOptions::default()
    };
    run_with_export(opts, &export, out)
}

/// What a watched replay adds around the engine (pacing, a running view); [`run`] adds nothing.
pub trait ReplayHooks {
    /// Called before each frame is fed, with its packet time (pacing sleeps here).
    fn before_frame(&mut self, _ts: Timestamp) {}
    /// Called after each frame: `true` asks for [`ReplayHooks::publish`] now.
    fn wants_publish(&mut self) -> bool {
        false
    }
    /// Called with each flow record as it is taken from the engine.
    fn on_record(&mut self, _record: &FlowRecord) {}
    /// A running view: the records of ended flows are already folded into `summary`.
    fn publish(&mut self, _engine: &Engine, _summary: &SummaryBuilder, _sources: &[String]) {}
    /// Whether [`ReplayHooks::on_record`] or [`ReplayHooks::publish`] read more of the records
    /// than the summary does. When nothing else reads them either, the engine leaves the other
    /// fields empty (see `EngineConfig::summary_only`).
    fn reads_records(&self) -> bool {
        true
    }
}

/// No hooks: a plain replay.
pub struct Unwatched;

impl ReplayHooks for Unwatched {
    fn reads_records(&self) -> bool {
        false
    }
}

/// [`run`] with every export option (`opts.export` is ignored: `export.dir` is used).
pub fn run_with_export(
    opts: &ReplayOptions,
    export_opts: &ExportOptions,
    out: &mut dyn Write,
) -> Result<ReplayOutcome, String> {
    run_hooked(opts, export_opts, out, &mut Unwatched)
}

/// [`run_with_export`] with hooks (see [`ReplayHooks`]).
pub fn run_hooked<H: ReplayHooks>(
    opts: &ReplayOptions,
    export_opts: &ExportOptions,
    out: &mut dyn Write,
    hooks: &mut H,
) -> Result<ReplayOutcome, String> {
    // Open every file and the export directory first: bad input fails before any work is done.
    let mut sources = Vec::with_capacity(opts.files.len());
    for f in &opts.files {
        sources.push(FileSource::open(f).map_err(|e| e.to_string())?);
    }
    for s in &sources {
        if !s.link_type().is_supported() {
            return Err(format!(
                "{}: unsupported link type {:?}",
                s.name(),
                s.link_type()
            ));
        }
    }
    let export = export::prepare(export_opts, &opts.files)?;
    let names: Vec<String> = sources.iter().map(|s| s.name().to_string()).collect();

    let keep = opts.keep_records || export.writes_files() || export_opts.write_matched.is_some();
    // Without export or kept records only the summary reads the records: let the engine skip the rest.
    let config = EngineConfig {
        full_records: opts.engine.full_records && keep,
        summary_only: opts.engine.summary_only || (!keep && !hooks.reads_records()),
        ..opts.engine.clone()
    };
    let mut engine = Engine::new(config, Arc::clone(&opts.classifier));
    let mut records = Vec::new();
    let mut summary = SummaryBuilder::with_window(export_opts.window_secs);
    let classifier = &*opts.classifier;
    let take = |engine: &mut Engine,
                summary: &mut SummaryBuilder,
                records: &mut Vec<FlowRecord>,
                hooks: &mut H| {
        for r in engine.drain_records() {
            summary.add(&r);
            hooks.on_record(&r);
            if keep {
                records.push(r);
            }
        }
        for facts in engine.drain_summary_facts() {
            summary.add_totals(&facts.totals(classifier));
        }
    };
    let mut read_error = None;
    let mut sources_unread = 0;
    'files: for (i, source) in sources.iter_mut().enumerate() {
        let mut batch = 0u32;
        loop {
            match source.next_frame() {
                Ok(Some(frame)) => {
                    hooks.before_frame(frame.ts);
                    engine.handle_frame(&frame);
                }
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(e);
                    sources_unread = names.len() - i - 1;
                    break 'files;
                }
            }
            // Ended flows are taken out in batches so the engine's buffer stays small.
            batch += 1;
            if batch == 4096 {
                batch = 0;
                take(&mut engine, &mut summary, &mut records, hooks);
            }
            if hooks.wants_publish() {
                take(&mut engine, &mut summary, &mut records, hooks);
                hooks.publish(&engine, &summary, &names);
            }
        }
    }
    engine.finish(EndReason::EndOfCapture);
    take(&mut engine, &mut summary, &mut records, hooks);
    hooks.publish(&engine, &summary, &names);
    records.sort_by_cached_key(FlowRecord::sort_key);
    // Only the files that were read are the summary's sources.
    let read = names.len() - sources_unread;
    let mut summary = summary.finish(&names[..read], engine.stats(), &engine.table_stats());
    summary.read_error = read_error.as_ref().map(ToString::to_string);
    let result = export::write_export(
        &export,
        &RunOutput {
            records: &records,
            summary: &summary,
            classifier: &opts.classifier,
            inputs: &opts.files,
        },
    );
    let (export_report, export_error) = match result {
        Ok(report) => (report, None),
        Err(e) => (export::ExportReport::default(), Some(e)),
    };
    if !export.writes_files() || export_error.is_some() {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        match text::write_summary(out, &summary) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(format!("writing the summary: {e}"));
            }
            _ => {}
        }
    }
    Ok(ReplayOutcome {
        records,
        summary,
        read_error,
        export: export_report,
        export_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The reference data: `$AIWATCH_SHARED`, else `../shared` beside the crate, else `/work/shared`.
    fn shared_dir() -> PathBuf {
        if let Ok(p) = std::env::var("AIWATCH_SHARED") {
            return PathBuf::from(p);
        }
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        if beside.is_dir() {
            return beside;
        }
        PathBuf::from("/work/shared")
    }

    fn captures(dir: &str) -> Vec<PathBuf> {
        let dir = shared_dir().join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
            })
            .collect();
        files.sort();
        files
    }

    /// A plain replay (no export, no kept records) gives summary-only records; keeping the records
    /// gives full ones. Both must summarise every reference capture identically: the summary, its
    /// dissector drop counts, and the text printed.
    #[test]
    fn summary_only_records_summarise_like_full_records() {
        let classifier = Arc::new(Classifier::default());
        let mut files = captures("captures/ndpi/pcap");
        files.extend(captures("captures/ja4/pcap"));
        assert!(
            files.len() > 100,
            "reference captures in {:?}",
            shared_dir()
        );
        let mut flows = 0;
        for file in files {
            let run_with = |keep_records: bool| {
                let opts = ReplayOptions {
                    files: vec![file.clone()],
                    export: None,
                    engine: EngineConfig::default(),
                    classifier: Arc::clone(&classifier),
                    keep_records,
                };
                let mut text = Vec::new();
                let outcome = run(&opts, &mut text);
                (outcome.map(|o| (o.summary, o.records.len())), text)
            };
            let (lean, lean_text) = run_with(false);
            let (full, full_text) = run_with(true);
            let at = file.display();
            match (lean, full) {
                (Ok((lean, kept)), Ok((full, _))) => {
                    assert_eq!(kept, 0, "{at}: no records kept without asking");
                    assert_eq!(lean, full, "{at}");
                    flows += full.flows;
                }
                (Err(lean), Err(full)) => assert_eq!(lean, full, "{at}"),
                (lean, full) => panic!("{at}: {:?} vs {:?}", lean.err(), full.err()),
            }
            assert_eq!(lean_text, full_text, "{at}");
        }
        assert!(flows > 1000, "{flows} flows");
    }
}
