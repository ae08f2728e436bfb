//! `alerts.ndjson`: policy alerts (schema `aiwatch.alert/1`), one line per alert.
//!
//! Accepts the run's flow records in time order (by `ts_start`) and the policy's thresholds.
//! Promises one alert per (internal host, provider, policy rule) per window of one hour of packet time
//! (windows aligned to the hour, UTC), raised by the first flow that meets the threshold:
//! - `any` (`Threshold::AnyByte`): the first flow in the window that sent a payload byte; the alert's
//!   time is that flow's start (its first packet).
//! - N (`Threshold::BytesPerHostPerHour`): the flow with which the host's payload bytes to the provider
//!   in the window first exceed N; the alert's time is that flow's end (flows are seen whole, so
//!   crossing is known at flow granularity).
//! - `never`: no alert.
//!
//! Bytes are TCP/UDP payload bytes client → server (`sent_payload_bytes`, what the application sent;
//! the threshold compares these), with IP bytes alongside (`sent_bytes`), summed over the host's flows
//! to the provider in the window up to and including the alerting flow. Flows without a provider
//! never alert. Output is sorted by time, then host, provider, rule. Never reads clocks or files.

use crate::aggregate::record::FlowRecord;
use crate::classify::policy::{Threshold, Thresholds};
use crate::time::{NANOS_PER_SEC, Timestamp};
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

pub const ALERT_SCHEMA: &str = "aiwatch.alert/1";
const WINDOW_NS: u64 = 3600 * NANOS_PER_SEC;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Alert {
    pub schema: &'static str,
    /// RFC 3339 UTC.
    pub ts: String,
    /// The same instant, for live views.
    #[serde(skip)]
    pub at: Timestamp,
    /// The internal host (the flow's client).
    pub host: IpAddr,
    pub provider: String,
    pub provider_name: String,
    /// The provider's legal jurisdiction.
    pub jurisdiction: String,
    pub restricted: bool,
    /// The policy rule that decided the verdict, e.g. `restrict jurisdiction CN`.
    pub rule: String,
    /// The threshold that was met: `any` or `more than N bytes per host per hour`.
    pub threshold: String,
    /// Start of the hour window (RFC 3339 UTC).
    pub window_start: String,
    pub destination: Destination,
    /// Payload bytes the host sent to the provider in the window so far (the alerting flow included).
    pub sent_payload_bytes: u64,
    /// The same in IP bytes.
    pub sent_bytes: u64,
    /// Flows from the host to the provider in the window so far.
    pub flows: u64,
    /// The alerting flow.
    pub flow: FlowKey,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Destination {
    pub ip: IpAddr,
    pub port: u16,
    pub server_name: Option<String>,
    /// Country of the destination address (or a label such as `private`).
    pub country: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FlowKey {
    pub proto: &'static str,
    pub client_ip: IpAddr,
    pub client_port: u16,
    pub server_ip: IpAddr,
    pub server_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    pub ts_start: String,
}

#[derive(Default)]
struct WindowState {
    window: u64,
    payload: u64,
    bytes: u64,
    flows: u64,
    alerted: bool,
}

/// The alerts a run's records raise under `thresholds`.
pub fn alerts(records: &[FlowRecord], thresholds: &Thresholds) -> Vec<Alert> {
    let mut state: HashMap<(IpAddr, &str, &str), WindowState> = HashMap::new();
    let mut out = Vec::new();
    for r in records {
        let Some(p) = &r.provider else { continue };
        let threshold = if r.restricted {
            thresholds.restricted
        } else {
            thresholds.allowed
        };
        let limit = match threshold {
            Threshold::Never => continue,
            Threshold::AnyByte => 0,
            Threshold::BytesPerHostPerHour(n) => n,
        };
        let window = r.ts_start.as_nanos() / WINDOW_NS;
        let s = state
            .entry((r.client_ip, p.id.as_str(), r.policy_rule.as_str()))
            .or_default();
        if s.window != window || s.flows == 0 {
            *s = WindowState {
                window,
                ..WindowState::default()
            };
        }
        s.payload += r.c2s_payload_bytes;
        s.bytes += r.c2s_bytes;
        s.flows += 1;
        if s.alerted || s.payload <= limit {
            continue;
        }
        s.alerted = true;
        let (ts, threshold) = match threshold {
            Threshold::BytesPerHostPerHour(n) => {
                (r.ts_end, format!("more than {n} bytes per host per hour"))
            }
            _ => (r.ts_start, "any".to_string()),
        };
        out.push(Alert {
            schema: ALERT_SCHEMA,
            ts: ts.rfc3339().to_string(),
            at: ts,
            host: r.client_ip,
            provider: p.id.clone(),
            provider_name: p.name.clone(),
            jurisdiction: p.jurisdiction.clone(),
            restricted: r.restricted,
            rule: r.policy_rule.clone(),
            threshold,
            window_start: Timestamp::from_nanos(window * WINDOW_NS)
                .rfc3339()
                .to_string(),
            destination: Destination {
                ip: r.server_ip,
                port: r.server_port,
                server_name: r.server_name.clone(),
                country: r.dst_country.clone(),
            },
            sent_payload_bytes: s.payload,
            sent_bytes: s.bytes,
            flows: s.flows,
            flow: FlowKey {
                proto: r.proto,
                client_ip: r.client_ip,
                client_port: r.client_port,
                server_ip: r.server_ip,
                server_port: r.server_port,
                vlan: r.vlan,
                ts_start: r.ts_start.rfc3339().to_string(),
            },
        });
    }
    out.sort_by(|a, b| {
        (&a.ts, a.host, &a.provider, &a.rule).cmp(&(&b.ts, b.host, &b.provider, &b.rule))
    });
    out
}
