//! The output pane of run mode: the last lines the command printed, or
//! where the user scrolled to.

use ratatui::{Frame, layout::Rect, text::Line, widgets::Paragraph};

use super::{cut, pane};
use crate::tui::screen::OutputPane;

/// Draws as many of `output`'s lines as fit, ending at its scroll position.
pub fn render(frame: &mut Frame, area: Rect, output: &OutputPane) {
    let title = if output.scrolled == 0 {
        format!(" output ({} lines) ", output.total)
    } else {
        format!(
            " output ({} lines, {} up: PgDn) ",
            output.total, output.scrolled
        )
    };
    let block = pane(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let shown = &output.lines[output.lines.len().saturating_sub(usize::from(inner.height))..];
    let lines: Vec<Line> = shown
        .iter()
        .map(|line| Line::raw(cut(line, width)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
