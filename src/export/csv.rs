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

use super::flatten::{Cells, Columns};
use crate::aggregate::record::FlowRecord;
use std::borrow::Cow;
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
    let columns: Columns = COLUMNS.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    // One row for all records: cells are cleared, not reallocated.
    let mut row = Cells::new(&columns);
    for r in records {
        row.fill(r).map_err(io::Error::other)?;
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

/// Prefixes `'` to text a spreadsheet would evaluate as a formula.
pub fn defuse_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}
