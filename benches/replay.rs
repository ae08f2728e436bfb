//! Replay throughput of the engine (decode → flow → dissect → classify → summary) over captures held
//! in memory, with the shipped classifier and with one that has no signatures: the difference is
//! what classification costs (target: under 5% of replay time).
//!
//! Input: the file or folder in `AIWATCH_BENCH_CAPTURES` if set (e.g. the 100 MB bench corpus),
//! else nDPI's test captures under the shared folder (`AIWATCH_SHARED`, `../shared`, `/work/shared`).
//! Without any capture the benchmark prints why and does nothing.
//! Run: `cargo bench --bench replay`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aiwatch::aggregate::summary::SummaryBuilder;
use aiwatch::capture::FileSource;
use aiwatch::classify::Classifier;
use aiwatch::classify::signatures::Signatures;
use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::EndReason;
use aiwatch::frame::{Frame, LinkType};
use aiwatch::time::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

struct OwnedFrame {
    ts: Timestamp,
    link: LinkType,
    orig_len: u32,
    data: Vec<u8>,
}

fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIWATCH_SHARED") {
        return PathBuf::from(dir);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("/work/shared")
    }
}

fn capture_files() -> Vec<PathBuf> {
    let root = match std::env::var_os("AIWATCH_BENCH_CAPTURES") {
        Some(p) => PathBuf::from(p),
        None => shared_dir().join("captures/ndpi/pcap"),
    };
    if root.is_file() {
        return vec![root];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every frame of every readable file, in file order (files libpcap cannot open are skipped).
fn load(files: &[PathBuf]) -> Vec<OwnedFrame> {
    let mut frames = Vec::new();
    for path in files {
        let Ok(mut source) = FileSource::open(path) else {
            continue;
        };
        if !source.link_type().is_supported() {
            continue;
        }
        while let Ok(Some(f)) = source.next_frame() {
            frames.push(OwnedFrame {
                ts: f.ts,
                link: f.link,
                orig_len: f.orig_len,
                data: f.data.to_vec(),
            });
        }
    }
    frames
}

/// One replay as `aiwatch replay` without export runs it: a summary-only engine whose per-flow
/// facts are folded into the summary (no flow records are built).
fn replay(frames: &[OwnedFrame], classifier: &Arc<Classifier>) -> u64 {
    let config = EngineConfig {
        full_records: false,
        summary_only: true,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, Arc::clone(classifier));
    let mut summary = SummaryBuilder::default();
    for (i, f) in frames.iter().enumerate() {
        engine.handle_frame(&Frame {
            ts: f.ts,
            link: f.link,
            orig_len: f.orig_len,
            data: &f.data,
        });
        if i % 4096 == 4095 {
            for facts in engine.drain_summary_facts() {
                summary.add_totals(&facts.totals(classifier));
            }
        }
    }
    engine.finish(EndReason::EndOfCapture);
    for facts in engine.drain_summary_facts() {
        summary.add_totals(&facts.totals(classifier));
    }
    black_box(summary);
    engine.stats().packets
}

fn bench_replay(c: &mut Criterion) {
    let files = capture_files();
    let frames = load(&files);
    if frames.is_empty() {
        eprintln!(
            "replay bench: no capture found (set AIWATCH_BENCH_CAPTURES or AIWATCH_SHARED); skipped"
        );
        return;
    }
    let shipped = Arc::new(Classifier::default());
    let Ok(no_signatures) = Signatures::from_texts(&[]) else {
        eprintln!("replay bench: an empty signature set does not load; skipped");
        return;
    };
    let unclassified = Arc::new(Classifier {
        signatures: no_signatures,
        ..Classifier::default()
    });
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.sample_size(10);
    group.bench_function("classification_on", |b| {
        b.iter(|| black_box(replay(&frames, &shipped)))
    });
    group.bench_function("no_signatures", |b| {
        b.iter(|| black_box(replay(&frames, &unclassified)))
    });
    group.finish();
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
