//! aiwatch: which hosts send data to which AI services, how much, and under which jurisdiction.
//!
//! Data flows one way: capture → decode → flow → dissect → classify → aggregate → sinks (see the
//! README and DESIGN.md). Everything below `runtime` is sans-IO and takes packet time as an argument.

pub mod aggregate;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod decode;
pub mod dissect;
pub mod engine;
pub mod export;
pub mod flow;
pub mod frame;
pub mod runtime;
pub mod time;
pub mod tui;
