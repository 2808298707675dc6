//! The app: the session and the UI state side by side, and what each
//! action does — to the UI state, or as an [`engine::command::Command`] on
//! the session. It reads nothing itself: the session reads what the app
//! says it shows ([`Session::show`]), and [`super::view`] turns the session's
//! view and the UI state into a [`super::screen::Screen`].
//!
//! [`engine::command::Command`]: crate::engine::command::Command

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use super::input::{PopupKey, UserAction};
use super::question::Asked;
use super::screen::Screen;
use super::state::{MenuState, MenuStep, MenuTarget, Popup, Quit, UiState};
use super::update::{Facts, Intent, update};
use super::view::{Model, Now, StopUnderWay};
use crate::engine::command::{Command, Executed};
use crate::engine::policy::{Containment, Policy};
use crate::engine::reach::{Recipients, Sent, describe};
use crate::engine::session::{Launch, Session, Shown};
use crate::engine::stop::{DEFAULT_GRACE, StopPlan, StopSequence};
use crate::engine::target::{Protected, SignalError};
use crate::pool::scenario::{self, Scenario, Tasks};
use crate::signal::sigset::Signal;
use crate::sys::monotonic_ms;
use crate::text::escape_controls;
use crate::watch::action::{Action, Target};
use crate::watch::cause::{Act, By};

/// How often the screen follows the session's collection (state, masks,
/// CPU and memory of the rows, read by the session every 250 ms).
pub const REFRESH: Duration = Duration::from_millis(250);

/// The most survivors of a stop read closely on each collect.
const SURVIVORS_READ: usize = 32;

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
    /// The grace period given (`--grace`): sigtree's own stop takes 5 s
    /// without it, a policy its own.
    pub grace: Option<Duration>,
    /// The policy `g` stops as at first (`--policy`; P changes it).
    pub policy: Policy,
}

/// The app's state: the session, what it runs, and the UI.
pub struct App {
    options: AppOptions,
    exe: PathBuf,
    /// The demo's scenario; `None` in run mode.
    scenario: Option<Scenario>,
    run: Session,
    protected: Protected,
    stop: Option<StopSequence>,
    /// The stop under way: the stop event, the stop sequence's signal, or
    /// one the user sent the group; `None` until a stop is asked for.
    stop_asked: Option<StopUnderWay>,
    /// The UI's own state.
    pub ui: UiState,
    refreshed: Option<Instant>,
}

impl App {
    /// Starts what `options.mode` says: the pool, or the command, with
    /// this very binary as the keeper and the pool.
    pub fn start(options: AppOptions) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
        Self::start_with(options, exe)
    }

    /// Starts what `options.mode` says with `exe` as the sigtree binary
    /// the keeper and the pool run (a test's build).
    pub fn start_with(options: AppOptions, exe: PathBuf) -> anyhow::Result<Self> {
        let contain = containment_for(options.policy, &options.mode);
        let (scenario, run) = launch(&exe, &options.mode, contain)?;
        let mut ui = UiState::new(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()));
        // Attached, only policies that need no containment are offered.
        if Policy::offered(run.attached()).contains(&options.policy) {
            ui.policy = options.policy;
        }
        Ok(Self {
            options,
            exe,
            scenario,
            run,
            protected: Protected::current(),
            stop: None,
            stop_asked: None,
            ui,
            refreshed: None,
        })
    }

    /// The running pool.
    pub fn run_mut(&mut self) -> &mut Session {
        &mut self.run
    }

    /// Where quitting stands.
    pub fn quit(&self) -> Quit {
        self.ui.quit
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
        if self.ui.quit == Quit::Stopping {
            self.ui.quit = Quit::Now;
        }
        true
    }

    /// When the rows are due to be shown again ([`REFRESH`] after the last
    /// time, or now when something asked for it).
    pub fn next_refresh(&self) -> Instant {
        self.refreshed.map_or_else(Instant::now, |at| at + REFRESH)
    }

    /// Work that happens with time: the rows the session read again on
    /// its cadence are shown. Returns true when something changed on screen.
    pub fn on_tick(&mut self) -> bool {
        let mut changed = false;
        if self.refreshed.is_none_or(|at| at.elapsed() >= REFRESH) {
            // The session read the rows again on its cadence.
            self.refreshed = Some(Instant::now());
            changed = true;
        }
        changed
    }

    /// The pids of the rows the table showed last, and the selected one.
    fn shown_rows(&self) -> Vec<i32> {
        // No table drawn (the terminal is too small): no row shows.
        let height = self.ui.table_rows.map_or(0, |r| usize::from(r.height));
        let selected = self
            .ui
            .selected
            .and_then(|pid| self.ui.order.iter().position(|p| *p == pid));
        let first = super::widgets::table::first_visible(selected, height);
        self.ui
            .order
            .iter()
            .skip(first)
            .take(height)
            .copied()
            .chain(self.ui.selected)
            .collect()
    }

    /// Does what the user asked: [`update`] applies it to the UI state, and
    /// what it leaves for the session is done here. Popups take their keys
    /// in [`App::popup_key`].
    pub fn act(&mut self, action: UserAction) {
        let facts = Facts {
            attached: self.run.attached(),
            demo: self.scenario.is_some(),
            preset: self
                .scenario
                .as_ref()
                .and_then(|running| scenario::preset_names().position(|name| name == running.name)),
        };
        match update(&mut self.ui, action, facts) {
            Intent::Nothing => {}
            Intent::Ask(command) => self.ask(command),
            Intent::Stop => {
                if let Some(stop) = self.stop_command() {
                    self.ask(stop);
                }
            }
            Intent::StopEvent => self.set_stop_event(),
            Intent::PauseResume(pid) => self.pause_resume(pid),
            Intent::Restart => self.restart(None),
            Intent::ScrollOutput(lines) => self.scroll_output(lines),
            Intent::PauseLog => self.ui.log_paused = Some((self.run.watch.logged(), 0)),
            Intent::Quit => self.request_quit(),
        }
    }

    /// A key while a popup is open.
    pub fn popup_key(&mut self, key: PopupKey) {
        let Some(popup) = self.ui.popup.take() else {
            return;
        };
        self.ui.message = None;
        self.ui.popup = match (popup, key) {
            (_, PopupKey::Cancel) => None,
            (Popup::Help(line), PopupKey::Up | PopupKey::Type('k')) => {
                Some(Popup::Help(line.saturating_sub(1)))
            }
            (Popup::Help(line), PopupKey::Down | PopupKey::Type('j')) => {
                Some(Popup::Help(line.saturating_add(1)))
            }
            (Popup::Help(line), PopupKey::Type(' ')) => Some(Popup::Help(line.saturating_add(10))),
            (Popup::Help(_), _) => None,
            (Popup::Orphans(i), PopupKey::Up) => Some(Popup::Orphans(i.saturating_sub(1))),
            (Popup::Orphans(i), PopupKey::Down) => Some(Popup::Orphans(i + 1)),
            (Popup::Orphans(i), PopupKey::Confirm) => {
                self.jump_to_orphan(i);
                None
            }
            (Popup::Policies(i), PopupKey::Up) => Some(Popup::Policies(i.saturating_sub(1))),
            (Popup::Policies(i), PopupKey::Down) => Some(Popup::Policies(
                (i + 1).min(Policy::offered(self.run.attached()).len() - 1),
            )),
            (Popup::Policies(i), PopupKey::Confirm) => {
                if let Some(policy) = Policy::offered(self.run.attached()).get(i) {
                    self.ui.policy = *policy;
                    // What a restart changes first: the explanation is long.
                    let restart = match containment_for(*policy, &self.options.mode) {
                        contain if contain == self.run.containment() => "",
                        Containment::PidNamespace => {
                            " (r restarts it as PID 1 of a pid namespace; until then, emulated)"
                        }
                        Containment::Cgroup => {
                            " (r restarts it in a cgroup of its own; until then, emulated)"
                        }
                        Containment::InitNamespace { .. } => {
                            " (r restarts it under tini's PID 1 of a pid namespace; until then, \
                             emulated)"
                        }
                        _ => " (r restarts it outside its containment)",
                    };
                    self.ui.message = Some(format!(
                        "g now stops as {policy}{restart}: {}",
                        policy.explanation()
                    ));
                }
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
                self.ui.message = Some(format!("'{}' names no signal", menu.input));
                Some(Popup::SignalMenu(menu))
            }
            MenuStep::Send(signal, target) => {
                let Some(to) = self.menu_recipients(target) else {
                    self.ui.message = Some("no process selected".into());
                    return Some(Popup::SignalMenu(menu));
                };
                match self.request(Command::Signal { signal, to }) {
                    Ok(popup) => popup,
                    Err(error) => {
                        self.ui.message = Some(self.explain(&error, None));
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
    fn menu_recipients(&self, target: MenuTarget) -> Option<Recipients> {
        match target {
            MenuTarget::Process => self.ui.selected.map(Recipients::Process),
            MenuTarget::Group => Some(Recipients::Group),
            MenuTarget::Subtree => self.ui.selected.map(Recipients::Subtree),
        }
    }

    /// What the open popup's command hits now, resolved by the engine: a
    /// question lists what the same code then executes. The signal menu
    /// resolves its target with SIGTERM when the text names no signal:
    /// who a signal reaches does not depend on the signal.
    fn asked(&self) -> Option<Asked> {
        let command = match self.ui.popup.as_ref()? {
            Popup::Confirm(command) => *command,
            Popup::SignalMenu(menu) => Command::Signal {
                signal: menu.signal().unwrap_or(Signal::TERM),
                to: self.menu_recipients(menu.target)?,
            },
            _ => return None,
        };
        Some(super::question::asked(&self.run, &self.protected, &command))
    }

    /// The next frame at `now`. The session is told first what is shown
    /// (the rows last drawn, the selected process, the open question's
    /// targets, the orphans view) and reads for it; the selection follows
    /// the rows: the first one until the user chooses.
    pub fn frame(&mut self, now: &Now) -> Screen {
        let asked = self.asked();
        let focus = self
            .ui
            .selected
            .into_iter()
            .chain(asked.iter().flat_map(Asked::pids))
            .chain(self.survivors())
            .collect();
        self.run.show(Shown {
            rows: self.shown_rows(),
            focus,
            orphans: matches!(self.ui.popup, Some(Popup::Orphans(_))),
        });
        let mut screen = super::view::screen(&self.model(asked.as_ref()), now);
        self.ui.order = screen.rows.iter().map(|r| r.pid).collect();
        if self
            .ui
            .selected
            .is_none_or(|pid| !self.ui.order.contains(&pid))
            && !self.ui.order.is_empty()
        {
            // A selected pid stays selected while rows come and go; the
            // first choice is the first row sigtree did not start itself
            // (the keeper's row comes first, tini's init's next): none while
            // they are the only ones.
            let own = [self.run.keeper_pid(), self.run.init().map(|init| init.pid)];
            self.ui.selected = self
                .ui
                .order
                .iter()
                .find(|pid| !own.contains(&Some(**pid)))
                .copied();
            screen = super::view::screen(&self.model(asked.as_ref()), now);
        }
        screen
    }

    /// While a stop is under way, the processes it waits for (the first
    /// [`SURVIVORS_READ`]): looked at closely, so that the "holding up the
    /// stop" strip predicts from every thread's masks.
    fn survivors(&self) -> Vec<i32> {
        if self.stop_asked.is_none() {
            return Vec::new();
        }
        self.run
            .watch
            .processes()
            .values()
            .filter(|p| !p.has_ended() && !p.outside)
            .map(|p| p.seen.pid)
            .take(SURVIVORS_READ)
            .collect()
    }

    /// What the view shows: the session's view, the UI state, the mode.
    fn model<'a>(&'a self, asked: Option<&'a Asked>) -> Model<'a> {
        Model {
            run: self.run.view(),
            ui: &self.ui,
            mode: self.mode_name(),
            subject: self.subject(),
            scenario: self.scenario.as_ref(),
            stopping: self.stop.as_ref().map(StopSequence::step),
            asked,
            stop: self.stop_asked,
        }
    }

    /// Asks for `command` (see [`App::request`]); a refusal becomes the
    /// message.
    fn ask(&mut self, command: Command) {
        match self.request(command) {
            Ok(popup) => self.ui.popup = popup,
            Err(error) => self.ui.message = Some(self.explain(&error, None)),
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
        command.targets(&self.run, &self.protected)?;
        Ok(Some(Popup::Confirm(command)))
    }

    /// Executes `command` and records what it did.
    fn execute(&mut self, command: Command) {
        // Taken before the signal: what it ends, the keeper may reap and
        // report before the send returns.
        let now = monotonic_ms();
        if let Command::Stop(_) = command {
            self.ui
                .markers
                .push((now.saturating_sub(self.run.watch.start_ms()), "g".into()));
        }
        match command.execute(&mut self.run, &self.protected) {
            Ok(Executed::Stopping(stop)) => {
                if let Command::Stop(plan) = command {
                    self.stop_asked = Some(match plan.action {
                        Action::Signal { signal, .. } => StopUnderWay::Signal(signal),
                        Action::StopEvent => StopUnderWay::Event,
                    });
                }
                self.stop = Some(stop);
            }
            Ok(Executed::Sent(sent)) => self.sent(command, sent, now),
            Err(error) => self.ui.message = Some(self.explain(&error, None)),
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
            self.ui.message = Some(format!("{}{also}", self.explain(error, Some(*pid))));
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
                format!(
                    "{} to {pid} ({})",
                    signal.name(),
                    super::question::role_of(&self.run.watch, pid)
                )
            }
            _ => format!(
                "{} to {}{}",
                signal.name(),
                describe(&self.run, to),
                sent.how()
            ),
        };
        if to == Recipients::Group && signal != Signal::STOP && signal != Signal::CONT {
            self.stop_asked = Some(StopUnderWay::Signal(signal));
        }
        if signal == Signal::STOP || signal == Signal::CONT {
            self.run
                .watch
                .log(at_ms, crate::watch::model::Actor::You, what);
            self.refreshed = None;
            return;
        }
        self.record(what, key, at_ms);
    }

    /// Logs a user action in the timeline and puts its marker on the axis.
    fn record(&mut self, what: String, key: char, at_ms: u64) {
        self.ui.markers.push((
            at_ms.saturating_sub(self.run.watch.start_ms()),
            key.to_string(),
        ));
        self.run.watch.stop_requested(at_ms, what);
    }

    /// A signal error in words; EPERM names the owner's uid of `pid`.
    fn explain(&self, error: &SignalError, pid: Option<i32>) -> String {
        let view = self.run.view();
        match (error, pid.and_then(|pid| view.status.get(&pid)?.uid)) {
            (SignalError::NotPermitted(target), Some(uid)) => {
                format!("not permitted: {target} is owned by uid {uid}")
            }
            _ => error.to_string(),
        }
    }

    fn set_stop_event(&mut self) {
        let Some(block) = self.run.block() else {
            self.ui.message = Some(
                "e: the stop event exists only in the demo's pool; g runs the stop sequence".into(),
            );
            return;
        };
        if block.stop_requested() {
            self.ui.message = Some("the stop event is already set".into());
            return;
        }
        let at = monotonic_ms();
        block.request_stop();
        self.stop_asked.get_or_insert(StopUnderWay::Event);
        self.run.watch.acted(Act::stop_event(at, By::Key('e')));
        self.record("set the stop event".into(), 'e', at);
    }

    /// The stop sequence of this mode, or `None` (with the message why)
    /// when one runs already or nothing is left to stop.
    fn stop_command(&mut self) -> Option<Command> {
        if self.stop.is_some() {
            self.ui.message = Some("a graceful stop is already running".into());
            return None;
        }
        if self.run.ended() {
            self.ui.message = Some(if self.run.attached() {
                "the attached subtree has ended: nothing to stop".into()
            } else {
                "everything has ended: r restarts it".into()
            });
            return None;
        }
        let given = self.options.grace;
        let grace = given.unwrap_or(DEFAULT_GRACE);
        if self.ui.policy != Policy::Sigtree {
            return Some(Command::Stop(StopPlan::policy(
                self.ui.policy.plan(given, DEFAULT_GRACE),
            )));
        }
        let signal_plan = |signal, target| StopPlan {
            runtime: None,
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
    fn pause_resume(&mut self, pid: i32) {
        let signal = if self.run.stopped_now(pid) {
            Signal::CONT
        } else {
            Signal::STOP
        };
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
        let contain = containment_for(self.ui.policy, &mode);
        match launch(&self.exe, &mode, contain) {
            Ok((scenario, run)) => {
                self.options.mode = mode;
                self.scenario = scenario;
                self.run = run;
                // The TUI is on screen: the new keeper holds the terminal.
                self.run.lend_terminal(true);
                self.stop = None;
                self.stop_asked = None;
                self.ui.selected = None;
                self.ui.markers.clear();
                self.refreshed = None;
                self.ui.output_scroll = 0;
                self.ui.message = Some(format!("restarted: {}", self.subject()));
            }
            Err(error) => self.ui.message = Some(format!("{error:#}")),
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
                let source = if self.run.view().exit_info {
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
        self.ui.output_scroll = self.ui.output_scroll.saturating_add_signed(lines).min(kept);
    }

    fn request_quit(&mut self) {
        match self.ui.quit {
            // Attached, q never signals anything.
            _ if self.run.attached() => self.ui.quit = Quit::Now,
            _ if self.run.ended() => self.ui.quit = Quit::Now,
            Quit::No => {
                self.ui.quit = Quit::Stopping;
                if self.stop.is_none()
                    && let Some(stop) = self.stop_command()
                {
                    self.execute(stop);
                }
                if self.stop.is_none() {
                    self.ui.quit = Quit::Now;
                }
            }
            Quit::Stopping | Quit::Now => {
                self.kill_group('q');
                self.ui.quit = Quit::Now;
            }
        }
    }

    fn jump_to_orphan(&mut self, index: usize) {
        let view = super::view::orphans(&self.run.view());
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
            Some(pid) if self.ui.order.contains(pid) => self.ui.selected = Some(*pid),
            Some(pid) => self.ui.message = Some(format!("pid {pid} is not in this tree")),
            None => {}
        }
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

/// The containment that `policy` starts `mode`'s run in: a real pid
/// namespace (with tini's PID 1 under tini) or cgroup where sigtree can
/// make one; attached, none.
fn containment_for(policy: Policy, mode: &Mode) -> Containment {
    match mode {
        Mode::Attach { .. } => Containment::None,
        Mode::Demo { .. } | Mode::Run { .. } => policy.plan(None, DEFAULT_GRACE).containment,
    }
}

/// Starts the pool or the command of `mode`, in `contain`.
fn launch(
    exe: &std::path::Path,
    mode: &Mode,
    contain: Containment,
) -> anyhow::Result<(Option<Scenario>, Session)> {
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
            // The demo does not run out of work unless asked to.
            scenario.pool.tasks = tasks.map_or(Tasks::Endless, Tasks::Count);
            let launch = Launch::Pool {
                source,
                scenario: &scenario,
                contain,
            };
            Ok((Some(scenario.clone()), Session::start(exe, launch)?))
        }
        Mode::Attach { pid } => {
            if *pid == 1 {
                anyhow::bail!("attaching to pid 1 is refused: its subtree is the whole system");
            }
            Ok((None, Session::start(exe, Launch::Attach { pid: *pid })?))
        }
        Mode::Run { argv, .. } => {
            let program = argv.first().map_or("", String::as_str);
            crate::sys::process::find_program(program)?;
            let launch = Launch::Command {
                argv,
                ready: None,
                contain,
            };
            Ok((None, Session::start(exe, launch)?))
        }
    }
}
