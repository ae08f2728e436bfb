//! `aiwatch replay --speed`: paced by packet time in the runtime, same output as an unpaced replay.

use std::process::Command;
use std::time::{Duration, Instant};

/// 174 frames over 1.745930 s of packet time (capinfos: "Capture duration").
const CAPTURE: &str = "captures/ai-tls-mix.pcap";
const CAPTURE_SECS: f64 = 1.745930;

fn replay(args: &[&str]) -> (String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_aiwatch"))
        .arg("replay")
        .arg(CAPTURE)
        .args(args)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8(out.stdout).unwrap(), took)
}

#[test]
fn paced_replay_takes_packet_time_over_speed_and_reports_the_same() {
    let (plain, _) = replay(&[]);
    let (paced, took) = replay(&["--speed", "4x"]);
    assert_eq!(paced, plain);
    // At 4x the last frame is due 0.436 s after the first: the run cannot be shorter.
    let due = Duration::from_secs_f64(CAPTURE_SECS / 4.0);
    assert!(took >= due, "took {took:?}, frames due over {due:?}");
    let (max, _) = replay(&["--speed", "max"]);
    assert_eq!(max, plain);
}

#[test]
fn bad_speed_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_aiwatch"))
        .args(["replay", CAPTURE, "--speed", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("expected max or a factor from 0.001 to 1000000")
    );
}
