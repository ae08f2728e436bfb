//! The command line: raw flags (clap) resolved into each runtime's options. Errors become one line on
//! stderr and a non-zero exit code in `main`.

use crate::capture::live::LiveConfig;
use crate::classify::Classifier;
use crate::classify::geo::{AsnDb, GeoDb};
use crate::classify::policy::Policy;
use crate::classify::signatures::{Diagnostic, Signatures};
use crate::engine::EngineConfig;
use crate::export::{ExportOptions, FlowFormat};
use crate::flow::FlowLimits;
use crate::runtime::live::LiveOptions;
use crate::runtime::live::pace::Speed;
use crate::runtime::replay::ReplayOptions;
use crate::runtime::tui_hook;
use crate::time::NANOS_PER_SEC;
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "aiwatch",
    version,
    about = "Which hosts send data to which AI services, how much, and under which jurisdiction."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay pcap/pcapng files (in order; `-` reads standard input) and report their flows.
    Replay(ReplayArgs),
    /// Capture live from a network interface (a span or mirror port) until Ctrl-C or SIGTERM.
    Live(LiveArgs),
    /// Check signature and policy files, or look names and addresses up in them.
    #[command(subcommand)]
    Signatures(SignaturesCommand),
}

#[derive(Subcommand, Debug)]
pub enum SignaturesCommand {
    /// Validate signature and policy files (the embedded ones without PATH): file:line:col errors.
    Check {
        /// Signature files or folders; a `policy.toml` among them is checked as the policy.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print the provider, jurisdiction, category and verdict for each name or address.
    Match {
        /// Host names or IP addresses.
        #[arg(required = true, value_name = "NAME|ADDRESS")]
        queries: Vec<String>,
        /// One JSON object per query, in query order.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        sources: ClassifierArgs,
    },
}

/// Where signatures, policy and geolocation come from (embedded defaults when not given).
#[derive(Args, Debug, Default)]
pub struct ClassifierArgs {
    /// Signature file, or folder of `*.toml` files merged in name order.
    #[arg(long, value_name = "PATH")]
    pub signatures: Option<PathBuf>,
    /// Policy file (which providers are restricted, alert thresholds).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// Country database (GeoLite2/GeoIP2/DB-IP Country or City, MaxMind DB format).
    #[arg(long, value_name = "FILE")]
    pub geo_db: Option<PathBuf>,
    /// ASN database (GeoLite2-ASN or compatible).
    #[arg(long, value_name = "FILE")]
    pub asn_db: Option<PathBuf>,
}

fn diagnostics(d: Vec<Diagnostic>) -> String {
    let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    lines.join("\n")
}

impl ClassifierArgs {
    /// Loads and validates everything; any error is reported whole and nothing is half-loaded.
    pub fn load(&self) -> Result<Classifier, String> {
        let signatures = match &self.signatures {
            Some(p) => Signatures::load(p).map_err(diagnostics)?,
            None => Signatures::embedded(),
        };
        let policy = match &self.policy {
            Some(p) => Policy::load(p, &signatures).map_err(diagnostics)?,
            // The shipped policy, checked against the user's signatures (it may name providers).
            None if self.signatures.is_some() => {
                let (name, text) = crate::classify::policy::EMBEDDED_POLICY;
                Policy::from_text(name, text, &signatures).map_err(diagnostics)?
            }
            None => Policy::embedded(),
        };
        let geo = match &self.geo_db {
            Some(p) => GeoDb::open(p).map_err(|e| format!("{}: {e}", p.display()))?,
            None => GeoDb::embedded(),
        };
        let asn = match &self.asn_db {
            Some(p) => Some(AsnDb::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
            None => None,
        };
        Ok(Classifier {
            signatures,
            policy,
            geo,
            asn,
        })
    }
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Capture files, pcap or pcapng.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub sources: ClassifierArgs,
    /// Watch the replay in the terminal UI.
    #[arg(long)]
    pub tui: bool,
    /// Pace the replay by packet time: `1x`, `10x`, any factor, or `max` (no pacing). Default: 1x
    /// with --tui, max without.
    #[arg(long, value_name = "SPEED")]
    pub speed: Option<Speed>,
    /// Write every packet of the flows that matched a restricted provider to FILE (pcap), handshakes
    /// included; the capture files are read a second time.
    #[arg(long, value_name = "FILE")]
    pub write_matched: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct LiveArgs {
    /// Interface to capture on (see --list-interfaces).
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        required_unless_present = "list_interfaces"
    )]
    pub interface: Option<String>,
    /// Print the interfaces libpcap can capture on, with their addresses, and exit.
    #[arg(long)]
    pub list_interfaces: bool,
    /// Capture filter in libpcap syntax, e.g. "tcp port 443 or udp port 443 or port 53".
    #[arg(long, value_name = "FILTER")]
    pub bpf: Option<String>,
    /// Bytes captured of each frame.
    #[arg(long, value_name = "N", default_value_t = 65535, value_parser = clap::value_parser!(u32).range(1..=262_144))]
    pub snaplen: u32,
    /// libpcap's kernel buffer in bytes (larger absorbs longer bursts); libpcap's default when absent.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(65_536..=2_147_483_647))]
    pub buffer_size: Option<u32>,
    /// Do not put the interface in promiscuous mode (a span port usually needs it).
    #[arg(long)]
    pub no_promisc: bool,
    /// libpcap immediate mode: every frame handed over at once instead of within 100 ms. On Linux
    /// it uses a ring with one 64 KiB slot per frame: give it a large --buffer-size or a small
    /// --snaplen, or bursts are dropped.
    #[arg(long)]
    pub immediate: bool,
    /// Run as this user once the interface is open (drops root).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Use the terminal UI (the default when stdout is a terminal and the UI is built in).
    #[arg(long, conflicts_with = "no_tui")]
    pub tui: bool,
    /// No terminal UI: a status line on stderr every --status-interval seconds, the text summary at
    /// the end (the default when stdout is not a terminal).
    #[arg(long)]
    pub no_tui: bool,
    /// Seconds between headless status lines (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub status_interval: u64,
    /// With --export, rewrite summary.json every SECS seconds while capturing (0: only at the end).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub summary_interval: u64,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub sources: ClassifierArgs,
}

impl LiveArgs {
    pub fn options(&self) -> Result<LiveOptions, String> {
        let tui =
            self.tui || (!self.no_tui && tui_hook::AVAILABLE && std::io::stdout().is_terminal());
        let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
        Ok(LiveOptions {
            capture: LiveConfig {
                interface: self.interface.clone().unwrap_or_default(),
                bpf: self.bpf.clone(),
                snaplen: self.snaplen,
                buffer_size: self.buffer_size,
                promiscuous: !self.no_promisc,
                immediate: self.immediate,
            },
            export: ExportOptions {
                dir: self.common.export.clone(),
                format: match self.common.export_args.format {
                    FormatArg::Ndjson => FlowFormat::Native,
                    FormatArg::Ecs => FlowFormat::Ecs,
                },
                force: self.common.export_args.force,
                write_matched: None,
                window_secs: self.common.export_args.window,
            },
            engine: self.common.engine_config(),
            classifier: Arc::new(self.sources.load()?),
            user: self.user.clone(),
            tui,
            status_interval: secs(self.status_interval),
            summary_interval: secs(self.summary_interval),
        })
    }
}

/// How `flows.ndjson` names its fields.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormatArg {
    /// aiwatch's own schema (aiwatch.flow/1).
    #[default]
    Ndjson,
    /// Elastic Common Schema names (docs/ecs.md).
    Ecs,
}

/// Export flags besides `--export DIR`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Field names of flows.ndjson: `ndjson` (aiwatch.flow/1) or `ecs` (Elastic Common Schema).
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson, requires = "export")]
    pub format: FormatArg,
    /// Overwrite an earlier export in DIR (and an existing --write-matched file).
    #[arg(long)]
    pub force: bool,
    /// Seconds of packet time per interval of summary.json's series.
    #[arg(long, value_name = "SECS", default_value_t = crate::aggregate::series::DEFAULT_WINDOW_SECS, value_parser = clap::value_parser!(u64).range(1..), requires = "export")]
    pub window: u64,
}

#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Write flows.ndjson, flows.csv, summary.json, alerts.ndjson and report.html into DIR (created
    /// if missing; an earlier export there is kept unless --force).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    #[command(flatten)]
    pub export_args: ExportArgs,
    /// Most flows tracked at once; the least recently seen is evicted beyond it.
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_flows: u64,
    /// Seconds of packet time after which an idle TCP flow ends.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub tcp_timeout: u64,
    /// Seconds of packet time after which an idle UDP (or other) flow ends.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub udp_timeout: u64,
    /// Bytes kept of the start of each TCP direction for the dissectors.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    pub stream_head_bytes: usize,
    /// Entries of the DNS-fed IP→name cache (least recently used evicted beyond it).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub name_cache: usize,
}

impl CommonArgs {
    pub fn engine_config(&self) -> EngineConfig {
        let flows = FlowLimits {
            max_flows: usize::try_from(self.max_flows).unwrap_or(usize::MAX),
            tcp_idle: self.tcp_timeout.saturating_mul(NANOS_PER_SEC),
            udp_idle: self.udp_timeout.saturating_mul(NANOS_PER_SEC),
            other_idle: self.udp_timeout.saturating_mul(NANOS_PER_SEC),
            stream_head_cap: self.stream_head_bytes,
            ..FlowLimits::default()
        };
        EngineConfig {
            flows,
            ..EngineConfig::default()
        }
    }
}

impl ReplayArgs {
    /// The export options of the command line.
    pub fn export_options(&self) -> ExportOptions {
        let a = &self.common.export_args;
        ExportOptions {
            dir: self.common.export.clone(),
            format: match a.format {
                FormatArg::Ndjson => FlowFormat::Native,
                FormatArg::Ecs => FlowFormat::Ecs,
            },
            force: a.force,
            write_matched: self.write_matched.clone(),
            window_secs: a.window,
        }
    }

    pub fn options(&self) -> Result<ReplayOptions, String> {
        Ok(ReplayOptions {
            files: self.files.clone(),
            export: self.common.export.clone(),
            engine: self.common.engine_config(),
            classifier: Arc::new(self.sources.load()?),
            keep_records: false,
        })
    }
}
