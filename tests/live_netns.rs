//! End-to-end live capture: a network namespace with a veth pair whose two ends both stay inside it,
//! `aiwatch live` on one end, `tcpreplay` sending a bundled capture into the other. Needs root, `ip`
//! and `tcpreplay`; without them each test prints why and passes, unless `AIWATCH_LIVE_TEST=required`
//! (set by CI), where a missing prerequisite fails. Nothing here touches the host's interfaces, and
//! every namespace is deleted when its test ends, pass or fail.

mod common;

use common::replay_records;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CAPTURE: &str = "captures/ai-tls-mix.pcap";

/// Why the live tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    for (tool, arg) in [("ip", "-V"), ("tcpreplay", "--version")] {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Some(format!("{tool} is not installed"));
        }
    }
    None
}

/// `true` when the test may run; prints the reason and returns `false` otherwise (fails in CI).
fn can_run(test: &str) -> bool {
    match unavailable() {
        None => true,
        Some(why) if std::env::var("AIWATCH_LIVE_TEST").as_deref() == Ok("required") => {
            panic!("{test}: live test required but cannot run: {why}")
        }
        Some(why) => {
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A namespace holding the veth pair `va` (captured on) and `vb` (replayed into), IPv6 off on both
/// so the kernel sends nothing of its own (no router solicitations, no MLD). Deleted on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn create(test: &str) -> Netns {
        let name = format!("aiwatch-{test}-{}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name };
        ns.ip(&["link", "add", "va", "type", "veth", "peer", "name", "vb"]);
        for dev in ["va", "vb"] {
            ns.exec(&[
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
            ]);
            ns.ip(&["link", "set", dev, "up"]);
        }
        ns
    }

    fn ip(&self, args: &[&str]) -> String {
        run(Command::new("ip").args(["-n", &self.name]).args(args))
    }

    fn exec(&self, args: &[&str]) -> String {
        run(Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args))
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// An interface counter from sysfs (as seen inside the namespace).
    fn counter(&self, dev: &str, name: &str) -> u64 {
        let path = format!("/sys/class/net/{dev}/statistics/{name}");
        self.exec(&["cat", &path]).trim().parse().unwrap_or(0)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("aiwatch-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `aiwatch live` running in the namespace, with its stderr lines collected.
struct Live {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
}

impl Live {
    fn start(ns: &Netns, export: &Path, extra: &[&str]) -> Live {
        let mut child = ns
            .command(env!("CARGO_BIN_EXE_aiwatch"))
            .args(["live", "-i", "va", "--no-tui", "--status-interval", "1"])
            .arg("--export")
            .arg(export)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start aiwatch live");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut live = Live {
            child,
            lines,
            stderr: Vec::new(),
        };
        // Capturing (and signal handlers installed) once this line is printed.
        live.wait_for_line("aiwatch: capturing on va", Duration::from_secs(30));
        live
    }

    fn wait_for_line(&mut self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => {
                    let found = l.contains(needle);
                    self.stderr.push(l);
                    if found {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = self.child.kill();
        panic!(
            "no {needle:?} from aiwatch; stderr:\n{}",
            self.stderr.join("\n")
        );
    }

    /// SIGTERM, then waits for a clean exit (0) within `limit`.
    fn stop(self, limit: Duration) -> Vec<String> {
        // SAFETY: kill(2) on our own child's pid (`ip netns exec` execs aiwatch in place).
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let (status, stderr) = self.wait_exit(limit);
        assert!(
            status.success(),
            "aiwatch live exited with {status}; stderr:\n{}",
            stderr.join("\n")
        );
        stderr
    }

    /// Waits for aiwatch to exit by itself within `limit`.
    fn wait_exit(mut self, limit: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.stderr.extend(self.lines.iter());
                return (status, self.stderr);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("aiwatch live did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Waits up to 10 s for `path` to exist.
fn wait_for_file(path: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    path.exists()
}

/// `tcpreplay` into `vb`; returns the packets it reports sent ("Actual: N packets").
fn tcpreplay(ns: &Netns, args: &[&str]) -> u64 {
    let out = run(ns.command("tcpreplay").args(["-i", "vb"]).args(args));
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("Actual:"))
        .unwrap_or_else(|| panic!("no 'Actual:' line from tcpreplay:\n{out}"));
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the packet count in {line:?}"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

type FlowKey = (String, String, u64, String, u64);

/// Per flow (proto, client, server): packets and bytes each way, the server name and provider.
fn flow_table(records: &[Value]) -> BTreeMap<FlowKey, Vec<Value>> {
    let mut t = BTreeMap::new();
    for r in records {
        let key = (
            r["proto"].as_str().unwrap().to_string(),
            r["client_ip"].as_str().unwrap().to_string(),
            r["client_port"].as_u64().unwrap(),
            r["server_ip"].as_str().unwrap().to_string(),
            r["server_port"].as_u64().unwrap(),
        );
        let facts = [
            "c2s_packets",
            "c2s_bytes",
            "s2c_packets",
            "s2c_bytes",
            "server_name",
            "provider",
        ]
        .iter()
        .map(|f| r[*f].clone())
        .collect();
        assert!(t.insert(key.clone(), facts).is_none(), "flow {key:?} twice");
    }
    t
}

fn summary_counter(s: &Value, name: &str) -> u64 {
    s[name]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.json has no {name}: {s}"))
}

#[test]
fn live_capture_at_a_moderate_rate_reports_the_flows_replay_reports() {
    if !can_run("live_moderate") {
        return;
    }
    let ns = Netns::create("moderate");
    let dir = Scratch::new("moderate");
    // A 1 s UDP timeout: with the link idle after the replay, only the wall-clock tick can end them.
    let live = Live::start(&ns, &dir.0, &["--udp-timeout", "1"]);
    let sent = tcpreplay(&ns, &["--pps", "500", CAPTURE]);
    // While still capturing, the UDP flows appear in flows.ndjson as they time out (appended and
    // flushed line by line, so `tail -f` shows them).
    let flows_path = dir.0.join("flows.ndjson");
    let deadline = Instant::now() + Duration::from_secs(10);
    let udp_lines = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(r#""proto":"udp""#))
            .count()
    };
    while udp_lines(&flows_path) < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(udp_lines(&flows_path), 5, "UDP flows ended before SIGTERM");
    let stderr = live.stop(Duration::from_secs(20));

    let summary = read_json(&dir.0.join("summary.json"));
    let live_flows = read_ndjson(&dir.0.join("flows.ndjson"));
    let (replayed, _) = replay_records(&[PathBuf::from(CAPTURE)]);
    let replayed: Vec<Value> = replayed
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    assert_eq!(sent, 174, "the bundled capture holds 174 frames");
    assert_eq!(summary_counter(&summary, "packets_received"), sent);
    for drops in ["capture_drops", "interface_drops", "queue_drops"] {
        assert_eq!(summary_counter(&summary, drops), 0, "{drops}");
    }
    // Same flows, same packets and bytes each way, same names and providers; only times differ.
    assert_eq!(flow_table(&live_flows), flow_table(&replayed));
    // UDP flows timed out on the idle link; the TCP connections all closed (FIN or RST), and a closed
    // connection keeps its close reason even when SIGTERM comes during its linger (never "end of
    // capture", a replay's reason).
    for r in &live_flows {
        match r["proto"].as_str() {
            Some("udp") => assert_eq!(r["end_reason"], "idle_timeout", "{r}"),
            _ => assert!(r["end_reason"] == "fin" || r["end_reason"] == "rst", "{r}"),
        }
    }
    // The headless status line reports the counters, and the text summary ends the run.
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("pkt/s") && l.contains("drops: 0 capture, 0 interface, 0 queue")),
        "{stderr:?}"
    );
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("174 packets received; dropped: 0 by libpcap")),
        "{stderr:?}"
    );
}

#[test]
fn live_capture_at_top_speed_accounts_for_every_packet_sent() {
    if can_run("live_topspeed") {
        top_speed("topspeed", &[]);
    }
}

/// Immediate mode's ring (one 64 KiB slot per frame on a veth with offloads) drops much of a burst
/// on a small machine: the counters still account for every packet.
#[test]
fn live_capture_in_immediate_mode_at_top_speed_accounts_for_every_packet_sent() {
    if can_run("live_topspeed_immediate") {
        top_speed("immediate", &["--immediate"]);
    }
}

fn top_speed(test: &str, args: &[&str]) {
    let ns = Netns::create(test);
    let dir = Scratch::new(test);
    let live = Live::start(&ns, &dir.0, args);
    let backlog_drops_before = ns.counter("vb", "tx_dropped") + ns.counter("va", "rx_dropped");
    let sent = tcpreplay(&ns, &["--topspeed", "--loop", "200", CAPTURE]);
    std::thread::sleep(Duration::from_millis(500));
    let backlog_drops =
        ns.counter("vb", "tx_dropped") + ns.counter("va", "rx_dropped") - backlog_drops_before;
    live.stop(Duration::from_secs(60));

    let s = read_json(&dir.0.join("summary.json"));
    let received = summary_counter(&s, "packets_received");
    let capture = summary_counter(&s, "capture_drops");
    let interface = summary_counter(&s, "interface_drops");
    let queue = summary_counter(&s, "queue_drops");
    eprintln!(
        "{test}: sent {sent}, received {received}, dropped: capture {capture}, interface \
         {interface}, queue {queue}; veth drops before the socket {backlog_drops}"
    );
    assert_eq!(sent, 174 * 200);
    // Every frame the veth delivered is either processed or counted where it was lost.
    assert_eq!(received + capture + interface + queue, sent - backlog_drops);
    assert_eq!(summary_counter(&s, "frames"), received);
}

#[test]
fn bad_filter_and_missing_privilege_are_one_clear_line_and_exit_2() {
    if !can_run("live_errors") {
        return;
    }
    let ns = Netns::create("errors");
    let out = ns
        .command(env!("CARGO_BIN_EXE_aiwatch"))
        .args(["live", "-i", "va", "--no-tui", "--bpf", "tcp porrt 443"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // libpcap's own message follows ours.
    assert!(
        err.contains("bad --bpf filter") && err.contains("syntax error"),
        "{err}"
    );

    // Without CAP_NET_RAW (uid nobody, no capabilities): says so and how to grant it.
    let setpriv = Command::new("setpriv").arg("--version").output();
    if setpriv.is_ok_and(|o| o.status.success()) {
        let out = ns
            .command("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args([
                env!("CARGO_BIN_EXE_aiwatch"),
                "live",
                "-i",
                "va",
                "--no-tui",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("CAP_NET_RAW"), "{err}");
        assert!(
            err.contains("setcap cap_net_raw,cap_net_admin=eip"),
            "{err}"
        );
    } else {
        eprintln!("setpriv missing: the missing-privilege case is not checked");
    }
}

#[test]
fn user_flag_drops_root_after_opening_the_interface() {
    if !can_run("live_user") {
        return;
    }
    let ns = Netns::create("user");
    let dir = Scratch::new("user");
    // The unprivileged user writes the export.
    run(Command::new("chmod").arg("0777").arg(&dir.0));
    let live = Live::start(
        &ns,
        &dir.0,
        &["--user", "nobody", "--summary-interval", "1"],
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", live.child.id())).unwrap();
    let uids = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let gids = status.lines().find(|l| l.starts_with("Gid:")).unwrap();
    // Real, effective, saved and filesystem ids are all nobody's (65534 on Debian and Ubuntu).
    assert_eq!(
        uids.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["65534"; 4]
    );
    assert_eq!(
        gids.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["65534"; 4]
    );
    let sent = tcpreplay(&ns, &["--pps", "1000", CAPTURE]);
    // --summary-interval: summary.json is (re)written while capturing, by the unprivileged user.
    assert!(wait_for_file(&dir.0.join("summary.json")));
    live.stop(Duration::from_secs(20));
    let s = read_json(&dir.0.join("summary.json"));
    assert_eq!(summary_counter(&s, "packets_received"), sent);
}

#[test]
fn interface_vanishing_mid_capture_reports_what_was_captured_and_exits_1() {
    if !can_run("live_vanish") {
        return;
    }
    let ns = Netns::create("vanish");
    let dir = Scratch::new("vanish");
    let live = Live::start(&ns, &dir.0, &["--summary-interval", "1"]);
    let sent = tcpreplay(&ns, &["--pps", "1000", CAPTURE]);
    let summary = dir.0.join("summary.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && (!summary.exists() || summary_counter(&read_json(&summary), "packets_received") < sent)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    ns.ip(&["link", "del", "va"]);
    let (status, stderr) = live.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{stderr:?}");
    let last = stderr.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("aiwatch: va: ") && last.contains("everything captured before it"),
        "{stderr:?}"
    );
    let s = read_json(&summary);
    assert_eq!(summary_counter(&s, "packets_received"), sent);
    assert_eq!(read_ndjson(&dir.0.join("flows.ndjson")).len(), 10);
}
