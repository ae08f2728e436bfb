//! Any bytes as a DNS message (UDP payload) and as a DNS-over-TCP stream head: no panic, caps hold,
//! and every derived view (CNAME chains, per-flow record) stays within its bounds.
#![no_main]

use aiwatch::dissect::dns::{DnsRecord, parse_message, resolve_chain, split_tcp_messages};
use aiwatch::dissect::limits::dns::{MAX_ANSWERS_KEPT, MAX_QUESTIONS_KEPT, MAX_RECORD_QUERIES};
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8], record: &mut DnsRecord) {
    let Ok(msg) = parse_message(bytes) else {
        assert!(bytes.len() < 12, "only a short header is an error");
        return;
    };
    assert!(msg.questions.len() <= MAX_QUESTIONS_KEPT);
    assert!(msg.answers.len() <= MAX_ANSWERS_KEPT);
    for name in msg.questions.iter().map(|q| &q.name).chain(msg.answers.iter().map(|a| &a.name)) {
        // 255 wire octets hold at most 253 characters of text.
        assert!(name.len() <= 253, "{name}");
        assert!(!name.ends_with('.'));
    }
    for resolved in resolve_chain(&msg) {
        assert_eq!(resolved.chain.first().copied(), Some(resolved.query));
    }
    record.fold(&msg);
    assert!(record.queries.len() <= MAX_RECORD_QUERIES);
}

fuzz_target!(|data: &[u8]| {
    let mut record = DnsRecord::default();
    check(data, &mut record);
    let mut split = split_tcp_messages(data);
    for message in split.by_ref().flatten() {
        check(message, &mut record);
    }
    assert!(split.consumed() <= data.len());
});
