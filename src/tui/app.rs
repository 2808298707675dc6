//! The TUI's state and what each action does to it. The event loop feeds it
//! actions and ticks; [`super::view`] turns it into a [`super::screen::Screen`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use super::input::{PopupKey, UserAction};
use crate::engine::command::{Command, Executed, Plan};
use crate::engine::reach::{Recipients, Sent, describe};
use crate::engine::session::{Launch, Run};
use crate::engine::stop::{StopPlan, StopSequence};
use crate::engine::target::{Protected, SignalError};
use crate::pool::scenario::{self, Scenario};
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::Reader;
use crate::signal::sigset::Signal;
use crate::sys::monotonic_ms;
use crate::text::escape_controls;
use crate::watch::action::{Action, Target};
use crate::watch::cause::{Act, By};

/// How often the rows' state, masks, CPU and memory are re-read.
pub const REFRESH: Duration = Duration::from_millis(250);

/// How often the orphans view scans the whole system again while open.
pub const ORPHANS_REFRESH: Duration = Duration::from_secs(5);

/// What the TUI watches.
#[derive(Clone, Debug)]
pub enum Mode {
    /// `sigtree demo`: the built-in pool.
    Demo {
        /// Scenario name or path.
        scenario: String,
        /// Worker count override.
        workers: Option<u32>,
        /// Task count override.
        tasks: Option<u32>,
    },
    /// `sigtree attach`: a process sigtree did not start.
    Attach {
        /// The process.
        pid: i32,
    },
    /// `sigtree run`: any command.
    Run {
        /// The program and its arguments.
        argv: Vec<String>,
        /// The signal `g` and `q` send.
        stop_signal: Signal,
        /// Who gets it.
        stop_target: Target,
    },
}

/// What the TUI was asked for.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Demo or run.
    pub mode: Mode,
    /// Grace period of the stop sequence.
    pub grace: Duration,
}

/// Where quitting stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quit {
    /// Not quitting.
    No,
    /// `q` ran the stop sequence; exit when it is done (`q` again forces).
    Stopping,
    /// Exit now.
    Now,
}

/// A popup and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    /// Help.
    Help,
    /// The signal menu.
    SignalMenu(MenuState),
    /// The orphans and zombies view, with the highlighted line.
    Orphans(usize),
    /// The scenario picker, with the highlighted entry.
    Scenarios(usize),
    /// A question before acting on processes sigtree did not start: it
    /// holds the very command a yes executes.
    Confirm(Command),
}

/// The signal menu's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuState {
    /// What was typed: a signal name or number.
    pub input: String,
    /// Who it goes to.
    pub target: MenuTarget,
}

/// The signal menu's targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuTarget {
    /// The selected process.
    Process,
    /// The watched group.
    Group,
    /// The selected process and its descendants.
    Subtree,
}

/// What a key in the signal menu leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuStep {
    /// Keep the menu open.
    Stay,
    /// Close it without sending.
    Close,
    /// Enter on text that names no signal: say so, stay open.
    Invalid,
    /// Send this signal to this target.
    Send(Signal, MenuTarget),
}

impl MenuState {
    /// The menu as it opens: SIGTERM to the selected process.
    pub fn new() -> Self {
        Self {
            input: "TERM".into(),
            target: MenuTarget::Process,
        }
    }

    /// The signal typed, if it names one.
    pub fn signal(&self) -> Option<Signal> {
        self.input.parse().ok()
    }

    /// Applies a key: typing edits the signal, Tab or ↓ cycles the target,
    /// Enter sends, Esc closes.
    pub fn press(&mut self, key: PopupKey) -> MenuStep {
        match key {
            PopupKey::Type(c) if c.is_ascii_alphanumeric() || c == '+' || c == '-' => {
                self.input.push(c)
            }
            PopupKey::Erase => {
                self.input.pop();
            }
            PopupKey::NextTarget | PopupKey::Down => {
                self.target = match self.target {
                    MenuTarget::Process => MenuTarget::Group,
                    MenuTarget::Group => MenuTarget::Subtree,
                    MenuTarget::Subtree => MenuTarget::Process,
                };
            }
            PopupKey::Up => {
                self.target = match self.target {
                    MenuTarget::Process => MenuTarget::Subtree,
                    MenuTarget::Group => MenuTarget::Process,
                    MenuTarget::Subtree => MenuTarget::Group,
                };
            }
            PopupKey::Confirm => {
                return match self.signal() {
                    Some(signal) => MenuStep::Send(signal, self.target),
                    None => MenuStep::Invalid,
                };
            }
            PopupKey::Cancel => return MenuStep::Close,
            PopupKey::Type(_) => {}
        }
        MenuStep::Stay
    }
}

impl Default for MenuState {
    fn default() -> Self {
        Self::new()
    }
}

/// The demo's state.
pub struct App {
    pub(crate) options: AppOptions,
    exe: PathBuf,
    /// The demo's scenario; `None` in run mode.
    pub(crate) scenario: Option<Scenario>,
    /// How many lines the output pane is scrolled up from its end.
    pub(crate) output_scroll: usize,
    pub(crate) run: Run,
    protected: Protected,
    pub(crate) stop: Option<StopSequence>,
    pub(crate) quit: Quit,
    pub(crate) selected: Option<i32>,
    pub(crate) popup: Option<Popup>,
    pub(crate) message: Option<String>,
    pub(crate) show_detail: bool,
    /// The user's actions on the time axis: (ms since the start, key).
    pub(crate) markers: Vec<(u64, String)>,
    /// Fresh stat and status of each live observed process.
    pub(crate) stats: BTreeMap<i32, ProcessRecord>,
    /// The order of the rows last shown, for moving the selection.
    pub(crate) order: Vec<i32>,
    /// Where the table's rows were last drawn, for mouse clicks.
    pub(crate) table_rows: Option<ratatui::layout::Rect>,
    /// The orphans view and when its system-wide scan was made.
    pub(crate) orphans: Option<(super::screen::OrphansView, Instant)>,
    pub(crate) color: bool,
    reader: Reader,
    refreshed: Option<Instant>,
}

impl App {
    /// Starts what `options.mode` says: the pool, or the command.
    pub fn start(options: AppOptions) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
        let (scenario, run) = launch(&exe, &options.mode)?;
        Ok(Self {
            options,
            exe,
            scenario,
            output_scroll: 0,
            run,
            protected: Protected::current(),
            stop: None,
            quit: Quit::No,
            selected: None,
            popup: None,
            message: None,
            show_detail: true,
            markers: Vec::new(),
            stats: BTreeMap::new(),
            order: Vec::new(),
            table_rows: None,
            orphans: None,
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            reader: Reader::default(),
            refreshed: None,
        })
    }

    /// The running pool.
    pub fn run_mut(&mut self) -> &mut Run {
        &mut self.run
    }

    /// Where quitting stands.
    pub fn quit(&self) -> Quit {
        self.quit
    }

    /// When the stop sequence's current step ends, if a stop runs.
    pub fn stop_deadline(&self) -> Option<Instant> {
        self.stop.as_ref().and_then(StopSequence::deadline)
    }

    /// Moves the stop sequence on (its step's time is up, or the run
    /// ended). Returns true when something changed on screen.
    pub fn advance_stop(&mut self) -> bool {
        let Some(stop) = &mut self.stop else {
            return false;
        };
        let before = stop.step();
        if !stop.advance(&mut self.run, &self.protected) {
            return before != stop.step();
        }
        self.stop = None;
        if self.quit == Quit::Stopping {
            self.quit = Quit::Now;
        }
        true
    }

    /// When the rows are due to be re-read ([`REFRESH`] after the last
    /// time, or now when something asked for it).
    pub fn next_refresh(&self) -> Instant {
        self.refreshed.map_or_else(Instant::now, |at| at + REFRESH)
    }

    /// Work that happens with time: re-reading the rows and the orphans
    /// view. Returns true when something changed on screen.
    pub fn on_tick(&mut self) -> bool {
        let mut changed = false;
        if matches!(self.popup, Some(Popup::Orphans(_)))
            && self
                .orphans
                .as_ref()
                .is_some_and(|(_, at)| at.elapsed() >= ORPHANS_REFRESH)
        {
            // The rest of the system is scanned no more often than this.
            self.orphans = Some((super::view::orphans(self), Instant::now()));
            changed = true;
        }
        if self.refreshed.is_none_or(|at| at.elapsed() >= REFRESH) {
            self.refresh_stats();
            self.refreshed = Some(Instant::now());
            changed = true;
        }
        changed
    }

    /// Status (masks, uid) is read again only for the rows on screen and
    /// the selected one; the others keep what was last read, and their
    /// stat as the run's walk last read it.
    fn refresh_stats(&mut self) {
        let live: std::collections::BTreeSet<i32> = self.run.watch.alive().into_iter().collect();
        self.stats.retain(|pid, _| live.contains(pid));
        let shown = self.shown_rows();
        for pid in live {
            let Some(mut record) = self.run.latest(pid).cloned() else {
                continue;
            };
            let fresh = shown.contains(&pid) || !self.stats.contains_key(&pid);
            let status = if fresh {
                self.reader.status(pid).ok()
            } else {
                None
            };
            match (status, self.stats.get(&pid)) {
                (Some(status), _) => record.apply_status(status),
                (None, Some(old)) => record.keep_status_of(old),
                (None, None) => {}
            }
            self.stats.insert(pid, record);
        }
    }

    /// The pids of the rows the table showed last, and the selected one.
    fn shown_rows(&self) -> Vec<i32> {
        let height = self
            .table_rows
            .map_or(self.order.len(), |r| usize::from(r.height));
        let selected = self
            .selected
            .and_then(|pid| self.order.iter().position(|p| *p == pid));
        let first = super::widgets::table::first_visible(selected, height);
        self.order
            .iter()
            .skip(first)
            .take(height)
            .copied()
            .chain(self.selected)
            .collect()
    }

    /// Does what the user asked. Popups take their keys in [`App::popup_key`].
    pub fn act(&mut self, action: UserAction) {
        self.message = None;
        match action {
            UserAction::Up => self.move_selection(-1),
            UserAction::Down => self.move_selection(1),
            UserAction::First => self.selected = self.order.first().copied(),
            UserAction::Last => self.selected = self.order.last().copied(),
            UserAction::SignalSelected(signal) => match self.selected {
                Some(pid) => self.ask(Command::Signal {
                    signal,
                    to: Recipients::Process(pid),
                }),
                None => self.message = Some("no process selected".into()),
            },
            UserAction::SignalGroup(signal) => self.ask(Command::Signal {
                signal,
                to: Recipients::Group,
            }),
            UserAction::StopEvent => self.set_stop_event(),
            UserAction::GracefulStop => {
                if let Some(stop) = self.stop_command() {
                    self.ask(stop);
                }
            }
            UserAction::SignalMenu => self.popup = Some(Popup::SignalMenu(MenuState::new())),
            UserAction::PauseResume => self.pause_resume(),
            UserAction::Restart if self.run.attached() => {
                self.message =
                    Some("r restarts what sigtree started; attached, it started nothing".into());
            }
            UserAction::Restart => self.restart(None),
            UserAction::ChooseScenario if self.scenario.is_none() => {
                self.message =
                    Some("c chooses a scenario in the demo; r restarts the command".into());
            }
            UserAction::ChooseScenario => self.popup = Some(Popup::Scenarios(0)),
            UserAction::ScrollOutput(lines) => self.scroll_output(lines),
            UserAction::Orphans => {
                self.orphans = Some((super::view::orphans(self), Instant::now()));
                self.popup = Some(Popup::Orphans(0));
            }
            UserAction::ToggleDetail => self.show_detail = !self.show_detail,
            UserAction::Help => self.popup = Some(Popup::Help),
            UserAction::Quit => self.request_quit(),
            // The event loop handles what needs the terminal.
            UserAction::Suspend | UserAction::Redraw => {}
        }
    }

    /// A key while a popup is open.
    pub fn popup_key(&mut self, key: PopupKey) {
        let Some(popup) = self.popup.take() else {
            return;
        };
        self.message = None;
        self.popup = match (popup, key) {
            (_, PopupKey::Cancel) => None,
            (Popup::Help, _) => None,
            (Popup::Orphans(i), PopupKey::Up) => Some(Popup::Orphans(i.saturating_sub(1))),
            (Popup::Orphans(i), PopupKey::Down) => Some(Popup::Orphans(i + 1)),
            (Popup::Orphans(i), PopupKey::Confirm) => {
                self.jump_to_orphan(i);
                None
            }
            (Popup::Scenarios(i), PopupKey::Up) => Some(Popup::Scenarios(i.saturating_sub(1))),
            (Popup::Scenarios(i), PopupKey::Down) => Some(Popup::Scenarios(
                (i + 1).min(scenario::preset_names().count() - 1),
            )),
            (Popup::Scenarios(i), PopupKey::Confirm) => {
                let name = scenario::preset_names().nth(i).map(str::to_string);
                self.restart(name);
                None
            }
            (Popup::SignalMenu(menu), key) => self.menu_key(menu, key),
            (Popup::Confirm(command), PopupKey::Confirm) => {
                self.execute(command);
                None
            }
            (popup, _) => Some(popup),
        };
    }

    fn menu_key(&mut self, mut menu: MenuState, key: PopupKey) -> Option<Popup> {
        match menu.press(key) {
            MenuStep::Stay => Some(Popup::SignalMenu(menu)),
            MenuStep::Close => None,
            MenuStep::Invalid => {
                self.message = Some(format!("'{}' names no signal", menu.input));
                Some(Popup::SignalMenu(menu))
            }
            MenuStep::Send(signal, target) => {
                let Some(to) = self.menu_recipients(target) else {
                    self.message = Some("no process selected".into());
                    return Some(Popup::SignalMenu(menu));
                };
                match self.request(Command::Signal { signal, to }) {
                    Ok(popup) => popup,
                    Err(error) => {
                        self.message = Some(self.explain(&error, None));
                        // Attached, a group holding processes outside the
                        // subtree is refused: the menu offers the subtree.
                        if target == MenuTarget::Group && matches!(error, SignalError::Refused(_)) {
                            menu.target = MenuTarget::Subtree;
                        }
                        Some(Popup::SignalMenu(menu))
                    }
                }
            }
        }
    }

    /// Who a menu target is: `None` when it needs a selection and there is
    /// none.
    pub fn menu_recipients(&self, target: MenuTarget) -> Option<Recipients> {
        match target {
            MenuTarget::Process => self.selected.map(Recipients::Process),
            MenuTarget::Group => Some(Recipients::Group),
            MenuTarget::Subtree => self.selected.map(Recipients::Subtree),
        }
    }

    /// What `command` hits now, or why it is refused: what a question
    /// lists, from the same code that executes it.
    pub fn targets(&self, command: &Command) -> Result<Plan<'_>, SignalError> {
        command.targets(&self.run, &self.protected)
    }

    /// Asks for `command` (see [`App::request`]); a refusal becomes the
    /// message.
    fn ask(&mut self, command: Command) {
        match self.request(command) {
            Ok(popup) => self.popup = popup,
            Err(error) => self.message = Some(self.explain(&error, None)),
        }
    }

    /// Attached, returns the question holding `command` — or why it is
    /// refused, before any question. Otherwise executes it at once.
    fn request(&mut self, command: Command) -> Result<Option<Popup>, SignalError> {
        if !self.run.attached() {
            self.execute(command);
            return Ok(None);
        }
        command.look_again(&mut self.run);
        self.targets(&command)?;
        Ok(Some(Popup::Confirm(command)))
    }

    /// Executes `command` and records what it did.
    fn execute(&mut self, command: Command) {
        // Taken before the signal: what it ends, the keeper may reap and
        // report before the send returns.
        let now = monotonic_ms();
        if let Command::Stop(_) = command {
            self.markers
                .push((now.saturating_sub(self.run.watch.start_ms()), "g".into()));
        }
        match command.execute(&mut self.run, &self.protected) {
            Ok(Executed::Stopping(stop)) => self.stop = Some(stop),
            Ok(Executed::Sent(sent)) => self.sent(command, sent, now),
            Err(error) => self.message = Some(self.explain(&error, None)),
        }
    }

    /// Records a signal sent: in the timeline (a stop request, with its
    /// marker, unless it is `p`'s SIGSTOP or SIGCONT), and any failure.
    fn sent(&mut self, command: Command, sent: Sent, at_ms: u64) {
        let Command::Signal { signal, to } = command else {
            return;
        };
        if let Some((pid, error)) = sent.failed.first() {
            let more = sent.failed.len() - 1;
            let also = if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            };
            self.message = Some(format!("{}{also}", self.explain(error, Some(*pid))));
        }
        if sent.hit.is_empty() {
            return;
        }
        let key = match (to, signal) {
            (_, Signal::STOP | Signal::CONT) => 'p',
            (Recipients::Process(_), Signal::TERM) => 't',
            (Recipients::Process(_), Signal::KILL) => 'x',
            (Recipients::Group, Signal::KILL) => 'X',
            (Recipients::Group, Signal::INT) => 'i',
            (Recipients::Group, Signal::TERM) => 'T',
            _ => 's',
        };
        self.run.watch.acted(sent.act(at_ms, signal, By::Key(key)));
        let what = match to {
            Recipients::Process(pid) => {
                format!("{} to {pid} ({})", signal.name(), self.role_of(pid))
            }
            _ => format!(
                "{} to {}{}",
                signal.name(),
                describe(&self.run, to),
                sent.how()
            ),
        };
        if signal == Signal::STOP || signal == Signal::CONT {
            self.run
                .watch
                .log(at_ms, crate::watch::model::Actor::You, what);
            self.refreshed = None;
            return;
        }
        self.record(what, key, at_ms);
    }

    fn move_selection(&mut self, step: isize) {
        if self.order.is_empty() {
            return;
        }
        let current = self
            .selected
            .and_then(|pid| self.order.iter().position(|p| *p == pid))
            .unwrap_or(0);
        let next = current
            .saturating_add_signed(step)
            .min(self.order.len() - 1);
        self.selected = Some(self.order[next]);
    }

    /// Logs a user action in the timeline and puts its marker on the axis.
    fn record(&mut self, what: String, key: char, at_ms: u64) {
        self.markers.push((
            at_ms.saturating_sub(self.run.watch.start_ms()),
            key.to_string(),
        ));
        self.run.watch.stop_requested(at_ms, what);
    }

    /// A signal error in words; EPERM names the owner's uid of `pid`.
    fn explain(&self, error: &SignalError, pid: Option<i32>) -> String {
        match (error, pid.and_then(|pid| self.stats.get(&pid)?.uid)) {
            (SignalError::NotPermitted(target), Some(uid)) => {
                format!("not permitted: {target} is owned by uid {uid}")
            }
            _ => error.to_string(),
        }
    }

    fn set_stop_event(&mut self) {
        let Some(block) = self.run.block() else {
            self.message = Some(
                "e: the stop event exists only in the demo's pool; g runs the stop sequence".into(),
            );
            return;
        };
        if block.stop_requested() {
            self.message = Some("the stop event is already set".into());
            return;
        }
        let at = monotonic_ms();
        block.request_stop();
        self.run.watch.acted(Act::stop_event(at, By::Key('e')));
        self.record("set the stop event".into(), 'e', at);
    }

    /// The stop sequence of this mode, or `None` (with the message why)
    /// when one runs already or nothing is left to stop.
    fn stop_command(&mut self) -> Option<Command> {
        if self.stop.is_some() {
            self.message = Some("a graceful stop is already running".into());
            return None;
        }
        if self.run.ended() {
            self.message = Some(if self.run.attached() {
                "the attached subtree has ended: nothing to stop".into()
            } else {
                "everything has ended: r restarts it".into()
            });
            return None;
        }
        let grace = self.options.grace;
        let signal_plan = |signal, target| StopPlan {
            stop_event_first: false,
            action: Action::Signal { signal, target },
            continue_after: true,
            grace,
        };
        Some(Command::Stop(match &self.options.mode {
            Mode::Demo { .. } => StopPlan::graceful(Signal::TERM, Target::Leader, grace),
            // Its SIGCONT and SIGKILL go to the attached subtree, by pidfd.
            Mode::Attach { .. } => signal_plan(Signal::TERM, Target::Leader),
            Mode::Run {
                stop_signal,
                stop_target,
                ..
            } => signal_plan(*stop_signal, *stop_target),
        }))
    }

    /// `p`: SIGSTOP to the selected process, or SIGCONT when it is stopped.
    fn pause_resume(&mut self) {
        let Some(pid) = self.selected else {
            self.message = Some("no process selected".into());
            return;
        };
        // Read now, not from the last refresh: a SIGSTOP sent a moment ago
        // may not have shown there yet.
        let stopped = self.reader.stat(pid).is_ok_and(|r| r.state.is_stopped());
        let signal = if stopped { Signal::CONT } else { Signal::STOP };
        self.ask(Command::Signal {
            signal,
            to: Recipients::Process(pid),
        });
    }

    /// Ends the current run (the keeper kills what is left) and starts it
    /// again; in the demo, with `scenario` when one was chosen.
    fn restart(&mut self, scenario: Option<String>) {
        let mut mode = self.options.mode.clone();
        if let (
            Mode::Demo {
                scenario: current, ..
            },
            Some(chosen),
        ) = (&mut mode, scenario)
        {
            *current = chosen;
        }
        self.kill_group('r');
        self.run.finish();
        match launch(&self.exe, &mode) {
            Ok((scenario, run)) => {
                self.options.mode = mode;
                self.scenario = scenario;
                self.run = run;
                // The TUI is on screen: the new keeper holds the terminal.
                self.run.lend_terminal(true);
                self.stop = None;
                self.selected = None;
                self.markers.clear();
                self.stats.clear();
                self.refreshed = None;
                self.output_scroll = 0;
                self.message = Some(format!("restarted: {}", self.subject()));
            }
            Err(error) => self.message = Some(format!("{error:#}")),
        }
    }

    /// "demo", "run" or "attach".
    pub fn mode_name(&self) -> &'static str {
        match self.options.mode {
            Mode::Demo { .. } => "demo",
            Mode::Run { .. } => "run",
            Mode::Attach { .. } => "attach",
        }
    }

    /// The scenario's name, or the command line.
    pub fn subject(&self) -> String {
        match (&self.scenario, &self.options.mode) {
            (Some(scenario), _) => scenario.name.clone(),
            (None, Mode::Run { argv, .. }) => escape_controls(&argv.join(" ")).into_owned(),
            (None, Mode::Attach { pid }) => {
                let source = if crate::sys::pidfd::exit_info_supported() {
                    "outcomes from pidfds"
                } else {
                    "outcomes inferred: this kernel has no PIDFD_INFO_EXIT"
                };
                format!("pid {pid} ({source})")
            }
            (None, Mode::Demo { scenario, .. }) => scenario.clone(),
        }
    }

    fn scroll_output(&mut self, lines: isize) {
        let kept = self.run.output().map_or(0, |o| o.excerpt(0, 0).kept);
        self.output_scroll = self.output_scroll.saturating_add_signed(lines).min(kept);
    }

    fn request_quit(&mut self) {
        match self.quit {
            // Attached, q never signals anything.
            _ if self.run.attached() => self.quit = Quit::Now,
            _ if self.run.ended() => self.quit = Quit::Now,
            Quit::No => {
                self.quit = Quit::Stopping;
                if self.stop.is_none()
                    && let Some(stop) = self.stop_command()
                {
                    self.execute(stop);
                }
                if self.stop.is_none() {
                    self.quit = Quit::Now;
                }
            }
            Quit::Stopping | Quit::Now => {
                self.kill_group('q');
                self.quit = Quit::Now;
            }
        }
    }

    fn jump_to_orphan(&mut self, index: usize) {
        let Some((view, _)) = &self.orphans else {
            return;
        };
        // In the order the view lists them; a group jumps to its leader.
        let pids: Vec<i32> = view
            .witnessed
            .iter()
            .map(|w| w.0)
            .chain(view.likely.iter().map(|l| l.0))
            .chain(view.groups.iter().map(|g| g.0))
            .chain(view.zombies.iter().map(|z| z.0))
            .collect();
        match pids.get(index) {
            Some(pid) if self.order.contains(pid) => self.selected = Some(*pid),
            Some(pid) => self.message = Some(format!("pid {pid} is not in this tree")),
            None => {}
        }
    }

    /// The role of an observed pid.
    pub fn role_of(&self, pid: i32) -> String {
        self.run
            .watch
            .processes()
            .get(&pid)
            .map_or_else(|| "process".to_string(), |p| p.role.clone())
    }

    /// SIGKILL to the watched group, as `X` sends it, without a question:
    /// for `r`, a second `q` and the end of sigtree (never attached);
    /// `key` is the one that asked.
    fn kill_group(&mut self, key: char) {
        let command = Command::Signal {
            signal: Signal::KILL,
            to: Recipients::Group,
        };
        let at_ms = monotonic_ms();
        if let Ok(Executed::Sent(sent)) = command.execute(&mut self.run, &self.protected) {
            self.run
                .watch
                .acted(sent.act(at_ms, Signal::KILL, By::Key(key)));
        }
    }

    /// Ends the pool for good: SIGKILL to the group, and the keeper ends
    /// whatever is left.
    pub fn shut_down(&mut self) {
        if self.run.attached() {
            return;
        }
        if !self.run.ended() {
            self.kill_group('q');
        }
        self.run.finish();
    }
}

/// Starts the pool or the command of `mode`.
fn launch(exe: &std::path::Path, mode: &Mode) -> anyhow::Result<(Option<Scenario>, Run)> {
    match mode {
        Mode::Demo {
            scenario: source,
            workers,
            tasks,
        } => {
            let mut scenario = scenario::load(source).map_err(|e| anyhow!("{e}"))?;
            if let Some(workers) = workers {
                scenario.pool.workers = *workers;
            }
            if let Some(tasks) = tasks {
                scenario.pool.tasks = *tasks;
            }
            let launch = Launch::Pool {
                source,
                scenario: &scenario,
            };
            Ok((Some(scenario.clone()), Run::start(exe, launch)?))
        }
        Mode::Attach { pid } => {
            if *pid == 1 {
                anyhow::bail!("attaching to pid 1 is refused: its subtree is the whole system");
            }
            Ok((None, Run::start(exe, Launch::Attach { pid: *pid })?))
        }
        Mode::Run { argv, .. } => {
            let program = argv.first().map_or("", String::as_str);
            crate::sys::process::find_program(program)?;
            let launch = Launch::Command { argv, ready: None };
            Ok((None, Run::start(exe, launch)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(menu: &mut MenuState, text: &str) {
        for c in text.chars() {
            assert_eq!(menu.press(PopupKey::Type(c)), MenuStep::Stay);
        }
    }

    #[test]
    fn the_menu_opens_on_sigterm_to_the_selected_process() {
        let mut menu = MenuState::new();
        assert_eq!(
            menu.press(PopupKey::Confirm),
            MenuStep::Send(Signal::TERM, MenuTarget::Process)
        );
    }

    #[test]
    fn typing_a_name_or_number_picks_any_of_the_64_signals() {
        let mut menu = MenuState::new();
        for _ in 0..4 {
            menu.press(PopupKey::Erase);
        }
        typed(&mut menu, "usr1");
        assert_eq!(menu.signal(), Some(Signal::USR1));
        for _ in 0..4 {
            menu.press(PopupKey::Erase);
        }
        typed(&mut menu, "RTMIN+2");
        assert_eq!(menu.signal().map(Signal::number), Some(36));
        menu.input.clear();
        typed(&mut menu, "64");
        assert_eq!(menu.signal().map(Signal::name), Some("SIGRTMAX"));
    }

    #[test]
    fn tab_cycles_process_group_subtree_and_enter_sends_to_it() {
        let mut menu = MenuState::new();
        menu.press(PopupKey::NextTarget);
        assert_eq!(menu.target, MenuTarget::Group);
        menu.press(PopupKey::NextTarget);
        assert_eq!(menu.target, MenuTarget::Subtree);
        menu.press(PopupKey::Up);
        assert_eq!(menu.target, MenuTarget::Group);
        menu.input = "KILL".into();
        assert_eq!(
            menu.press(PopupKey::Confirm),
            MenuStep::Send(Signal::KILL, MenuTarget::Group)
        );
    }

    #[test]
    fn a_name_that_is_no_signal_is_refused_and_escape_closes() {
        let mut menu = MenuState::new();
        typed(&mut menu, "X");
        assert_eq!(menu.input, "TERMX");
        assert_eq!(menu.press(PopupKey::Confirm), MenuStep::Invalid);
        assert_eq!(menu.press(PopupKey::Type('!')), MenuStep::Stay);
        assert_eq!(menu.input, "TERMX", "only name characters are typed");
        assert_eq!(menu.press(PopupKey::Cancel), MenuStep::Close);
    }
}
