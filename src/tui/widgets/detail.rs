//! The detail pane: the selected process's state, masks, threads, stop
//! event, phase history, the signals it received and notes.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    symbols::{border, line},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph},
};

use super::{cut, fit, fit_right, labelled, tint, width_of, wrap};
use crate::tui::screen::Detail;

/// The pane's frame: a title rule and a rule on the left, against the
/// table, meeting the table's title rule in a `┬`.
fn block() -> Block<'static> {
    Block::new()
        .borders(Borders::TOP | Borders::LEFT)
        .border_set(border::Set {
            top_left: line::HORIZONTAL_DOWN,
            ..border::PLAIN
        })
        .title(" detail ")
}

/// Lines the pane needs at `width` columns (frame included).
pub fn height(detail: Option<&Detail>, width: u16) -> u16 {
    let width = usize::from(width.saturating_sub(2));
    let count = lines(detail, width, false).len() + 1;
    u16::try_from(count).unwrap_or(u16::MAX)
}

/// Draws `detail` into `area`, or says that nothing is selected.
pub fn render(frame: &mut Frame, area: Rect, detail: Option<&Detail>, color: bool) {
    let block = block();
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // One blank column after the rule.
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(1),
        ..inner
    };
    let lines = lines(detail, usize::from(inner.width), color);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The pane's content at `width` columns.
fn lines(detail: Option<&Detail>, width: usize, color: bool) -> Vec<Line<'static>> {
    let Some(detail) = detail else {
        return vec![Line::from("no process selected")];
    };
    let label_style = tint(color, Color::Cyan);
    let label_width = detail
        .masks
        .iter()
        .map(|(label, _)| width_of(label))
        .chain([width_of("stop event")])
        .max()
        .unwrap_or(0)
        + 2;
    let row = |label: &str, value: &str| labelled(label, value, label_width, width, label_style);

    let mut out: Vec<Line> = wrap(&detail.title, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, Style::new().add_modifier(Modifier::BOLD))))
        .collect();
    out.extend(row("state", &detail.state));
    for (label, names) in &detail.masks {
        let names = if names.is_empty() { "—" } else { names };
        out.extend(row(label, names));
    }
    out.extend(row("threads", &detail.threads));
    if !detail.stop_event.is_empty() {
        out.extend(row("stop event", &detail.stop_event));
    }
    let dated = |out: &mut Vec<Line>, name: &str, entries: &[(String, String)]| {
        let at_width = entries.iter().map(|(at, _)| width_of(at)).max();
        for (i, (at, what)) in entries.iter().enumerate() {
            let label = if i == 0 { name } else { "" };
            let at = fit_right(at, at_width.unwrap_or(0));
            let line = format!("{at}  {what}");
            out.push(Line::from(vec![
                Span::styled(fit(label, label_width), label_style),
                Span::raw(cut(&line, width.saturating_sub(label_width))),
            ]));
        }
    };
    dated(&mut out, "phases", &detail.phases);
    if detail.signals_unseen.is_empty() {
        dated(&mut out, "signals", &detail.signals);
    } else {
        out.extend(row("signals", &detail.signals_unseen));
    }
    for (i, note) in detail.notes.iter().enumerate() {
        let label = if i == 0 { "notes" } else { "" };
        out.extend(row(label, note));
    }
    out
}
