//! The command line, as clap parses it.

use clap::{Args, Parser, Subcommand};

/// See and test how multi-process programs stop: the process tree with its
/// groups, sessions and signal dispositions, read from /proc.
#[derive(Debug, Parser)]
#[command(name = "sigtree", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, sigtree says which command to try.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One-shot listing of processes from /proc.
    Ps(PsArgs),
}

/// Options of `sigtree ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Only the subtree rooted at PID plus the other members of its process group.
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// Draw the parent-child tree.
    #[arg(long)]
    pub tree: bool,
    /// Add decoded dispositions of TERM, INT, HUP, QUIT, CHLD and the pending signals.
    #[arg(long)]
    pub signals: bool,
    /// List likely orphans, orphaned process groups and zombies instead.
    #[arg(long)]
    pub orphans: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
