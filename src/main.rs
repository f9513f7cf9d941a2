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
    let stdin_is_pipe = !std::io::stdin().is_terminal();
    let config = match routetop::config::Config::from_args(&args, stdin_is_pipe) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("routetop: {e}");
            return ExitCode::from(2);
        }
    };
    let reload: routetop::app::Reload =
        Box::new(move || routetop::config::Config::from_args(&args, stdin_is_pipe));
    match routetop::run_reloadable(config, Some(reload)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("routetop: {e}");
            ExitCode::FAILURE
        }
    }
}
