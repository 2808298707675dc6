//! The event log: newest at the bottom, as many lines as fit.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{cut, fit, fit_right, pane, tint, width_of};
use crate::tui::screen::LogLine;

/// The who column is at least this wide, so that it does not jump as lines
/// come and go.
const WHO_MIN: usize = 12;
/// And at most this wide.
const WHO_MAX: usize = 20;

/// Draws the last lines of `log` that fit in `area`, under a title rule.
pub fn render(frame: &mut Frame, area: Rect, log: &[LogLine], color: bool) {
    let block = pane(" events ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = &log[log.len().saturating_sub(usize::from(inner.height))..];
    let at_width = shown.iter().map(|l| width_of(&l.at)).max().unwrap_or(0);
    let who_width = shown
        .iter()
        .map(|l| width_of(&l.who))
        .max()
        .unwrap_or(0)
        .clamp(WHO_MIN, WHO_MAX);
    let what_width = usize::from(inner.width).saturating_sub(at_width + who_width + 4);
    let lines: Vec<Line> = shown
        .iter()
        .map(|line| {
            let who_style = if line.who == "you" {
                tint(color, Color::Cyan).add_modifier(Modifier::BOLD)
            } else {
                ratatui::style::Style::new()
            };
            Line::from(vec![
                Span::styled(fit_right(&line.at, at_width), tint(color, Color::DarkGray)),
                Span::raw("  "),
                Span::styled(fit(&line.who, who_width), who_style),
                Span::raw("  "),
                Span::raw(cut(&line.what, what_width)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
