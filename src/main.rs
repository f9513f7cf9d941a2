//! The `routetop` binary: parse flags, run, map the outcome to an exit code
//! (`run::Error::exit_code`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use routetop::config::{Args, Config, Generate, format_list};
use routetop::run::{EXIT_SETTINGS, Reload, generate, generate_rules, run_reloadable};

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_formats {
        print!("{}", format_list());
        return ExitCode::SUCCESS;
    }
    if let Some(kind) = args.generate {
        let bytes = match kind {
            Generate::PrometheusRules => {
                match Config::objectives_from_args(&args).and_then(|o| generate_rules(&o)) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("routetop: {e}");
                        return ExitCode::from(EXIT_SETTINGS);
                    }
                }
            }
            k => generate(k),
        };
        // A closed pipe (`routetop --generate man | head`) is not an error
        // worth a message; any other write error is.
        return match std::io::stdout().write_all(&bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("routetop: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let stdin_is_pipe = !std::io::stdin().is_terminal();
    let config = match Config::from_args(&args, stdin_is_pipe) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("routetop: {e}");
            return ExitCode::from(EXIT_SETTINGS);
        }
    };
    let reload: Reload = Box::new(move || Config::from_args(&args, stdin_is_pipe));
    match run_reloadable(config, Some(reload)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("routetop: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
