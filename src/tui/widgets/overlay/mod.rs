//! Popups drawn over everything: help, the signal menu, a confirmation,
//! the orphans and zombies view, the scenario picker.

pub mod help;
pub mod orphans;
pub mod signal_menu;

use ratatui::{
    Frame,
    layout::{Alignment, Rect},
    style::{Modifier, Style},
    text::{Line, Span},
    widgets::{Block, Clear, Paragraph},
};

use super::{fit, width_of, wrap};
use crate::tui::screen::Overlay;

/// Draws `overlay` centred over `area`. `keys` are listed by the help.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    overlay: &Overlay,
    keys: &[(String, String)],
    color: bool,
) {
    match overlay {
        Overlay::Help {
            explanation,
            scroll,
        } => help::render(frame, area, explanation, *scroll, keys, color),
        Overlay::SignalMenu(menu) => signal_menu::render(frame, area, menu, color),
        Overlay::Confirm { question } => confirm(frame, area, question),
        Overlay::Orphans(view) => orphans::render(frame, area, view, color),
        Overlay::Choose {
            title,
            entries,
            selected,
            about,
        } => choose(frame, area, title, entries, (*selected, about)),
    }
}

/// Clears a centred box of `width` x `height` cells (frame included, both
/// clamped to `area` less a margin), draws the frame titled `title`, and
/// returns the area inside it, with one blank column on each side.
pub fn popup(frame: &mut Frame, area: Rect, title: &str, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(4));
    let height = height.min(area.height.saturating_sub(2));
    let outer = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::bordered().title(Line::from(Span::styled(
        format!(" {title} "),
        Style::new().add_modifier(Modifier::BOLD),
    )));
    let inner = block.inner(outer);
    frame.render_widget(Clear, outer);
    frame.render_widget(block, outer);
    Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    }
}

/// The style of the highlighted line in a list.
pub fn highlighted() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// The first line to show so that line `selected` of `total` stays in a
/// window of `visible` lines.
pub fn scroll(selected: usize, visible: usize) -> usize {
    if visible == 0 || selected < visible {
        0
    } else {
        selected + 1 - visible
    }
}

/// A yes/no question.
fn confirm(frame: &mut Frame, area: Rect, question: &str) {
    let width = 60u16.min(area.width);
    let text_width = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = wrap(question, text_width)
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::default());
    lines.push(
        Line::from(Span::styled(
            "y / n",
            Style::new().add_modifier(Modifier::BOLD),
        ))
        .alignment(Alignment::Center),
    );
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, area, "confirm", width, height);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The scenario picker: name and summary, the selected entry highlighted.
fn choose(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    entries: &[(String, String)],
    (selected, about): (usize, &str),
) {
    let name_width = entries.iter().map(|(n, _)| width_of(n)).max().unwrap_or(0);
    let widest = entries
        .iter()
        .map(|(_, summary)| name_width + 2 + width_of(summary))
        .max()
        .unwrap_or(0);
    let width = u16::try_from(widest + 4)
        .unwrap_or(u16::MAX)
        .clamp(40, 100)
        .min(area.width.saturating_sub(4));
    // The highlighted entry's text, wrapped under a blank line.
    let about = if about.is_empty() {
        Vec::new()
    } else {
        wrap(about, usize::from(width.saturating_sub(4)))
    };
    let about_height = if about.is_empty() { 0 } else { about.len() + 1 };
    let height = u16::try_from(entries.len() + about_height + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, area, title, width, height);
    // The list gives up rows to the text first, keeping at least three.
    let about_rows = about_height.min(usize::from(inner.height).saturating_sub(3));
    let list_rows = usize::from(inner.height) - about_rows;
    let first = scroll(selected, list_rows);
    let text_width = usize::from(inner.width);
    let mut lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .skip(first)
        .take(list_rows)
        .map(|(i, (name, summary))| {
            let text = fit(&format!("{}  {summary}", fit(name, name_width)), text_width);
            if i == selected {
                Line::from(Span::styled(text, highlighted()))
            } else {
                Line::from(text)
            }
        })
        .collect();
    if about_rows > 0 {
        lines.resize(list_rows, Line::from(""));
        lines.push(Line::from(""));
        lines.extend(about.into_iter().take(about_rows - 1).map(Line::from));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
