//! Helpers of the export tests: run a replay with export options into a fresh folder.
#![allow(dead_code)]

use aiwatch::engine::EngineConfig;
use aiwatch::export::ExportOptions;
use aiwatch::runtime::replay::{self, ReplayOptions, ReplayOutcome};
use std::path::{Path, PathBuf};

/// The project's own captures (captures/*.pcap), sorted.
pub fn own_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    v
}

pub fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// A fresh, empty folder under the system temp dir, unique per test name and process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aiwatch-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

pub fn replay_opts(files: &[PathBuf]) -> ReplayOptions {
    ReplayOptions {
        files: files.to_vec(),
        export: None,
        engine: EngineConfig::default(),
        classifier: Default::default(),
        keep_records: true,
    }
}

/// Replays `files` exporting into `dir` with `export` (its `dir` is set here).
pub fn export(files: &[PathBuf], dir: &Path, export: ExportOptions) -> ReplayOutcome {
    let export = ExportOptions {
        dir: Some(dir.to_path_buf()),
        ..export
    };
    replay::run_with_export(&replay_opts(files), &export, &mut std::io::sink())
        .unwrap_or_else(|e| panic!("replay {files:?}: {e}"))
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each line of an NDJSON file, parsed.
pub fn ndjson(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}
