//! The text summary printed at the end of a run without `--export`: bytes sent to each jurisdiction
//! first (the question aiwatch answers), then providers, hosts, and the capture's health.

use crate::aggregate::summary::Summary;
use std::io::{self, Write};

use super::human_bytes;

fn flag(restricted: bool) -> &'static str {
    if restricted { "  RESTRICTED" } else { "" }
}

pub fn write_summary(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    writeln!(out, "aiwatch summary: {}", s.sources.join(", "))?;
    if let (Some(first), Some(last)) = (&s.ts_first, &s.ts_last) {
        writeln!(out, "  time      {first} .. {last}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Bytes sent to AI services by legal jurisdiction (who controls the service):"
    )?;
    if s.sent_by_jurisdiction.is_empty() {
        writeln!(out, "  none seen")?;
    }
    for j in &s.sent_by_jurisdiction {
        writeln!(
            out,
            "  {:<4} {:>10} sent  {:>10} received  {:>4} flows  {:>3} hosts  {}{}",
            j.jurisdiction,
            human_bytes(j.totals.sent_bytes),
            human_bytes(j.totals.received_bytes),
            j.totals.flows,
            j.totals.hosts,
            j.providers.join(", "),
            flag(j.restricted_sent_bytes > 0)
        )?;
    }
    let ai_countries: Vec<_> = s
        .sent_by_country
        .iter()
        .filter(|c| c.ai_sent_bytes > 0)
        .collect();
    if !ai_countries.is_empty() {
        writeln!(
            out,
            "Bytes sent to AI services by destination country (where the address is):"
        )?;
        for c in ai_countries {
            writeln!(
                out,
                "  {:<9} {:>10} sent{}",
                c.country,
                human_bytes(c.ai_sent_bytes),
                flag(c.restricted_sent_bytes > 0)
            )?;
        }
    }
    if !s.sent_by_provider.is_empty() {
        writeln!(out, "AI providers:")?;
        for p in &s.sent_by_provider {
            writeln!(
                out,
                "  {:<28} {:<3} {:>10} sent  {:>4} flows  {:>3} hosts{}",
                p.name,
                p.jurisdiction,
                human_bytes(p.totals.sent_bytes),
                p.totals.flows,
                p.totals.hosts,
                flag(p.restricted)
            )?;
        }
    }
    let restricted_hosts: Vec<_> = s.host_provider.iter().filter(|h| h.restricted).collect();
    if !restricted_hosts.is_empty() {
        writeln!(out, "Internal hosts sending to restricted services:")?;
        for h in restricted_hosts {
            writeln!(
                out,
                "  {:<30} {:<14} {:>10} sent",
                h.host,
                h.provider,
                human_bytes(h.totals.sent_bytes)
            )?;
        }
    }
    if !s.encrypted_dns_by_client.is_empty() {
        writeln!(out, "Encrypted DNS (names behind it cannot be attributed):")?;
        for e in &s.encrypted_dns_by_client {
            writeln!(
                out,
                "  {:<30} {:>4} flows  {}",
                e.host,
                e.flows,
                e.kinds.join(", ")
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Capture:")?;
    writeln!(
        out,
        "  frames    {} ({} on the wire)",
        s.frames,
        human_bytes(s.frame_bytes)
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
    if !s.dissect_drops.is_empty() {
        let reasons: Vec<String> = s
            .dissect_drops
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        writeln!(out, "  undissected {}", reasons.join(", "))?;
    }
    if !s.top_talkers.is_empty() {
        writeln!(
            out,
            "  top talkers (as client)          flows        sent    received"
        )?;
        for t in s.top_talkers.iter().take(5) {
            writeln!(
                out,
                "    {:<30} {:>5} {:>11} {:>11}",
                t.ip,
                t.flows,
                human_bytes(t.sent_bytes),
                human_bytes(t.received_bytes)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn binary_units() {
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(47_311), "46.2 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
    }
}
