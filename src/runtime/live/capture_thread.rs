//! The capture thread: libpcap → reusable batches → a bounded queue to the engine thread. A batch
//! that finds the queue full is dropped whole and its frames counted (queue drops): the capture never
//! waits for the engine, so the kernel ring keeps draining. Batches come back through a recycling
//! channel, so once warm nothing is allocated per packet.

use crate::capture::live::{Breaker, CaptureStats, FrameBatch, LiveError, LiveSource};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Batches waiting for the engine at most (each up to `BATCH_BYTES` of frames).
pub const QUEUE_BATCHES: usize = 32;
/// How often the capture thread refreshes libpcap's counters for the status line.
const STATS_EVERY: Duration = Duration::from_millis(500);
/// Calls to libpcap after a stop request that may still pick up frames already captured.
const DRAIN_DISPATCHES: usize = 4096;

/// Counters shared between the capture thread and whoever reports them.
#[derive(Default)]
pub struct CaptureCounters {
    /// Frames dropped because the engine's queue was full.
    pub queue_drops: AtomicU64,
    pub pcap_received: AtomicU64,
    pub pcap_dropped: AtomicU64,
    pub pcap_if_dropped: AtomicU64,
}

impl CaptureCounters {
    fn store(&self, s: CaptureStats) {
        self.pcap_received.store(s.received, Ordering::Relaxed);
        self.pcap_dropped.store(s.dropped, Ordering::Relaxed);
        self.pcap_if_dropped.store(s.if_dropped, Ordering::Relaxed);
    }
}

/// Asks the capture to stop from any thread (signal, UI quit): sets the flag and wakes libpcap.
pub struct Stopper {
    flag: AtomicBool,
    breaker: Mutex<Option<Breaker>>,
}

impl Stopper {
    pub fn new() -> Self {
        Stopper {
            flag: AtomicBool::new(false),
            breaker: Mutex::new(None),
        }
    }

    pub fn set_breaker(&self, b: Breaker) {
        if let Ok(mut slot) = self.breaker.lock() {
            *slot = Some(b);
        }
    }

    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Ok(slot) = self.breaker.lock()
            && let Some(b) = slot.as_ref()
        {
            b.wake();
        }
    }

    pub fn stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Default for Stopper {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs the capture until stopped or broken; returns libpcap's final counters (the error, if the
/// capture broke, comes with the counters read before it).
pub fn run(
    mut src: LiveSource,
    queue: SyncSender<FrameBatch>,
    recycled: Receiver<FrameBatch>,
    counters: Arc<CaptureCounters>,
    stopper: Arc<Stopper>,
) -> (CaptureStats, Option<LiveError>) {
    let mut batch = src.new_batch();
    // The fresh batch a dropped one displaced: reused next, so overload allocates nothing either.
    let mut spare = None;
    let mut last_stats = Instant::now();
    let mut error = None;
    // Send a batch when it is full, or when libpcap has nothing more right now (low latency at low
    // rates, big batches at high rates).
    while !stopper.stopped() {
        match src.dispatch(&mut batch) {
            Ok(d) => {
                if !batch.is_empty()
                    && (d.drained || batch.is_full())
                    && offer(&mut batch, &mut spare, &queue, &recycled, &src, &counters).is_err()
                {
                    break;
                }
            }
            Err(e) => {
                if !stopper.stopped() {
                    error = Some(e);
                }
                break;
            }
        }
        if last_stats.elapsed() >= STATS_EVERY {
            last_stats = Instant::now();
            if let Ok(s) = src.stats() {
                counters.store(s);
            }
        }
    }
    // Frames libpcap already holds are still processed (waiting for the engine now: no new ones
    // are coming from us, and dropping them would only lose data the user asked to keep).
    let mut src = match (error.is_none(), src.nonblocking()) {
        (_, Err(e)) => return (CaptureStats::default(), error.or(Some(e))),
        (drain, Ok(mut src)) => {
            if drain {
                // Frames in a ring block the kernel has not handed over yet become readable
                // within the hand-over delay.
                std::thread::sleep(src.handover_delay());
                drain_held(&mut src, &mut batch, &mut spare, &queue, &recycled);
            }
            src
        }
    };
    if !batch.is_empty() {
        let _ = queue.send(batch);
    }
    let stats = src.stats().unwrap_or_else(|_| CaptureStats {
        received: counters.pcap_received.load(Ordering::Relaxed),
        dropped: counters.pcap_dropped.load(Ordering::Relaxed),
        if_dropped: counters.pcap_if_dropped.load(Ordering::Relaxed),
    });
    counters.store(stats);
    (stats, error)
}

/// Reads what libpcap still holds (the capture is non-blocking now) into batches for the engine.
fn drain_held(
    src: &mut LiveSource,
    batch: &mut FrameBatch,
    spare: &mut Option<FrameBatch>,
    queue: &SyncSender<FrameBatch>,
    recycled: &Receiver<FrameBatch>,
) {
    for _ in 0..DRAIN_DISPATCHES {
        let Ok(d) = src.dispatch(batch) else { break };
        if batch.is_full() || (d.drained && !batch.is_empty()) {
            let next = fresh(spare, recycled, src);
            let full = std::mem::replace(batch, next);
            if queue.send(full).is_err() {
                break;
            }
        }
        if d.drained {
            break;
        }
    }
}

/// Hands a batch to the engine without waiting: queued, or dropped and counted when the queue is full.
/// `Err` when the engine has gone.
fn offer(
    batch: &mut FrameBatch,
    spare: &mut Option<FrameBatch>,
    queue: &SyncSender<FrameBatch>,
    recycled: &Receiver<FrameBatch>,
    src: &LiveSource,
    counters: &CaptureCounters,
) -> Result<(), ()> {
    let next = fresh(spare, recycled, src);
    let full = std::mem::replace(batch, next);
    match queue.try_send(full) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(mut back)) => {
            counters
                .queue_drops
                .fetch_add(back.len() as u64, Ordering::Relaxed);
            back.clear();
            *spare = Some(std::mem::replace(batch, back));
            Ok(())
        }
        Err(TrySendError::Disconnected(_)) => Err(()),
    }
}

/// An empty batch: the spare, a recycled one, or a new one while the pool warms up.
fn fresh(
    spare: &mut Option<FrameBatch>,
    recycled: &Receiver<FrameBatch>,
    src: &LiveSource,
) -> FrameBatch {
    spare
        .take()
        .or_else(|| recycled.try_recv().ok())
        .unwrap_or_else(|| src.new_batch())
}
