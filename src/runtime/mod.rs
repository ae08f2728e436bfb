//! Runtimes: drive the sans-IO engine from a source (capture files now; live interfaces later) and
//! push its output into the sinks. The only layer that does I/O.

pub mod replay;
