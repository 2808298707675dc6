//! Aligned text tables for the headless commands.

use std::io::Write;

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Numbers: padded on the left.
    Right,
    /// Text: padded on the right.
    Left,
}

/// Writes `header` and `rows` with every column as wide as its widest cell.
/// The last column is not padded (it holds commands of any length); with
/// `width`, each line is cut to that many characters, as `ps` does on a
/// terminal.
pub fn write_table(
    header: &[(&str, Align)],
    rows: &[Vec<String>],
    width: Option<usize>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(col, (name, _))| {
            rows.iter()
                .filter_map(|row| row.get(col))
                .map(|cell| cell.chars().count())
                .chain([name.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header_cells: Vec<String> = header.iter().map(|(name, _)| name.to_string()).collect();
    for cells in std::iter::once(&header_cells).chain(rows) {
        let mut line = String::new();
        for (col, cell) in cells.iter().enumerate() {
            let last = col + 1 == cells.len();
            let w = widths.get(col).copied().unwrap_or(0);
            match header.get(col).map(|(_, align)| *align) {
                _ if last => line.push_str(cell),
                Some(Align::Right) => line.push_str(&format!("{cell:>w$} ")),
                _ => line.push_str(&format!("{cell:<w$} ")),
            }
        }
        match width {
            Some(width) => writeln!(out, "{}", line.chars().take(width).collect::<String>())?,
            None => writeln!(out, "{}", line.trim_end())?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(width: Option<usize>) -> String {
        let rows = vec![
            vec!["7".to_string(), "S".to_string(), "sleep 30".to_string()],
            vec![
                "12345".to_string(),
                "Z".to_string(),
                "[defunct]".to_string(),
            ],
        ];
        let header = [
            ("PID", Align::Right),
            ("S", Align::Left),
            ("CMD", Align::Left),
        ];
        let mut out = Vec::new();
        write_table(&header, &rows, width, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn columns_align_and_the_last_is_not_padded() {
        assert_eq!(
            render(None),
            "  PID S CMD\n    7 S sleep 30\n12345 Z [defunct]\n"
        );
    }

    #[test]
    fn lines_are_cut_to_the_width() {
        assert_eq!(render(Some(9)), "  PID S C\n    7 S s\n12345 Z [\n");
    }
}
