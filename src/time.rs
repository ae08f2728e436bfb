//! Packet time. Every stage below the live runtime takes time from here, never from the wall clock,
//! so that replaying a capture twice gives the same output.

use std::fmt;

/// A capture timestamp: nanoseconds since the Unix epoch, as the capture recorded it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// A span of packet time, in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);

    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    pub fn from_secs_nanos(secs: u64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(NANOS_PER_SEC)
                .saturating_add(u64::from(nanos)),
        )
    }

    pub const fn from_secs(secs: u64) -> Self {
        Timestamp(secs.saturating_mul(NANOS_PER_SEC))
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub const fn as_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }

    pub const fn saturating_add(self, nanos: Nanos) -> Self {
        Timestamp(self.0.saturating_add(nanos))
    }

    /// Nanoseconds from `earlier` to `self`, zero when `earlier` is later (captures are not always
    /// in time order).
    pub const fn since(self, earlier: Timestamp) -> Nanos {
        self.0.saturating_sub(earlier.0)
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2024-10-21T08:15:02.123456Z`.
    pub fn rfc3339(self) -> Rfc3339 {
        Rfc3339::of(self)
    }
}

/// A [`Timestamp`] formatted as RFC 3339, without allocating: records carry several timestamps
/// and exports write tens of thousands of records, so this is digit arithmetic, not `write!`.
#[derive(Clone, Copy)]
pub struct Rfc3339([u8; 27]);

impl Rfc3339 {
    fn of(t: Timestamp) -> Self {
        let secs = t.as_secs();
        let micros = (t.as_nanos() % NANOS_PER_SEC) / 1_000;
        let rem = secs % 86_400;
        // A u64 of nanoseconds ends in 2554: the year always has four digits.
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year as u64);
        put(5, 2, u64::from(month));
        put(8, 2, u64::from(day));
        put(11, 2, rem / 3600);
        put(14, 2, (rem / 60) % 60);
        put(17, 2, rem % 60);
        put(20, 6, micros);
        Rfc3339(b)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(
            Timestamp::ZERO.rfc3339().to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2000-02-29 (leap day) 12:34:56.789012, checked with `date -u -d @951827696`.
        let t = Timestamp::from_secs_nanos(951_827_696, 789_012_345);
        assert_eq!(t.rfc3339().to_string(), "2000-02-29T12:34:56.789012Z");
        // 2024-12-31T23:59:59Z = 1735689599.
        let t = Timestamp::from_secs(1_735_689_599);
        assert_eq!(t.rfc3339().to_string(), "2024-12-31T23:59:59.000000Z");
        // The last instant a u64 of nanoseconds holds: `date -u -d @18446744073` gives
        // 2554-07-21T23:34:33Z.
        let t = Timestamp::from_secs_nanos(18_446_744_073, 709_551_615);
        assert_eq!(t.rfc3339().as_str(), "2554-07-21T23:34:33.709551Z");
    }

    #[test]
    fn since_saturates_on_reordered_time() {
        let a = Timestamp::from_secs(10);
        let b = Timestamp::from_secs(12);
        assert_eq!(b.since(a), 2 * NANOS_PER_SEC);
        assert_eq!(a.since(b), 0);
    }
}
