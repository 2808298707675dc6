//! Orphans and zombies, system-wide, in four sections.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{highlighted, popup, scroll};
use crate::tui::screen::OrphansView;
use crate::tui::widgets::fit;

/// The popup's width when the terminal allows it.
const WIDTH: u16 = 100;

/// Draws the orphans view; the selected line counts the entries of all
/// sections in order, headings excluded. While the system-wide scan runs,
/// its three sections say so.
pub fn render(frame: &mut Frame, area: Rect, view: &OrphansView, _color: bool) {
    let sections: [(&str, Vec<String>); 4] = [
        (
            "Re-parented while sigtree watched",
            view.witnessed
                .iter()
                .map(|(pid, lost, new)| format!("{pid:>7}  lost parent {lost}; now child of {new}"))
                .collect(),
        ),
        (
            "Likely orphans, their session leader gone",
            view.likely
                .iter()
                .map(|(pid, leader, cmd)| {
                    format!("{pid:>7}  {cmd}  (session leader {leader} gone)")
                })
                .collect(),
        ),
        (
            "Orphaned process groups",
            view.groups
                .iter()
                .map(|(pgid, members, stopped)| {
                    format!("{pgid:>7}  members {members}; stopped: {stopped}")
                })
                .collect(),
        ),
        (
            "Zombies",
            view.zombies
                .iter()
                .map(|(pid, age, ppid, cmd)| {
                    format!("{pid:>7}  started {age} ago; parent {ppid} {cmd} does not reap it")
                })
                .collect(),
        ),
    ];

    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    let mut entry = 0;
    let mut selected_line = 0;
    for (i, (title, entries)) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        if view.scanning && i > 0 {
            lines.push(Line::from(Span::styled(*title, bold)));
            lines.push(Line::from("      scanning the system…"));
            continue;
        }
        lines.push(Line::from(Span::styled(
            format!("{title} ({})", entries.len()),
            bold,
        )));
        if entries.is_empty() {
            lines.push(Line::from("      none"));
        }
        for text in entries {
            if entry == view.selected {
                selected_line = lines.len();
                lines.push(Line::from(Span::styled(text.clone(), highlighted())));
            } else {
                lines.push(Line::from(text.clone()));
            }
            entry += 1;
        }
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, area, "orphans and zombies", WIDTH, height);
    let width = usize::from(inner.width);
    let first = scroll(selected_line, usize::from(inner.height));
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(first)
        .map(|mut line| {
            for span in &mut line.spans {
                span.content = fit(&span.content, width).into();
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
