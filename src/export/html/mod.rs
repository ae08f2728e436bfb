//! `report.html`: one self-contained page a person reads or prints: inline CSS and SVG drawn here, no
//! script, no fetched resource, readable offline.
//!
//! Accepts the run's summary, records, alerts and classifier; promises valid HTML5 in which every
//! string that came from a capture (names, SNI, DNS, certificate names) or from a file is escaped.
//! Exact byte counts are printed as plain integers in the tables (charts show rounded units).

mod charts;

use crate::aggregate::record::FlowRecord;
use crate::aggregate::summary::Summary;
use crate::classify::Classifier;
use crate::classify::policy::Threshold;
use crate::export::alerts::Alert;
use charts::{Bar, Column};
use std::fmt::Write as _;
use std::io::{self, Write};

const TOP_FLOWS: usize = 20;
/// The embedded country database (see geo/README.md), recognised by its build time.
const EMBEDDED_GEO_EPOCH: u64 = 1_781_725_900;

pub struct ReportInput<'a> {
    pub summary: &'a Summary,
    pub records: &'a [FlowRecord],
    pub alerts: &'a [Alert],
    pub classifier: &'a Classifier,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in HTML text: show them as U+FFFD.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub use super::human_bytes;

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1180px;color:#1d2430;padding:0 16px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #dfe3ea;padding-bottom:4px}
.sub{color:#5b6575;margin:0 0 16px}.muted{color:#5b6575;fill:#5b6575;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dfe3ea;border-radius:6px;padding:8px 14px;min-width:140px}
.card .k{font-size:12px;color:#5b6575}.card .v{font-size:20px;font-weight:600}.card.bad .v{color:#b42318}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e6e9ef;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;white-space:nowrap}
td.fp{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:11px;word-break:break-all;min-width:180px}td.t{white-space:nowrap}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px}.tag.r{background:#fde2e1;color:#912018}.tag.a{background:#e3ecfd;color:#1b4db3}
svg.chart{display:block;margin:6px 0;max-width:100%;height:auto}svg text{font-size:12px;fill:#1d2430}
.bar-r{fill:#d92d20}.bar-a{fill:#3b6fd8}.bar-o{fill:#9aa4b2}.axis{stroke:#9aa4b2;stroke-width:1}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.two{display:grid;grid-template-columns:1fr;gap:8px}
footer{margin-top:32px;color:#5b6575;font-size:12px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}
"#;

/// Writes the whole page.
pub fn write_report(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let page = render(input);
    out.write_all(page.as_bytes())
}

fn legend(items: &[(&str, &str)]) -> String {
    let mut s = String::from(r#"<p class="legend">"#);
    for (class, label) in items {
        let _ = write!(
            s,
            r#"<span><i class="sw-{class}" style="background:{}"></i>{}</span>"#,
            match *class {
                "r" => "#d92d20",
                "a" => "#3b6fd8",
                _ => "#9aa4b2",
            },
            escape(label)
        );
    }
    s.push_str("</p>");
    s
}

fn card(s: &mut String, key: &str, value: &str, bad: bool) {
    let _ = write!(
        s,
        r#"<div class="card{}"><div class="k">{}</div><div class="v">{}</div></div>"#,
        if bad { " bad" } else { "" },
        escape(key),
        escape(value)
    );
}

fn duration_text(first: &Option<String>, last: &Option<String>, records: &[FlowRecord]) -> String {
    let start = records.iter().map(|r| r.ts_start).min();
    let end = records.iter().map(|r| r.ts_end).max();
    match (first, last, start, end) {
        (Some(f), Some(l), Some(s), Some(e)) => {
            let secs = e.since(s) as f64 / 1e9;
            format!("{f} — {l} ({secs:.1} s of flows)")
        }
        (Some(f), Some(l), ..) => format!("{f} — {l}"),
        _ => "no packets".to_string(),
    }
}

fn render(input: &ReportInput<'_>) -> String {
    let s = input.summary;
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>aiwatch report</title>\n<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n<h1>aiwatch report</h1>\n");
    let _ = writeln!(
        h,
        r#"<p class="sub">Which internal hosts sent data to which AI services, how much, and under which jurisdiction. Sources: {}</p>"#,
        escape(&s.sources.join(", "))
    );

    // Totals.
    h.push_str(r#"<div class="cards">"#);
    card(
        &mut h,
        "capture span",
        &duration_text(&s.ts_first, &s.ts_last, input.records),
        false,
    );
    card(&mut h, "frames", &s.frames.to_string(), false);
    card(&mut h, "flows", &s.flows.to_string(), false);
    card(
        &mut h,
        "sent to AI services",
        &human_bytes(s.ai.sent_bytes),
        false,
    );
    card(
        &mut h,
        "sent to restricted services",
        &human_bytes(s.restricted.sent_bytes),
        s.restricted.sent_bytes > 0,
    );
    card(
        &mut h,
        "hosts using restricted services",
        &s.restricted.hosts.to_string(),
        s.restricted.hosts > 0,
    );
    card(
        &mut h,
        "alerts",
        &input.alerts.len().to_string(),
        !input.alerts.is_empty(),
    );
    h.push_str("</div>\n");
    h.push_str(r#"<p class="muted">Bytes are IP bytes sent by the client (the internal host) to the server, unless a column says payload.</p>"#);

    jurisdictions(&mut h, s);
    countries(&mut h, s);
    providers(&mut h, s);
    restricted_hosts(&mut h, s, input.alerts);
    timeline(&mut h, s);
    top_flows(&mut h, input.records);
    sources(&mut h, input);
    let _ = write!(
        h,
        "<footer>Generated by aiwatch {} from packet time only; schema {}.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(s.schema)
    );
    h
}

fn jurisdictions(h: &mut String, s: &Summary) {
    h.push_str("<h2>Bytes sent by legal jurisdiction of the AI provider</h2>\n");
    let bars: Vec<Bar<'_>> = s
        .sent_by_jurisdiction
        .iter()
        .map(|j| Bar {
            label: &j.jurisdiction,
            value: j.totals.sent_bytes,
            class: if j.restricted_sent_bytes > 0 {
                "bar-r"
            } else {
                "bar-a"
            },
        })
        .collect();
    h.push_str(&legend(&[("r", "restricted by policy"), ("a", "allowed")]));
    h.push_str(&charts::bars("Bytes sent by legal jurisdiction", &bars));
    h.push_str(r#"<table><thead><tr><th>jurisdiction</th><th>providers</th><th class="n">flows</th><th class="n">hosts</th><th class="n">sent bytes</th><th class="n">of which restricted</th><th class="n">received bytes</th></tr></thead><tbody>"#);
    for j in &s.sent_by_jurisdiction {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&j.jurisdiction),
            escape(&j.providers.join(", ")),
            j.totals.flows,
            j.totals.hosts,
            j.totals.sent_bytes,
            j.restricted_sent_bytes,
            j.totals.received_bytes
        );
    }
    h.push_str("</tbody></table>\n");
}

fn countries(h: &mut String, s: &Summary) {
    h.push_str("<h2>Bytes sent by destination country (where the server address is)</h2>\n");
    let rows: Vec<&crate::aggregate::summary::CountryRow> = s
        .sent_by_country
        .iter()
        .filter(|c| c.ai_sent_bytes > 0)
        .collect();
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .map(|c| Bar {
            label: &c.country,
            value: c.ai_sent_bytes,
            class: if c.restricted_sent_bytes > 0 {
                "bar-r"
            } else {
                "bar-a"
            },
        })
        .collect();
    h.push_str(r#"<p class="muted">To AI providers only; the table below lists all traffic.</p>"#);
    h.push_str(&charts::bars(
        "Bytes sent to AI providers by destination country",
        &bars,
    ));
    h.push_str(r#"<table><thead><tr><th>country</th><th class="n">flows</th><th class="n">hosts</th><th class="n">sent bytes (all)</th><th class="n">to AI providers</th><th class="n">to restricted</th></tr></thead><tbody>"#);
    for c in &s.sent_by_country {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&c.country),
            c.totals.flows,
            c.totals.hosts,
            c.totals.sent_bytes,
            c.ai_sent_bytes,
            c.restricted_sent_bytes
        );
    }
    h.push_str("</tbody></table>\n");
}

fn verdict_tag(restricted: bool) -> &'static str {
    if restricted {
        r#"<span class="tag r">restricted</span>"#
    } else {
        r#"<span class="tag a">allowed</span>"#
    }
}

fn providers(h: &mut String, s: &Summary) {
    h.push_str("<h2>AI providers seen</h2>\n");
    if s.sent_by_provider.is_empty() {
        h.push_str(r#"<p class="muted">No traffic to a known AI provider.</p>"#);
        return;
    }
    h.push_str(r#"<table><thead><tr><th>provider</th><th>jurisdiction</th><th>category</th><th>policy</th><th class="n">flows</th><th class="n">hosts</th><th class="n">sent bytes</th><th class="n">received bytes</th><th>last seen</th></tr></thead><tbody>"#);
    for p in &s.sent_by_provider {
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="muted">({})</span></td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td></tr>"#,
            escape(&p.name),
            escape(&p.provider),
            escape(&p.jurisdiction),
            escape(&p.category),
            verdict_tag(p.restricted),
            p.totals.flows,
            p.totals.hosts,
            p.totals.sent_bytes,
            p.totals.received_bytes,
            escape(&p.last_seen)
        );
    }
    h.push_str("</tbody></table>\n");
}

fn restricted_hosts(h: &mut String, s: &Summary, alerts: &[Alert]) {
    h.push_str("<h2>Restricted traffic by internal host</h2>\n");
    let rows: Vec<_> = s.host_provider.iter().filter(|r| r.restricted).collect();
    if rows.is_empty() {
        h.push_str(
            r#"<p class="muted">No internal host sent traffic to a restricted provider.</p>"#,
        );
    } else {
        h.push_str(r#"<table><thead><tr><th>internal host</th><th>provider</th><th>jurisdiction</th><th class="n">flows</th><th class="n">sent bytes</th><th class="n">received bytes</th></tr></thead><tbody>"#);
        for r in rows {
            let _ = write!(
                h,
                r#"<tr><td class="mono">{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                r.host,
                escape(&r.provider),
                escape(&r.jurisdiction),
                r.totals.flows,
                r.totals.sent_bytes,
                r.totals.received_bytes
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("<h2>Alerts</h2>\n");
    if alerts.is_empty() {
        h.push_str(r#"<p class="muted">No alert was raised.</p>"#);
        return;
    }
    h.push_str(r#"<table><thead><tr><th>time</th><th>internal host</th><th>provider</th><th>rule</th><th>destination</th><th>country</th><th class="n">payload bytes sent</th></tr></thead><tbody>"#);
    for a in alerts {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="mono">{}</td><td>{} ({})</td><td>{}</td><td class="mono">{}:{} {}</td><td>{}</td><td class="n">{}</td></tr>"#,
            escape(&a.ts),
            a.host,
            escape(&a.provider_name),
            escape(&a.jurisdiction),
            escape(&a.rule),
            a.destination.ip,
            a.destination.port,
            escape(a.destination.server_name.as_deref().unwrap_or("")),
            escape(&a.destination.country),
            a.sent_payload_bytes
        );
    }
    h.push_str("</tbody></table>\n");
}

fn timeline(h: &mut String, s: &Summary) {
    let _ = writeln!(
        h,
        "<h2>Timeline of bytes sent to AI services ({} s windows)</h2>",
        s.series.window_secs
    );
    let columns: Vec<Column> = s
        .series
        .intervals
        .iter()
        .map(|i| Column {
            start: i.start.clone(),
            parts: vec![
                (i.restricted_sent_bytes, "bar-r"),
                (
                    i.ai_sent_bytes.saturating_sub(i.restricted_sent_bytes),
                    "bar-a",
                ),
            ],
        })
        .collect();
    h.push_str(&legend(&[
        ("r", "to restricted services"),
        ("a", "to other AI services"),
    ]));
    h.push_str(&charts::timeline(
        "Bytes sent to AI services per window",
        &columns,
    ));
    let _ = write!(
        h,
        r#"<p class="muted">Each flow's bytes are spread over the windows it was open, in proportion to time ({}).</p>"#,
        escape(s.series.method)
    );
}

fn top_flows(h: &mut String, records: &[FlowRecord]) {
    let mut top: Vec<&FlowRecord> = records.iter().collect();
    top.sort_by(|a, b| {
        b.c2s_bytes
            .cmp(&a.c2s_bytes)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    top.truncate(TOP_FLOWS);
    let _ = writeln!(h, "<h2>Top {} flows by bytes sent</h2>", top.len());
    h.push_str(r#"<table><thead><tr><th>start</th><th>client</th><th>server</th><th>name</th><th>provider</th><th>country</th><th>JA4 / JA3</th><th class="n">sent bytes</th><th class="n">received bytes</th></tr></thead><tbody>"#);
    for r in top {
        let tls = r.tls.as_ref().map(|t| t.record());
        let fp = tls
            .as_ref()
            .map(|t| {
                format!(
                    "{}<br>{}",
                    escape(t.ja4.as_deref().unwrap_or("")),
                    escape(t.ja3_hash.as_deref().unwrap_or(""))
                )
            })
            .unwrap_or_default();
        let provider = r
            .provider
            .as_ref()
            .map(|p| {
                format!(
                    "{} ({}) {}",
                    escape(&p.name),
                    escape(&p.jurisdiction),
                    verdict_tag(r.restricted)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            h,
            r#"<tr><td class="t">{}</td><td class="mono">{}:{}</td><td class="mono">{}:{} {}</td><td>{}</td><td>{}</td><td>{}</td><td class="fp">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            r.ts_start.rfc3339(),
            r.client_ip,
            r.client_port,
            r.server_ip,
            r.server_port,
            escape(r.proto),
            escape(r.server_name.as_deref().unwrap_or("")),
            provider,
            escape(&r.dst_country),
            fp,
            r.c2s_bytes,
            r.s2c_bytes
        );
    }
    h.push_str("</tbody></table>\n");
}

fn threshold_text(t: Threshold) -> String {
    match t {
        Threshold::Never => "never".to_string(),
        Threshold::AnyByte => "on the first byte sent".to_string(),
        Threshold::BytesPerHostPerHour(n) => format!("more than {n} bytes per host per hour"),
    }
}

fn sources(h: &mut String, input: &ReportInput<'_>) {
    let c = input.classifier;
    h.push_str("<h2>Data sources and licences</h2>\n<table><tbody>");
    let (db_type, epoch) = c.geo.describe();
    let built = crate::time::Timestamp::from_secs(epoch)
        .rfc3339()
        .to_string();
    let geo = if epoch == EMBEDDED_GEO_EPOCH {
        format!(
            "Embedded ip-location-db geo-whois-asn-country ({}, built {}). Licence CC BY 4.0: contains data from the Number Resource Organization (nro.net), © NRO, used under the Creative Commons Attribution 4.0 International License.",
            escape(db_type),
            escape(&built)
        )
    } else {
        format!(
            "User-supplied database ({}, built {}); see its own licence.",
            escape(db_type),
            escape(&built)
        )
    };
    let _ = write!(h, "<tr><th>country database</th><td>{geo}</td></tr>");
    let asn = match &c.asn {
        Some(_) => "User-supplied ASN database; see its own licence.",
        None => "None (no AS numbers in this report).",
    };
    let _ = write!(h, "<tr><th>ASN database</th><td>{asn}</td></tr>");
    let (providers, domains, prefixes, ja4) = c.signatures.counts();
    let _ = write!(
        h,
        "<tr><th>signatures</th><td>aiwatch {} signature set: {providers} providers, {domains} domains, {prefixes} address prefixes, {ja4} JA4 fingerprints (sources cited per provider in signatures/*.toml).</td></tr>",
        env!("CARGO_PKG_VERSION")
    );
    let t = c.policy.thresholds;
    let _ = write!(
        h,
        "<tr><th>policy alerts</th><td>restricted providers: {}; allowed providers: {}.</td></tr>",
        escape(&threshold_text(t.restricted)),
        escape(&threshold_text(t.allowed))
    );
    h.push_str("<tr><th>fingerprints</th><td>JA3 (Salesforce, BSD-3-Clause); JA4 (FoxIO, BSD-3-Clause). JA4S and other JA4+ methods only with the ja4plus build feature (FoxIO License 1.1).</td></tr>");
    h.push_str("</tbody></table>\n");
}
