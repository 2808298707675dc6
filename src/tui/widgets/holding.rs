//! The "holding up the stop" strip: one line per survivor of a stop, with
//! the reason it survives, between the table and the lifelines.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{cut, pane, tint};
use crate::tui::screen::Holding;

/// Lines the strip takes (its title rule included): none without
/// survivors, at most `max`.
pub fn height(holding: &[Holding], max: u16) -> u16 {
    if holding.is_empty() {
        return 0;
    }
    u16::try_from(holding.len() + 1)
        .unwrap_or(u16::MAX)
        .min(max)
}

/// Draws the survivors that fit in `area`; when some do not, the last
/// line says how many more there are.
pub fn render(frame: &mut Frame, area: Rect, holding: &[Holding], color: bool) {
    let title = Span::styled(
        " holding up the stop ",
        tint(color, Color::Red).add_modifier(Modifier::BOLD),
    );
    let block = pane(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let room = usize::from(inner.height);
    let shown = if holding.len() > room {
        room.saturating_sub(1)
    } else {
        room
    };
    let width = usize::from(inner.width);
    let who_width = holding
        .iter()
        .take(shown)
        .map(|h| h.pid.to_string().len() + 1 + h.role.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = holding
        .iter()
        .take(shown)
        .map(|h| {
            let who = format!("{} {}", h.pid, h.role);
            let pad = who_width.saturating_sub(who.chars().count());
            let text = format!("{who}{}  {}", " ".repeat(pad), h.reason);
            Line::from(cut(&text, width))
        })
        .collect();
    if holding.len() > shown {
        lines.push(Line::from(format!("… and {} more", holding.len() - shown)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
