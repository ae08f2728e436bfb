//! `flows.csv`: the flow records (schema `aiwatch.flow/1`) flattened for spreadsheets.
//!
//! Accepts flow records; promises RFC 4180 output (the `csv` crate: fields with a comma, quote or
//! line break are quoted, quotes doubled, CRLF line ends) with one header row whose columns are
//! [`COLUMNS`]: every field any record may have, in schema order, present or not. Nested objects
//! become dotted columns (`tls.ja4`, `provider.id`), lists are joined with `;`, a list of objects
//! (`dns.queries`) becomes one column per member (`dns.queries.name`, `dns.queries.qtype`) joined in
//! the same order, absent values and nulls are empty cells, booleans `true`/`false`.
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR:
//! names are attacker-controlled) is prefixed with `'`, the OWASP advice for CSV injection.
//! Never writes a column that is not in [`COLUMNS`] (the tests check that the schema and this list
//! agree).

use crate::aggregate::record::FlowRecord;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The header row, in schema order.
pub const COLUMNS: &[&str] = &[
    "schema",
    "ts_start",
    "ts_end",
    "proto",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "vlan",
    "tunnel",
    "c2s_packets",
    "c2s_bytes",
    "c2s_payload_bytes",
    "s2c_packets",
    "s2c_bytes",
    "s2c_payload_bytes",
    "end_reason",
    "app",
    "server_name",
    "name_source",
    "dns_name",
    "dns_chain",
    "http_host",
    "tls.version",
    "tls.sni",
    "tls.alpn",
    "tls.ja3",
    "tls.ja3_hash",
    "tls.ja4",
    "tls.ja4_r",
    "tls.ja4s",
    "tls.cipher",
    "tls.ech",
    "tls.cert_names",
    "quic_version",
    "dns.queries.name",
    "dns.queries.qtype",
    "dns.rcodes",
    "dns.answers",
    "encrypted_dns",
    "encrypted_dns_kind",
    "provider.id",
    "provider.name",
    "provider.jurisdiction",
    "provider.category",
    "match.value",
    "match.key",
    "match.kind",
    "dst_country",
    "dst_asn",
    "dst_as_org",
    "restricted",
    "policy_rule",
];

/// Writes the header and one row per record.
pub fn write_csv(out: &mut dyn Write, records: &[FlowRecord]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in records {
        let cells = flatten(&serde_json::to_value(r).map_err(io::Error::other)?);
        w.write_record(COLUMNS.iter().map(|c| {
            cells
                .get(*c)
                .map(|v| defuse_formula(v).into_owned())
                .unwrap_or_default()
        }))?;
    }
    w.flush()
}

/// The record's JSON flattened to `column → cell text` (see the module contract).
pub fn flatten(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten_into(&mut out, "", v);
    out
}

fn flatten_into(out: &mut BTreeMap<String, String>, prefix: &str, v: &Value) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten_into(out, &key(k), v);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            // A list of objects: one column per member, values joined in list order.
            let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for item in items {
                if let Value::Object(map) = item {
                    for (k, v) in map {
                        members.entry(key(k)).or_default().push(scalar(v));
                    }
                }
            }
            for (k, vals) in members {
                out.insert(k, vals.join(";"));
            }
        }
        Value::Array(items) => {
            let vals: Vec<String> = items.iter().map(scalar).collect();
            out.insert(prefix.to_string(), vals.join(";"));
        }
        // A null (an absent object such as `provider`) is an empty cell of every column under it.
        Value::Null => {}
        other => {
            out.insert(prefix.to_string(), scalar(other));
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prefixes `'` to text a spreadsheet would evaluate as a formula.
pub fn defuse_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}
