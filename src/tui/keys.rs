//! Key presses → [`Action`]s. The only place that knows the key bindings; the help overlay lists
//! them from [`HELP`].

use super::rows;
use super::state::{Action, Mode, UiState, View};
use crate::aggregate::snapshot::Snapshot;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// (keys, what they do), as shown by `?`.
pub const HELP: &[(&str, &str)] = &[
    ("Tab ← →  1-4", "switch view"),
    ("↑ ↓ j k", "select row"),
    ("PgUp PgDn Home End", "page / first / last"),
    ("Enter", "host, alert: its flows; provider: its hosts"),
    ("Esc Backspace", "back / clear filter"),
    ("s   S", "sort by next column / reverse"),
    ("/", "filter rows (Enter keeps, Esc undoes)"),
    ("p", "pause / resume the display"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
];

/// The action for a key press, given what is on screen (Enter needs the highlighted row).
pub fn action_for_key(key: KeyEvent, ui: &UiState, snap: &Snapshot) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match ui.mode {
        Mode::Filter => match key.code {
            KeyCode::Enter => Some(Action::FilterApply),
            KeyCode::Esc => Some(Action::FilterCancel),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Up => Some(Action::SelectPrev),
            KeyCode::Down => Some(Action::SelectNext),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterInput(c)),
            _ => None,
        },
        Mode::Help => match key.code {
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter => Some(Action::ToggleHelp),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        },
        Mode::Normal => match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => Some(Action::NextView),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => Some(Action::PrevView),
            KeyCode::Char(c @ '1'..='4') => {
                let i = usize::from(c as u8 - b'1');
                View::ALL.get(i).copied().map(Action::ShowView)
            }
            KeyCode::Down | KeyCode::Char('j') => Some(Action::SelectNext),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::SelectPrev),
            KeyCode::PageDown => Some(Action::PageDown),
            KeyCode::PageUp => Some(Action::PageUp),
            KeyCode::Home | KeyCode::Char('g') => Some(Action::SelectFirst),
            KeyCode::End | KeyCode::Char('G') => Some(Action::SelectLast),
            KeyCode::Char('s') => Some(Action::CycleSort),
            KeyCode::Char('S') => Some(Action::ReverseSort),
            KeyCode::Char('/') => Some(Action::StartFilter),
            KeyCode::Char('p') | KeyCode::Char(' ') => Some(Action::TogglePause),
            KeyCode::Char('?') => Some(Action::ToggleHelp),
            KeyCode::Esc | KeyCode::Backspace => Some(Action::Back),
            KeyCode::Enter => rows::enter_action(snap, ui),
            _ => None,
        },
    }
}
