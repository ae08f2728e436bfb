use aiwatch::capture::live::list_interfaces;
use aiwatch::classify::signatures::{check_command, match_command};
use aiwatch::cli::{Cli, Command, SignaturesCommand};
use aiwatch::runtime::live::pace::Speed;
use aiwatch::runtime::{live, replay};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

// Flows come and go by the ten thousand; glibc malloc spent ~12 % of replay instructions on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes: 0 done, 1 a capture broke mid-way or a check found errors, 2 bad input (nothing done:
/// unreadable file, bad interface or filter, missing capture privilege).
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aiwatch: {e}");
            ExitCode::from(2)
        }
    }
}

/// One line on stderr about the evidence file, and one per kind of frame it could not hold.
fn report_evidence(path: &std::path::Path, ev: &aiwatch::capture::writer::EvidenceStats) {
    let p = path.display();
    eprintln!(
        "aiwatch: {p}: {} frames of restricted flows (link type {})",
        ev.frames_written, ev.linktype
    );
    if ev.skipped_link_type > 0 {
        eprintln!(
            "aiwatch: {p}: {} frames of restricted flows skipped: their link type differs from the first file's (a pcap holds one)",
            ev.skipped_link_type
        );
    }
    if ev.skipped_fragments > 0 {
        eprintln!(
            "aiwatch: {p}: {} IP fragments not written (only the frame completing each datagram is)",
            ev.skipped_fragments
        );
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    // Not locked for the whole run: the terminal UI writes to stdout from its own thread.
    let mut out = std::io::stdout();
    match cli.command {
        Command::Replay(args) => {
            let opts = args.options()?;
            let export_opts = args.export_options();
            let outcome = match (args.tui, args.speed) {
                (false, None | Some(Speed::Max)) => {
                    replay::run_with_export(&opts, &export_opts, &mut out)?
                }
                (tui, speed) => {
                    let speed = speed.unwrap_or(Speed::Factor(1.0));
                    live::watch::run(&opts, &export_opts, speed, tui, &mut out)?
                }
            };
            if let (Some(path), Some(ev)) = (&args.write_matched, &outcome.export.evidence) {
                report_evidence(path, ev);
            }
            let mut code = ExitCode::SUCCESS;
            if let Some(e) = &outcome.read_error {
                eprintln!("aiwatch: {e} (everything before it was processed and reported)");
                code = ExitCode::FAILURE;
            }
            if let Some(e) = &outcome.export_error {
                eprintln!(
                    "aiwatch: export failed: {e} (no export file was left half-written; the summary went to stdout)"
                );
                code = ExitCode::FAILURE;
            } else if let Some(dir) = &export_opts.dir {
                // stdout stays empty with --export (scripts read the files); one line says what was done.
                let s = &outcome.summary;
                eprintln!(
                    "aiwatch: {} flows ({} to AI services, {} restricted), {} alerts: written to {}",
                    s.flows,
                    s.ai.flows,
                    s.restricted.flows,
                    outcome.export.alerts,
                    dir.display()
                );
            }
            Ok(code)
        }
        Command::Live(args) if args.list_interfaces => {
            write!(out, "{}", list_interfaces()?).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Live(args) => {
            let outcome = live::run(&args.options()?, &mut out)?;
            let mut code = ExitCode::SUCCESS;
            if let Some(e) = &outcome.capture_error {
                eprintln!(
                    "aiwatch: {e} (everything captured before it was processed and reported)"
                );
                code = ExitCode::FAILURE;
            }
            if let Some(e) = &outcome.export_error {
                eprintln!("aiwatch: export incomplete: {e} (the summary went to stdout)");
                code = ExitCode::FAILURE;
            }
            Ok(code)
        }
        Command::Signatures(SignaturesCommand::Check { paths }) => {
            let (text, code) = check_command(&paths);
            write!(out, "{text}").map_err(|e| e.to_string())?;
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
        }
        Command::Signatures(SignaturesCommand::Match {
            queries,
            json,
            sources,
        }) => {
            let classifier = sources.load()?;
            let text = match_command(&classifier.signatures, &classifier.policy, &queries, json);
            write!(out, "{text}").map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
