//! Runtimes: drive the sans-IO engine from a source (capture files, or a live interface) and push its
//! output into the sinks. The only layer that does I/O; `live` is the only module that reads the wall
//! clock (live timeouts, status lines, replay pacing).

pub mod live;
pub mod replay;
pub mod tui_hook;
