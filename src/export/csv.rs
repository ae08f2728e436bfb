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
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap as StdHashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Column lookups by fixed names: foldhash, not SipHash (the keys are ours, not an attacker's).
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::FixedState>;

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
    let columns: HashMap<&str, usize> = COLUMNS.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    // One row and one key buffer for all records: cells are cleared, not reallocated.
    let mut row = Row {
        columns: &columns,
        cells: vec![String::new(); COLUMNS.len()],
        key: String::new(),
    };
    for r in records {
        let v = serde_json::to_value(r).map_err(io::Error::other)?;
        row.cells.iter_mut().for_each(String::clear);
        row.flatten(&v);
        for cell in &row.cells {
            match defuse_formula(cell) {
                Cow::Borrowed(c) => w.write_field(c)?,
                Cow::Owned(c) => w.write_field(c)?,
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()
}

/// A record's JSON flattened into cells by column (see the module contract).
struct Row<'a> {
    columns: &'a HashMap<&'static str, usize>,
    cells: Vec<String>,
    /// The dotted path of the value being flattened.
    key: String,
}

impl Row<'_> {
    fn flatten(&mut self, v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let len = self.push_key(k);
                    self.flatten(v);
                    self.key.truncate(len);
                }
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                // A list of objects: one column per member, values joined in list order.
                let mut members: BTreeMap<usize, Vec<String>> = BTreeMap::new();
                for item in items {
                    if let Value::Object(map) = item {
                        for (k, v) in map {
                            let len = self.push_key(k);
                            if let Some(&col) = self.columns.get(self.key.as_str()) {
                                members.entry(col).or_default().push(scalar(v));
                            }
                            self.key.truncate(len);
                        }
                    }
                }
                for (col, vals) in members {
                    self.cells[col] = vals.join(";");
                }
            }
            Value::Array(items) => {
                if let Some(&col) = self.columns.get(self.key.as_str()) {
                    let vals: Vec<String> = items.iter().map(scalar).collect();
                    self.cells[col] = vals.join(";");
                }
            }
            // A null (an absent object such as `provider`) is an empty cell of every column under it.
            Value::Null => {}
            other => {
                if let Some(&col) = self.columns.get(self.key.as_str()) {
                    let cell = &mut self.cells[col];
                    match other {
                        Value::String(s) => cell.push_str(s),
                        other => {
                            let _ = write!(cell, "{other}");
                        }
                    }
                }
            }
        }
    }

    /// Appends `.k` (or `k` at the top) to the key path; returns the length to truncate back to.
    fn push_key(&mut self, k: &str) -> usize {
        let len = self.key.len();
        if len > 0 {
            self.key.push('.');
        }
        self.key.push_str(k);
        len
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
pub fn defuse_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}
