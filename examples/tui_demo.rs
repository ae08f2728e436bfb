//! Drives the live view with the hand-built office network of the TUI tests, growing a little
//! every 200 ms, so that the screens can be tried by hand (or under tmux):
//! `cargo run --example tui_demo`. Quit with `q`.

#[path = "../tests/tui_render/fixture.rs"]
mod fixture;

use aiwatch::aggregate::snapshot::Snapshot;
use std::sync::Arc;
use std::time::Duration;

/// The fixture after `step` ticks: every flow has sent `step` more KiB per KiB-second, the
/// packet clock advanced one second per tick, and the restricted rate has one more point.
fn snapshot_at(step: u64) -> Snapshot {
    let mut records = fixture::records();
    for r in &mut records {
        r.c2s_bytes += r.c2s_bytes / 100 * step;
        r.s2c_bytes += r.s2c_bytes / 100 * step;
    }
    let mut status = fixture::status();
    status.packet_time = Some(fixture::at(120 + step));
    status.progress = Some((0.42 + step as f64 / 1000.0).min(1.0));
    status.active_flows = 17 + step % 5;
    let mut rate = fixture::restricted_rate();
    rate.extend((0..step).map(|i| (i * 7 % 13) * 1024 + 2048));
    Snapshot::build(
        &fixture::summary(&records),
        &status,
        &fixture::alerts(&records),
        &rate,
    )
    .with_flows(&records)
}

fn main() -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(Arc::new(snapshot_at(0)));
    std::thread::spawn(move || {
        for step in 1..=580 {
            std::thread::sleep(Duration::from_millis(200));
            if tx.send(Arc::new(snapshot_at(step))).is_err() {
                return;
            }
        }
        // Dropping the sender: the view marks the source "ended" and keeps the last snapshot.
    });
    aiwatch::tui::run(rx)
}
