//! Help: the scenario's explanation, the keys, and what the lifeline
//! symbols mean.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::popup;
use crate::tui::screen::RowKind;
use crate::tui::widgets::{
    cut, fit,
    lifelines::{
        END_MARKS, MARKER, SEGMENTS, SIGNAL_MARK, end_name, end_style, end_symbol, segment_name,
    },
    lifelines::{segment_style, segment_symbol},
    table::marker,
    tint, width_of, wrap,
};

/// The popup's width when the terminal allows it.
const WIDTH: u16 = 84;

/// Draws the help popup.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    explanation: &str,
    scroll: u16,
    keys: &[(String, String)],
    color: bool,
) {
    let text_width = usize::from(WIDTH.min(area.width.saturating_sub(4)).saturating_sub(4));
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = wrap(explanation, text_width)
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::default());

    // Keys on the left, symbols on the right.
    let legend = legend(color);
    let legend_width = legend.iter().map(Line::width).max().unwrap_or(0);
    let key_width = keys.iter().map(|(k, _)| width_of(k)).max().unwrap_or(0);
    let keys_width = text_width.saturating_sub(legend_width + 3);
    let rows = keys.len().max(legend.len());
    lines.push(Line::from(vec![
        Span::styled(fit("keys", keys_width), bold),
        Span::raw("   "),
        Span::styled("symbols", bold),
    ]));
    for i in 0..rows {
        let mut spans = match keys.get(i) {
            Some((key, label)) => {
                let label_width = keys_width.saturating_sub(key_width + 2);
                vec![
                    Span::styled(
                        fit(key, key_width),
                        tint(color, Color::Cyan).add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(format!("  {}", fit(label, label_width))),
                ]
            }
            None => vec![Span::raw(fit("", keys_width))],
        };
        if let Some(line) = legend.get(i) {
            spans.push(Span::raw("   "));
            spans.extend(line.spans.iter().cloned());
        }
        lines.push(Line::from(spans));
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    // What does not fit scrolls; the title says so, and how far down it is.
    let room = usize::from(area.height.saturating_sub(4));
    let total = lines.len();
    let title = if total > room {
        let first = usize::from(scroll).min(total - room);
        lines.drain(..first);
        format!(
            "help · ↑↓ scroll · lines {}-{} of {total}",
            first + 1,
            first + room
        )
    } else {
        "help".to_string()
    };
    let inner = popup(frame, area, &title, WIDTH, height);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|line| {
            if line.width() > usize::from(inner.width) {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                Line::from(cut(&text, usize::from(inner.width)))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One line per symbol: row markers, lifeline segments and end marks.
fn legend(color: bool) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let kinds = [
        (RowKind::Member, "in the watched group"),
        (RowKind::OtherGroup, "in another group"),
        (RowKind::OtherSession, "in another session"),
        (RowKind::Ghost, "ended (ghost row)"),
    ];
    for (kind, what) in kinds {
        lines.push(Line::from(format!("{}  {what}", marker(kind))));
    }
    for segment in SEGMENTS {
        lines.push(Line::from(vec![
            Span::styled(
                segment_symbol(segment).to_string(),
                segment_style(segment, color),
            ),
            Span::raw(format!("  {}", segment_name(segment).0)),
        ]));
    }
    for end in END_MARKS {
        let symbol = end_symbol(end);
        // Keep the names in one column after a wide symbol.
        let gap = if width_of(&symbol.to_string()) > 1 {
            " "
        } else {
            "  "
        };
        lines.push(Line::from(vec![
            Span::styled(symbol.to_string(), end_style(end, color)),
            Span::raw(format!("{gap}{}", end_name(end).0)),
        ]));
    }
    lines.push(Line::from(format!("{MARKER}  your action (label below)")));
    lines.push(Line::from(format!(
        "{SIGNAL_MARK}  a signal it received (kernel events, as root)"
    )));
    lines
}
