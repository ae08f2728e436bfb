//! The terminal UI: a live view of the bytes internal hosts send to AI services, by jurisdiction.
//!
//! Contract:
//! - reads only [`Snapshot`](crate::aggregate::snapshot::Snapshot)s, which the runtime publishes on
//!   a `tokio::sync::watch` channel; never touches packets, flows or the engine;
//! - [`state::UiState::update`] is the one state machine (key → [`state::Action`] in `keys`), and
//!   [`render::render`] paints a frame from `(&Snapshot, &UiState)` without changing either;
//! - [`run`] owns the terminal: raw mode and the alternate screen, restored on every way out
//!   (quit, error, panic, SIGTERM/SIGHUP); it redraws at most ten times a second and on input;
//!   pausing freezes the displayed snapshot while the runtime keeps capturing;
//! - this module (in `app`) reads the wall clock only to pace redraws.
//!
//! Screens: overview (totals, bars by legal jurisdiction and by destination country, the rate of
//! bytes sent to restricted services, newest alerts), AI providers, hosts (with a per-host flow
//! drill-down), alerts. Restricted services are red.

mod app;
pub mod format;
pub mod keys;
pub mod render;
pub mod rows;
pub mod state;

pub use app::{run, run_async};
