//! `--write-matched`: the evidence pcap holds every packet of the restricted flows and nothing else.
//! Re-read by aiwatch it gives exactly those flows with FACTS.md's packet counts, and tshark and
//! tcpdump read it without a warning (skipped with a message when they are not installed).

mod export_support;

use aiwatch::export::ExportOptions;
use export_support::*;
use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn evidence_pcap_replays_to_the_restricted_flows_with_their_packet_counts() {
    let dir = scratch("evidence");
    let pcap = dir.join("matched.pcap");
    export(
        &[capture("ai-tls-mix.pcap")],
        &dir.join("export"),
        ExportOptions {
            write_matched: Some(pcap.clone()),
            ..Default::default()
        },
    );
    let again = aiwatch::runtime::replay::run(
        &replay_opts(std::slice::from_ref(&pcap)),
        &mut std::io::sink(),
    )
    .expect("the evidence file replays");
    let got: BTreeSet<(String, u16, u64, u64, bool)> = again
        .records
        .iter()
        .map(|r| {
            (
                r.client_ip.to_string(),
                r.client_port,
                r.c2s_packets,
                r.s2c_packets,
                r.restricted,
            )
        })
        .collect();
    // FACTS.md, ai-tls-mix flows 2, 4 and 8 (the CN-controlled ones), packets c→s / s→c.
    let want: BTreeSet<(String, u16, u64, u64, bool)> = [
        ("192.168.10.21", 40492, 16, 10, true),
        ("192.168.10.22", 47070, 25, 11, true),
        ("192.168.10.21", 50548, 12, 9, true),
    ]
    .into_iter()
    .map(|(h, p, a, b, r)| (h.to_string(), p, a, b, r))
    .collect();
    assert_eq!(got, want);
    assert_eq!(again.summary.frames, 16 + 10 + 25 + 11 + 12 + 9);

    for (tool, args) in [("tshark", vec!["-r"]), ("tcpdump", vec!["-nr"])] {
        let mut cmd = Command::new(tool);
        cmd.args(&args).arg(&pcap);
        match cmd.output() {
            Err(e) => eprintln!("{tool} not run ({e}): skipping that check"),
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{tool} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert_eq!(stdout.lines().count(), 83, "{tool} packets");
                let stderr = String::from_utf8_lossy(&out.stderr);
                // tcpdump prints one informational "reading from file" line, tshark one about running as
                // root (about the environment, not the file); anything else is a warning.
                let warnings: Vec<&str> = stderr
                    .lines()
                    .filter(|l| {
                        !l.starts_with("reading from file") && !l.starts_with("Running as user")
                    })
                    .collect();
                assert!(warnings.is_empty(), "{tool} warned: {warnings:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_matched_refuses_standard_input_and_an_existing_file() {
    let dir = scratch("evidence-stdin");
    let target = dir.join("m.pcap");
    let opts = ExportOptions {
        write_matched: Some(target.clone()),
        ..Default::default()
    };
    let err = aiwatch::export::prepare(&opts, &["-".into()])
        .err()
        .expect("standard input cannot be read twice");
    assert!(err.contains("standard input"), "{err}");
    std::fs::write(&target, b"keep").unwrap();
    let err = aiwatch::export::prepare(&opts, &[capture("ai-tls-mix.pcap")])
        .err()
        .expect("an existing file is kept without --force");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    let forced = ExportOptions {
        force: true,
        ..opts
    };
    assert!(aiwatch::export::prepare(&forced, &[capture("ai-tls-mix.pcap")]).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_matched_refuses_a_folder_or_a_pipe_before_reading_anything() {
    let dir = scratch("evidence-not-a-file");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Even with --force: the evidence comes after a second pass, too late to fail (or block) then.
    for target in [dir.clone(), fifo] {
        let opts = ExportOptions {
            write_matched: Some(target.clone()),
            force: true,
            ..Default::default()
        };
        let err = aiwatch::export::prepare(&opts, &[capture("ai-tls-mix.pcap")])
            .err()
            .unwrap_or_else(|| panic!("{} accepted", target.display()));
        assert!(err.contains("not a regular file"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Copies `src` to `dst` with every timestamp moved `secs` later (libpcap directly, not aiwatch).
fn shifted_copy(src: &std::path::Path, dst: &std::path::Path, secs: i64) {
    let mut cap = pcap::Capture::from_file(src).expect("opens");
    let dead = pcap::Capture::dead(cap.get_datalink()).expect("dead");
    let mut out = dead.savefile(dst).expect("savefile");
    while let Ok(p) = cap.next_packet() {
        let mut header = *p.header;
        header.ts.tv_sec += secs as libc::time_t;
        out.write(&pcap::Packet::new(&header, p.data));
    }
    out.flush().expect("flush");
}

#[test]
fn one_five_tuple_over_time_keeps_only_the_chosen_flow() {
    use aiwatch::capture::writer::write_matched;
    use aiwatch::export::restricted_spans;
    let dir = scratch("evidence-time");
    let later = dir.join("later.pcap");
    shifted_copy(&capture("ai-tls-mix.pcap"), &later, 7200);
    let first = vec![capture("ai-tls-mix.pcap")];
    let o =
        aiwatch::runtime::replay::run(&replay_opts(&first), &mut std::io::sink()).expect("replay");
    // The spans of the first hour's restricted flows, over a replay of both hours: the same
    // 5-tuples come back two hours later and must not be written.
    let spans = restricted_spans(&o.records);
    assert_eq!(spans.len(), 3);
    let out = dir.join("m.pcap");
    let stats = write_matched(&[capture("ai-tls-mix.pcap"), later], &spans, &out).expect("writes");
    assert_eq!(
        stats.frames_written, 83,
        "16+10 + 25+11 + 12+9 frames (FACTS.md), once"
    );
    assert_eq!(stats.skipped_link_type, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
