//! `aiwatch replay --tui` on a pseudo-terminal: the view comes up with the capture's providers, `q`
//! quits it, and the text summary follows on the restored terminal. (A runtime holding the stdout
//! lock while the UI thread draws would hang here.)

#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A pseudo-terminal pair, 120x40.
fn openpty() -> (File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors we then own; the other pointers may be null or valid.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Reads the master side on a thread; the screen text arrives in chunks.
fn reader(mut master: File) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects output until `needle` appears (or `limit` passes); returns everything read.
fn read_until(
    rx: &mpsc::Receiver<Vec<u8>>,
    seen: &mut Vec<u8>,
    needle: &str,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if String::from_utf8_lossy(seen).contains(needle) {
            return true;
        }
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend_from_slice(&chunk);
        }
    }
    String::from_utf8_lossy(seen).contains(needle)
}

#[test]
fn replay_tui_shows_providers_quits_on_q_and_prints_the_summary() {
    let (master, slave) = openpty();
    let slave_fd = slave.as_raw_fd();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiwatch"));
    cmd.args([
        "replay",
        "captures/ai-tls-mix.pcap",
        "--tui",
        "--speed",
        "max",
    ])
    .stdin(Stdio::from(slave.try_clone().unwrap()))
    .stdout(Stdio::from(slave.try_clone().unwrap()))
    .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec: a new session whose controlling
    // terminal is the pty (crossterm reads keys from the controlling terminal).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(slave_fd, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut writer = master.try_clone().unwrap();
    let mut child = cmd.spawn().expect("start aiwatch replay --tui");
    let rx = reader(master);
    let mut seen = Vec::new();
    // The capture's AI providers, as the overview lists them (captures/FACTS.md).
    let shown = read_until(&rx, &mut seen, "Anthropic", Duration::from_secs(30));
    if !shown {
        let _ = child.kill();
        panic!("no view; output:\n{}", String::from_utf8_lossy(&seen));
    }
    writer.write_all(b"q").unwrap();
    let summary = read_until(&rx, &mut seen, "aiwatch summary", Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = String::from_utf8_lossy(&seen);
    assert!(summary, "no text summary after quitting; output:\n{text}");
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "output:\n{text}");
    // The terminal was handed back: the alternate screen was left before the summary.
    let left = text.rfind("\u{1b}[?1049l").expect("alternate screen left");
    assert!(left < text.rfind("aiwatch summary").unwrap());
}
