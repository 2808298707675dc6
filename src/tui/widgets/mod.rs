//! One file per part of the screen. Each `render` draws a part of
//! [`Screen`](crate::tui::screen::Screen) into an area and reads nothing
//! else: no clock, no /proc, no terminal.
//!
//! The helpers here measure and cut text by terminal cells (not bytes, not
//! chars), so columns stay aligned whatever the symbols.

pub mod detail;
pub mod footer;
pub mod header;
pub mod holding;
pub mod lifelines;
pub mod log;
pub mod output;
pub mod overlay;
pub mod table;

use ratatui::{
    style::{Color, Style},
    text::{Line, Span},
    widgets::{Block, Borders},
};

/// A foreground colour when colour is allowed, else the plain style.
pub fn tint(color: bool, fg: Color) -> Style {
    if color {
        Style::new().fg(fg)
    } else {
        Style::new()
    }
}

/// How many terminal cells `text` takes.
pub fn width_of(text: &str) -> usize {
    Span::raw(text).width()
}

/// How many terminal cells one character takes.
pub fn char_width(c: char) -> usize {
    let mut utf8 = [0u8; 4];
    width_of(c.encode_utf8(&mut utf8))
}

/// `text` cut to at most `width` cells, ending with `…` when something was
/// cut.
pub fn cut(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` cut or padded on the right to exactly `width` cells.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = cut(text, width);
    let pad = width.saturating_sub(width_of(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// `text` cut, or padded on the left, to exactly `width` cells (numbers).
pub fn fit_right(text: &str, width: usize) -> String {
    let out = cut(text, width);
    let pad = width.saturating_sub(width_of(&out));
    let mut padded: String = std::iter::repeat_n(' ', pad).collect();
    padded.push_str(&out);
    padded
}

/// `text` broken into lines of at most `width` cells, at spaces where
/// possible; a word longer than a line is split. Never returns no line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let needed = width_of(&line) + usize::from(!line.is_empty()) + width_of(word);
            if !line.is_empty() && needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            for c in word.chars() {
                if width_of(&line) + char_width(c) > width {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines
}

/// `value` wrapped to `width` cells after a label column of `label_width`
/// cells; continuation lines are indented under the value.
pub fn labelled<'a>(
    label: &str,
    value: &str,
    label_width: usize,
    width: usize,
    label_style: Style,
) -> Vec<Line<'a>> {
    let value_width = width.saturating_sub(label_width).max(1);
    wrap(value, value_width)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let head = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::styled(fit(head, label_width), label_style),
                Span::raw(part),
            ])
        })
        .collect()
}

/// A pane's frame: one rule across the top with the title in it, so that a
/// pane costs one line, not two.
pub fn pane<'a>(title: impl Into<Line<'a>>) -> Block<'a> {
    Block::new().borders(Borders::TOP).title(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_fit_count_cells() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit_right("42", 4), "  42");
        assert_eq!(width_of("⚡"), 2);
        assert_eq!(width_of("● ◆ ▲ †"), 7);
    }

    #[test]
    fn wrap_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a\nb", 4), ["a", "b"]);
    }
}
