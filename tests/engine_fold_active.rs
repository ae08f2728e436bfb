//! `Engine::fold_active`: a running summary of flows still open, without ending them.

use aiwatch::aggregate::summary::SummaryBuilder;
use aiwatch::capture::FileSource;
use aiwatch::engine::{Engine, EngineConfig};
use aiwatch::flow::EndReason;
use std::path::Path;
use std::sync::Arc;

#[test]
fn active_flows_fold_into_the_totals_they_will_end_with() {
    let mut src = FileSource::open(Path::new("captures/ai-tls-mix.pcap")).unwrap();
    let mut engine = Engine::new(EngineConfig::default(), Arc::new(Default::default()));
    while let Some(frame) = src.next_frame().unwrap() {
        engine.handle_frame(&frame);
    }
    let ended_early: Vec<_> = engine.drain_records().collect();
    let active = engine.active_flows();
    assert!(active > 0, "the capture leaves flows open at its end");

    let mut running = SummaryBuilder::default();
    for r in &ended_early {
        running.add(r);
    }
    engine.fold_active(&mut running);
    let running = running.finish(&[], engine.stats(), &engine.table_stats());
    // Folding ends nothing.
    assert_eq!(engine.active_flows(), active);
    assert_eq!(engine.drain_records().count(), 0);
    assert_eq!(
        running.flows_by_end_reason.get("active"),
        Some(&(active as u64))
    );

    engine.finish(EndReason::EndOfCapture);
    let mut done = SummaryBuilder::default();
    for r in ended_early
        .iter()
        .chain(engine.drain_records().collect::<Vec<_>>().iter())
    {
        done.add(r);
    }
    let done = done.finish(&[], engine.stats(), &engine.table_stats());
    // Same flows, same bytes, same providers and jurisdictions: only the end reasons differ.
    assert_eq!(running.flows, done.flows);
    assert_eq!(running.top_talkers, done.top_talkers);
    assert_eq!(running.ai, done.ai);
    assert_eq!(running.sent_by_provider, done.sent_by_provider);
    assert_eq!(running.sent_by_jurisdiction, done.sent_by_jurisdiction);
    assert_eq!(running.sent_by_country, done.sent_by_country);
    assert!(done.ai.flows > 0, "the capture has AI provider flows");
}
