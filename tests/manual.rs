//! `sigtree completions` and `sigtree man`, generated from the clap
//! definitions: every public subcommand is in them, and the outputs are
//! valid for the tools that read them (where those tools are installed).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{find_program, sigtree};

/// The public subcommands, as `sigtree --help` lists them.
const SUBCOMMANDS: [&str; 9] = [
    "demo",
    "run",
    "attach",
    "ps",
    "explain",
    "check",
    "scenarios",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let output = sigtree(args);
    assert!(
        output.status.success(),
        "sigtree {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Feeds `input` to `program args` and returns whether it succeeded, with
/// what it said on stderr.
fn pipe_through(program: &std::path::Path, args: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the checker starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the script");
    let output = child.wait_with_output().expect("the checker ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    let markers = [
        ("bash", "complete -F"),
        ("zsh", "#compdef sigtree"),
        ("fish", "complete -c sigtree"),
    ];
    for (shell, marker) in markers {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
        assert!(
            !script.contains("__pool"),
            "{shell}: the hidden pool roles are not offered"
        );
        assert!(script.contains("subtree"), "{shell}: explain's options");
    }
}

#[test]
fn the_bash_completion_parses_and_completes_explain() {
    let Some(bash) = find_program("bash") else {
        eprintln!("skipped: needs bash");
        return;
    };
    let script = stdout_of(&["completions", "bash"]);
    let (ok, stderr) = pipe_through(&bash, &["-n"], &script);
    assert!(ok, "bash -n: {stderr}");
    // Load it and ask for the completions of `sigtree ex`.
    let probe = format!(
        "{script}\nCOMP_WORDS=(sigtree ex); COMP_CWORD=1; COMP_LINE='sigtree ex'; COMP_POINT=${{#COMP_LINE}}\n_sigtree sigtree ex sigtree\necho \"${{COMPREPLY[@]}}\" >&2\n"
    );
    let (ok, stderr) = pipe_through(&bash, &[], &probe);
    assert!(ok, "bash: {stderr}");
    assert!(
        stderr.trim() == "explain",
        "completions of `ex`: {stderr:?}"
    );
}

#[test]
fn bad_shells_are_usage_errors() {
    for bad in [&["completions"][..], &["completions", "powershell"]] {
        assert_eq!(sigtree(bad).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn the_man_page_is_roff_with_a_section_per_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains("\n.TH sigtree 1"),
        "{}",
        &page[..page.len().min(80)]
    );
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "VERSION"] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    for sub in SUBCOMMANDS.iter().filter(|s| **s != "man") {
        let heading = format!(".SH \"SIGTREE {}\"", sub.to_uppercase());
        assert!(page.contains(&heading), "no {heading}");
    }
    assert!(!page.contains("__pool"), "hidden commands stay hidden");
    assert!(
        page.contains("default: TERM INT HUP KILL"),
        "explain's default signals"
    );
}

#[test]
fn the_man_page_renders_without_warnings() {
    let Some(groff) = find_program("groff") else {
        eprintln!("skipped: needs groff");
        return;
    };
    let page = stdout_of(&["man"]);
    let (ok, stderr) = pipe_through(&groff, &["-man", "-Tutf8", "-ww", "-z"], &page);
    assert!(ok && stderr.is_empty(), "groff: {stderr}");
}
