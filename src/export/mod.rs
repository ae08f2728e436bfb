//! Sinks: what users read. Each writes to an injected writer, so tests read exactly what users read;
//! `ExportDir` turns them into files that appear whole or not at all.
//!
//! [`prepare`] checks every output before any packet is read; [`write_export`] writes them all after
//! the run: `flows.ndjson` (native or ECS), `flows.csv`, `summary.json`, `alerts.ndjson`,
//! `report.html`, and the evidence pcap of `--write-matched`.

pub mod alerts;
pub mod csv;
pub mod dir;
pub mod ecs;
mod flatten;
pub mod html;
pub mod ndjson;
pub mod text;

use crate::aggregate::record::FlowRecord;
use crate::aggregate::series::DEFAULT_WINDOW_SECS;
use crate::aggregate::summary::Summary;
use crate::capture::writer::{self, EvidenceStats, FlowSpan};
use crate::classify::Classifier;
use dir::ExportDir;
use std::path::{Path, PathBuf};

/// The field names of `flows.ndjson`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlowFormat {
    /// aiwatch's own schema, `aiwatch.flow/1`.
    #[default]
    Native,
    /// Elastic Common Schema (see `docs/ecs.md`).
    Ecs,
}

/// What to write, from the command line.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub dir: Option<PathBuf>,
    pub format: FlowFormat,
    /// Overwrite an earlier export (and an existing `write_matched` file).
    pub force: bool,
    /// Write every packet of the restricted flows to this pcap (needs capture files, read twice).
    pub write_matched: Option<PathBuf>,
    /// Seconds of packet time per interval of the summary's series.
    pub window_secs: u64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            dir: None,
            format: FlowFormat::Native,
            force: false,
            write_matched: None,
            window_secs: DEFAULT_WINDOW_SECS,
        }
    }
}

/// Outputs checked and ready, before any packet is read.
pub struct Prepared {
    dir: Option<ExportDir>,
    write_matched: Option<PathBuf>,
    format: FlowFormat,
}

impl Prepared {
    pub fn writes_files(&self) -> bool {
        self.dir.is_some()
    }
}

/// Checks every output of `opts` for `inputs`: the directory exists or can be created, is writable,
/// holds no earlier export unless forced; the evidence file can be written; nothing is written yet.
pub fn prepare(opts: &ExportOptions, inputs: &[PathBuf]) -> Result<Prepared, String> {
    let dir = opts
        .dir
        .as_deref()
        .map(|d| ExportDir::prepare(d, opts.force))
        .transpose()?;
    if let Some(out) = &opts.write_matched {
        if inputs.iter().any(|p| p == Path::new("-")) {
            return Err(format!(
                "--write-matched {}: needs capture files (they are read twice), not standard input",
                out.display()
            ));
        }
        writer::check_target(out, opts.force)?;
    }
    Ok(Prepared {
        dir,
        write_matched: opts.write_matched.clone(),
        format: opts.format,
    })
}

/// What one run produced, for the sinks.
pub struct RunOutput<'a> {
    /// Sorted by [`FlowRecord::sort_key`].
    pub records: &'a [FlowRecord],
    pub summary: &'a Summary,
    pub classifier: &'a Classifier,
    pub inputs: &'a [PathBuf],
}

/// What the export wrote besides the directory's files.
#[derive(Debug, Default)]
pub struct ExportReport {
    pub alerts: usize,
    pub evidence: Option<EvidenceStats>,
}

/// The restricted flows, as spans for the evidence writer.
pub fn restricted_spans(records: &[FlowRecord]) -> Vec<FlowSpan> {
    records
        .iter()
        .filter(|r| r.restricted)
        .map(|r| FlowSpan {
            proto: r.proto,
            client: (r.client_ip, r.client_port),
            server: (r.server_ip, r.server_port),
            vlan: r.vlan,
            start: r.ts_start,
            end: r.ts_end,
        })
        .collect()
}

/// Writes every prepared output. Each file appears whole or not at all; the error names the file.
pub fn write_export(p: &Prepared, run: &RunOutput<'_>) -> Result<ExportReport, String> {
    let alerts = alerts::alerts(run.records, &run.classifier.policy.thresholds);
    let mut report = ExportReport {
        alerts: alerts.len(),
        evidence: None,
    };
    if let Some(dir) = &p.dir {
        // Every file is staged first and renamed only when all are complete.
        let mut staged = dir::Staged::default();
        staged.stage(dir, "flows.ndjson", |w| match p.format {
            FlowFormat::Native => ndjson::write_lines(w, run.records),
            FlowFormat::Ecs => ecs::write_lines(w, run.records),
        })?;
        staged.stage(dir, "flows.csv", |w| csv::write_csv(w, run.records))?;
        staged.stage(dir, "summary.json", |w| {
            serde_json::to_writer_pretty(&mut *w, run.summary).map_err(std::io::Error::other)?;
            std::io::Write::write_all(w, b"\n")
        })?;
        staged.stage(dir, "alerts.ndjson", |w| ndjson::write_lines(w, &alerts))?;
        staged.stage(dir, "report.html", |w| {
            html::write_report(
                w,
                &html::ReportInput {
                    summary: run.summary,
                    records: run.records,
                    alerts: &alerts,
                    classifier: run.classifier,
                },
            )
        })?;
        staged.commit()?;
    }
    if let Some(out) = &p.write_matched {
        let spans = restricted_spans(run.records);
        report.evidence = Some(writer::write_matched(run.inputs, &spans, out)?);
    }
    Ok(report)
}

/// Bytes in binary units, e.g. `12.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
