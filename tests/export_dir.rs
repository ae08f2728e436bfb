//! The export directory is checked before any packet is read: an earlier export is not overwritten
//! without --force (one-line error, exit 2, nothing written), files appear only whole.

mod export_support;

use aiwatch::export::ExportOptions;
use export_support::*;
use std::process::Command;

const FILES: [&str; 5] = [
    "flows.ndjson",
    "flows.csv",
    "summary.json",
    "alerts.ndjson",
    "report.html",
];

#[test]
fn an_earlier_export_is_kept_without_force_and_replaced_with_it() {
    let dir = scratch("force");
    export(&[capture("http-host.pcap")], &dir, ExportOptions::default());
    for f in FILES {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let before = read(&dir.join("flows.ndjson"));
    let bin = env!("CARGO_BIN_EXE_aiwatch");
    let out = Command::new(bin)
        .args([
            "replay",
            capture("ai-tls-mix.pcap").to_str().unwrap(),
            "--export",
        ])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("already holds an earlier export") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        read(&dir.join("flows.ndjson")),
        before,
        "nothing overwritten"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let out = Command::new(bin)
        .args([
            "replay",
            capture("ai-tls-mix.pcap").to_str().unwrap(),
            "--force",
            "--export",
        ])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(read(&dir.join("flows.ndjson")), before, "replaced");
    // Nothing on stdout; one line on stderr with the flow count the file holds.
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let flows = read(&dir.join("flows.ndjson")).lines().count();
    assert!(
        stderr.starts_with(&format!("aiwatch: {flows} flows (")) && stderr.lines().count() == 1,
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_or_impossible_directory_fails_before_reading() {
    let dir = scratch("notdir");
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = aiwatch::runtime::replay::run_with_export(
        &replay_opts(&[capture("ai-tls-mix.pcap")]),
        &ExportOptions {
            dir: Some(file.join("sub")),
            ..Default::default()
        },
        &mut std::io::sink(),
    )
    .err()
    .expect("a path under a file cannot be a directory");
    assert!(err.contains("export directory"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn series_intervals_add_up_to_the_totals() {
    let dir = scratch("series");
    export(
        &[capture("ai-tls-mix.pcap")],
        &dir,
        ExportOptions {
            window_secs: 1,
            ..Default::default()
        },
    );
    let s: serde_json::Value = serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    assert_eq!(s["series"]["window_secs"], 1);
    let intervals = s["series"]["intervals"].as_array().unwrap();
    // FACTS.md: the TLS flows run from 09:38:12.147 to 09:38:13.892: two one-second windows.
    assert_eq!(intervals.len(), 2);
    assert_eq!(intervals[0]["start"], "2026-11-29T09:38:12.000000Z");
    for j in s["sent_by_jurisdiction"].as_array().unwrap() {
        let code = j["jurisdiction"].as_str().unwrap();
        let spread: u64 = intervals
            .iter()
            .map(|i| i["by_jurisdiction"][code].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(spread, j["sent_bytes"].as_u64().unwrap(), "{code}");
    }
    // CN: 13677 + 26167 + 7467 IP bytes (FACTS.md).
    let cn: u64 = intervals
        .iter()
        .map(|i| i["restricted_sent_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(cn, 47311);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_cannot_be_written_is_named_and_leaves_no_temporary_file() {
    let dir = scratch("blocked");
    // A non-empty folder where report.html should go: the rename onto it fails.
    std::fs::create_dir_all(dir.join("report.html/inside")).unwrap();
    // The capture was processed: the run succeeds and reports the export's failure.
    let err = aiwatch::runtime::replay::run_with_export(
        &replay_opts(&[capture("ai-tls-mix.pcap")]),
        &ExportOptions {
            dir: Some(dir.clone()),
            force: true,
            ..Default::default()
        },
        &mut std::io::sink(),
    )
    .expect("the replay itself succeeds")
    .export_error
    .expect("report.html cannot replace a folder");
    assert!(err.contains("report.html"), "{err}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    // The files written before it are whole: flows.ndjson parses line by line.
    assert!(!ndjson(&dir.join("flows.ndjson")).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
