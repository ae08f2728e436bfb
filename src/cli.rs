//! The command line: raw flags (clap) resolved into each runtime's options. Errors become one line on
//! stderr and a non-zero exit code in `main`.

use crate::engine::EngineConfig;
use crate::flow::FlowLimits;
use crate::runtime::replay::ReplayOptions;
use crate::time::NANOS_PER_SEC;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Capture files, pcap or pcapng.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Write flows.ndjson and summary.json into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
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
    pub fn options(&self) -> ReplayOptions {
        ReplayOptions {
            files: self.files.clone(),
            export: self.common.export.clone(),
            engine: self.common.engine_config(),
        }
    }
}
