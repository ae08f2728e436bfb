//! flows.csv holds the same values as flows.ndjson, for every capture of the project: the CSV is read
//! back with the csv crate and each cell compared with the JSON record flattened by this test's own
//! code (not the exporter's).

mod export_support;

use aiwatch::export::ExportOptions;
use export_support::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// The documented flattening, written independently: objects → dotted names, scalar lists joined
/// with `;`, lists of objects → one column per member, null/absent → empty.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    let join = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("nested value in a list: {other}"),
    };
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| flatten(&join(prefix, k), v, out)),
        Value::Array(a) if a.first().is_some_and(Value::is_object) => {
            let mut cols: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for item in a {
                for (k, v) in item.as_object().expect("a list of objects") {
                    cols.entry(join(prefix, k)).or_default().push(text(v));
                }
            }
            cols.into_iter().for_each(|(k, v)| {
                out.insert(k, v.join(";"));
            });
        }
        Value::Array(a) => {
            out.insert(
                prefix.to_string(),
                a.iter().map(text).collect::<Vec<_>>().join(";"),
            );
        }
        Value::Null => {} // absent: empty cells
        v => {
            out.insert(prefix.to_string(), text(v));
        }
    }
}

/// OWASP CSV-injection rule the exporter documents: a leading = + - @ tab CR gets a `'`.
fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[test]
fn csv_cells_equal_the_ndjson_values_for_every_own_capture() {
    let captures = own_captures();
    assert!(
        captures.len() >= 7,
        "captures/ should hold the seven own captures"
    );
    let mut rows_checked = 0;
    for cap in &captures {
        let dir = scratch(&format!(
            "csv-{}",
            cap.file_stem().unwrap().to_string_lossy()
        ));
        export(std::slice::from_ref(cap), &dir, ExportOptions::default());
        let json = ndjson(&dir.join("flows.ndjson"));
        let mut reader = csv::Reader::from_path(dir.join("flows.csv")).expect("flows.csv opens");
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        // The header is the full schema, present or not: the same for every capture.
        assert_eq!(header, aiwatch::export::csv::COLUMNS, "{}", cap.display());
        let rows: Vec<csv::StringRecord> =
            reader.records().map(|r| r.expect("row parses")).collect();
        assert_eq!(
            rows.len(),
            json.len(),
            "{}: one row per record",
            cap.display()
        );
        for (row, record) in rows.iter().zip(&json) {
            let mut flat = BTreeMap::new();
            flatten("", record, &mut flat);
            for key in flat.keys() {
                assert!(
                    header.contains(key),
                    "{}: column {key} missing from the header",
                    cap.display()
                );
            }
            for (i, col) in header.iter().enumerate() {
                let want = spreadsheet_safe(flat.get(col).map(String::as_str).unwrap_or(""));
                assert_eq!(
                    row.get(i),
                    Some(want.as_str()),
                    "{}: column {col}",
                    cap.display()
                );
            }
            rows_checked += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    // FACTS.md: 10 + 22 flows in ai-tls-mix and chromium-dns alone.
    assert!(rows_checked >= 32, "only {rows_checked} rows");
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks_and_defuses_formulas() {
    // A record from a real capture, with an attacker-chosen server name.
    let (mut records, _) = {
        let o = aiwatch::runtime::replay::run(
            &replay_opts(&[capture("ai-tls-mix.pcap")]),
            &mut std::io::sink(),
        )
        .expect("replay");
        (o.records.clone(), o)
    };
    records.truncate(1);
    records[0].server_name = Some("=cmd|' /C calc'!A0,\"x\"\nnext".to_string());
    let mut out = Vec::new();
    aiwatch::export::csv::write_csv(&mut out, &records).expect("writes");
    let text = String::from_utf8(out).expect("utf-8");
    // RFC 4180: the field is quoted, the inner quotes doubled (hand-written expectation).
    assert!(
        text.contains("\"'=cmd|' /C calc'!A0,\"\"x\"\"\nnext\""),
        "{text}"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().expect("a row").expect("parses");
    let col = aiwatch::export::csv::COLUMNS
        .iter()
        .position(|c| *c == "server_name")
        .expect("column");
    assert_eq!(&row[col], "'=cmd|' /C calc'!A0,\"x\"\nnext");
}
