//! `sigtree scenarios [NAME]`: list the scenarios, or print one's story,
//! shape, behaviours and expected verdicts.

use std::io::Write;

use crate::cmd::text_table::{Align, write_table};
use crate::pool::scenario::{
    self, Grandchild, MasterBehaviour, Reaction, Reactions, Scenario, Tasks, WorkerBehaviour,
};
use crate::watch::action::Action;

/// Without a name, a table of every preset; with a name (or a path), that
/// scenario in full. An unknown name or a bad file is a
/// [`scenario::ScenarioError`] inside the returned error.
pub fn run(name: Option<&str>, out: &mut impl Write) -> anyhow::Result<()> {
    match name {
        None => list(out),
        Some(name) => {
            let scenario = scenario::load(name)?;
            describe(&scenario, out)
        }
    }
}

/// The table of presets.
fn list(out: &mut impl Write) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = scenario::presets()?
        .into_iter()
        .map(|s| vec![s.name, s.summary])
        .collect();
    write_table(
        &[("NAME", Align::Left), ("SUMMARY", Align::Left)],
        &rows,
        None,
        out,
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "`sigtree scenarios NAME` shows one; `sigtree check --scenario NAME` tests it."
    )?;
    Ok(())
}

/// Lines are wrapped to this width (the explanations are written to 78).
const WIDTH: usize = 78;

/// One scenario in full.
fn describe(scenario: &Scenario, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "{} — {}", scenario.name, scenario.summary)?;
    writeln!(out)?;
    writeln!(out, "{}", scenario.explanation.trim_end())?;
    writeln!(out)?;

    let pool = &scenario.pool;
    writeln!(
        out,
        "Pool: {} worker{}, {} of {} ms each.",
        pool.workers,
        plural(u64::from(pool.workers)),
        pool.tasks,
        pool.task_ms
    )?;
    if pool.tasks != Tasks::Endless {
        writeln!(
            out,
            "(`check` hands out that many; the demo's tasks are endless unless --tasks is given.)"
        )?;
    }
    writeln!(out, "Master:")?;
    for line in master_lines(&scenario.master) {
        write_wrapped(&line, out)?;
    }
    writeln!(out, "Workers:")?;
    for line in worker_lines(&scenario.workers, &scenario.master) {
        write_wrapped(&line, out)?;
    }
    writeln!(out)?;

    if scenario.expect.is_empty() {
        writeln!(out, "Expectations: none.")?;
    } else {
        writeln!(
            out,
            "Expectations (sigtree check --scenario {} --action ACTION):",
            scenario.name
        )?;
        let mut expect: Vec<_> = scenario.expect.iter().collect();
        expect.sort_by_key(|(action, _)| vocabulary_position(action));
        for (action, verdict) in expect {
            writeln!(out, "  {action} → {verdict}")?;
        }
    }
    Ok(())
}

/// Writes `text` indented by two spaces, wrapped at [`WIDTH`] with the
/// following lines indented by four.
fn write_wrapped(text: &str, out: &mut impl Write) -> std::io::Result<()> {
    let mut line = String::from("  ");
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && line.chars().count() + 1 + word.chars().count() > WIDTH {
            writeln!(out, "{line}")?;
            line = String::from("    ");
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    writeln!(out, "{line}")
}

/// An action's place in `check --action`'s vocabulary (others last).
fn vocabulary_position(action: &Action) -> usize {
    let name = action.to_string();
    Action::names()
        .position(|known| known == name)
        .unwrap_or(usize::MAX)
}

/// "s" unless there is one.
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Who reacts: the master's handlers do different work from a worker's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The master; whether it reaps changes what catching means.
    Master { reaps: bool },
    /// A worker.
    Worker,
}

/// One reaction in words.
fn reaction_words(reaction: Reaction, who: Who, cleanup_ms: u64) -> String {
    match (reaction, who) {
        (Reaction::Default, _) => "default action (terminates)".to_string(),
        (Reaction::Ignore, _) => "ignored (SIG_IGN)".to_string(),
        (Reaction::Block, _) => "blocked: stays pending".to_string(),
        (Reaction::CatchCleanup, Who::Master { reaps: true }) => format!(
            "caught: sets the stop event, waits for the workers, \
             cleans up for {cleanup_ms} ms, exits 0"
        ),
        (Reaction::CatchCleanup, Who::Master { reaps: false }) => format!(
            "caught: sets the stop event, cleans up for {cleanup_ms} ms \
             without reaping, exits 0"
        ),
        (Reaction::CatchCleanup, Who::Worker) => {
            format!("caught: abandons the task, cleans up for {cleanup_ms} ms, exits 0")
        }
        (Reaction::CatchExit, _) => "caught: exits at once with status 128 + signal".to_string(),
        (Reaction::Deferred, Who::Master { reaps: true }) => format!(
            "caught, but only a flag: acted on (clean up for {cleanup_ms} ms, \
             exit 0) when the wait for every worker ends; the stop event is not set"
        ),
        (Reaction::Deferred, Who::Master { reaps: false }) => format!(
            "caught, but only a flag: cleans up for {cleanup_ms} ms without \
             reaping, exits 0"
        ),
        (Reaction::Deferred, Who::Worker) => format!(
            "caught, but only a flag: acted on when the current task ends \
             (clean up for {cleanup_ms} ms, exit 0)"
        ),
    }
}

/// The three reactions, signals with the same reaction on one line.
/// `inherited_ignore` marks SIGINT ignored by inheritance when the
/// reaction itself is `default`.
fn reaction_lines(
    reactions: &Reactions,
    who: Who,
    cleanup_ms: u64,
    inherited_ignore: bool,
) -> Vec<String> {
    let table = [
        ("SIGTERM", reactions.sigterm),
        ("SIGINT", reactions.sigint),
        ("SIGHUP", reactions.sighup),
    ];
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for (signal, reaction) in table {
        let words = if signal == "SIGINT" && inherited_ignore && reaction == Reaction::Default {
            "ignored, inherited from the master (SIG_IGN while it spawned them)".to_string()
        } else {
            reaction_words(reaction, who, cleanup_ms)
        };
        match groups.iter_mut().find(|(_, w)| *w == words) {
            Some((signals, _)) => signals.push(signal),
            None => groups.push((vec![signal], words)),
        }
    }
    groups
        .into_iter()
        .map(|(signals, words)| format!("{}: {words}", signals.join(", ")))
        .collect()
}

/// The master's behaviour, one item a line.
fn master_lines(master: &MasterBehaviour) -> Vec<String> {
    let who = Who::Master {
        reaps: master.reaps,
    };
    let mut lines = reaction_lines(&master.signals, who, master.cleanup_ms, false);
    if master.ignore_sigint_while_spawning {
        lines.push(
            "ignores SIGINT while it starts the workers (they inherit SIG_IGN), \
             then restores its own reaction"
                .to_string(),
        );
    }
    lines.push(if master.reaps {
        "waits for (reaps) its workers".to_string()
    } else {
        "never waits for its children: they stay zombies until it exits; \
         it exits when a handler fires or every worker has exited"
            .to_string()
    });
    if master.helper {
        lines.push(
            "starts a helper (like a multiprocessing Manager: SIGINT ignored, \
             SIGTERM default) and tells it to stop only at its own normal exit"
                .to_string(),
        );
    }
    lines
}

/// The workers' behaviour, one item a line; SIGINT shows as ignored when
/// the master spawned them with SIGINT ignored.
fn worker_lines(workers: &WorkerBehaviour, master: &MasterBehaviour) -> Vec<String> {
    let mut lines = reaction_lines(
        &workers.signals,
        Who::Worker,
        workers.cleanup_ms,
        master.ignore_sigint_while_spawning,
    );
    lines.push(if workers.poll_stop_event {
        format!(
            "poll the stop event: on it, finish the task, clean up for {} ms, exit 0",
            workers.cleanup_ms
        )
    } else {
        "never look at the stop event".to_string()
    });
    if let Some(signal) = workers.pdeathsig {
        lines.push(format!(
            "PR_SET_PDEATHSIG: {} when the master dies",
            signal.name()
        ));
    }
    match workers.grandchild {
        Grandchild::None => {}
        Grandchild::SameGroup => lines.push(
            "each starts a grandchild in the pool's group (it exits on the stop event)".to_string(),
        ),
        Grandchild::NewSession => lines.push(
            "each starts a grandchild that calls setsid(): a new session and group \
             (it exits on the stop event)"
                .to_string(),
        ),
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(name: Option<&str>) -> anyhow::Result<String> {
        let mut out = Vec::new();
        run(name, &mut out)?;
        Ok(String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn one_scenario_shows_its_story_shape_and_expectations() {
        let text = render(Some("graceful")).expect("graceful renders");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some("graceful — Workers poll a stop event, finish their task and clean up")
        );
        assert!(
            text.contains("The master catches SIGTERM, SIGINT and SIGHUP"),
            "{text}"
        );
        assert!(
            lines.contains(&"Pool: 4 workers, 200 tasks of 500 ms each."),
            "{text}"
        );
        assert!(
            text.contains(
                "Master:\n  SIGTERM, SIGINT, SIGHUP: caught: sets the stop event, waits for the \
                 workers,\n    cleans up for 200 ms, exits 0\n"
            ),
            "{text}"
        );
        assert!(
            lines.contains(&"  SIGTERM, SIGINT, SIGHUP: default action (terminates)"),
            "{text}"
        );
        let expectations: Vec<&str> = lines
            .iter()
            .skip_while(|line| !line.starts_with("Expectations"))
            .skip(1)
            .copied()
            .collect();
        assert_eq!(
            expectations,
            [
                "  stop-event → graceful",
                "  term → graceful",
                "  term-group → terminated"
            ]
        );
    }

    #[test]
    fn the_list_has_every_preset_in_order_and_says_how_to_see_one() {
        let text = render(None).expect("the list renders");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines
                .first()
                .is_some_and(|l| l.starts_with("NAME ") && l.ends_with("SUMMARY")),
            "{text}"
        );
        let names: Vec<&str> = lines
            .iter()
            .skip(1)
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(names, scenario::preset_names().collect::<Vec<_>>());
        assert!(
            lines.iter().any(|l| l.starts_with("ignore-term ")
                && l.ends_with("Workers ignore SIGTERM: only SIGKILL after the grace ends them")),
            "{text}"
        );
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains("sigtree scenarios NAME")),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_name_is_the_scenario_error() {
        let error = render(Some("gracefull")).expect_err("not a scenario");
        assert!(
            matches!(
                error.downcast_ref::<scenario::ScenarioError>(),
                Some(scenario::ScenarioError::Unknown { name }) if name == "gracefull"
            ),
            "{error}"
        );
    }

    #[test]
    fn every_preset_renders() {
        for name in scenario::preset_names() {
            let text = render(Some(name)).expect("a preset renders");
            assert!(
                text.contains("Expectations (sigtree check"),
                "{name}: {text}"
            );
        }
    }
}
