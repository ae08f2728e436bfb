//! Proxy preambles before TLS: HTTP `CONNECT`, SOCKS4/4a and SOCKS5. A client that reaches an AI
//! service through a proxy still sends its ClientHello, only later in the stream; these functions
//! say where the tunnelled bytes start in each direction so the TLS scanners can read them.
//!
//! Contract: pure functions of a stream head; `Pending` until the preamble is complete; never panic.

use super::limits::proxy::MAX_PREAMBLE;

/// Which proxy protocol a client stream opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proxy {
    HttpConnect,
    Socks4,
    /// SOCKS5, with whether the client offered only username/password authentication.
    Socks5 {
        user_pass: bool,
    },
}

/// Where the tunnelled stream starts, or why not yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preamble {
    /// The tunnel starts at this offset of the head.
    Ends(Proxy, usize),
    Pending,
    /// Not a proxy preamble.
    No,
}

fn header_end(head: &[u8]) -> Option<usize> {
    head.windows(4)
        .take(MAX_PREAMBLE)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

fn socks_addr_len(atyp: u8, head: &[u8], at: usize) -> Option<Option<usize>> {
    match atyp {
        1 => Some(Some(4)),
        4 => Some(Some(16)),
        3 => Some(head.get(at).map(|n| 1 + usize::from(*n))),
        _ => None,
    }
}

/// The client's preamble.
pub fn client_preamble(head: &[u8]) -> Preamble {
    let Some(&first) = head.first() else {
        return Preamble::Pending;
    };
    if first == b'C' {
        if !b"CONNECT ".starts_with(&head[..head.len().min(8)]) {
            return Preamble::No;
        }
        return match header_end(head) {
            Some(end) => Preamble::Ends(Proxy::HttpConnect, end),
            None if head.len() < MAX_PREAMBLE => Preamble::Pending,
            None => Preamble::No,
        };
    }
    if first == 4 {
        // SOCKS4: VN CD DSTPORT DSTIP USERID NUL [DOMAIN NUL when DSTIP is 0.0.0.x].
        if head.len() < 9 {
            return if head.get(1).is_none_or(|cd| *cd == 1 || *cd == 2) {
                Preamble::Pending
            } else {
                Preamble::No
            };
        }
        if head[1] != 1 && head[1] != 2 {
            return Preamble::No;
        }
        let Some(user_end) = head[8..]
            .iter()
            .take(MAX_PREAMBLE)
            .position(|b| *b == 0)
            .map(|i| 8 + i + 1)
        else {
            // A user id longer than any client sends: not SOCKS4.
            return if head.len() >= MAX_PREAMBLE {
                Preamble::No
            } else {
                Preamble::Pending
            };
        };
        let socks4a = head[4..7] == [0, 0, 0] && head[7] != 0;
        if !socks4a {
            return Preamble::Ends(Proxy::Socks4, user_end);
        }
        return match head[user_end..].iter().take(256).position(|b| *b == 0) {
            Some(i) => Preamble::Ends(Proxy::Socks4, user_end + i + 1),
            None => Preamble::Pending,
        };
    }
    if first == 5 {
        // SOCKS5 greeting: VER NMETHODS METHODS…
        let Some(&n) = head.get(1) else {
            return Preamble::Pending;
        };
        if n == 0 || n > 16 {
            return Preamble::No;
        }
        let methods_end = 2 + usize::from(n);
        let Some(methods) = head.get(2..methods_end) else {
            return Preamble::Pending;
        };
        let user_pass = !methods.contains(&0) && methods.contains(&2);
        let mut at = methods_end;
        if user_pass {
            // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD.
            let Some(&ulen) = head.get(at + 1) else {
                return Preamble::Pending;
            };
            let Some(&plen) = head.get(at + 2 + usize::from(ulen)) else {
                return Preamble::Pending;
            };
            at += 3 + usize::from(ulen) + usize::from(plen);
        }
        // Request: VER CMD RSV ATYP ADDR PORT.
        let Some(req) = head.get(at..at + 4) else {
            return Preamble::Pending;
        };
        if req[0] != 5 {
            return Preamble::No;
        }
        return match socks_addr_len(req[3], head, at + 4) {
            None => Preamble::No,
            Some(None) => Preamble::Pending,
            Some(Some(len)) => {
                let end = at + 4 + len + 2;
                if head.len() >= end {
                    Preamble::Ends(Proxy::Socks5 { user_pass }, end)
                } else {
                    Preamble::Pending
                }
            }
        };
    }
    Preamble::No
}

/// The proxy's answer before the tunnel: where the server's tunnelled stream starts.
pub fn server_preamble(proxy: Proxy, head: &[u8]) -> Preamble {
    match proxy {
        Proxy::HttpConnect => {
            // Only a 2xx opens the tunnel.
            if head.len() >= 12 && !(head.starts_with(b"HTTP/1.") && head[9] == b'2') {
                return Preamble::No;
            }
            match header_end(head) {
                Some(end) => Preamble::Ends(proxy, end),
                None if head.len() < MAX_PREAMBLE => Preamble::Pending,
                None => Preamble::No,
            }
        }
        Proxy::Socks4 => {
            if head.len() < 8 {
                Preamble::Pending
            } else if head[1] == 0x5a {
                Preamble::Ends(proxy, 8)
            } else {
                Preamble::No
            }
        }
        Proxy::Socks5 { user_pass } => {
            // Method choice (2), auth status when user/pass (2), then VER REP RSV ATYP ADDR PORT.
            let at = if user_pass { 4 } else { 2 };
            let Some(rep) = head.get(at..at + 4) else {
                return Preamble::Pending;
            };
            if rep[0] != 5 || rep[1] != 0 {
                return Preamble::No;
            }
            match socks_addr_len(rep[3], head, at + 4) {
                None => Preamble::No,
                Some(None) => Preamble::Pending,
                Some(Some(len)) => {
                    let end = at + 4 + len + 2;
                    if head.len() >= end {
                        Preamble::Ends(proxy, end)
                    } else {
                        Preamble::Pending
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_connect_both_ways() {
        let c = b"CONNECT api.deepseek.com:443 HTTP/1.1\r\nHost: api.deepseek.com:443\r\n\r\n\x16\x03\x01";
        assert_eq!(
            client_preamble(c),
            Preamble::Ends(Proxy::HttpConnect, c.len() - 3)
        );
        assert_eq!(client_preamble(&c[..20]), Preamble::Pending);
        let s = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03";
        assert_eq!(
            server_preamble(Proxy::HttpConnect, s),
            Preamble::Ends(Proxy::HttpConnect, s.len() - 3)
        );
        assert_eq!(
            server_preamble(Proxy::HttpConnect, b"HTTP/1.1 407 Proxy Auth\r\n\r\n"),
            Preamble::No
        );
        assert_eq!(client_preamble(b"GET / HTTP/1.1\r\n"), Preamble::No);
    }

    #[test]
    fn socks4_and_4a() {
        let c = [4, 1, 1, 187, 93, 184, 216, 34, b'u', 0, 0x16];
        assert_eq!(client_preamble(&c), Preamble::Ends(Proxy::Socks4, 10));
        let mut a = vec![4, 1, 1, 187, 0, 0, 0, 1, 0];
        a.extend_from_slice(b"example.com\0");
        a.push(0x16);
        assert_eq!(
            client_preamble(&a),
            Preamble::Ends(Proxy::Socks4, a.len() - 1)
        );
        assert_eq!(
            server_preamble(Proxy::Socks4, &[0, 0x5a, 0, 0, 0, 0, 0, 0, 0x16]),
            Preamble::Ends(Proxy::Socks4, 8)
        );
        assert_eq!(
            server_preamble(Proxy::Socks4, &[0, 0x5b, 0, 0, 0, 0, 0, 0]),
            Preamble::No
        );
    }

    #[test]
    fn socks5_domain_request_and_reply() {
        let mut c = vec![5, 1, 0, 5, 1, 0, 3, 11];
        c.extend_from_slice(b"example.com");
        c.extend_from_slice(&[1, 187, 0x16]);
        assert_eq!(
            client_preamble(&c),
            Preamble::Ends(Proxy::Socks5 { user_pass: false }, c.len() - 1)
        );
        assert_eq!(client_preamble(&c[..9]), Preamble::Pending);
        let s = [5, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0, 80, 0x16];
        assert_eq!(
            server_preamble(Proxy::Socks5 { user_pass: false }, &s),
            Preamble::Ends(Proxy::Socks5 { user_pass: false }, 12)
        );
    }

    #[test]
    fn tls_and_garbage_are_not_preambles() {
        assert_eq!(client_preamble(&[0x16, 3, 1, 0, 5]), Preamble::No);
        assert_eq!(client_preamble(&[5, 0]), Preamble::No);
        for n in 0..64u8 {
            let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            let _ = client_preamble(&junk);
            let _ = server_preamble(Proxy::Socks5 { user_pass: true }, &junk);
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    }

    /// socks-https-example.pcap (FoxIO's JA4 captures), stream 10.180.156.185:53556 to :1080: the
    /// SOCKS5 greeting `05 02 00 01` gets its method choice `05 00` before the client sends its
    /// request, so the server's first bytes arrive while the client's preamble is still pending.
    /// They must not be judged "not TLS": the tunnelled ServerHello follows the SOCKS reply.
    #[test]
    fn socks5_method_choice_before_the_request_keeps_the_server_side() {
        use crate::dissect::session::FlowDissector;
        use crate::flow::Direction::{ClientToServer, ServerToClient};
        // Bytes as `tshark -z follow,tcp,raw` prints them; the TLS records are the capture's.
        let client_hello = unhex(concat!(
            "16030100730100006f0301529cc0007ec960f9b5f50dd5e6b4819d1894dae1bcbfc3049f72daf96f1877",
            "6c00002e00390038003500160013000a00330032002f009a00990096000500040015001200090014001100",
            "080006000300ff0100001800000014001200000f7777772e6578616d706c652e636f6d",
        ));
        let server_hello = unhex(concat!(
            "16030100510200004d0301529cbffdb07e5af4ac482e51a07c433bd023031be8849ebae33012a0159193",
            "dd20f7186f0670e348e24ec9b816eb2a2832c21ce3a14ea81aa1a388f91c3cd014b10005000005ff0100",
            "0100",
        ));
        let mut client = vec![5, 2, 0, 1];
        let mut server = vec![5, 0];
        let mut flow = FlowDissector::default();
        flow.on_tcp_head(ClientToServer, &client, 1080, false);
        flow.on_tcp_head(ServerToClient, &server, 1080, false);
        client.extend_from_slice(&[5, 1, 0, 1, 0x5d, 0xb8, 0xd8, 0x77, 0x01, 0xbb]);
        flow.on_tcp_head(ClientToServer, &client, 1080, false);
        server.extend_from_slice(&[5, 0, 0, 1, 0x0a, 0xb4, 0x9c, 0xf9, 0x99, 0xb6]);
        flow.on_tcp_head(ServerToClient, &server, 1080, false);
        client.extend_from_slice(&client_hello);
        flow.on_tcp_head(ClientToServer, &client, 1080, false);
        server.extend_from_slice(&server_hello);
        // The flow ends before the certificate is in: the ServerHello alone must still count.
        flow.on_tcp_head(ServerToClient, &server, 1080, true);
        assert_eq!(flow.proxy, Some(Proxy::Socks5 { user_pass: false }));
        assert_eq!(flow.sni(), Some("www.example.com"));
        let hello = flow
            .server_hello()
            .expect("ServerHello behind the SOCKS5 reply");
        // TLS_RSA_WITH_RC4_128_SHA and renegotiation_info, as Wireshark dissects this packet.
        assert_eq!(hello.cipher_suite, 0x0005);
        assert_eq!(hello.extensions, vec![0xff01]);
        #[cfg(feature = "ja4plus")]
        {
            // FoxIO's Rust and Python references for this stream.
            let record = flow.tls_record().expect("TLS record");
            assert_eq!(record.ja4s.as_deref(), Some("t100100_0005_bc98f8e001b5"));
        }
    }
}
