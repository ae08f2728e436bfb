//! `EngineConfig::full_records = false` (what `aiwatch replay` uses without export) may skip only
//! work whose result nobody reads: the server certificate's names, when the ClientHello's SNI or a
//! DNS name already names the server. Everything the summary reads must be the same as with full
//! records, and the certificate names must still be read when they are the server name.

mod common;

use std::sync::Arc;

use aiwatch::aggregate::record::FlowRecord;
use aiwatch::capture::FileSource;
use aiwatch::classify::Classifier;
use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::EndReason;

fn records(files: &[std::path::PathBuf], full_records: bool) -> Vec<FlowRecord> {
    let config = EngineConfig {
        full_records,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, Arc::new(Classifier::default()));
    let mut out = Vec::new();
    for path in files {
        let mut source = FileSource::open(path).unwrap_or_else(|e| panic!("{e}"));
        while let Ok(Some(frame)) = source.next_frame() {
            engine.handle_frame(&frame);
        }
        engine.finish(EndReason::EndOfCapture);
        out.extend(engine.drain_records());
    }
    out
}

fn cert_names(r: &FlowRecord) -> Vec<String> {
    r.tls
        .as_ref()
        .and_then(|t| t.server.as_ref())
        .map(|s| s.cert_names.clone())
        .unwrap_or_default()
}

#[test]
fn skipped_certificate_parsing_changes_nothing_the_summary_reads() {
    let dir = common::shared_dir().join("captures/ndpi/pcap");
    let files: Vec<_> = common::files_in(&dir, &[".pcap", ".pcapng"])
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("tls") || name.contains("ssl") || name.contains("starttls")
        })
        .collect();
    assert!(files.len() >= 10, "TLS captures in {}", dir.display());
    let full = records(&files, true);
    let lean = records(&files, false);
    assert_eq!(full.len(), lean.len());

    let (mut certs_read, mut certs_skipped, mut certs_as_name) = (0, 0, 0);
    for (f, l) in full.iter().zip(&lean) {
        let at = format!(
            "{}:{} -> {}:{}",
            f.client_ip, f.client_port, f.server_ip, f.server_port
        );
        // What the summary reads, and the names classification saw.
        assert_eq!(f.server_name, l.server_name, "{at}");
        assert_eq!(f.name_source, l.name_source, "{at}");
        assert_eq!(f.provider, l.provider, "{at}");
        assert_eq!(f.matched, l.matched, "{at}");
        assert_eq!(f.dst_country, l.dst_country, "{at}");
        assert_eq!(f.restricted, l.restricted, "{at}");
        assert_eq!(f.policy_rule, l.policy_rule, "{at}");
        assert_eq!(f.encrypted_dns_kind, l.encrypted_dns_kind, "{at}");
        assert_eq!(
            (f.c2s_bytes, f.s2c_bytes, f.c2s_packets, f.s2c_packets),
            (l.c2s_bytes, l.s2c_bytes, l.c2s_packets, l.s2c_packets),
            "{at}"
        );
        assert_eq!(
            (f.proto, f.end_reason, f.app),
            (l.proto, l.end_reason, l.app),
            "{at}"
        );
        let (full_names, lean_names) = (cert_names(f), cert_names(l));
        if full_names.is_empty() {
            assert!(lean_names.is_empty(), "{at}");
            continue;
        }
        certs_read += 1;
        if f.name_source == Some("tls_cert") {
            certs_as_name += 1;
            assert_eq!(
                full_names, lean_names,
                "{at}: the names are the server name"
            );
        } else if lean_names.is_empty() {
            certs_skipped += 1;
        }
    }
    // The captures exercise both sides: names skipped, and names kept because they name the server.
    assert!(
        certs_read > 0 && certs_skipped > 0 && certs_as_name > 0,
        "read {certs_read}, skipped {certs_skipped}, as name {certs_as_name}"
    );
    eprintln!(
        "certificates: {certs_read} read with full records, {certs_skipped} skipped, {certs_as_name} as server name"
    );
}
