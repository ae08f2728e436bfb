//! Reading a rendered `TestBackend` buffer: rows as text, where a string sits, cell styles, and the
//! reviewed text snapshots under `tests/snapshots/`.

use aiwatch::aggregate::snapshot::Snapshot;
use aiwatch::tui::render::render;
use aiwatch::tui::state::UiState;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::path::PathBuf;

pub fn draw(snap: &Snapshot, ui: &UiState, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| render(frame, snap, ui))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The buffer's rows as text, with each character's cell x.
pub fn rows(buf: &Buffer) -> Vec<(String, Vec<u16>)> {
    let area = buf.area;
    (area.y..area.y + area.height)
        .map(|y| {
            let mut text = String::new();
            let mut xs = Vec::new();
            for x in area.x..area.x + area.width {
                for c in buf[(x, y)].symbol().chars() {
                    text.push(c);
                    xs.push(x);
                }
            }
            (text, xs)
        })
        .collect()
}

pub fn screen_text(buf: &Buffer) -> String {
    rows(buf)
        .into_iter()
        .map(|(t, _)| t.trim_end().to_string() + "\n")
        .collect()
}

/// The text of the first row containing every needle (panics with the screen otherwise).
pub fn row_with(buf: &Buffer, needles: &[&str]) -> (u16, String) {
    rows(buf)
        .into_iter()
        .enumerate()
        .find(|(_, (t, _))| needles.iter().all(|n| t.contains(n)))
        .map(|(y, (t, _))| (y as u16, t))
        .unwrap_or_else(|| panic!("no row with {needles:?} in\n{}", screen_text(buf)))
}

/// The cell position of `needle` in row `y` (the first occurrence at or after column `from`).
pub fn cell_of(buf: &Buffer, y: u16, needle: &str, from: u16) -> (u16, u16) {
    let (text, xs) = rows(buf).swap_remove(usize::from(y));
    let start = xs.iter().position(|x| *x >= from).unwrap_or(0);
    let char_start: usize = text.chars().take(start).map(char::len_utf8).sum();
    let byte = text
        .get(char_start..)
        .and_then(|t| t.find(needle))
        .map(|b| b + char_start)
        .unwrap_or_else(|| panic!("{needle:?} not in row {y}: {text:?}"));
    let char_index = text.get(..byte).map_or(0, |t| t.chars().count());
    (xs[char_index], y)
}

pub fn fg(buf: &Buffer, pos: (u16, u16)) -> Color {
    buf[pos].fg
}

pub fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"))
}

/// Compares the screen with its reviewed text file.
pub fn assert_snapshot(name: &str, buf: &Buffer) {
    let text = screen_text(buf);
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_TUI_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set UPDATE_TUI_SNAPSHOTS=1)", path.display()));
    assert_eq!(
        text,
        expected,
        "screen {name} differs from {}",
        path.display()
    );
}
