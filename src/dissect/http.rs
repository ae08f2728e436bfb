//! HTTP/1 request heads: the `Host` a client names, from the first bytes it sends.
//!
//! Accepts: the head of the client-to-server byte stream, as reassembled so far. Promises: a verdict
//! that only moves from [`HttpScan::NeedMore`] to a final one as bytes are added; no panic on any
//! input; a quick [`HttpScan::NotHttp`] when the first bytes cannot start a request line; at most
//! [`MAX_HEADER_BLOCK`] bytes examined. Never: allocates more than the returned host name, reads
//! beyond the slice, or looks at the request body.
//!
//! The request line must be `METHOD SP target SP HTTP/1.x`, with a method from a fixed list (RFC 9110
//! §9 and the common WebDAV ones). Header lines may end in CRLF or bare LF. The first `Host` header
//! (name case-insensitive) is returned as soon as its line is complete: value trimmed of spaces and
//! tabs, port removed (`host:8080` → `host`, `[2001:db8::1]:8080` → `2001:db8::1`), lower-cased,
//! bytes outside printable ASCII as `?`.

use crate::dissect::limits::http::{MAX_HEADER_BLOCK, MAX_HOST_LEN, MAX_METHOD_LEN};

/// Verdict on a client stream head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpScan {
    /// An HTTP/1 request with this host (see the module documentation for its form).
    Host(String),
    /// An HTTP/1 request whose header block ended without a `Host` header, or with an empty one.
    NoHost,
    /// Could still be a request: give more bytes.
    NeedMore,
    /// Not an HTTP/1 request, with the reason.
    NotHttp(&'static str),
}

const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"PUT",
    b"DELETE",
    b"HEAD",
    b"OPTIONS",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
];

/// Scans the client's stream head for an HTTP/1 request and its `Host`.
pub fn scan_http_host(head: &[u8]) -> HttpScan {
    let head = head.get(..MAX_HEADER_BLOCK).unwrap_or(head);
    let capped = head.len() == MAX_HEADER_BLOCK;

    // Method: decide as early as the bytes allow. A space past MAX_METHOD_LEN would end an unknown
    // method anyway, so only that far is searched (not the whole head of a binary stream).
    let method_len = head
        .iter()
        .take(MAX_METHOD_LEN + 1)
        .position(|&b| b == b' ');
    let method = head
        .get(..method_len.unwrap_or(head.len()))
        .unwrap_or_default();
    if method_len.is_none() {
        if method.len() > MAX_METHOD_LEN || !METHODS.iter().any(|m| m.starts_with(method)) {
            return HttpScan::NotHttp("unknown method");
        }
        return HttpScan::NeedMore;
    }
    if !METHODS.contains(&method) {
        return HttpScan::NotHttp("unknown method");
    }

    let mut lines = Lines { rest: head };
    let Some(request_line) = lines.next() else {
        return need_more_or(capped, "request line over the scan cap");
    };
    if let Err(reason) = check_request_line(request_line) {
        return HttpScan::NotHttp(reason);
    }
    for line in lines.by_ref() {
        if line.is_empty() {
            return HttpScan::NoHost;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return HttpScan::NotHttp("header line without a colon");
        };
        let (field, value) = line.split_at(colon);
        if field.eq_ignore_ascii_case(b"host") {
            return host_value(value.get(1..).unwrap_or_default());
        }
    }
    need_more_or(capped, "header block over the scan cap")
}

fn need_more_or(capped: bool, reason: &'static str) -> HttpScan {
    if capped {
        HttpScan::NotHttp(reason)
    } else {
        HttpScan::NeedMore
    }
}

/// Complete lines (without their CRLF or LF); an unterminated tail is not yielded.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let end = self.rest.iter().position(|&b| b == b'\n')?;
        let line = self.rest.get(..end)?;
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

fn check_request_line(line: &[u8]) -> Result<(), &'static str> {
    let mut parts = line.split(|&b| b == b' ').filter(|part| !part.is_empty());
    let (_method, target, version) = (parts.next(), parts.next(), parts.next());
    if target.is_none() {
        return Err("request line without a target");
    }
    let version = version.ok_or("request line without a version")?;
    if parts.next().is_some() {
        return Err("request line with extra fields");
    }
    match version {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => Ok(()),
        _ => Err("not HTTP/1.x"),
    }
}

fn host_value(value: &[u8]) -> HttpScan {
    let value = value.trim_ascii();
    if value.is_empty() {
        return HttpScan::NoHost;
    }
    if value.len() > MAX_HOST_LEN {
        return HttpScan::NotHttp("Host value too long");
    }
    let host = if let Some(bracketed) = value.strip_prefix(b"[") {
        // IPv6 literal (RFC 3986 §3.2.2), with or without a port after the bracket.
        match bracketed.iter().position(|&b| b == b']') {
            Some(close) => bracketed.get(..close).unwrap_or_default(),
            None => return HttpScan::NotHttp("unclosed IPv6 literal in Host"),
        }
    } else {
        match value.iter().rposition(|&b| b == b':') {
            Some(colon) => {
                let port = value.get(colon + 1..).unwrap_or_default();
                if port.iter().all(u8::is_ascii_digit) {
                    value.get(..colon).unwrap_or_default()
                } else {
                    value
                }
            }
            None => value,
        }
    };
    if host.is_empty() {
        return HttpScan::NoHost;
    }
    HttpScan::Host(
        host.iter()
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b.to_ascii_lowercase())
                } else {
                    '?'
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str) -> HttpScan {
        HttpScan::Host(name.to_string())
    }

    #[test]
    fn finds_host_with_any_case_spacing_and_port() {
        // Shapes from RFC 9112 §3.2 and RFC 9110 §7.2 (Host = uri-host [ ":" port ]).
        let req =
            b"GET /v1/chat HTTP/1.1\r\nUser-Agent: x\r\nhOsT: \t API.OpenAI.com:8080 \r\n\r\n";
        assert_eq!(scan_http_host(req), host("api.openai.com"));
        let req = b"POST / HTTP/1.0\nHost:[2001:DB8::1]:80\n\n";
        assert_eq!(scan_http_host(req), host("2001:db8::1"));
        let req = b"CONNECT chat.deepseek.com:443 HTTP/1.1\r\nHost: chat.deepseek.com:443\r\n\r\n";
        assert_eq!(scan_http_host(req), host("chat.deepseek.com"));
    }

    #[test]
    fn waits_for_more_until_the_block_ends() {
        let full = b"GET / HTTP/1.1\r\nAccept: */*\r\nHost: example.com\r\n\r\n";
        // Every strict prefix that stops before the Host line's LF must ask for more.
        let host_lf = full.len() - 3;
        for cut in 0..host_lf {
            assert_eq!(
                scan_http_host(&full[..cut]),
                HttpScan::NeedMore,
                "cut at {cut}"
            );
        }
        assert_eq!(scan_http_host(&full[..=host_lf]), host("example.com"));
    }

    #[test]
    fn rejects_non_http_quickly() {
        // A TLS record header and an SSH banner fail on their first bytes.
        assert!(matches!(
            scan_http_host(&[0x16, 0x03]),
            HttpScan::NotHttp(_)
        ));
        assert!(matches!(scan_http_host(b"SSH-2.0-"), HttpScan::NotHttp(_)));
        assert!(matches!(
            scan_http_host(b"GET / HTTP/2.0\r\n"),
            HttpScan::NotHttp(_)
        ));
        assert!(matches!(
            scan_http_host(b"GETS / HTTP/1.1\r\n"),
            HttpScan::NotHttp(_)
        ));
    }

    #[test]
    fn reports_a_request_without_host() {
        assert_eq!(scan_http_host(b"GET / HTTP/1.0\r\n\r\n"), HttpScan::NoHost);
        assert_eq!(
            scan_http_host(b"GET / HTTP/1.1\r\nHost:\r\n\r\n"),
            HttpScan::NoHost
        );
    }

    #[test]
    fn gives_up_at_the_cap() {
        let mut req = b"GET / HTTP/1.1\r\n".to_vec();
        while req.len() < MAX_HEADER_BLOCK + 10 {
            req.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert!(matches!(scan_http_host(&req), HttpScan::NotHttp(_)));
        // Below the cap the same padding only asks for more.
        assert_eq!(scan_http_host(&req[..1000]), HttpScan::NeedMore);
    }
}
