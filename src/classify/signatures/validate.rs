//! Syntax rules for the values a signature or policy file may hold: ISO 3166-1 alpha-2 codes, provider
//! ids, domain names, CIDR prefixes, and the generic cloud/CDN apexes no provider may claim whole.
//!
//! Contract: pure functions of strings; each check returns the cleaned value or a `&'static str` reason.
//! Never panics, never allocates beyond the returned value.

use std::net::IpAddr;

use ipnet::IpNet;

/// Every ISO 3166-1 alpha-2 code assigned at the time of writing (249 codes), copied from Debian's
/// `iso-codes` 4.15.0 (`/usr/share/iso-codes/json/iso_3166-1.json`). Sorted, for binary search.
const ASSIGNED_COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// `ZZ` is in ISO 3166's user-assigned range and is the customary "unknown" code: a provider whose
/// controlling jurisdiction could not be established from a source says so instead of guessing.
pub const UNKNOWN_JURISDICTION: &str = "ZZ";

/// Is `code` an assigned ISO 3166-1 alpha-2 code (upper case)?
pub fn is_assigned_country(code: &str) -> bool {
    ASSIGNED_COUNTRY_CODES.binary_search(&code).is_ok()
}

/// A jurisdiction in a signature or policy file: an assigned code, or `ZZ` for unknown.
pub fn check_jurisdiction(code: &str) -> Result<(), &'static str> {
    if code == UNKNOWN_JURISDICTION || is_assigned_country(code) {
        Ok(())
    } else if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Err("jurisdiction must be an upper-case ISO 3166-1 alpha-2 code")
    } else {
        Err("not an assigned ISO 3166-1 alpha-2 code (use ZZ for unknown)")
    }
}

/// Provider ids: lower-case ASCII letters, digits and inner hyphens, 1 to 40 characters.
pub fn check_id(id: &str) -> Result<(), &'static str> {
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if id.is_empty() || id.len() > 40 || !ok_chars || id.starts_with('-') || id.ends_with('-') {
        return Err("provider id must be 1-40 characters of a-z, 0-9 and inner '-'");
    }
    Ok(())
}

/// Registrable apexes shared by many unrelated customers (clouds, CDNs, large portals). A provider may
/// claim a specific host under them (`dashscope.aliyuncs.com`) but never the apex itself, which would
/// attribute every customer of that cloud to one AI provider.
pub const GENERIC_APEXES: &[&str] = &[
    "akamaized.net",
    "alicdn.com",
    "aliyun.com",
    "aliyuncs.com",
    "amazonaws.com",
    "azure.com",
    "azureedge.net",
    "baidu.com",
    "baidubce.com",
    "bcebos.com",
    "bing.com",
    "blob.core.windows.net",
    "cloudflare.com",
    "cloudfront.net",
    "cloudinary.com",
    "core.windows.net",
    "fastly.net",
    "github.com",
    "githubusercontent.com",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "livekit.cloud",
    "microsoft.com",
    "qq.com",
    "tencent.com",
    "tencentcloudapi.com",
    "vercel.app",
    "vercel.sh",
    "volces.com",
    "volcengine.com",
    "windows.net",
    "workers.dev",
    "x.com",
];

/// Cleans and checks a domain from a signature file. Accepts upper case and one trailing dot (both
/// normalised away); rejects wildcards (every entry already covers its subdomains), non-ASCII
/// (write the `xn--` A-label), empty or over-long labels, labels starting or ending with `-`, single
/// labels (a whole TLD) and the generic apexes above.
pub fn check_domain(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.strip_suffix('.').unwrap_or(raw);
    if trimmed.contains('*') {
        return Err("wildcards are implicit: a domain entry already covers its subdomains");
    }
    if !trimmed.is_ascii() {
        return Err("non-ASCII domain: write the punycode A-label (xn--...)");
    }
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err("domain must be 1-253 characters");
    }
    let name = trimmed.to_ascii_lowercase();
    let mut labels = 0usize;
    for label in name.split('.') {
        labels += 1;
        if label.is_empty() || label.len() > 63 {
            return Err("every label must be 1-63 characters (no empty labels)");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err("labels may only hold letters, digits, '-' and '_'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label may not start or end with '-'");
        }
    }
    if labels < 2 {
        return Err("a single label (a whole top-level domain) cannot be attributed");
    }
    if GENERIC_APEXES.contains(&name.as_str()) {
        return Err(
            "generic cloud/CDN domain: list the provider's specific hosts under it instead",
        );
    }
    Ok(name)
}

/// Parses a CIDR prefix (`160.79.104.0/21`, `2607:6bc0::/32`). The prefix length is required and the
/// host bits must be zero, so a typo cannot silently widen or shift the range.
pub fn check_cidr(raw: &str) -> Result<IpNet, &'static str> {
    if !raw.contains('/') {
        return Err("bad CIDR: missing /prefix-length");
    }
    let net: IpNet = raw
        .parse()
        .map_err(|_| "bad CIDR: expected ADDRESS/PREFIX-LENGTH")?;
    if net.trunc() != net {
        return Err("bad CIDR: host bits set below the prefix length");
    }
    Ok(net)
}

/// Parses a single address or CIDR typed on the command line.
pub fn parse_address(raw: &str) -> Option<IpAddr> {
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_list_is_sorted_so_binary_search_works() {
        assert!(ASSIGNED_COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_assigned_country("CN") && is_assigned_country("ZW"));
        // EU is "exceptionally reserved", not assigned; UK likewise (GB is the code).
        assert!(!is_assigned_country("EU") && !is_assigned_country("UK"));
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(
            check_domain("API.DeepSeek.com.").as_deref(),
            Ok("api.deepseek.com")
        );
        assert!(check_domain("*.deepseek.com").is_err());
        assert!(check_domain("com").is_err());
        assert!(check_domain("a..b").is_err());
        assert!(check_domain("-a.com").is_err());
        assert!(check_domain("aliyuncs.com").is_err());
        assert!(check_domain("dashscope.aliyuncs.com").is_ok());
    }
}
