//! Geolocation: the country an address is located in (and, optionally, its autonomous system).
//!
//! Accepts MaxMind DB files: the embedded default (`geo/geo-whois-asn-country.mmdb`, flat records
//! `{country_code}`), or GeoLite2 / GeoIP2 / DB-IP Country or City databases (nested
//! `{country: {iso_code}}`, falling back to `registered_country`), and GeoLite2-ASN for `AsnDb`.
//! Promises: addresses that are not globally routed are labelled without a lookup (see [`Special`]);
//! a lookup never panics and never allocates; a corrupt database gives an error value, not a crash.
//! Never: reads a file except in `open`, or touches the network.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use maxminddb::{MaxMindDbError, Reader};
use serde::Deserialize;

/// The embedded country database (ip-location-db geo-whois-asn-country; see geo/README.md).
const EMBEDDED_COUNTRY_DB: &[u8] = include_bytes!("../../geo/geo-whois-asn-country.mmdb");

/// Why a database could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("not a usable MaxMind DB: {0}")]
    Invalid(String),
}

impl From<MaxMindDbError> for GeoError {
    fn from(e: MaxMindDbError) -> Self {
        GeoError::Invalid(e.to_string())
    }
}

/// Addresses that are not looked up, with the label they get instead of a country.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Special {
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique local fc00::/7 (RFC 4193).
    Private,
    /// RFC 6598 carrier-grade NAT shared space 100.64/10.
    Cgnat,
    /// 127/8, ::1.
    Loopback,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 0.0.0.0, ::.
    Unspecified,
    /// RFC 5737 (192.0.2/24, 198.51.100/24, 203.0.113/24) and RFC 3849 (2001:db8::/32).
    Documentation,
    /// Other special-purpose space: 0/8, 192.0.0/24, 198.18/15 (benchmarking), 240/4, broadcast.
    Reserved,
}

impl Special {
    pub fn as_str(self) -> &'static str {
        match self {
            Special::Private => "private",
            Special::Cgnat => "cgnat",
            Special::Loopback => "loopback",
            Special::LinkLocal => "link-local",
            Special::Multicast => "multicast",
            Special::Unspecified => "unspecified",
            Special::Documentation => "documentation",
            Special::Reserved => "reserved",
        }
    }

    /// The label for `ip` if it is not globally routed (IPv4-mapped IPv6 is judged as IPv4).
    pub fn of(ip: IpAddr) -> Option<Special> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => special_v4(v4),
            IpAddr::V6(v6) => special_v6(v6),
        }
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<Special> {
    let [a, b, c, _] = ip.octets();
    let special = if ip.is_unspecified() {
        Special::Unspecified
    } else if ip.is_loopback() {
        Special::Loopback
    } else if ip.is_private() {
        Special::Private
    } else if a == 100 && (64..128).contains(&b) {
        Special::Cgnat
    } else if ip.is_link_local() {
        Special::LinkLocal
    } else if ip.is_multicast() {
        Special::Multicast
    } else if ip.is_documentation() {
        Special::Documentation
    } else if a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
    {
        Special::Reserved
    } else {
        return None;
    };
    Some(special)
}

fn special_v6(ip: Ipv6Addr) -> Option<Special> {
    let first = ip.segments()[0];
    let special = if ip.is_unspecified() {
        Special::Unspecified
    } else if ip.is_loopback() {
        Special::Loopback
    } else if first & 0xfe00 == 0xfc00 {
        Special::Private
    } else if first & 0xffc0 == 0xfe80 {
        Special::LinkLocal
    } else if ip.is_multicast() {
        Special::Multicast
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Special::Documentation
    } else {
        return None;
    };
    Some(special)
}

/// Where an address is located.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeoAnswer {
    /// ISO 3166-1 alpha-2 code, upper case, as the database gives it.
    Country([u8; 2]),
    /// Not globally routed; not looked up.
    Special(Special),
    /// A public address the database has no country for.
    Unknown,
}

impl GeoAnswer {
    /// The value for reports: `"US"`, or a [`Special`] label (`"private"`, `"loopback"`, ...), or
    /// `"unknown"`.
    pub fn as_str(&self) -> &str {
        match self {
            GeoAnswer::Country(code) => std::str::from_utf8(code).unwrap_or("unknown"),
            GeoAnswer::Special(s) => s.as_str(),
            GeoAnswer::Unknown => "unknown",
        }
    }

    /// The country code, when there is one.
    pub fn country(&self) -> Option<&str> {
        match self {
            GeoAnswer::Country(_) => Some(self.as_str()),
            _ => None,
        }
    }
}

/// Database bytes: borrowed from the binary, or read from a file.
#[derive(Debug)]
enum Bytes {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            Bytes::Static(b) => b,
            Bytes::Owned(v) => v,
        }
    }
}

fn open_reader(path: &Path) -> Result<Reader<Bytes>, GeoError> {
    let bytes = std::fs::read(path).map_err(|source| GeoError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(Reader::from_source(Bytes::Owned(bytes))?)
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

/// Accepts both layouts: flat `country_code` (ip-location-db, IPinfo) and MaxMind's nested
/// `country.iso_code`, with `registered_country.iso_code` as a fallback.
#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow)]
    registered_country: Option<IsoCode<'a>>,
}

/// A country database.
#[derive(Debug)]
pub struct GeoDb {
    reader: Reader<Bytes>,
}

impl GeoDb {
    /// The embedded default database (CC BY 4.0, see geo/README.md). Its validity is checked by the
    /// test suite, so failing here means a broken build.
    #[allow(clippy::expect_used)]
    pub fn embedded() -> Self {
        let reader = Reader::from_source(Bytes::Static(EMBEDDED_COUNTRY_DB))
            .expect("the embedded geo database is checked by the tests");
        GeoDb { reader }
    }

    /// A GeoLite2 / GeoIP2 / DB-IP Country or City database, or any MaxMind DB whose records hold
    /// `country_code` or `country.iso_code`.
    pub fn open(path: &Path) -> Result<Self, GeoError> {
        Ok(GeoDb {
            reader: open_reader(path)?,
        })
    }

    /// `database_type` and build time (Unix seconds) from the metadata, for reports.
    pub fn describe(&self) -> (&str, u64) {
        let m = self.reader.metadata();
        (&m.database_type, m.build_epoch)
    }

    /// The location of `ip`; a database error reads as `Unknown` (use [`GeoDb::try_lookup`] to see it).
    pub fn lookup(&self, ip: IpAddr) -> GeoAnswer {
        self.try_lookup(ip).unwrap_or(GeoAnswer::Unknown)
    }

    pub fn try_lookup(&self, ip: IpAddr) -> Result<GeoAnswer, GeoError> {
        let ip = ip.to_canonical();
        if let Some(special) = Special::of(ip) {
            return Ok(GeoAnswer::Special(special));
        }
        let result = self.reader.lookup(ip)?;
        let Some(record) = result.decode::<CountryRecord<'_>>()? else {
            return Ok(GeoAnswer::Unknown);
        };
        Ok(answer_of(record))
    }

    /// [`GeoDb::lookup`], with the answers of the database records already decoded kept in
    /// `records` by record offset (many addresses share one record: one per country).
    fn lookup_by_record(
        &self,
        ip: IpAddr,
        records: &mut HashMap<usize, GeoAnswer, Fast>,
    ) -> GeoAnswer {
        let ip = ip.to_canonical();
        if let Some(special) = Special::of(ip) {
            return GeoAnswer::Special(special);
        }
        let Ok(result) = self.reader.lookup(ip) else {
            return GeoAnswer::Unknown;
        };
        // No record: what decoding gives too.
        let Some(offset) = result.offset() else {
            return GeoAnswer::Unknown;
        };
        if let Some(answer) = records.get(&offset) {
            return *answer;
        }
        let answer = match result.decode::<CountryRecord<'_>>() {
            Ok(Some(record)) => answer_of(record),
            Ok(None) | Err(_) => GeoAnswer::Unknown,
        };
        if records.len() >= crate::dissect::limits::geo::CACHE_ENTRIES {
            records.clear();
        }
        records.insert(offset, answer);
        answer
    }
}

/// The country of a decoded record: `country_code`, else `country.iso_code`, else
/// `registered_country.iso_code`.
fn answer_of(record: CountryRecord<'_>) -> GeoAnswer {
    let code = record
        .country_code
        .or(record.country.and_then(|c| c.iso_code))
        .or(record.registered_country.and_then(|c| c.iso_code));
    code.and_then(country_code)
        .map_or(GeoAnswer::Unknown, GeoAnswer::Country)
}

/// Remembers [`GeoDb::lookup`] answers by address, for one owner (an engine): many flows go to the
/// same servers, and a database lookup decodes a record each time. Bounded by
/// [`CACHE_ENTRIES`](crate::dissect::limits::geo::CACHE_ENTRIES): when full it is emptied.
#[derive(Debug, Default)]
pub struct GeoCache {
    answers: HashMap<IpAddr, GeoAnswer, Fast>,
    /// Answers by database record offset, for addresses not seen before.
    records: HashMap<usize, GeoAnswer, Fast>,
}

type Fast = foldhash::fast::RandomState;

impl GeoCache {
    /// `db.lookup(ip)`, from the cache when `ip` was looked up before.
    pub fn lookup(&mut self, db: &GeoDb, ip: IpAddr) -> GeoAnswer {
        if let Some(answer) = self.answers.get(&ip) {
            return *answer;
        }
        let answer = db.lookup_by_record(ip, &mut self.records);
        if self.answers.len() >= crate::dissect::limits::geo::CACHE_ENTRIES {
            self.answers.clear();
        }
        self.answers.insert(ip, answer);
        answer
    }
}

/// Two ASCII letters, upper-cased; anything else is not a country code.
fn country_code(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => None,
    }
}

/// An autonomous-system answer, borrowed from the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsnAnswer<'a> {
    pub number: u32,
    pub organization: Option<&'a str>,
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

/// A GeoLite2-ASN (or compatible) database. No default is shipped: see geo/README.md.
#[derive(Debug)]
pub struct AsnDb {
    reader: Reader<Bytes>,
}

impl AsnDb {
    pub fn open(path: &Path) -> Result<Self, GeoError> {
        Ok(AsnDb {
            reader: open_reader(path)?,
        })
    }

    /// The AS of `ip`, or `None` for special addresses and addresses the database lacks.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<AsnAnswer<'_>>, GeoError> {
        let ip = ip.to_canonical();
        if Special::of(ip).is_some() {
            return Ok(None);
        }
        let result = self.reader.lookup(ip)?;
        let Some(record) = result.decode::<AsnRecord<'_>>()? else {
            return Ok(None);
        };
        Ok(record.autonomous_system_number.map(|number| AsnAnswer {
            number,
            organization: record.autonomous_system_organization,
        }))
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use crate::dissect::limits::geo::CACHE_ENTRIES;

    /// The cache answers as the database does, first and later times, and stays within its cap.
    #[test]
    fn cache_answers_as_the_database_and_stays_bounded() {
        let db = GeoDb::embedded();
        let mut cache = GeoCache::default();
        let addrs: [IpAddr; 4] = [
            "8.8.8.8"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            "10.1.2.3"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            "2001:4860:4860::8888"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            "1.1.1.1"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ];
        for _ in 0..2 {
            for ip in addrs {
                assert_eq!(cache.lookup(&db, ip), db.lookup(ip), "{ip}");
            }
        }
        assert_eq!(
            cache.lookup(&db, addrs[1]),
            GeoAnswer::Special(Special::Private)
        );
        for i in 0..(CACHE_ENTRIES as u32 + 10) {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i));
            assert_eq!(cache.lookup(&db, ip), db.lookup(ip));
            assert!(cache.answers.len() <= CACHE_ENTRIES);
        }
    }
}
