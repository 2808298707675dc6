//! Small text formats shared by the headless commands and the TUI.

use std::borrow::Cow;
use std::fmt::Write;

/// Pids as "12,13,14", or "-" for none.
pub fn pid_list(pids: &[i32]) -> String {
    if pids.is_empty() {
        return "-".to_string();
    }
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `text` with every control character (C0, DEL and C1: U+0000–U+001F,
/// U+007F–U+009F) shown as a visible escape — `\n`, `\r`, `\t`, `\e` (ESC),
/// else `\xNN` — so that a process's name or command line printed to a
/// terminal can neither send it a command nor start a new line. Everything
/// else, U+FFFD for bytes that were not UTF-8 included, is kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\u{1b}' => escaped.push_str("\\e"),
            c if c.is_control() => {
                let _ = write!(escaped, "\\x{:02x}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_lists() {
        assert_eq!(pid_list(&[]), "-");
        assert_eq!(pid_list(&[7]), "7");
        assert_eq!(pid_list(&[7, 8, 9]), "7,8,9");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in ["sleep 300", "", "päivä ✓ \u{fffd}", "a\\nb"] {
            assert!(matches!(escape_controls(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            escape_controls("sh \u{1b}]0;PWNED\u{7}\n   1 FAKE"),
            "sh \\e]0;PWNED\\x07\\n   1 FAKE"
        );
        assert_eq!(escape_controls("a\tb\rc\0d\u{7f}"), "a\\tb\\rc\\x00d\\x7f");
        assert_eq!(escape_controls("\u{9b}31m\u{85}"), "\\x9b31m\\x85");
        assert_eq!(
            escape_controls("\u{1f}\u{a0}"),
            "\\x1f\u{a0}",
            "NBSP is no control"
        );
    }

    #[test]
    fn nothing_escaped_is_a_control_character() {
        let every: String = (0u32..0x200).filter_map(char::from_u32).collect();
        let escaped = escape_controls(&every);
        assert!(!escaped.chars().any(char::is_control), "{escaped:?}");
        assert_eq!(escaped.lines().count(), 1);
    }
}
