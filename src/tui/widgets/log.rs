//! The event log: newest at the bottom, as many lines as fit, the user's
//! latest action kept in sight at the top when newer lines would push it
//! out.

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

/// The lines of `log` that fit in `room` lines: the newest, with the
/// user's latest action pinned first when it would be out of sight.
fn shown(log: &[LogLine], room: usize) -> Vec<&LogLine> {
    let newest = log.len().saturating_sub(room);
    let pinned = log
        .iter()
        .rposition(|line| line.who == "you")
        .filter(|&at| at < newest && room > 1);
    let skip = newest + usize::from(pinned.is_some());
    pinned
        .map(|at| &log[at])
        .into_iter()
        .chain(&log[skip.min(log.len())..])
        .collect()
}

/// Draws the last lines of `log` that fit in `area`, under a title rule;
/// the user's latest action stays in sight.
pub fn render(frame: &mut Frame, area: Rect, log: &[LogLine], paused: Option<&str>, color: bool) {
    let block = pane(paused.map_or_else(|| " events ".to_string(), |p| format!(" events · {p} ")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = shown(log, usize::from(inner.height));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(who: &str, what: &str) -> LogLine {
        LogLine {
            at: "+1.0 s".into(),
            who: who.into(),
            what: what.into(),
        }
    }

    #[test]
    fn the_users_latest_action_stays_in_sight() {
        let log = vec![
            line("you", "set the stop event"),
            line("you", "SIGTERM to the group"),
            line("4121 worker-1", "died of SIGTERM"),
            line("4122 worker-2", "died of SIGTERM"),
            line("", "12 routine lines folded"),
        ];
        let what =
            |room| -> Vec<&str> { shown(&log, room).iter().map(|l| l.what.as_str()).collect() };
        assert_eq!(what(2), ["SIGTERM to the group", "12 routine lines folded"]);
        assert_eq!(
            what(4),
            [
                "SIGTERM to the group",
                "died of SIGTERM",
                "died of SIGTERM",
                "12 routine lines folded"
            ]
        );
        assert_eq!(what(9).len(), 5);
        assert_eq!(what(1), ["12 routine lines folded"]);
    }
}
