//! The `routetop` binary: parse flags, run, map the outcome to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = routetop::cli::Args::parse();
    if args.list_formats {
        print!("{}", routetop::format_list());
        return ExitCode::SUCCESS;
    }
    let config = match routetop::config::Config::from_args(&args, !std::io::stdin().is_terminal()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("routetop: {e}");
            return ExitCode::from(2);
        }
    };
    match routetop::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("routetop: {e}");
            ExitCode::FAILURE
        }
    }
}
