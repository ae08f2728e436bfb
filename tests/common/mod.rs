//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aiwatch::aggregate::record::FlowRecord;
use aiwatch::engine::EngineConfig;
use aiwatch::runtime::replay::{self, ReplayOptions};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The reference data folder: `$AIWATCH_SHARED`, else `../shared` beside the crate (as in CI).
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("AIWATCH_SHARED") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Replays `files` through the whole pipeline with the default configuration.
pub fn replay_records(files: &[PathBuf]) -> (Vec<FlowRecord>, replay::ReplayOutcome) {
    let opts = ReplayOptions {
        files: files.to_vec(),
        export: None,
        engine: EngineConfig::default(),
        classifier: Default::default(),
        keep_records: true,
    };
    let outcome = replay::run(&opts, &mut std::io::sink())
        .unwrap_or_else(|e| panic!("replay {files:?}: {e}"));
    (outcome.records.clone(), outcome)
}

/// Files in `dir` whose names end with one of `exts`, sorted.
pub fn files_in(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| exts.iter().any(|x| n.ends_with(x)))
        })
        .collect();
    v.sort();
    v
}

/// An address and port.
pub type Endpoint = (IpAddr, u16);

/// nDPI's flow key: (protocol in lower case, innermost VLAN, endpoints in order).
pub type NdpiKey = (String, Option<u16>, Endpoint, Endpoint);

pub fn ndpi_key(proto: &str, vlan: Option<u16>, a: Endpoint, b: Endpoint) -> NdpiKey {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (proto.to_lowercase(), vlan, lo, hi)
}

/// A flow of nDPI's truth (`expected/*.json`): its key, and its client and server endpoints (nDPI's
/// first sender and the other side; ports are 0 for protocols without them).
pub fn ndpi_truth_flow(f: &serde_json::Value) -> (NdpiKey, Endpoint, Endpoint) {
    let ip = |k: &str| f[k].as_str().unwrap().parse::<IpAddr>().unwrap();
    let port = |k: &str| f[k].as_u64().unwrap_or(0) as u16;
    let c = (ip("client_ip"), port("client_port"));
    let s = (ip("server_ip"), port("server_port"));
    let vlan = f["vlan"].as_u64().map(|v| v as u16);
    (ndpi_key(f["l4"].as_str().unwrap(), vlan, c, s), c, s)
}
