//! The text summary printed at the end of a run without `--export` (and to stderr with it).

use crate::aggregate::summary::Summary;
use std::io::{self, Write};

pub fn write_summary(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    writeln!(out, "aiwatch summary: {}", s.sources.join(", "))?;
    if let (Some(first), Some(last)) = (&s.ts_first, &s.ts_last) {
        writeln!(out, "  time      {first} .. {last}")?;
    }
    writeln!(
        out,
        "  frames    {} ({} bytes on the wire)",
        s.frames, s.frame_bytes
    )?;
    writeln!(
        out,
        "  packets   {} in flows, {} not IP, {} fragments held",
        s.packets, s.not_ip, s.fragments_held
    )?;
    let protos: Vec<String> = s
        .flows_by_proto
        .iter()
        .map(|(p, n)| format!("{p} {n}"))
        .collect();
    writeln!(out, "  flows     {} ({})", s.flows, protos.join(", "))?;
    if s.flows_evicted > 0 {
        writeln!(
            out,
            "  evicted   {} flows (flow table full)",
            s.flows_evicted
        )?;
    }
    let total_malformed: u64 = s.malformed.values().sum();
    if total_malformed == 0 {
        writeln!(out, "  malformed 0")?;
    } else {
        let reasons: Vec<String> = s
            .malformed
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        writeln!(
            out,
            "  malformed {total_malformed} ({})",
            reasons.join(", ")
        )?;
    }
    if !s.top_talkers.is_empty() {
        writeln!(
            out,
            "  top talkers (as client)          flows        sent    received"
        )?;
        for t in &s.top_talkers {
            writeln!(
                out,
                "    {:<30} {:>7} {:>11} {:>11}",
                t.ip, t.flows, t.sent_bytes, t.received_bytes
            )?;
        }
    }
    Ok(())
}
