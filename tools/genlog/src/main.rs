//! `routetop-genlog`: the command-line face of the `routetop_genlog`
//! library, a drop-in for `python3 genlog.py` with the same flags and
//! byte-identical output.
//!
//! Deliberately thin: parsing is in `cli`, generation in `generate`; this
//! file maps their outcomes to streams and exit statuses as argparse and
//! genlog.py do (usage errors: message on stderr, exit 2).

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;

use routetop_genlog::cli::{self, Command, PROG};
use routetop_genlog::generate;

fn main() -> ExitCode {
    let (opts, out) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", cli::help());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run { opts, out }) => (opts, out),
        Err(msg) => {
            eprintln!("{}\n{PROG}: error: {msg}", cli::usage());
            return ExitCode::from(2);
        }
    };
    let result = match &out {
        None => generate(&opts, &mut io::stdout().lock()),
        Some(path) => File::create(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
            .and_then(|mut f| generate(&opts, &mut f).and_then(|()| f.flush())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `routetop-genlog | head` is normal use, as genlog.py treats it.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("{PROG}: error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{PROG}: error: {e}");
            ExitCode::FAILURE
        }
    }
}
