//! Sinks: what users read. Each writes to an injected writer, so tests read exactly what users read;
//! `ExportDir` turns them into files that appear whole or not at all.

pub mod dir;
pub mod ndjson;
pub mod text;
