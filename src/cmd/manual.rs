//! `sigtree completions SHELL` and `sigtree man`: the shell completions and
//! the manual page, both generated from the clap definitions in
//! [`crate::cli`], so they never disagree with `--help`.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};

/// sigtree's command line without its hidden subcommands (the pool's roles,
/// which clap_complete would otherwise offer).
fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut public = clap::Command::new("sigtree")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        public = public.about(about.clone());
    }
    public
}

/// Writes the completion script for `shell`.
pub fn completions(shell: CompletionShell, out: &mut impl Write) -> anyhow::Result<()> {
    let mut command = public_command();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut command,
        "sigtree",
        out,
    );
    Ok(())
}

/// Writes sigtree(1) in roff: the top-level page, then a section per
/// public subcommand with its synopsis, description and options.
pub fn man_page(out: &mut impl Write) -> anyhow::Result<()> {
    let command = public_command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    for sub in command.get_subcommands() {
        out.write_all(subcommand_section(sub)?.as_bytes())?;
    }
    man.render_version_section(out)?;
    Ok(())
}

/// One subcommand as a section of the page: clap_mangen renders it as a
/// page of its own, whose headings become the section's.
fn subcommand_section(sub: &clap::Command) -> anyhow::Result<String> {
    let name = sub.get_name();
    let page = clap_mangen::Man::new(sub.clone().bin_name(format!("sigtree {name}")));
    let mut roff = Vec::new();
    page.render_synopsis_section(&mut roff)?;
    page.render_description_section(&mut roff)?;
    page.render_options_section(&mut roff)?;
    if sub.get_after_help().is_some() {
        page.render_extra_section(&mut roff)?;
    }
    Ok(String::from_utf8(roff)?
        .replacen(
            ".SH SYNOPSIS",
            &format!(".SH \"SIGTREE {}\"", name.to_uppercase()),
            1,
        )
        .replacen(".SH DESCRIPTION\n", ".PP\n", 1)
        .replacen(".SH OPTIONS", ".SS Options", 1)
        .replacen(".SH EXTRA", ".SS Notes", 1))
}
