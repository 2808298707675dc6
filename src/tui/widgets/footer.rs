//! The footer: the last message, then the keys that apply now.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{cut, tint, width_of};

/// Lines the footer needs: the keys, and the message when there is one.
pub fn height(message: Option<&str>) -> u16 {
    if message.is_some() { 2 } else { 1 }
}

/// Draws `message` (highlighted) above `keys` (`key label · key label …`,
/// cut at a whole entry to fit the width).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    message: Option<&str>,
    keys: &[(String, String)],
    color: bool,
) {
    let width = usize::from(area.width);
    let mut lines = Vec::new();
    if let Some(message) = message {
        let style = Style::new().add_modifier(Modifier::BOLD);
        let style = if color {
            style.fg(Color::Yellow)
        } else {
            style
        };
        lines.push(Line::from(Span::styled(cut(message, width), style)));
    }
    lines.push(keys_line(keys, width, color));
    frame.render_widget(Paragraph::new(lines), area);
}

/// `key label · key label …` within `width` cells.
fn keys_line(keys: &[(String, String)], width: usize, color: bool) -> Line<'static> {
    let key_style = tint(color, Color::Cyan).add_modifier(Modifier::BOLD);
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (key, label)) in keys.iter().enumerate() {
        let sep = if i == 0 { "" } else { " · " };
        let entry = width_of(sep) + width_of(key) + 1 + width_of(label);
        let more = if i + 1 < keys.len() { 2 } else { 0 };
        if used + entry + more > width {
            spans.push(Span::raw(if i == 0 { "…" } else { " …" }));
            break;
        }
        spans.push(Span::raw(sep));
        spans.push(Span::styled(key.clone(), key_style));
        spans.push(Span::raw(format!(" {label}")));
        used += entry;
    }
    Line::from(spans)
}
