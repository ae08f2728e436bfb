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

/// What is on screen, fed from the runtime's channel; frozen while the view is paused.
struct Feed {
    rx: watch::Receiver<Arc<Snapshot>>,
    shown: Arc<Snapshot>,
}

impl Feed {
    fn new(mut rx: watch::Receiver<Arc<Snapshot>>) -> Feed {
        let shown = Arc::clone(&rx.borrow_and_update());
        Feed { rx, shown }
    }

    /// On each tick: takes the newest snapshot unless paused, and tells the view when the sender
    /// is gone (its last snapshot stays readable). Returns whether to redraw.
    fn poll(&mut self, ui: &mut UiState) -> bool {
        match self.rx.has_changed() {
            Ok(true) if !ui.paused => {
                self.shown = Arc::clone(&self.rx.borrow_and_update());
                true
            }
            Ok(_) => false,
            Err(_) if !ui.source_ended => {
                if !ui.paused {
                    self.shown = Arc::clone(&self.rx.borrow_and_update());
                }
                ui.update(Action::SourceEnded);
                true
            }
            Err(_) => false,
        }
    }

    /// Applies a user action; resuming shows the newest snapshot at once.
    fn act(&mut self, ui: &mut UiState, action: Action) {
        let was_paused = ui.paused;
        ui.update(action);
        if was_paused && !ui.paused {
            self.shown = Arc::clone(&self.rx.borrow_and_update());
        }
    }
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    rx: watch::Receiver<Arc<Snapshot>>,
) -> io::Result<()> {
    let mut ui = UiState::default();
    let mut feed = Feed::new(rx);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    let mut dirty = true;
    loop {
        if dirty {
            ui.clamp_selection(rows::count(&feed.shown, &ui));
            terminal.draw(|frame| render(frame, &feed.shown, &ui))?;
            dirty = false;
        }
        tokio::select! {
            _ = tick.tick() => dirty = feed.poll(&mut ui),
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    if let Some(action) = action_for_key(key, &ui, &feed.shown) {
                        feed.act(&mut ui, action);
                        if ui.quit {
                            return Ok(());
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
            () = signals.recv() => return Ok(()),
        }
    }
}

/// SIGTERM and SIGHUP (the terminal went away) end the view like `q`, so the terminal is restored.
#[cfg(unix)]
struct Signals {
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals)
    }

    async fn recv(&mut self) {
        std::future::pending::<()>().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(active_flows: u64) -> Arc<Snapshot> {
        let mut s = Snapshot::default();
        s.status.active_flows = active_flows;
        Arc::new(s)
    }

    fn shown(feed: &Feed) -> u64 {
        feed.shown.status.active_flows
    }

    #[test]
    fn pause_freezes_the_view_while_snapshots_keep_coming() {
        let (tx, rx) = watch::channel(snap(1));
        let mut feed = Feed::new(rx);
        let mut ui = UiState::default();
        assert!(!feed.poll(&mut ui), "nothing new yet");
        tx.send(snap(2)).expect("receiver alive");
        assert!(feed.poll(&mut ui));
        assert_eq!(shown(&feed), 2);

        feed.act(&mut ui, Action::TogglePause);
        tx.send(snap(3)).expect("receiver alive");
        tx.send(snap(4)).expect("receiver alive");
        assert!(!feed.poll(&mut ui));
        assert_eq!(shown(&feed), 2, "frozen while paused");

        feed.act(&mut ui, Action::TogglePause);
        assert_eq!(shown(&feed), 4, "resuming jumps to the newest");
        assert!(!feed.poll(&mut ui), "and it counts as seen");
    }

    #[test]
    fn a_dropped_sender_leaves_its_last_snapshot_marked_ended() {
        let (tx, rx) = watch::channel(snap(1));
        let mut feed = Feed::new(rx);
        let mut ui = UiState::default();
        tx.send(snap(7)).expect("receiver alive");
        drop(tx);
        assert!(feed.poll(&mut ui));
        assert_eq!(shown(&feed), 7, "the final snapshot is not lost");
        assert!(ui.source_ended);
        assert!(!feed.poll(&mut ui), "reported once");
    }

    #[test]
    fn ended_while_paused_shows_the_last_snapshot_on_resume() {
        let (tx, rx) = watch::channel(snap(1));
        let mut feed = Feed::new(rx);
        let mut ui = UiState::default();
        feed.act(&mut ui, Action::TogglePause);
        tx.send(snap(9)).expect("receiver alive");
        drop(tx);
        assert!(feed.poll(&mut ui));
        assert_eq!(shown(&feed), 1);
        feed.act(&mut ui, Action::TogglePause);
        assert_eq!(shown(&feed), 9);
    }
}
