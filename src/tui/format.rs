//! Human-readable numbers. Bytes use binary units throughout (B, KiB, MiB, GiB, TiB, …); bit rates use
//! decimal SI units (kb/s, Mb/s, Gb/s), as links are rated; counts use k/M.

use crate::time::Timestamp;

const BYTE_UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// `512 B`, `1.5 KiB`, `12.3 MiB`, `512 MiB` (one decimal below 100 of a unit, none above; at most
/// 8 characters).
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < BYTE_UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let name = BYTE_UNITS.get(unit).copied().unwrap_or("B");
    if value < 99.95 {
        format!("{value:.1} {name}")
    } else {
        format!("{value:.0} {name}")
    }
}

/// Bytes per second: `bytes(n) + "/s"`.
pub fn byte_rate(n: u64) -> String {
    format!("{}/s", bytes(n))
}

/// Bits per second in SI units: `950 b/s`, `12.3 Mb/s`.
pub fn bit_rate(bps: f64) -> String {
    let (value, unit) = scale_si(bps);
    format!("{value} {unit}b/s")
}

/// A count or per-second count: `950`, `1.2k`, `3.4M`.
pub fn count(n: f64) -> String {
    let (value, unit) = scale_si(n);
    format!("{value}{unit}")
}

fn scale_si(x: f64) -> (String, &'static str) {
    let x = if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let units = ["", "k", "M", "G", "T"];
    let mut value = x;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    let name = units.get(unit).copied().unwrap_or("");
    if unit == 0 {
        (format!("{value:.0}"), name)
    } else {
        (format!("{value:.1}"), name)
    }
}

/// `2024-10-21 08:15:02` (UTC).
pub fn date_time(ts: Timestamp) -> String {
    let s = ts.rfc3339().to_string();
    match (s.get(0..10), s.get(11..19)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => s,
    }
}

/// `08:15:02` (UTC).
pub fn time_of_day(ts: Timestamp) -> String {
    let s = ts.rfc3339().to_string();
    s.get(11..19).map(str::to_string).unwrap_or(s)
}

/// The time of day of an RFC 3339 string (the summary's `last_seen`), or the whole string.
pub fn rfc3339_time_of_day(s: &str) -> &str {
    s.get(11..19).unwrap_or(s)
}

/// `2024-10-21 08:15:02` of an RFC 3339 string, or the whole string.
pub fn rfc3339_date_time(s: &str) -> String {
    match (s.get(0..10), s.get(11..19)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => s.to_string(),
    }
}

/// `1 flow`, `2 flows`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `part` as a percentage of `whole`, `0.0` when `whole` is zero.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_units_are_binary_and_short() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        // 3.5 × 2^20
        assert_eq!(bytes(3_670_016), "3.5 MiB");
        // 512 × 2^20: no decimal at three digits.
        assert_eq!(bytes(536_870_912), "512 MiB");
        // 1023.99 KiB rounds to 1024 KiB rather than switching unit mid-format.
        assert_eq!(bytes(1_048_575), "1024 KiB");
        // 2^64 - 1 is just under 16 EiB.
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn rates_and_counts_are_si() {
        assert_eq!(bit_rate(950.0), "950 b/s");
        assert_eq!(bit_rate(12_345_678.0), "12.3 Mb/s");
        assert_eq!(bit_rate(f64::NAN), "0 b/s");
        assert_eq!(count(1_234.0), "1.2k");
        assert_eq!(count(999.0), "999");
    }

    #[test]
    fn times_are_utc() {
        // 2024-10-21T08:15:02Z = 1729498502 s since the epoch (date -u -d @1729498502).
        let ts = Timestamp::from_secs(1_729_498_502);
        assert_eq!(date_time(ts), "2024-10-21 08:15:02");
        assert_eq!(time_of_day(ts), "08:15:02");
        assert_eq!(
            rfc3339_time_of_day("2024-10-21T08:15:02.000000Z"),
            "08:15:02"
        );
    }
}
