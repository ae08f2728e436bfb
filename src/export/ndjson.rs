//! Newline-delimited JSON: one object per line.

use serde::Serialize;
use std::io::{self, Write};

/// Writes each item as one JSON line.
pub fn write_lines<'a, T: Serialize + 'a>(
    out: &mut dyn Write,
    items: impl IntoIterator<Item = &'a T>,
) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut *out, item).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
