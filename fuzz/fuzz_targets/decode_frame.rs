//! The whole sans-IO pipeline on arbitrary frames: decode (every link type), flow table, stream
//! heads, every dissector and classification. Input: a link-type selector byte, then frames
//! separated by a 2-byte little-endian length prefix.
#![no_main]

use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::{EndReason, FlowLimits};
use aiwatch::frame::{Frame, LinkType};
use aiwatch::time::Timestamp;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

static CLASSIFIER: OnceLock<Arc<aiwatch::classify::Classifier>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut rest)) = data.split_first() else { return };
    let link = LinkType::from_linktype(match selector % 10 {
        0 => 0,
        1 => 1,
        2 => 9,
        3 => 101,
        4 => 104,
        5 => 108,
        6 => 113,
        7 => 228,
        8 => 229,
        _ => 276,
    });
    let classifier = CLASSIFIER.get_or_init(|| Arc::new(Default::default()));
    // Small tables: a fuzz run creates an engine per input.
    let config = EngineConfig {
        flows: FlowLimits { max_flows: 256, ..FlowLimits::default() },
        name_cache: 256,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, Arc::clone(classifier));
    let mut t = 0u64;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let frame = &rest[2..2 + len];
        rest = &rest[2 + len..];
        t += 1;
        engine.handle_frame(&Frame { ts: Timestamp::from_secs(t), link, orig_len: len as u32, data: frame });
    }
    engine.finish(EndReason::EndOfCapture);
    for record in engine.drain_records() {
        let _ = serde_json::to_vec(&record);
    }
});
