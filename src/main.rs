use aiwatch::cli::{Cli, Command};
use aiwatch::runtime::replay;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay(args) => {
            let stdout = std::io::stdout();
            match replay::run(&args.options(), &mut stdout.lock()) {
                Ok(outcome) => match outcome.read_error {
                    None => ExitCode::SUCCESS,
                    Some(e) => {
                        eprintln!("aiwatch: {e} (flows before it were reported)");
                        ExitCode::FAILURE
                    }
                },
                Err(e) => {
                    eprintln!("aiwatch: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
