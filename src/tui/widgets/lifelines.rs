//! Lifelines: one lane per worker on a shared time axis, the user's
//! actions as vertical markers, the signals each process received, and a
//! legend. Every segment and mark has its own symbol, so the pane reads the
//! same without colour.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{char_width, cut, fit, pane, tint, width_of};
use crate::tui::screen::{EndMark, Lane, Lifelines, Segment};

/// Every segment, in legend order.
pub const SEGMENTS: [Segment; 6] = [
    Segment::Idle,
    Segment::Busy,
    Segment::Draining,
    Segment::CleaningUp,
    Segment::Stopped,
    Segment::Zombie,
];

/// Every end mark, in legend order.
pub const END_MARKS: [EndMark; 5] = [
    EndMark::Graceful,
    EndMark::Unclean,
    EndMark::Signaled,
    EndMark::Forced,
    EndMark::Leaked,
];

/// The marker drawn across the lanes at a user's action.
pub const MARKER: char = '│';

/// The mark on a lane where the process received a signal.
pub const SIGNAL_MARK: char = '↓';

/// A segment's symbol.
pub fn segment_symbol(segment: Segment) -> char {
    match segment {
        Segment::Idle => '·',
        Segment::Busy => '━',
        Segment::Draining => '╍',
        Segment::CleaningUp => '░',
        Segment::Stopped => '‖',
        Segment::Zombie => 'z',
    }
}

/// A segment's name in the legend: (full, short).
pub fn segment_name(segment: Segment) -> (&'static str, &'static str) {
    match segment {
        Segment::Idle => ("idle", "idle"),
        Segment::Busy => ("busy", "busy"),
        Segment::Draining => ("draining", "drain"),
        Segment::CleaningUp => ("cleaning up", "clean"),
        Segment::Stopped => ("stopped", "stop"),
        Segment::Zombie => ("zombie", "zombie"),
    }
}

/// A segment's colour (none without colour).
pub fn segment_style(segment: Segment, color: bool) -> Style {
    match segment {
        Segment::Idle => Style::new(),
        Segment::Busy => tint(color, Color::Green),
        Segment::Draining => tint(color, Color::Yellow),
        Segment::CleaningUp => tint(color, Color::Cyan),
        Segment::Stopped => tint(color, Color::Blue),
        Segment::Zombie => tint(color, Color::Red),
    }
}

/// An end mark's symbol.
pub fn end_symbol(end: EndMark) -> char {
    match end {
        EndMark::Graceful => '✔',
        EndMark::Unclean => '✘',
        EndMark::Signaled => '⚡',
        EndMark::Forced => '☠',
        EndMark::Leaked => '⚠',
    }
}

/// An end mark's name in the legend: (full, short).
pub fn end_name(end: EndMark) -> (&'static str, &'static str) {
    match end {
        EndMark::Graceful => ("graceful", "ok"),
        EndMark::Unclean => ("unclean exit", "unclean"),
        EndMark::Signaled => ("died of a signal", "signal"),
        EndMark::Forced => ("forced (SIGKILL)", "forced"),
        EndMark::Leaked => ("leaked", "leaked"),
    }
}

/// An end mark's colour (none without colour).
pub fn end_style(end: EndMark, color: bool) -> Style {
    let style = Style::new().add_modifier(Modifier::BOLD);
    match end {
        EndMark::Graceful => style.patch(tint(color, Color::Green)),
        EndMark::Unclean | EndMark::Signaled => style.patch(tint(color, Color::Yellow)),
        EndMark::Forced | EndMark::Leaked => style.patch(tint(color, Color::Red)),
    }
}

/// Lines the pane needs: title rule, lanes, axis, legend; none without
/// lanes; at most `max`.
pub fn height(lifelines: &Lifelines, max: u16) -> u16 {
    if lifelines.lanes.is_empty() {
        return 0;
    }
    u16::try_from(lifelines.lanes.len() + 3)
        .unwrap_or(u16::MAX)
        .min(max)
}

/// Draws the lanes, the axis with the markers' labels, and the legend.
pub fn render(frame: &mut Frame, area: Rect, lifelines: &Lifelines, color: bool) {
    let room = usize::from(area.height.saturating_sub(3));
    let hidden = lifelines.total_lanes.saturating_sub(room);
    let title = if hidden > 0 {
        format!(" lifelines (first {room} of {}) ", lifelines.total_lanes)
    } else {
        " lifelines ".to_string()
    };
    let block = pane(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let label_width = lifelines
        .lanes
        .iter()
        .map(|lane| width_of(&lane.label))
        .max()
        .unwrap_or(0)
        .clamp(6, 14);
    let axis = Axis {
        from: lifelines.from_ms,
        to: lifelines.to_ms,
        cells: usize::from(inner.width).saturating_sub(label_width + 1),
    };
    let mut lines: Vec<Line> = lifelines
        .lanes
        .iter()
        .take(room)
        .map(|lane| {
            let mut spans = vec![Span::raw(format!("{} ", fit(&lane.label, label_width)))];
            spans.extend(track(lane, &lifelines.markers, &axis, color));
            Line::from(spans)
        })
        .collect();
    lines.push(axis_line(lifelines, &axis, label_width));
    let zombies = lifelines
        .lanes
        .iter()
        .any(|lane| lane.segments.iter().any(|s| s.2 == Segment::Zombie));
    let signals = lifelines.lanes.iter().any(|lane| !lane.signals.is_empty());
    let shows = Shows { zombies, signals };
    lines.push(legend(usize::from(inner.width), shows, color));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The time axis mapped onto `cells` columns.
struct Axis {
    from: u64,
    to: u64,
    cells: usize,
}

impl Axis {
    /// The column of time `ms` (clamped to the axis).
    fn column(&self, ms: u64) -> usize {
        let span = self.to.saturating_sub(self.from).max(1);
        let at = ms.clamp(self.from, self.to) - self.from;
        let col = u128::from(at) * self.cells as u128 / u128::from(span);
        usize::try_from(col)
            .unwrap_or(usize::MAX)
            .min(self.cells.saturating_sub(1))
    }
}

/// One lane's cells: segments, then markers over them, then the end mark.
fn track(lane: &Lane, markers: &[(u64, String)], axis: &Axis, color: bool) -> Vec<Span<'static>> {
    let mut cells: Vec<(char, Style)> = vec![(' ', Style::new()); axis.cells];
    for &(from, to, segment) in &lane.segments {
        let start = axis.column(from);
        let end = if to >= axis.to {
            axis.cells
        } else {
            axis.column(to)
        };
        let end = end.max(start + 1).min(axis.cells);
        for cell in cells.iter_mut().take(end).skip(start) {
            *cell = (segment_symbol(segment), segment_style(segment, color));
        }
    }
    for (at, _) in markers {
        if let Some(cell) = cells.get_mut(axis.column(*at)) {
            *cell = (MARKER, Style::new().add_modifier(Modifier::BOLD));
        }
    }
    for at in &lane.signals {
        if let Some(cell) = cells.get_mut(axis.column(*at)) {
            *cell = (SIGNAL_MARK, signal_style(color));
        }
    }
    if let Some((at, end)) = lane.end {
        let col = axis.column(at);
        let symbol = end_symbol(end);
        // A wide symbol takes the next cell too; keep it inside the track.
        let col = col.min(axis.cells.saturating_sub(char_width(symbol)));
        // A signal that came in the end's cell (often what ended it) is
        // drawn just before it, not hidden under it.
        let covered = col..(col + char_width(symbol)).min(cells.len());
        if cells
            .get(covered)
            .is_some_and(|under| under.iter().any(|(c, _)| *c == SIGNAL_MARK))
            && let Some(before) = col.checked_sub(1).and_then(|at| cells.get_mut(at))
        {
            *before = (SIGNAL_MARK, signal_style(color));
        }
        if let Some(cell) = cells.get_mut(col) {
            *cell = (symbol, end_style(end, color));
        }
        if char_width(symbol) > 1 && col + 1 < cells.len() {
            cells.remove(col + 1);
        }
    }
    cells
        .into_iter()
        .map(|(symbol, style)| Span::styled(symbol.to_string(), style))
        .collect()
}

/// The axis line: start and end times, and each marker's label at its
/// column.
fn axis_line(lifelines: &Lifelines, axis: &Axis, label_width: usize) -> Line<'static> {
    let mut cells: Vec<char> = vec![' '; axis.cells];
    let mut put = |col: usize, text: &str| {
        for (i, c) in text.chars().enumerate() {
            if let Some(cell) = cells.get_mut(col + i) {
                *cell = c;
            }
        }
    };
    let to = seconds(lifelines.to_ms);
    put(0, &seconds(lifelines.from_ms));
    put(axis.cells.saturating_sub(width_of(&to)), &to);
    for (at, label) in &lifelines.markers {
        put(axis.column(*at), label);
    }
    let track: String = cells.into_iter().collect();
    Line::from(format!("{} {track}", fit("", label_width)))
}

/// The signal mark's colour (none without colour).
fn signal_style(color: bool) -> Style {
    tint(color, Color::Magenta).add_modifier(Modifier::BOLD)
}

/// The symbols a legend names only when a lane shows them.
#[derive(Clone, Copy)]
struct Shows {
    zombies: bool,
    signals: bool,
}

/// The legend in one line: full names when they fit, else short ones,
/// else short ones closer together; the zombie's and the signal's symbols
/// only when a lane shows them.
fn legend(width: usize, shows: Shows, color: bool) -> Line<'static> {
    let build = |short: bool, gap: &'static str| {
        let mut spans = Vec::new();
        let segments = SEGMENTS
            .iter()
            .filter(|&&s| shows.zombies || s != Segment::Zombie)
            .map(|&s| (segment_symbol(s), segment_name(s), segment_style(s, color)));
        let signal = shows.signals.then(|| {
            (
                SIGNAL_MARK,
                ("signal received", "received"),
                signal_style(color),
            )
        });
        let ends = END_MARKS
            .iter()
            .map(|&e| (end_symbol(e), end_name(e), end_style(e, color)));
        for (i, (symbol, (full, brief), style)) in segments.chain(signal).chain(ends).enumerate() {
            let name = if short { brief } else { full };
            spans.push(Span::raw(if i == 0 { "" } else { gap }));
            spans.push(Span::styled(symbol.to_string(), style));
            spans.push(Span::raw(format!(" {name}")));
        }
        Line::from(spans)
    };
    for (short, gap) in [(false, "  "), (true, "  "), (true, " ")] {
        let line = build(short, gap);
        if line.width() <= width {
            return line;
        }
    }
    let line = build(true, " ");
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    Line::from(cut(&text, width))
}

/// "+12.4 s" from milliseconds.
fn seconds(ms: u64) -> String {
    format!("+{}.{} s", ms / 1000, ms % 1000 / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(lane: &Lane, cells: usize) -> String {
        let axis = Axis {
            from: 0,
            to: 1000,
            cells,
        };
        track(lane, &[], &axis, false)
            .iter()
            .map(|span| span.content.as_ref())
            .collect()
    }

    #[test]
    fn a_signal_shows_where_it_came_and_just_before_the_end_it_caused() {
        let lane = Lane {
            label: "child".into(),
            segments: vec![(0, 1000, Segment::Busy)],
            end: None,
            signals: vec![300],
        };
        assert_eq!(symbols(&lane, 10), "━━━↓━━━━━━");
        // It died of it in the same cell: the mark stays in sight.
        let ended = Lane {
            segments: vec![(0, 500, Segment::Busy)],
            end: Some((500, EndMark::Signaled)),
            signals: vec![500],
            ..lane
        };
        assert_eq!(symbols(&ended, 10), "━━━━↓⚡   ");
    }
}
