//! `--format ecs`: flow records as Elastic Common Schema documents (nested JSON objects, one per line),
//! so a flows.ndjson can be shipped to Elasticsearch/OpenSearch without a pipeline.
//!
//! Accepts flow records; promises ECS field names where ECS has one (checked by the tests against the
//! official field list, ECS 8.12, in `tests/data/ecs_fields_used.txt`) and an `aiwatch.*` namespace
//! for the rest (JA4, provider, jurisdiction, verdict, name provenance). The mapping is documented in
//! `docs/ecs.md`. The client of a flow (first sender) is ECS `source`, the server `destination`.
//! Absent facts are left out, never written as null.

use crate::aggregate::record::FlowRecord;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// The ECS release whose field list the mapping was checked against.
pub const ECS_VERSION: &str = "8.12.0";

/// Writes one ECS document per line.
pub fn write_lines(out: &mut dyn Write, records: &[FlowRecord]) -> io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, &document(r)).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Sets `path` (dotted) in `root`, creating the objects on the way.
fn put(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_string(), value);
            return;
        }
        let entry = node
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        node = next;
    }
}

fn put_opt<T: Into<Value>>(root: &mut Map<String, Value>, path: &str, value: Option<T>) {
    if let Some(v) = value {
        put(root, path, v.into());
    }
}

/// True for an ISO 3166-1 alpha-2 code (the record's country may also be a label like `private`).
fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The ECS document of one flow record.
pub fn document(r: &FlowRecord) -> Value {
    let mut d = Map::new();
    let start = r.ts_start.rfc3339().to_string();
    put(&mut d, "@timestamp", json!(start));
    put(&mut d, "ecs.version", json!(ECS_VERSION));
    put(&mut d, "event.kind", json!("event"));
    put(&mut d, "event.category", json!(["network"]));
    put(&mut d, "event.type", json!(["connection"]));
    put(&mut d, "event.dataset", json!("aiwatch.flow"));
    put(&mut d, "event.start", json!(start));
    put(&mut d, "event.end", json!(r.ts_end.rfc3339().to_string()));
    put(&mut d, "event.duration", json!(r.ts_end.since(r.ts_start)));
    put(&mut d, "event.reason", json!(r.end_reason));

    put(&mut d, "source.ip", json!(r.client_ip.to_string()));
    put(&mut d, "source.port", json!(r.client_port));
    put(&mut d, "source.bytes", json!(r.c2s_bytes));
    put(&mut d, "source.packets", json!(r.c2s_packets));
    put(&mut d, "destination.ip", json!(r.server_ip.to_string()));
    put(&mut d, "destination.port", json!(r.server_port));
    put(&mut d, "destination.bytes", json!(r.s2c_bytes));
    put(&mut d, "destination.packets", json!(r.s2c_packets));
    put_opt(&mut d, "destination.domain", r.server_name.clone());
    if is_country_code(&r.dst_country) {
        put(
            &mut d,
            "destination.geo.country_iso_code",
            json!(r.dst_country),
        );
    }
    put_opt(&mut d, "destination.as.number", r.dst_asn);
    put_opt(
        &mut d,
        "destination.as.organization.name",
        r.dst_as_org.clone(),
    );

    put(&mut d, "network.transport", json!(r.proto));
    put(
        &mut d,
        "network.type",
        json!(if r.client_ip.is_ipv4() {
            "ipv4"
        } else {
            "ipv6"
        }),
    );
    put_opt(&mut d, "network.protocol", r.app);
    put(&mut d, "network.bytes", json!(r.c2s_bytes + r.s2c_bytes));
    put(
        &mut d,
        "network.packets",
        json!(r.c2s_packets + r.s2c_packets),
    );
    put_opt(&mut d, "network.vlan.id", r.vlan.map(|v| v.to_string()));

    let mut hosts: Vec<String> = Vec::new();
    hosts.extend(r.server_name.iter().cloned());
    if let Some(n) = &r.dns_name
        && !hosts.contains(n)
    {
        hosts.push(n.clone());
    }
    put(
        &mut d,
        "related.ip",
        json!([r.client_ip.to_string(), r.server_ip.to_string()]),
    );
    if !hosts.is_empty() {
        put(&mut d, "related.hosts", json!(hosts));
    }

    if let Some(tls) = r.tls.as_ref().map(|t| t.record()) {
        put_opt(&mut d, "tls.version", tls.version.clone());
        put(&mut d, "tls.version_protocol", json!("tls"));
        put_opt(&mut d, "tls.client.server_name", tls.sni.clone());
        put_opt(&mut d, "tls.client.ja3", tls.ja3_hash.clone());
        put_opt(&mut d, "tls.cipher", tls.cipher.clone());
        put_opt(&mut d, "aiwatch.tls.ja3", tls.ja3.clone());
        put_opt(&mut d, "aiwatch.tls.ja4", tls.ja4.clone());
        put_opt(&mut d, "aiwatch.tls.ja4_r", tls.ja4_r.clone());
        put_opt(&mut d, "aiwatch.tls.ja4s", tls.ja4s.clone());
        put_opt(&mut d, "aiwatch.tls.ech", tls.ech);
        if !tls.alpn.is_empty() {
            put(&mut d, "aiwatch.tls.alpn_offered", json!(tls.alpn));
        }
        if !tls.cert_names.is_empty() {
            put(&mut d, "aiwatch.tls.cert_names", json!(tls.cert_names));
        }
    }
    if let Some(dns) = &r.dns {
        if let Some(q) = dns.queries.first() {
            put(&mut d, "dns.question.name", json!(q.name));
            put(&mut d, "dns.question.type", json!(q.qtype));
        }
        if let Some(rcode) = dns.rcodes.first() {
            put(&mut d, "dns.response_code", json!(rcode));
        }
        put(
            &mut d,
            "aiwatch.dns",
            serde_json::to_value(dns).unwrap_or(Value::Null),
        );
    }

    put(&mut d, "aiwatch.schema", json!(r.schema));
    put(&mut d, "aiwatch.dst_country", json!(r.dst_country));
    put(
        &mut d,
        "aiwatch.source.payload_bytes",
        json!(r.c2s_payload_bytes),
    );
    put(
        &mut d,
        "aiwatch.destination.payload_bytes",
        json!(r.s2c_payload_bytes),
    );
    put_opt(&mut d, "aiwatch.tunnel", r.tunnel);
    put_opt(&mut d, "aiwatch.name_source", r.name_source);
    put_opt(&mut d, "aiwatch.dns_name", r.dns_name.clone());
    if !r.dns_chain.is_empty() {
        put(&mut d, "aiwatch.dns_chain", json!(r.dns_chain));
    }
    put_opt(&mut d, "aiwatch.http_host", r.http_host.clone());
    put_opt(&mut d, "aiwatch.quic_version", r.quic_version.clone());
    if r.encrypted_dns {
        put(&mut d, "aiwatch.encrypted_dns", json!(true));
    }
    put_opt(&mut d, "aiwatch.encrypted_dns_kind", r.encrypted_dns_kind);
    if let Some(p) = &r.provider {
        put(&mut d, "aiwatch.provider.id", json!(p.id));
        put(&mut d, "aiwatch.provider.name", json!(p.name));
        put(
            &mut d,
            "aiwatch.provider.category",
            json!(p.category.as_str()),
        );
        put(&mut d, "aiwatch.jurisdiction", json!(p.jurisdiction));
    }
    if let Some(m) = &r.matched {
        put(
            &mut d,
            "aiwatch.match",
            serde_json::to_value(m).unwrap_or(Value::Null),
        );
    }
    put(&mut d, "aiwatch.restricted", json!(r.restricted));
    put(&mut d, "aiwatch.policy_rule", json!(r.policy_rule));
    Value::Object(d)
}
