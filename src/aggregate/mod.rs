//! Aggregate: the plain-data model the sinks and the TUI read (flow records, totals, the summary),
//! with deterministic ordering.

pub mod record;
pub mod series;
pub mod snapshot;
pub mod summary;
