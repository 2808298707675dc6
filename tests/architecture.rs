//! Two of the spec's architecture rules, read from the source tree:
//! - nothing outside `src/tui/` uses the TUI (`crate::tui`, `super::tui`);
//!   the binary, `src/main.rs`, dispatches to it through the library's
//!   public path `sigtree::tui`, as it does to `sigtree::cmd`;
//! - nothing in `src/tui/` reads `/proc` (no "/proc" string, no procfs
//!   reader or scan, no `std::fs`) or calls a signalling function
//!   directly: the engine reads and signals for it. Ctrl-Z's
//!   `signal_self(SIGSTOP)` is the terminal's job control (sigtree stops
//!   itself after giving the terminal back) and is allowed.
//!
//! Comments never count; string literals count only for "/proc".

use std::path::{Path, PathBuf};

/// Paths and names that read the kernel's view of processes; a name
/// ending in `::` is a path prefix (`fs::` once `fs` is imported).
const READERS: &[&str] = &[
    "std::fs",
    "fs::",
    "procfs::scan",
    "Reader",
    "read_to_string",
    "read_dir",
    "File::open",
];

/// Functions that send signals (sigtree's own, libc's, nix's, rustix's).
const SIGNALLERS: &[&str] = &[
    "kill",
    "killpg",
    "tgkill",
    "tkill",
    "sigqueue",
    "raise",
    "signal_process",
    "signal_group",
    "send_signal",
    "send_to",
    "pidfd_send_signal",
    "kill_process",
    "kill_process_group",
];

/// A source file split into what the compiler reads (comments and the
/// insides of string and char literals blanked) and its string literals.
struct Source {
    code: String,
    strings: Vec<String>,
}

/// Splits `text`: comments (line, block, nested, doc) are dropped, string
/// literals (plain, byte, raw with any number of #) are kept apart, char
/// literals are blanked; lifetimes stay code.
fn split(text: &str) -> Source {
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut strings = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            code.push(' ');
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br#"…"#: no escapes, ends at a quote and the hashes.
            i = chars[i..]
                .iter()
                .position(|&c| c == '"')
                .map_or(chars.len(), |p| i + p + 1);
            let start = i;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                i += 1;
            }
            strings.push(chars[start..i.min(chars.len())].iter().collect());
            i += closing.len();
            code.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            let mut literal = String::new();
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    literal.push(c);
                }
                i += 1;
            }
            i += 1;
            strings.push(literal);
            code.push_str("\"\"");
        } else if c == '\''
            && let Some(end) = char_literal_end(&chars, i)
        {
            i = end;
            code.push_str("' '");
        } else {
            code.push(c);
            i += 1;
        }
    }
    Source { code, strings }
}

/// At `i`, the start of a raw string (`r"`, `r#`, `br"`, `br#`) not inside
/// an identifier: how many `#` it has.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let r = match chars.get(i) {
        Some('r') => i,
        Some('b') if chars.get(i + 1) == Some(&'r') => i + 1,
        _ => return None,
    };
    let hashes = chars[r + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(r + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// At `i` (a quote), where a char literal ends — `None` for a lifetime.
fn char_literal_end(chars: &[char], i: usize) -> Option<usize> {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => {
            let close = chars[i + 2..].iter().position(|&c| c == '\'')?;
            Some(i + 2 + close + 1)
        }
        (Some(_), Some('\'')) => Some(i + 3),
        _ => None,
    }
}

/// Whether `code` holds `name` as a whole path or identifier: not part of
/// a longer identifier (`kill_group` is not `kill`, `procfs::` is not
/// `fs::`), `::` spaced or not.
fn mentions(code: &str, name: &str) -> bool {
    let compact: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let compact = compact.replace(" ::", "::").replace(":: ", "::");
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    compact.match_indices(name).any(|(at, _)| {
        let before = compact[..at].chars().next_back();
        let after = compact[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && (name.ends_with("::") || !after.is_some_and(is_ident))
    })
}

/// What breaks the TUI's rule in one file's text.
fn tui_breaches(text: &str) -> Vec<String> {
    let source = split(text);
    let mut found: Vec<String> = READERS
        .iter()
        .chain(SIGNALLERS)
        .filter(|name| mentions(&source.code, name))
        .map(|name| format!("uses {name}"))
        .collect();
    found.extend(
        source
            .strings
            .iter()
            .filter(|s| s.contains("/proc"))
            .map(|s| format!("names {s:?}")),
    );
    found
}

/// Whether one file's text uses the TUI.
fn uses_the_tui(text: &str) -> bool {
    let code = split(text).code;
    ["crate::tui", "super::tui", "sigtree::tui"]
        .iter()
        .any(|path| mentions(&code, path))
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable source folder") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("a readable source file")
}

#[test]
fn nothing_outside_the_tui_uses_it_but_the_binarys_dispatch() {
    let src = src();
    let tui = src.join("tui");
    let files = rust_files(&src);
    assert!(files.len() > 20, "the source tree was found: {files:?}");
    let offenders: Vec<&PathBuf> = files
        .iter()
        .filter(|path| !path.starts_with(&tui) && **path != src.join("main.rs"))
        .filter(|path| uses_the_tui(&read(path)))
        .collect();
    assert!(offenders.is_empty(), "these use the TUI: {offenders:?}");
}

#[test]
fn nothing_in_the_tui_reads_proc_or_signals_a_process() {
    let files = rust_files(&src().join("tui"));
    assert!(files.len() > 10, "the TUI's files were found: {files:?}");
    let offenders: Vec<(PathBuf, Vec<String>)> = files
        .into_iter()
        .map(|path| {
            let breaches = tui_breaches(&read(&path));
            (path, breaches)
        })
        .filter(|(_, breaches)| !breaches.is_empty())
        .collect();
    assert!(
        offenders.is_empty(),
        "I/O or signals in the TUI: {offenders:#?}"
    );
}

#[test]
fn the_checks_catch_real_breaches() {
    let breaches = [
        r#"let w = std::fs::read_to_string(format!("/proc/{pid}/wchan"));"#,
        "use std::{collections::BTreeMap, fs};\nfn f() { fs::read(p); }",
        "fn f() { std :: fs :: read(p); }",
        "use crate::procfs::scan::Reader;",
        "let mut reader = Reader::default();",
        "unsafe { libc::kill(pid, 15) };",
        "nix::sys::signal::killpg(pgid, Signal::SIGTERM)?;",
        "pidfd.send_signal(libc::SIGKILL)?;",
        "crate::engine::target::signal_process(&protected, &pidfd, signal)?;",
        r##"let path = r#"/proc/self/status"#;"##,
    ];
    for text in breaches {
        assert!(!tui_breaches(text).is_empty(), "not caught: {text}");
    }
    assert!(uses_the_tui("use crate::tui::screen::Screen;"));
    assert!(uses_the_tui("fn f() { super::tui::view::screen(m, n); }"));
}

#[test]
fn the_checks_ignore_comments_and_similar_names() {
    let fine = [
        "// reads /proc/PID/wchan through the engine; never std::fs here",
        "/// kill the group: see [`crate::engine::target::signal_group`]",
        "/* nested /* kill(pid) */ std::fs */ let x = 1;",
        "fn kill_group(&mut self) { self.kill_group_now(); }",
        "let reader_count = 1; let shown = Signal::KILL;",
        "use crate::procfs::orphans::OrphansReport; let x = procfs::record::parse;",
        "signal_self(libc::SIGSTOP)?; // Ctrl-Z: sigtree stops itself",
        r#"let s = "kill the group"; let c = '"'; let q = '\''; fn f<'a>(x: &'a str) {}"#,
        r#"message("SIGKILL sent: killpg refused"); let z = "a // not a comment";"#,
    ];
    for text in fine {
        assert!(tui_breaches(text).is_empty(), "a false alarm: {text}");
    }
    assert!(!uses_the_tui(
        "//! [`tui`] is a front end; crate::tui is not used here"
    ));
    assert!(!uses_the_tui("pub mod tui;"));
}
