//! The process table, drawn as a tree.
//!
//! Every row's kind shows twice: as a marker before the PID, which reads
//! the same without colour, and as a colour when colour is allowed. A row
//! with no live values any more (a ghost, a zombie) shows how it ended
//! right after PHASE, across the columns that no longer mean anything for
//! it; a live row keeps every live value, its notes go to the detail pane.
//! The tree guides stand in a column of their own before CMD, which takes
//! the width that is left: at least [`CMD_MIN`] cells, PPID and SID giving
//! way first.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
};

use super::{fit, fit_right, pane, tint, width_of};
use crate::tui::screen::{Row, RowKind};

/// Which columns to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// PID PPID PGID SID S ROLE PHASE TERM INT PEND CPU RSS AGE CMD; PPID
    /// and SID hide when CMD would get fewer than [`CMD_MIN`] cells.
    Full,
    /// PID PGID S ROLE TERM, then the outcome or CMD.
    Narrow,
}

/// The fewest cells CMD keeps in the full table (SPEC, "TUI").
pub const CMD_MIN: usize = 24;

/// The marker before a row's PID.
pub fn marker(kind: RowKind) -> char {
    match kind {
        RowKind::Member => '●',
        RowKind::OtherGroup => '◆',
        RowKind::OtherSession => '▲',
        RowKind::Ghost => '†',
    }
}

/// A row's colour (none without colour).
pub fn row_style(row: &Row, color: bool) -> Style {
    let fg = if row.state == 'Z' {
        Some(Color::Red)
    } else {
        match row.kind {
            RowKind::Member => None,
            RowKind::OtherGroup => Some(Color::Yellow),
            RowKind::OtherSession => Some(Color::Magenta),
            RowKind::Ghost => Some(Color::DarkGray),
        }
    };
    fg.map_or(Style::new(), |fg| tint(color, fg))
}

/// Lines the table needs to show every row: the title rule, the column
/// titles, the rows.
pub fn height(rows: &[Row]) -> u16 {
    u16::try_from(rows.len().saturating_add(2)).unwrap_or(u16::MAX)
}

/// A column: title, right-aligned, the most cells it may take.
struct Column {
    title: &'static str,
    right: bool,
    max: usize,
    cell: fn(&Row) -> String,
}

const PID: Column = Column {
    title: "PID",
    right: true,
    max: 9,
    cell: |r| r.pid.to_string(),
};
const PPID: Column = Column {
    title: "PPID",
    right: true,
    max: 7,
    cell: |r| r.ppid.to_string(),
};
const PGID: Column = Column {
    title: "PGID",
    right: true,
    max: 7,
    cell: |r| r.pgid.to_string(),
};
const SID: Column = Column {
    title: "SID",
    right: true,
    max: 7,
    cell: |r| r.sid.to_string(),
};
const STATE: Column = Column {
    title: "S",
    right: false,
    max: 1,
    cell: |r| r.state.to_string(),
};
const ROLE: Column = Column {
    title: "ROLE",
    right: false,
    max: 14,
    cell: |r| r.role.clone(),
};
const PHASE: Column = Column {
    title: "PHASE",
    right: false,
    max: 14,
    cell: |r| r.phase.clone(),
};
const TERM: Column = Column {
    title: "TERM",
    right: false,
    max: 9,
    cell: |r| r.term.clone(),
};
const INT: Column = Column {
    title: "INT",
    right: false,
    max: 9,
    cell: |r| r.int.clone(),
};
const PEND: Column = Column {
    title: "PEND",
    right: false,
    max: 12,
    cell: |r| r.pending.clone(),
};
const CPU: Column = Column {
    title: "CPU",
    right: true,
    max: 7,
    cell: |r| r.cpu.clone(),
};
const RSS: Column = Column {
    title: "RSS",
    right: true,
    max: 7,
    cell: |r| r.rss.clone(),
};
const AGE: Column = Column {
    title: "AGE",
    right: true,
    max: 6,
    cell: |r| r.age.clone(),
};

/// The first row shown when `selected` must stay visible among `visible`
/// rows (the table scrolls only as far as the selection needs).
pub fn first_visible(selected: Option<usize>, visible: usize) -> usize {
    match selected {
        Some(sel) if sel >= visible => sel + 1 - visible,
        _ => 0,
    }
}

/// Where [`render`] puts the rows in `area`: under the title rule and the
/// column titles.
pub fn rows_area(area: Rect) -> Rect {
    Rect {
        y: area.y.saturating_add(2),
        height: area.height.saturating_sub(2),
        ..area
    }
}

/// Draws `rows` into `area` under a title rule, keeping `selected` in
/// view; returns where the rows are (for mouse clicks).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    rows: &[Row],
    selected: Option<usize>,
    columns: Columns,
    color: bool,
) -> Rect {
    let block = pane(title(color));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return Rect::default();
    }
    let total = usize::from(inner.width);
    let tree_width = rows.iter().map(|r| width_of(&r.tree)).max().unwrap_or(0);
    // The columns before the last one; the last takes what is left.
    let mut fixed: Vec<Column> = match columns {
        Columns::Full => vec![
            PID, PPID, PGID, SID, STATE, ROLE, PHASE, TERM, INT, PEND, CPU, RSS, AGE,
        ],
        Columns::Narrow => vec![PID, PGID, STATE, ROLE, TERM],
    };
    let mut widths = widths_of(&fixed, rows);
    if columns == Columns::Full && room_left(&widths, tree_width, total) < CMD_MIN {
        fixed.retain(|c| c.title != PPID.title && c.title != SID.title);
        widths = widths_of(&fixed, rows);
    }
    // Columns after PHASE that an outcome covers.
    let phase_end = fixed
        .iter()
        .position(|c| c.title == PHASE.title)
        .map_or(fixed.len(), |i| i + 1);
    let last_width = room_left(&widths, 0, total);
    let last_title = match columns {
        Columns::Full => "CMD",
        Columns::Narrow => "CMD / OUTCOME",
    };

    let mut header: Vec<Span> = fixed
        .iter()
        .zip(&widths)
        .map(|(col, &w)| Span::raw(format!("{} ", align(col.title, w, col.right))))
        .collect();
    header.push(Span::raw(fit(last_title, last_width)));
    let header_row = Rect { height: 1, ..inner };
    frame.render_widget(
        Line::from(header).style(Style::new().add_modifier(Modifier::BOLD)),
        header_row,
    );

    let visible = usize::from(inner.height - 1);
    let offset = first_visible(selected, visible);
    for (i, row) in rows.iter().enumerate().skip(offset).take(visible) {
        let mut spans = Vec::new();
        let covered = match columns {
            Columns::Full if ended(row) => phase_end,
            _ => fixed.len(),
        };
        for (col, &w) in fixed.iter().zip(&widths).take(covered) {
            let text = if col.title == PID.title {
                format!(
                    "{} {}",
                    marker(row.kind),
                    fit_right(&row.pid.to_string(), w - 2)
                )
            } else {
                align(&(col.cell)(row), w, col.right)
            };
            spans.push(Span::raw(format!("{text} ")));
        }
        let rest: usize = total.saturating_sub(widths.iter().take(covered).map(|w| w + 1).sum());
        spans.push(last_cell(row, columns, rest, color));
        let mut style = row_style(row, color);
        if selected == Some(i) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let y = inner.y + 1 + u16::try_from(i - offset).unwrap_or(0);
        frame.render_widget(
            Line::from(spans).style(style),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    }
    Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    }
}

/// The table's title rule, with the markers explained.
fn title(color: bool) -> Line<'static> {
    let kinds = [
        (RowKind::Member, "watched group", None),
        (RowKind::OtherGroup, "other group", Some(Color::Yellow)),
        (RowKind::OtherSession, "other session", Some(Color::Magenta)),
        (RowKind::Ghost, "ended", Some(Color::DarkGray)),
    ];
    let mut spans = vec![Span::styled(
        " processes ",
        Style::new().add_modifier(Modifier::BOLD),
    )];
    for (kind, what, fg) in kinds {
        let style = fg.map_or(Style::new(), |fg| tint(color, fg));
        spans.push(Span::styled(format!(" {} {what} ", marker(kind)), style));
    }
    Line::from(spans)
}

/// Whether a row has no live values any more: a ghost, or a zombie.
fn ended(row: &Row) -> bool {
    row.kind == RowKind::Ghost || row.state == 'Z'
}

/// Each column's width over `rows`: its widest cell or its title, at most
/// its maximum.
fn widths_of(fixed: &[Column], rows: &[Row]) -> Vec<usize> {
    fixed
        .iter()
        .map(|col| {
            let widest = rows.iter().map(|r| width_of(&(col.cell)(r))).max();
            // The PID column also holds the marker and a space.
            let extra = if col.title == PID.title { 2 } else { 0 };
            (widest.unwrap_or(0) + extra)
                .max(width_of(col.title))
                .min(col.max)
        })
        .collect()
}

/// The cells left of `total` after the columns of `widths` (each with its
/// space) and `tree` cells of tree guides.
fn room_left(widths: &[usize], tree: usize, total: usize) -> usize {
    total.saturating_sub(widths.iter().map(|w| w + 1).sum::<usize>() + tree)
}

/// The last cell: the tree guides, then how the row ended when it has no
/// live values (in the narrow table, any row's outcome: its last column is
/// CMD / OUTCOME), else CMD.
fn last_cell(row: &Row, columns: Columns, width: usize, color: bool) -> Span<'static> {
    let outcome = row
        .outcome
        .as_ref()
        .filter(|_| columns == Columns::Narrow || ended(row));
    match outcome {
        Some(outcome) => {
            let style = if color && row.kind == RowKind::Ghost {
                Style::new().add_modifier(Modifier::DIM)
            } else {
                Style::new()
            };
            Span::styled(fit(&format!("{}{outcome}", row.tree), width), style)
        }
        None => Span::raw(fit(&format!("{}{}", row.tree, row.cmd), width)),
    }
}

fn align(text: &str, width: usize, right: bool) -> String {
    if right {
        fit_right(text, width)
    } else {
        fit(text, width)
    }
}
