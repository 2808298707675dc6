//! Scenarios: the shape and behaviour of the built-in pool, with the story
//! they tell and the verdicts they expect. Presets live in
//! `assets/scenarios/*.toml`, embedded in the binary; a path loads any file.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::signal::sigset::Signal;
use crate::watch::action::Action;
use crate::watch::verdict::Verdict;

/// One scenario, as its TOML file describes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name (the preset's file stem).
    pub name: String,
    /// One line, for `sigtree scenarios`.
    pub summary: String,
    /// What happens and why, in terms of the kernel's rules.
    pub explanation: String,
    /// Workers, tasks and task duration.
    #[serde(default)]
    pub pool: PoolShape,
    /// How the master behaves.
    #[serde(default)]
    pub master: MasterBehaviour,
    /// How every worker behaves.
    #[serde(default)]
    pub workers: WorkerBehaviour,
    /// The verdict each action that tells the story must produce.
    #[serde(default)]
    pub expect: BTreeMap<Action, Verdict>,
}

/// The pool's size and work.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolShape {
    /// Number of workers (1..=1024).
    pub workers: u32,
    /// The tasks the workers take: a file gives a count (`check` hands
    /// out that many); the demo's are endless unless `--tasks` is given.
    pub tasks: Tasks,
    /// How long one task takes, in milliseconds.
    pub task_ms: u64,
}

impl Default for PoolShape {
    fn default() -> Self {
        Self {
            workers: 4,
            tasks: Tasks::Count(200),
            task_ms: 500,
        }
    }
}

/// How many tasks the pool's queue hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "u32")]
pub enum Tasks {
    /// A new task whenever a worker asks: the queue never runs dry.
    Endless,
    /// This many, then the workers find the queue empty and exit.
    Count(u32),
}

impl From<u32> for Tasks {
    fn from(count: u32) -> Self {
        Self::Count(count)
    }
}

impl fmt::Display for Tasks {
    /// "endless tasks", "1 task", "200 tasks".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Endless => write!(f, "endless tasks"),
            Self::Count(1) => write!(f, "1 task"),
            Self::Count(n) => write!(f, "{n} tasks"),
        }
    }
}

/// What a process does when a signal arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reaction {
    /// The kernel's default action (dispositions reset on purpose).
    #[default]
    Default,
    /// SIG_IGN.
    Ignore,
    /// Blocked in the signal mask: it stays pending.
    Block,
    /// A handler sets a flag acted on at once: a worker abandons its task,
    /// cleans up for `cleanup_ms` and exits 0; the master sets the stop
    /// event, waits for its workers (if it reaps), cleans up for
    /// `cleanup_ms`, shuts the helper down and exits 0.
    CatchCleanup,
    /// A handler exits at once with status 128 + the signal number.
    CatchExit,
    /// A handler sets a flag that is only looked at when a blocking wait
    /// ends (the master: when every worker has ended; a worker: when its
    /// current task ends), then it cleans up and exits 0.
    Deferred,
}

/// Reactions to the three signals a stop uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reactions {
    /// On SIGTERM.
    pub sigterm: Reaction,
    /// On SIGINT.
    pub sigint: Reaction,
    /// On SIGHUP.
    pub sighup: Reaction,
}

/// Where a worker's grandchild goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grandchild {
    /// No grandchild.
    #[default]
    None,
    /// A child of each worker, in the pool's process group.
    SameGroup,
    /// A child of each worker that calls setsid(): a new session and group.
    NewSession,
}

/// The master's behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterBehaviour {
    /// Reactions to SIGTERM, SIGINT, SIGHUP (the `[master.signals]` table).
    /// A master that catches a signal sets the stop event and waits for its
    /// workers before cleaning up.
    pub signals: Reactions,
    /// How long cleaning up takes, in milliseconds.
    pub cleanup_ms: u64,
    /// Whether the master waits for (reaps) its children.
    pub reaps: bool,
    /// SIGINT ignored while spawning workers (they inherit SIG_IGN across
    /// fork and exec, signal(7), execve(2), and keep it when their own reaction is
    /// `default`), then restored to the master's own reaction.
    pub ignore_sigint_while_spawning: bool,
    /// A helper process (like a multiprocessing Manager) that the master
    /// shuts down at normal exit and that lingers if the master dies of a
    /// signal.
    pub helper: bool,
}

impl Default for MasterBehaviour {
    fn default() -> Self {
        Self {
            signals: Reactions::default(),
            cleanup_ms: 0,
            reaps: true,
            ignore_sigint_while_spawning: false,
            helper: false,
        }
    }
}

/// Every worker's behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerBehaviour {
    /// Reactions to SIGTERM, SIGINT, SIGHUP (the `[workers.signals]` table).
    pub signals: Reactions,
    /// How long cleaning up takes, in milliseconds.
    pub cleanup_ms: u64,
    /// Whether the worker polls the stop event between slices of work.
    pub poll_stop_event: bool,
    /// PR_SET_PDEATHSIG: the signal (a name such as "TERM", in TOML) the
    /// worker gets when the master dies.
    pub pdeathsig: Option<Signal>,
    /// A grandchild, and where it goes.
    pub grandchild: Grandchild,
}

impl Default for WorkerBehaviour {
    fn default() -> Self {
        Self {
            signals: Reactions::default(),
            cleanup_ms: 0,
            poll_stop_event: true,
            pdeathsig: None,
            grandchild: Grandchild::None,
        }
    }
}

/// Where the presets live in the source tree, for error messages.
const PRESET_DIR: &str = "assets/scenarios";

/// The presets, embedded in the binary, in the order the README lists them:
/// (name, TOML text).
pub const PRESETS: [(&str, &str); 14] = [
    (
        "graceful",
        include_str!("../../assets/scenarios/graceful.toml"),
    ),
    (
        "default-term",
        include_str!("../../assets/scenarios/default-term.toml"),
    ),
    (
        "ignore-term",
        include_str!("../../assets/scenarios/ignore-term.toml"),
    ),
    (
        "block-term",
        include_str!("../../assets/scenarios/block-term.toml"),
    ),
    (
        "slow-cleanup",
        include_str!("../../assets/scenarios/slow-cleanup.toml"),
    ),
    (
        "deferred-handler",
        include_str!("../../assets/scenarios/deferred-handler.toml"),
    ),
    ("ctrl-c", include_str!("../../assets/scenarios/ctrl-c.toml")),
    (
        "ctrl-c-ignored",
        include_str!("../../assets/scenarios/ctrl-c-ignored.toml"),
    ),
    (
        "setsid-escape",
        include_str!("../../assets/scenarios/setsid-escape.toml"),
    ),
    (
        "same-group-grandchild",
        include_str!("../../assets/scenarios/same-group-grandchild.toml"),
    ),
    (
        "orphans",
        include_str!("../../assets/scenarios/orphans.toml"),
    ),
    (
        "pdeathsig",
        include_str!("../../assets/scenarios/pdeathsig.toml"),
    ),
    ("zombie", include_str!("../../assets/scenarios/zombie.toml")),
    (
        "manager-linger",
        include_str!("../../assets/scenarios/manager-linger.toml"),
    ),
];

/// The presets' names, in the order the README lists them.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(name, _)| *name)
}

/// Every preset, parsed, in the order the README lists them.
pub fn presets() -> Result<Vec<Scenario>, ScenarioError> {
    PRESETS
        .iter()
        .map(|(name, text)| parse_preset(name, text))
        .collect()
}

/// A preset by name, or a scenario file: a name that contains `/`, ends in
/// `.toml` or names an existing path is read from disk.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if let Some((name, text)) = PRESETS.iter().find(|(name, _)| *name == name_or_path) {
        return parse_preset(name, text);
    }
    let path = std::path::Path::new(name_or_path);
    if name_or_path.contains('/') || name_or_path.ends_with(".toml") || path.exists() {
        let bytes = read_file(name_or_path)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| not_utf8(name_or_path, e.as_bytes(), e.utf8_error().valid_up_to()))?;
        return parse(name_or_path, &text);
    }
    Err(ScenarioError::Unknown {
        name: name_or_path.to_string(),
    })
}

/// The largest scenario file read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a scenario file, refusing anything but a regular file before it is
/// read: a FIFO would block the open (or the read) until a writer came, a
/// device might never end. The file is opened with O_NONBLOCK, so that one
/// that became a FIFO since it was looked at cannot block either, and
/// checked again on the open descriptor.
fn read_file(path: &str) -> Result<Vec<u8>, ScenarioError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let read_error = |source| ScenarioError::Read {
        path: path.to_string(),
        source,
    };
    refuse_unless_regular(path, &std::fs::metadata(path).map_err(read_error)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(read_error)?;
    refuse_unless_regular(path, &file.metadata().map_err(read_error)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScenarioError::Refused {
            path: path.to_string(),
            reason: "it is larger than 1 MiB".to_string(),
        });
    }
    Ok(bytes)
}

/// Refuses what `metadata` says is not a regular file, naming what it is.
fn refuse_unless_regular(path: &str, metadata: &std::fs::Metadata) -> Result<(), ScenarioError> {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    let what = match () {
        _ if kind.is_file() => return Ok(()),
        _ if kind.is_dir() => "a directory",
        _ if kind.is_fifo() => "a FIFO",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_char_device() => "a character device",
        _ if kind.is_block_device() => "a block device",
        _ => "something else",
    };
    Err(ScenarioError::Refused {
        path: path.to_string(),
        reason: format!("not a regular file ({what})"),
    })
}

/// The error for a file that is not UTF-8 from byte `valid` on: the line
/// (and field) of that byte.
fn not_utf8(origin: &str, bytes: &[u8], valid: usize) -> ScenarioError {
    let text = String::from_utf8_lossy(&bytes[..valid]);
    ScenarioError::Malformed {
        origin: origin.to_string(),
        line: line_of(&text, valid),
        field: field_from_text(&text, valid),
        message: format!(
            "not valid UTF-8: byte 0x{:02x}",
            bytes.get(valid).copied().unwrap_or_default()
        ),
    }
}

/// Parses and checks one scenario; `origin` (a path) names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if let Some(error) = syntax_errors
        .iter()
        .min_by_key(|e| e.span().map_or(usize::MAX, |span| span.start))
    {
        // The recovered document is a guess: name the field from the text.
        return Err(malformed(origin, text, None, error));
    }
    let scenario = Scenario::deserialize(toml::de::Deserializer::from(document.clone()))
        .map_err(|error| malformed(origin, text, Some(document.get_ref()), &error))?;
    validate(&scenario).map_err(|problem| ScenarioError::Malformed {
        origin: origin.to_string(),
        line: problem.path.map_or(1, |path| {
            key_offset(document.get_ref(), path).map_or(1, |offset| line_of(text, offset))
        }),
        field: problem.field,
        message: problem.message,
    })?;
    Ok(scenario)
}

/// Parses a preset, whose name must be its file stem.
fn parse_preset(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let origin = format!("{PRESET_DIR}/{name}.toml");
    let scenario = parse(&origin, text)?;
    if scenario.name != name {
        let line = DeTable::parse(text)
            .ok()
            .and_then(|doc| key_offset(doc.get_ref(), &["name"]))
            .map_or(1, |offset| line_of(text, offset));
        return Err(ScenarioError::Malformed {
            origin,
            line,
            field: "name".to_string(),
            message: format!(
                "the name '{}' is not the file's stem '{name}'",
                scenario.name
            ),
        });
    }
    Ok(scenario)
}

/// Why a scenario could not be had. Callers branch on the variant: an
/// unknown name or an unreadable file is a usage error, a malformed file
/// names the line and field to fix.
#[derive(Debug)]
pub enum ScenarioError {
    /// Neither a preset's name nor a path.
    Unknown {
        /// The name as given.
        name: String,
    },
    /// The path names something that is not a scenario file to read.
    Refused {
        /// The path as given.
        path: String,
        /// Why: not a regular file (and what it is), or too large.
        reason: String,
    },
    /// The file could not be read.
    Read {
        /// The path as given.
        path: String,
        /// Why. Shown in the message itself, so not also returned by
        /// [`std::error::Error::source`] (it would print twice).
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    Malformed {
        /// The file: a path, or `assets/scenarios/NAME.toml` for a preset.
        origin: String,
        /// The line (1-based) of the offending key, value or table.
        line: usize,
        /// The dotted key path (`workers.signals.sigterm`); empty when the
        /// error is not about one field (a syntax error between keys).
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { name } => {
                let known: Vec<&str> = preset_names().collect();
                write!(
                    f,
                    "unknown scenario '{name}': known scenarios are {} \
                     (or give the path of a .toml file)",
                    known.join(", ")
                )
            }
            Self::Refused { path, reason } => {
                write!(f, "cannot use scenario file {path}: {reason}")
            }
            Self::Read { path, source } => {
                write!(f, "cannot read scenario file {path}: {source}")
            }
            Self::Malformed {
                origin,
                line,
                field,
                message,
            } if field.is_empty() => write!(f, "{origin}:{line}: {message}"),
            Self::Malformed {
                origin,
                line,
                field,
                message,
            } => write!(f, "{origin}:{line}: field {field}: {message}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A value that parsed but is out of bounds.
struct Problem {
    /// Where its key is, to find the line; `None`: the top of the file.
    path: Option<&'static [&'static str]>,
    /// The dotted path, for the message.
    field: String,
    /// What is wrong.
    message: String,
}

impl Problem {
    fn at(path: &'static [&'static str], message: String) -> Self {
        Self {
            path: Some(path),
            field: path.join("."),
            message,
        }
    }
}

/// The checks serde cannot express.
fn validate(scenario: &Scenario) -> Result<(), Problem> {
    let pool = &scenario.pool;
    if scenario.name.trim().is_empty() {
        return Err(Problem::at(&["name"], "must not be empty".to_string()));
    }
    if scenario.summary.trim().is_empty() || scenario.summary.contains('\n') {
        return Err(Problem::at(
            &["summary"],
            "must be one non-empty line".to_string(),
        ));
    }
    if scenario.explanation.trim().is_empty() {
        return Err(Problem::at(
            &["explanation"],
            "must not be empty".to_string(),
        ));
    }
    if !(1..=1024).contains(&pool.workers) {
        return Err(Problem::at(
            &["pool", "workers"],
            format!("{} is out of range: use 1 to 1024 workers", pool.workers),
        ));
    }
    if pool.tasks == Tasks::Count(0) {
        return Err(Problem::at(
            &["pool", "tasks"],
            "must be at least 1".to_string(),
        ));
    }
    if !(1..=60_000).contains(&pool.task_ms) {
        return Err(Problem::at(
            &["pool", "task_ms"],
            format!("{} is out of range: use 1 to 60000 ms", pool.task_ms),
        ));
    }
    Ok(())
}

/// Turns a TOML error into [`ScenarioError::Malformed`] naming the line and
/// the field.
fn malformed(
    origin: &str,
    text: &str,
    document: Option<&DeTable<'_>>,
    error: &toml::de::Error,
) -> ScenarioError {
    let span = error.span().unwrap_or(0..0);
    let offset = span.start.min(text.len());
    let raw = error.message();
    let missing = raw
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    let (line, field) = match missing {
        // The span is the table that lacks the field (0..0: the top level).
        Some(name) => {
            let table: Vec<String> = document
                .and_then(|doc| table_with_span(doc, &span))
                .unwrap_or_default();
            let line = if span.is_empty() && table.is_empty() {
                1
            } else {
                line_of(text, offset)
            };
            let mut path = table;
            path.push(name.to_string());
            (line, path.join("."))
        }
        None => {
            let path = document
                .map(|doc| path_at(doc, offset))
                .filter(|path| !path.is_empty())
                .map(|path| path.join("."))
                .unwrap_or_else(|| field_from_text(text, offset));
            (line_of(text, offset), path)
        }
    };
    let message = friendlier(raw, &field);
    ScenarioError::Malformed {
        origin: origin.to_string(),
        line,
        field,
        message,
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Whether `span` holds `offset` (an empty span holds its start).
fn holds(span: &std::ops::Range<usize>, offset: usize) -> bool {
    span.contains(&offset) || (span.is_empty() && span.start == offset)
}

/// The key path whose key holds `offset`, else the deepest one whose value
/// holds it; empty if none. Tables opened by a `[header]` have the header as
/// their span, so every table is searched, not only those whose span holds
/// the offset; and since a header such as `[a.b.c]` holds the keys of every
/// table on its path, a key that holds the offset ends the path there (the
/// error is about `a.b`, not about the table below it).
fn path_at(table: &DeTable<'_>, offset: usize) -> Vec<String> {
    let mut best = Vec::new();
    for (key, value) in table.iter() {
        let found = if holds(&key.span(), offset) {
            vec![key.get_ref().to_string()]
        } else {
            let inner = path_inside(value, offset);
            if !inner.is_empty() {
                prefixed(key.get_ref(), inner)
            } else if holds(&value.span(), offset) {
                vec![key.get_ref().to_string()]
            } else {
                Vec::new()
            }
        };
        if found.len() > best.len() {
            best = found;
        }
    }
    best
}

/// The path below `value` (a table's keys, an array's `[index]`) that holds
/// `offset`; empty if none.
fn path_inside(value: &toml::Spanned<DeValue<'_>>, offset: usize) -> Vec<String> {
    match value.get_ref() {
        DeValue::Table(inner) => path_at(inner, offset),
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| {
                let inner = path_inside(item, offset);
                (!inner.is_empty() || holds(&item.span(), offset))
                    .then(|| prefixed(&format!("[{index}]"), inner))
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `name` followed by `inner`, an index joining the part before it
/// (`tasks[0]`).
fn prefixed(name: &str, inner: Vec<String>) -> Vec<String> {
    let mut path = vec![name.to_string()];
    for part in inner {
        match path.last_mut() {
            Some(last) if part.starts_with('[') => last.push_str(&part),
            _ => path.push(part),
        }
    }
    path
}

/// The key path of the table whose span is exactly `span`.
fn table_with_span(table: &DeTable<'_>, span: &std::ops::Range<usize>) -> Option<Vec<String>> {
    for (key, value) in table.iter() {
        if let DeValue::Table(inner) = value.get_ref() {
            if value.span() == *span {
                return Some(vec![key.get_ref().to_string()]);
            }
            if let Some(mut path) = table_with_span(inner, span) {
                path.insert(0, key.get_ref().to_string());
                return Some(path);
            }
        }
    }
    None
}

/// The byte offset of the key at `path`, if the document has it.
fn key_offset(table: &DeTable<'_>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let (key, value) = table.iter().find(|(key, _)| key.get_ref() == first)?;
    if rest.is_empty() {
        return Some(key.span().start);
    }
    match value.get_ref() {
        DeValue::Table(inner) => key_offset(inner, rest),
        _ => None,
    }
}

/// When the parsed document cannot say: the field from the text itself,
/// the last `[table]` header above `offset` and the key on its line.
fn field_from_text(text: &str, offset: usize) -> String {
    let target = line_of(text, offset);
    let mut table = String::new();
    // The delimiter of the multi-line string being read, and its field.
    let mut in_string: Option<(&str, String)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let trimmed = line.trim();
        let here = index + 1 == target;
        if let Some((delimiter, field)) = &in_string {
            if here {
                return field.clone();
            }
            if trimmed.matches(delimiter).count() % 2 == 1 {
                in_string = None;
            }
            continue;
        }
        if trimmed.starts_with('[') {
            let header = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            if here {
                return header;
            }
            table = header;
            continue;
        }
        let key = trimmed
            .split_once('=')
            .map(|(key, _)| key.trim().trim_matches(|c| c == '"' || c == '\''))
            .unwrap_or_default();
        let field = match (table.is_empty(), key.is_empty()) {
            (_, true) => table.clone(),
            (true, false) => key.to_string(),
            (false, false) => format!("{table}.{key}"),
        };
        if here {
            return field;
        }
        for delimiter in ["\"\"\"", "'''"] {
            if trimmed.matches(delimiter).count() % 2 == 1 {
                in_string = Some((delimiter, field));
                break;
            }
        }
    }
    table
}

/// The TOML library's message with quotes as the rest of sigtree writes
/// them, and the accepted values where it gives none.
fn friendlier(message: &str, field: &str) -> String {
    let mut message = message
        .replace('`', "'")
        .replace("expected u64", "expected a whole number of at least 0")
        .replace("expected u32", "expected a whole number of at least 0");
    if message == "wanted string or table" {
        let last = field.rsplit('.').next().unwrap_or_default();
        message = match last {
            "sigterm" | "sigint" | "sighup" => "invalid type: expected a string, one of \
                 'default', 'ignore', 'block', 'catch-cleanup', 'catch-exit', 'deferred'"
                .to_string(),
            "grandchild" => "invalid type: expected a string, one of \
                 'none', 'same-group', 'new-session'"
                .to_string(),
            _ => "invalid type: expected a string".to_string(),
        };
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::action::Target;

    /// A minimal valid scenario, to break one line at a time.
    const BASE: &str = r#"name = "x"
summary = "one line"
explanation = """
Two lines
of text.
"""

[pool]
workers = 4
tasks = 10
task_ms = 100

[master]
reaps = true

[master.signals]
sigterm = "catch-cleanup"

[workers]
poll_stop_event = true
pdeathsig = "TERM"

[workers.signals]
sigterm = "default"

[expect]
"term-group" = "forced"
stop-event = "graceful"
"#;

    /// Parses `BASE` with `from` replaced by `to`, expecting a Malformed
    /// error; returns (line, field, message, whole text).
    fn broken(from: &str, to: &str) -> (usize, String, String, String) {
        assert!(BASE.contains(from), "{from}");
        let text = BASE.replacen(from, to, 1);
        match parse("assets/x.toml", &text) {
            Err(error) => match &error {
                ScenarioError::Malformed {
                    line,
                    field,
                    message,
                    ..
                } => (*line, field.clone(), message.clone(), error.to_string()),
                other => panic!("expected Malformed for {to:?}, got {other:?}"),
            },
            Ok(_) => panic!("expected Malformed for {to:?}, it parsed"),
        }
    }

    #[test]
    fn the_base_case_parses() {
        let scenario = parse("assets/x.toml", BASE).expect("valid");
        assert_eq!(scenario.pool.tasks, Tasks::Count(10));
        assert_eq!(scenario.workers.pdeathsig, Some(Signal::TERM));
        assert_eq!(
            scenario.expect.get(&Action::Signal {
                signal: Signal::TERM,
                target: Target::Group
            }),
            Some(&Verdict::Forced)
        );
        assert_eq!(scenario.explanation, "Two lines\nof text.\n");
    }

    #[test]
    fn every_preset_parses_and_is_named_after_its_file() {
        let presets = presets().expect("every preset parses");
        assert_eq!(presets.len(), 14);
        for (scenario, name) in presets.iter().zip(preset_names()) {
            assert_eq!(scenario.name, name);
            assert!(
                (2..=4).contains(&scenario.expect.len()),
                "{name}: {:?}",
                scenario.expect
            );
        }
        let names: Vec<&str> = preset_names().collect();
        assert_eq!(
            names,
            [
                "graceful",
                "default-term",
                "ignore-term",
                "block-term",
                "slow-cleanup",
                "deferred-handler",
                "ctrl-c",
                "ctrl-c-ignored",
                "setsid-escape",
                "same-group-grandchild",
                "orphans",
                "pdeathsig",
                "zombie",
                "manager-linger"
            ]
        );
    }

    #[test]
    fn every_preset_file_on_disk_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("the presets' directory")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(str::to_string))
                    .flatten()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = preset_names().map(str::to_string).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn preset_texts_are_readable() {
        for (name, text) in PRESETS {
            let scenario = load(name).expect("a preset");
            assert!(scenario.summary.chars().count() <= 64, "{name}: summary");
            for line in scenario.explanation.lines() {
                assert!(line.chars().count() <= 78, "{name}: {line}");
            }
            // A sentence ends with a full stop before white space or the end.
            let chars: Vec<char> = scenario.explanation.chars().collect();
            let sentences = chars
                .iter()
                .enumerate()
                .filter(|&(i, &c)| {
                    c == '.' && chars.get(i + 1).is_none_or(|next| next.is_whitespace())
                })
                .count();
            assert!(
                (4..=10).contains(&sentences),
                "{name}: {sentences} sentences"
            );
            assert!(text.starts_with(&format!("name = \"{name}\"\n")), "{name}");
        }
    }

    #[test]
    fn a_path_is_read_from_disk() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, BASE).expect("written");
        let path = path.to_str().expect("utf-8 path");
        assert_eq!(load(path).expect("loads").name, "x");

        let missing = format!("{path}.gone");
        match load(&missing) {
            Err(error @ ScenarioError::Read { .. }) => {
                let text = error.to_string();
                assert!(
                    text.starts_with(&format!("cannot read scenario file {missing}: ")),
                    "{text}"
                );
            }
            other => panic!("expected Read, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_name_lists_the_presets() {
        match load("gracefull") {
            Err(error @ ScenarioError::Unknown { .. }) => {
                let text = error.to_string();
                assert!(
                    text.starts_with(
                        "unknown scenario 'gracefull': known scenarios are graceful, \
                         default-term, ignore-term,"
                    ),
                    "{text}"
                );
                assert!(text.contains("zombie, manager-linger"), "{text}");
            }
            other => panic!("expected Unknown, got {other:?}"),
        }
    }

    #[test]
    fn bad_syntax_names_the_line() {
        let (line, field, message, _) = broken("[workers]\n", "[workers\n");
        assert_eq!(line, 19);
        assert_eq!(field, "workers");
        assert!(message.contains("expected ']'"), "{message}");

        let (line, field, _, _) = broken("tasks = 10", "tasks = 10x");
        assert_eq!((line, field.as_str()), (10, "pool.tasks"));

        let (line, field, _, text) = broken("of text.\n\"\"\"", "of \"\"\"text.\n\"\"\"");
        assert_eq!((line, field.as_str()), (5, "explanation"), "{text}");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let (line, field, message, _) = broken("reaps = true", "reap = true");
        assert_eq!((line, field.as_str()), (14, "master.reap"));
        assert!(
            message.starts_with("unknown field 'reap', expected one of"),
            "{message}"
        );
    }

    #[test]
    fn a_wrong_type_is_named() {
        let (line, field, message, _) = broken("reaps = true", "reaps = \"yes\"");
        assert_eq!((line, field.as_str()), (14, "master.reaps"));
        assert!(message.contains("expected a boolean"), "{message}");

        let (line, field, message, _) = broken("task_ms = 100", "task_ms = -5");
        assert_eq!((line, field.as_str()), (11, "pool.task_ms"));
        assert!(message.contains("expected a whole number"), "{message}");

        let (line, field, message, _) = broken("sigterm = \"default\"", "sigterm = 15");
        assert_eq!((line, field.as_str()), (24, "workers.signals.sigterm"));
        assert!(message.contains("'catch-cleanup'"), "{message}");
    }

    #[test]
    fn a_bad_variant_is_named_with_file_line_and_field() {
        let (line, field, message, text) = broken("sigterm = \"default\"", "sigterm = \"catch\"");
        assert_eq!((line, field.as_str()), (24, "workers.signals.sigterm"));
        assert!(
            message.starts_with("unknown variant 'catch', expected one of 'default'"),
            "{message}"
        );
        assert!(
            text.starts_with("assets/x.toml:24: field workers.signals.sigterm: unknown variant"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_signal_name_is_named() {
        let (line, field, message, _) = broken("pdeathsig = \"TERM\"", "pdeathsig = \"TREM\"");
        assert_eq!((line, field.as_str()), (21, "workers.pdeathsig"));
        assert!(message.contains("unknown signal 'TREM'"), "{message}");
    }

    #[test]
    fn a_missing_summary_is_named() {
        let (line, field, message, text) = broken("summary = \"one line\"\n", "");
        assert_eq!((line, field.as_str()), (1, "summary"));
        assert_eq!(message, "missing field 'summary'");
        assert_eq!(
            text,
            "assets/x.toml:1: field summary: missing field 'summary'"
        );
    }

    #[test]
    fn out_of_range_pool_sizes_are_named() {
        let (line, field, message, _) = broken("workers = 4", "workers = 0");
        assert_eq!((line, field.as_str()), (9, "pool.workers"));
        assert!(message.contains("1 to 1024"), "{message}");

        let (line, field, _, text) = broken("workers = 4", "workers = 2000");
        assert_eq!((line, field.as_str()), (9, "pool.workers"));
        assert_eq!(
            text,
            "assets/x.toml:9: field pool.workers: 2000 is out of range: use 1 to 1024 workers"
        );

        let (line, field, _, _) = broken("tasks = 10", "tasks = 0");
        assert_eq!((line, field.as_str()), (10, "pool.tasks"));
        let (line, field, _, _) = broken("task_ms = 100", "task_ms = 60001");
        assert_eq!((line, field.as_str()), (11, "pool.task_ms"));
        let (line, field, _, _) = broken("name = \"x\"", "name = \" \"");
        assert_eq!((line, field.as_str()), (1, "name"));
    }

    #[test]
    fn a_bad_verdict_in_expect_is_named() {
        let (line, field, message, _) = broken(
            "\"term-group\" = \"forced\"",
            "\"term-group\" = \"forceful\"",
        );
        assert_eq!((line, field.as_str()), (27, "expect.term-group"));
        assert!(message.contains("unknown variant 'forceful'"), "{message}");
        assert!(message.contains("'graceful'"), "{message}");
    }

    #[test]
    fn an_unknown_action_in_expect_is_named() {
        let (line, field, message, _) = broken("stop-event = \"graceful\"", "stop = \"graceful\"");
        assert_eq!((line, field.as_str()), (28, "expect.stop"));
        assert!(
            message.starts_with("unknown action 'stop': use one of stop-event"),
            "{message}"
        );
    }

    #[test]
    fn inline_tables_and_dotted_keys_are_located_too() {
        let (line, field, _, _) = broken(
            "poll_stop_event = true",
            "poll_stop_event = true\nx = { signals = { sigterm = 1 } }",
        );
        assert_eq!((line, field.as_str()), (21, "workers.x"));
        let (line, field, _, _) = broken("poll_stop_event = true", "poll_stop_event = [true, 1]");
        assert_eq!((line, field.as_str()), (20, "workers.poll_stop_event"));
        let (line, field, message, _) = broken(
            "[workers.signals]\nsigterm = \"default\"",
            "[workers.signals]\nsigint = { a = 1 }",
        );
        assert_eq!(
            (line, field.as_str()),
            (24, "workers.signals.sigint.a"),
            "{message}"
        );
        let text = "name = \"x\"\nsummary = \"s\"\nexplanation = \"e\"\nworkers.signals.sighup = \"nope\"\n";
        match parse("f.toml", text) {
            Err(ScenarioError::Malformed { line, field, .. }) => {
                assert_eq!((line, field.as_str()), (4, "workers.signals.sighup"));
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_deep_header_names_the_table_the_error_is_about() {
        let (line, field, message, _) = broken(
            "[workers]\n",
            "[master.signals.term.on_exit]\nx = 1\n[workers]\n",
        );
        assert_eq!(
            (line, field.as_str()),
            (19, "master.signals.term"),
            "{message}"
        );
        assert!(message.starts_with("unknown field 'term'"), "{message}");
        let (line, field, message, _) =
            broken("reaps = true", "reaps = true\n[master.cleanup_ms.x]\ny = 1");
        assert_eq!(
            (line, field.as_str()),
            (15, "master.cleanup_ms"),
            "{message}"
        );
        let (line, field, message, _) = broken(
            "[workers]\n",
            "[workers.signals.sighup.ignore]\n[workers.signals.sighup.block]\n[workers]\n",
        );
        assert_eq!(
            (line, field.as_str()),
            (19, "workers.signals.sighup"),
            "{message}"
        );
    }

    /// Writes `bytes` to a file in a new temporary directory and loads it.
    fn load_bytes(bytes: &[u8]) -> (String, ScenarioError) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("f.toml");
        std::fs::write(&path, bytes).expect("written");
        let path = path.to_str().expect("utf-8 path").to_string();
        match load(&path) {
            Err(error) => (path, error),
            Ok(_) => panic!("expected an error for {bytes:?}"),
        }
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_line_and_field_of_the_bad_byte() {
        let mut bytes = BASE.as_bytes().to_vec();
        let at = BASE.find("tasks = 10").expect("tasks") + "tasks = 1".len();
        bytes.insert(at, 0xff);
        let (path, error) = load_bytes(&bytes);
        assert_eq!(
            error.to_string(),
            format!("{path}:10: field pool.tasks: not valid UTF-8: byte 0xff")
        );
        let (path, error) = load_bytes(b"\xfename = 'x'\n");
        assert_eq!(
            error.to_string(),
            format!("{path}:1: not valid UTF-8: byte 0xfe")
        );
    }

    #[test]
    fn only_a_regular_file_of_at_most_1_mib_is_read() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let shown = dir.path().to_str().expect("utf-8 path").to_string();
        match load(&shown) {
            Err(error @ ScenarioError::Refused { .. }) => assert_eq!(
                error.to_string(),
                format!("cannot use scenario file {shown}: not a regular file (a directory)")
            ),
            other => panic!("expected Refused, got {other:?}"),
        }
        let big = dir.path().join("big.toml");
        let file = std::fs::File::create(&big).expect("created");
        file.set_len(MAX_FILE_BYTES + 1).expect("a sparse file");
        let shown = big.to_str().expect("utf-8 path");
        match load(shown) {
            Err(error @ ScenarioError::Refused { .. }) => {
                assert!(error.to_string().ends_with("larger than 1 MiB"), "{error}");
            }
            other => panic!("expected Refused, got {other:?}"),
        }
    }

    #[test]
    fn a_preset_must_carry_its_stem() {
        match parse_preset("graceful", BASE) {
            Err(error @ ScenarioError::Malformed { line: 1, .. }) => {
                assert!(
                    error.to_string().contains("field name: the name 'x'"),
                    "{error}"
                );
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn no_input_panics() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "\u{0}".to_string(),
            "[".to_string(),
            "\"\"\"".to_string(),
            "=".to_string(),
            "a.b.c = [[1], {x = 2}]\n[[a]]\n".to_string(),
            "name = \"é\"\nsummary = 'ü".to_string(),
        ];
        for (_, text) in PRESETS.iter().take(3) {
            let cuts: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for cut in cuts {
                texts.push(text[..cut].to_string());
                let mut chars: Vec<char> = text.chars().collect();
                let at = cut % chars.len().max(1);
                if let Some(c) = chars.get_mut(at) {
                    *c = ['[', '"', '=', '\n', ']', '{'][cut % 6];
                }
                texts.push(chars.into_iter().collect());
            }
        }
        for text in &texts {
            if let Err(ScenarioError::Malformed { line, .. }) = parse("f.toml", text) {
                assert!(
                    line >= 1 && line <= text.lines().count().max(1) + 1,
                    "{text:?}"
                );
            }
        }
    }
}
