//! The process table, drawn as a tree.
//!
//! Every row's kind shows twice: as a marker before the PID, which reads
//! the same without colour, and as a colour when colour is allowed. A row
//! that has an outcome (a ghost, a zombie, a leaked process) shows it right
//! after PHASE, across the columns that no longer mean anything for it.

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
    /// PID PPID PGID SID S ROLE PHASE TERM INT CPU RSS AGE CMD.
    Full,
    /// PID PGID S ROLE PHASE, then the outcome or CMD.
    Narrow,
}

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
    max: 6,
    cell: |r| r.term.clone(),
};
const INT: Column = Column {
    title: "INT",
    right: false,
    max: 6,
    cell: |r| r.int.clone(),
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
    // The columns before the last one; the last takes what is left.
    let fixed: &[Column] = match columns {
        Columns::Full => &[
            PID, PPID, PGID, SID, STATE, ROLE, PHASE, TERM, INT, CPU, RSS, AGE,
        ],
        Columns::Narrow => &[PID, PGID, STATE, ROLE, PHASE],
    };
    // Columns after PHASE that an outcome covers.
    let phase_end = fixed
        .iter()
        .position(|c| c.title == PHASE.title)
        .map_or(fixed.len(), |i| i + 1);
    let widths: Vec<usize> = fixed
        .iter()
        .map(|col| {
            let widest = rows.iter().map(|r| width_of(&(col.cell)(r))).max();
            // The PID column also holds the marker and a space.
            let extra = if col.title == PID.title { 2 } else { 0 };
            (widest.unwrap_or(0) + extra)
                .max(width_of(col.title))
                .min(col.max)
        })
        .collect();
    let total = usize::from(inner.width);
    let used: usize = widths.iter().map(|w| w + 1).sum();
    let last_width = total.saturating_sub(used);
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
        let covered = match (&row.outcome, columns) {
            (Some(_), Columns::Full) => phase_end,
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

/// The last cell: the outcome when there is one (after the tree guides in
/// the narrow table, whose last column is the CMD column), else CMD.
fn last_cell(row: &Row, columns: Columns, width: usize, color: bool) -> Span<'static> {
    match &row.outcome {
        Some(outcome) => {
            let text = match columns {
                Columns::Full => outcome.clone(),
                Columns::Narrow => format!("{}{outcome}", guides(&row.cmd)),
            };
            let style = if color && row.kind == RowKind::Ghost {
                Style::new().add_modifier(Modifier::DIM)
            } else {
                Style::new()
            };
            Span::styled(fit(&text, width), style)
        }
        None => Span::raw(fit(&row.cmd, width)),
    }
}

/// The tree guides at the start of a command cell.
fn guides(cmd: &str) -> &str {
    let end = cmd
        .char_indices()
        .find(|(_, c)| !matches!(c, ' ' | '│' | '├' | '└' | '─'))
        .map_or(cmd.len(), |(i, _)| i);
    &cmd[..end]
}

fn align(text: &str, width: usize, right: bool) -> String {
    if right {
        fit_right(text, width)
    } else {
        fit(text, width)
    }
}
