//! The `sigtree` binary: parse the command line, dispatch, map errors to exit
//! statuses.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sigtree::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Ps(args)) => {
            let stdout = std::io::stdout();
            let width = terminal_width(&stdout);
            let mut out = stdout.lock();
            sigtree::cmd::ps::run(&args, width, &mut out).and_then(|()| Ok(out.flush()?))
        }
        None => {
            eprintln!(
                "sigtree: the demo TUI is not built yet; try `sigtree ps --tree --signals` \
                 (`cargo run --release -- ps --tree --signals`), or `sigtree --help`"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sigtree: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The terminal's width when stdout is one, so that long lines are cut.
fn terminal_width(stdout: &std::io::Stdout) -> Option<usize> {
    if !stdout.is_terminal() {
        return None;
    }
    ratatui::crossterm::terminal::size()
        .ok()
        .map(|(columns, _)| usize::from(columns))
}

/// `sigtree ps | head` closes the pipe early: not an error worth a message.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = match cause.downcast_ref::<serde_json::Error>() {
            Some(json) => json.io_error_kind(),
            None => cause.downcast_ref::<std::io::Error>().map(std::io::Error::kind),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
