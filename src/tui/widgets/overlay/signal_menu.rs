//! The signal menu: the signal, what was typed, the target, and the
//! predicted effect on every process it would hit.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::popup;
use crate::tui::screen::SignalMenu;
use crate::tui::widgets::{fit, fit_right, tint, width_of, wrap};

/// The popup's width when the terminal allows it.
const WIDTH: u16 = 84;

/// Draws the signal menu.
pub fn render(frame: &mut Frame, area: Rect, menu: &SignalMenu, color: bool) {
    let text_width = usize::from(WIDTH.min(area.width.saturating_sub(4)).saturating_sub(4));
    let label_style = tint(color, Color::Cyan);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let label = |text: &str| Span::styled(fit(text, 8), label_style);
    let mut lines = vec![
        Line::from(vec![
            label("signal"),
            Span::styled(menu.signal.clone(), bold),
        ]),
        Line::from(vec![
            label("typed"),
            Span::raw(menu.input.clone()),
            // The cursor.
            Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)),
        ]),
        Line::from(vec![label("target"), Span::raw(menu.target.clone())]),
        Line::default(),
    ];

    let pid_width = menu
        .effects
        .iter()
        .map(|(pid, _, _)| width_of(&pid.to_string()))
        .chain([3])
        .max()
        .unwrap_or(3);
    let role_width = menu
        .effects
        .iter()
        .map(|(_, role, _)| width_of(role))
        .chain([4])
        .max()
        .unwrap_or(4);
    let effect_width = text_width.saturating_sub(pid_width + role_width + 4).max(1);
    lines.push(Line::from(Span::styled(
        format!(
            "{}  {}  PREDICTED EFFECT",
            fit_right("PID", pid_width),
            fit("ROLE", role_width)
        ),
        bold,
    )));
    match &menu.unreachable {
        Some(why) => lines.extend(wrap(why, text_width).into_iter().map(Line::from)),
        None if menu.effects.is_empty() => lines.push(Line::from("no process to signal")),
        None => {}
    }
    for (pid, role, effect) in &menu.effects {
        for (i, part) in wrap(effect, effect_width).into_iter().enumerate() {
            let head = if i == 0 {
                format!(
                    "{}  {}  ",
                    fit_right(&pid.to_string(), pid_width),
                    fit(role, role_width)
                )
            } else {
                fit("", pid_width + role_width + 4)
            };
            lines.push(Line::from(vec![Span::raw(head), Span::raw(part)]));
        }
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, area, "send a signal", WIDTH, height);
    frame.render_widget(Paragraph::new(lines), inner);
}
