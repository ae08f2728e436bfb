//! Replay pacing: sleeps so that frames are fed at their capture's pace times a speed factor, so a
//! capture can be watched as if live. The engine never sleeps; only this runtime helper does.

use crate::time::Timestamp;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// How fast a replay runs against its packet timestamps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as possible.
    Max,
    /// This many seconds of packet time per second of wall time.
    Factor(f64),
}

impl FromStr for Speed {
    type Err = String;

    /// `max`, or a positive factor with an optional `x`: `1x`, `10x`, `0.5`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let number = s.strip_suffix(['x', 'X']).unwrap_or(s);
        match number.parse::<f64>() {
            // Bounded so that a frame's delay always fits a Duration.
            Ok(f) if (0.001..=1e6).contains(&f) => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "speed {s:?}: expected max or a factor from 0.001 to 1000000, such as 1x or 10x"
            )),
        }
    }
}

/// Sleeps before each frame until its time (relative to the first frame, divided by the speed).
pub struct Pacer {
    speed: Speed,
    origin: Option<(Instant, Timestamp)>,
}

/// Sleeps shorter than this are skipped (and caught up by the next frame's sleep).
const MIN_SLEEP: Duration = Duration::from_millis(1);

impl Pacer {
    pub fn new(speed: Speed) -> Self {
        Pacer {
            speed,
            origin: None,
        }
    }

    /// How long to wait from `now` before feeding a frame of time `ts`.
    pub fn delay(&mut self, ts: Timestamp, now: Instant) -> Duration {
        let Speed::Factor(factor) = self.speed else {
            return Duration::ZERO;
        };
        let (wall0, ts0) = *self.origin.get_or_insert((now, ts));
        let wait = Duration::try_from_secs_f64(ts.since(ts0) as f64 / 1e9 / factor)
            .unwrap_or(Duration::MAX);
        wall0
            .checked_add(wait)
            .map_or(Duration::MAX, |due| due.saturating_duration_since(now))
    }

    /// Sleeps until the frame of time `ts` is due.
    pub fn wait(&mut self, ts: Timestamp) {
        let d = self.delay(ts, Instant::now());
        if d >= MIN_SLEEP {
            std::thread::sleep(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn speeds_parse() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("1x".parse::<Speed>(), Ok(Speed::Factor(1.0)));
        assert_eq!("10X".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("0.5".parse::<Speed>(), Ok(Speed::Factor(0.5)));
        assert!("0x".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }

    #[test]
    fn frames_are_due_at_packet_time_over_speed() {
        let start = Instant::now();
        let t0 = Timestamp::from_secs(1_000);
        let mut p = Pacer::new(Speed::Factor(10.0));
        assert_eq!(p.delay(t0, start), Duration::ZERO);
        // 5 s of packet time at 10x: due 500 ms after the first frame.
        let t1 = t0.saturating_add(5 * NANOS_PER_SEC);
        assert_eq!(p.delay(t1, start), Duration::from_millis(500));
        assert_eq!(
            p.delay(t1, start + Duration::from_millis(200)),
            Duration::from_millis(300)
        );
        // Late frames, and frames out of time order, are not waited for.
        assert_eq!(p.delay(t1, start + Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(p.delay(Timestamp::from_secs(1), start), Duration::ZERO);
        let mut max = Pacer::new(Speed::Max);
        assert_eq!(max.delay(t0, start), Duration::ZERO);
        assert_eq!(max.delay(t1, start), Duration::ZERO);
    }
}
