//! The two header lines: what is watched and by whom, then the stop
//! event, the task accounts, what the events come from and the stop
//! sequence's countdown.

use ratatui::{
    Frame,
    layout::Rect,
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{cut, tint, width_of};
use crate::tui::screen::Header;

const SEP: &str = " · ";

/// Draws `header` into `area` (two lines). When a line does not fit, it
/// says the same in fewer words, and the stop sequence goes first.
pub fn render(frame: &mut Frame, area: Rect, header: &Header, color: bool) {
    let width = usize::from(area.width);
    let lines = vec![identity(header, width, color), state(header, width, color)];
    frame.render_widget(Paragraph::new(lines), area);
}

/// Line 1: mode, subject, the watched group and session, sigtree itself,
/// the elapsed time.
fn identity(header: &Header, width: usize, color: bool) -> Line<'static> {
    let brand = Span::styled(
        "sigtree ",
        tint(color, Color::Cyan).add_modifier(Modifier::BOLD),
    );
    let (group, session) = (header.pgid, header.sid);
    let outside = match group {
        Some(pgid) if pgid != header.own_pgid => " (outside)",
        _ => "",
    };
    let mut facts = Vec::new();
    if let Some(pgid) = group {
        facts.push(format!("group {pgid}"));
    }
    if let Some(sid) = session {
        facts.push(format!("session {sid}"));
    }
    facts.push(format!(
        "sigtree pid {} group {}{outside}",
        header.own_pid, header.own_pgid
    ));
    if let Some(keeper) = header.keeper {
        facts.push(format!("keeper {keeper}"));
    }
    facts.push(header.elapsed.clone());
    let full = format!(
        "{}{SEP}{}{SEP}{}",
        header.mode,
        header.subject,
        facts.join(SEP)
    );
    if width_of(&brand.content) + width_of(&full) <= width {
        return Line::from(vec![brand, Span::raw(full)]);
    }

    // Fewer words; the subject (a command line can be long) is cut last.
    let mut facts = Vec::new();
    if let Some(pgid) = group {
        facts.push(format!("pgid {pgid}"));
    }
    if let Some(sid) = session {
        facts.push(format!("sid {sid}"));
    }
    facts.push(format!(
        "sigtree pid {} pgid {}",
        header.own_pid, header.own_pgid
    ));
    if let Some(keeper) = header.keeper {
        facts.push(format!("keeper {keeper}"));
    }
    facts.push(header.elapsed.clone());
    let tail = format!("{SEP}{}", facts.join(SEP));
    let head = format!("{}{SEP}", header.mode);
    let room = width.saturating_sub(width_of(&head) + width_of(&tail));
    let subject = cut(&header.subject, room.max(4));
    Line::from(cut(&format!("{head}{subject}{tail}"), width))
}

/// Line 2: stop event, tasks, what the events come from, and the stop
/// sequence highlighted.
fn state(header: &Header, width: usize, color: bool) -> Line<'static> {
    let mut parts = Vec::new();
    if let Some(event) = &header.stop_event {
        parts.push(format!("stop event: {event}"));
    }
    if let Some((done, lost, queued)) = header.tasks {
        let queue = queued.map_or_else(|| "endless queue".to_string(), |n| format!("{n} queued"));
        parts.push(format!("tasks: {done} done · {lost} lost · {queue}"));
    }
    let without_events = parts.join(SEP);
    parts.extend((!header.events.is_empty()).then(|| header.events.clone()));
    let with_events = parts.join(SEP);
    let Some(stopping) = &header.stopping else {
        return Line::from(cut(&with_events, width));
    };
    // While a stop runs, where the events come from gives way first.
    let facts = if width_of(&with_events) + width_of(SEP) + width_of(stopping) + 2 <= width {
        with_events
    } else {
        without_events
    };
    let style = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
    let style = if color {
        style.fg(Color::Yellow)
    } else {
        style
    };
    let badge = format!(" {stopping} ");
    let sep = if facts.is_empty() { "" } else { SEP };
    if width_of(&facts) + width_of(sep) + width_of(&badge) <= width {
        return Line::from(vec![
            Span::raw(facts),
            Span::raw(sep),
            Span::styled(badge, style),
        ]);
    }
    // Too narrow for both: the countdown first, the rest as fits.
    let badge = cut(&badge, width);
    let room = width.saturating_sub(width_of(&badge) + width_of(sep));
    let rest = if room > 1 {
        cut(&facts, room)
    } else {
        String::new()
    };
    let sep = if rest.is_empty() { "" } else { sep };
    Line::from(vec![
        Span::styled(badge, style),
        Span::raw(sep),
        Span::raw(rest),
    ])
}
