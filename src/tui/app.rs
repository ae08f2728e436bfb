//! The terminal loop: raw mode and the alternate screen, key events → actions, redraws paced by a
//! 100 ms tick. The only code in `tui` that touches the terminal or a clock.

use super::keys::action_for_key;
use super::render::render;
use super::rows;
use super::state::{Action, UiState};
use crate::aggregate::snapshot::Snapshot;
use crossterm::event::{Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Redraw pacing: at most one frame per tick for new snapshots (input redraws at once).
const TICK: Duration = Duration::from_millis(100);

type PanicHook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Runs the live view until the user quits. Blocks; builds its own single-threaded tokio runtime,
/// so call it from a plain thread (from inside a runtime, use [`run_async`]). Returns when the
/// user quits (`q`, Ctrl-C) or the process gets SIGTERM/SIGHUP; the terminal is restored in every
/// case, also on error and on panic. When the sender is dropped (a replay ended) the last snapshot
/// stays on screen, marked "ended", until the user quits.
pub fn run(rx: watch::Receiver<Arc<Snapshot>>) -> io::Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(io::Error::other(
            "tui::run called inside a tokio runtime: use tui::run_async",
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_async(rx))
}

/// [`run`] for callers already inside a tokio runtime (with the time and signal drivers enabled).
pub async fn run_async(rx: watch::Receiver<Arc<Snapshot>>) -> io::Result<()> {
    let previous_hook: Arc<PanicHook> = Arc::new(std::panic::take_hook());
    {
        let previous = Arc::clone(&previous_hook);
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    }
    let result = match enter_terminal() {
        Ok(mut terminal) => {
            let r = event_loop(&mut terminal, rx).await;
            let _ = terminal.show_cursor();
            r
        }
        Err(e) => Err(e),
    };
    restore_terminal();
    // Drop our hook (and its clone of the previous one), then put the previous one back.
    drop(std::panic::take_hook());
    if let Ok(previous) = Arc::try_unwrap(previous_hook) {
        std::panic::set_hook(previous);
    }
    result
}

fn enter_terminal() -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(e) = execute!(stdout, EnterAlternateScreen) {
        restore_terminal();
        return Err(e);
    }
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout))?;
    terminal.hide_cursor()?;
    terminal.clear()?;
    Ok(terminal)
}

/// Best effort: leaving raw mode and the alternate screen twice is harmless.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    mut rx: watch::Receiver<Arc<Snapshot>>,
) -> io::Result<()> {
    let mut ui = UiState::default();
    let mut shown: Arc<Snapshot> = Arc::clone(&rx.borrow_and_update());
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    loop {
        if dirty {
            ui.clamp_selection(rows::count(&shown, &ui));
            terminal.draw(|frame| render(frame, &shown, &ui))?;
            dirty = false;
        }
        tokio::select! {
            _ = tick.tick() => {
                match rx.has_changed() {
                    Ok(true) if !ui.paused => {
                        shown = Arc::clone(&rx.borrow_and_update());
                        dirty = true;
                    }
                    Ok(_) => {}
                    Err(_) if !ui.source_ended => {
                        // The sender is gone: show its last snapshot (unless paused) and say so.
                        if !ui.paused {
                            shown = Arc::clone(&rx.borrow_and_update());
                        }
                        ui.update(Action::SourceEnded);
                        dirty = true;
                    }
                    Err(_) => {}
                }
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = action_for_key(key, &ui, &shown) {
                        let was_paused = ui.paused;
                        ui.update(action);
                        if ui.quit {
                            return Ok(());
                        }
                        if was_paused && !ui.paused {
                            shown = Arc::clone(&rx.borrow_and_update());
                        }
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(_, _))) => {
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        }
    }
}

fn signal(kind: tokio::signal::unix::SignalKind) -> io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}
