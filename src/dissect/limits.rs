//! Every cap on what a dissector reads or keeps, in one place.

/// QUIC client Initials (`dissect::quic`).
pub mod quic {
    /// CRYPTO stream bytes kept per flow: a ClientHello larger than this is not reassembled
    /// (post-quantum key shares make ClientHellos of 1.5 to 2 KiB; 16 KiB leaves room for more).
    pub const MAX_CRYPTO_BYTES: usize = 16 * 1024;
    /// Disjoint CRYPTO ranges tracked before further out-of-order data is dropped.
    pub const MAX_CRYPTO_RANGES: usize = 64;
    /// Longest connection ID (RFC 9000 §17.2, versions 1 and 2).
    pub const MAX_CID_LEN: usize = 20;
    /// Largest packet we copy and decrypt (the scratch buffer's bound; jumbo frames fit).
    pub const MAX_PACKET_BYTES: usize = 16 * 1024;
    /// Coalesced packets looked at per datagram.
    pub const MAX_COALESCED_PACKETS: usize = 8;
    /// Client Initial packets tried per flow before giving up on a ClientHello.
    pub const MAX_INITIAL_PACKETS: usize = 32;
    /// Client datagrams looked at per flow before giving up on a ClientHello.
    pub const MAX_CLIENT_DATAGRAMS: usize = 64;
    /// Key sets kept per flow (first DCID, after Retry, after Version Negotiation).
    pub const MAX_KEY_SLOTS: usize = 3;
    /// Distinct drop reasons counted per flow.
    pub const MAX_DROP_REASONS: usize = 16;
    /// Server CRYPTO stream bytes kept per flow: the server's Initials carry only its ServerHello
    /// (about 100 bytes with X25519, about 1.2 KiB with an X25519MLKEM768 key share).
    pub const MAX_SERVER_CRYPTO_BYTES: usize = 4 * 1024;
    /// Server datagrams looked at per flow before giving up on a ServerHello (the first server
    /// datagram normally carries it; a few more allow for Retry, Version Negotiation, loss).
    pub const MAX_SERVER_DATAGRAMS: usize = 16;
    /// Server Initial packets tried per flow before giving up on a ServerHello.
    pub const MAX_SERVER_INITIAL_PACKETS: usize = 16;
    /// Client datagrams after its ClientHello with no server datagram at all before the server
    /// side is given up (a one-sided capture), so its decryption state is not kept for the flow's
    /// life.
    pub const MAX_CLIENT_DATAGRAMS_WITHOUT_SERVER: usize = 16;
}

/// Caps for signature and policy files and for name matching.
pub mod signatures {
    /// A signature or policy file larger than this is refused (the shipped set is ~60 KiB).
    pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
    /// Longest DNS name (RFC 1035: 253 characters in text form); longer names never match and are
    /// normalised in a stack buffer of this size, so matching never allocates.
    pub const MAX_NAME_LEN: usize = 253;
}

/// DNS messages (RFC 1035) and the per-flow DNS record.
pub mod dns {
    /// Longest name on the wire, length octets included (RFC 1035 §2.3.4).
    pub const MAX_NAME_WIRE_LEN: usize = 255;
    /// Longest label (RFC 1035 §2.3.4).
    pub const MAX_LABEL_LEN: usize = 63;
    /// Compression pointers followed while reading one name. Pointers must also strictly move
    /// backwards, so this only bounds work; 127 labels is the most a 255-octet name can hold.
    pub const MAX_POINTER_JUMPS: usize = 127;
    /// Questions kept from one message; further ones are parsed past and counted.
    pub const MAX_QUESTIONS_KEPT: usize = 4;
    /// Answer-section records kept from one message; further ones are parsed past and counted.
    pub const MAX_ANSWERS_KEPT: usize = 32;
    /// ALPN ids kept from one SVCB/HTTPS record.
    pub const MAX_SVCB_ALPNS: usize = 8;
    /// Addresses kept from one ipv4hint / ipv6hint parameter.
    pub const MAX_SVCB_HINTS: usize = 8;
    /// Longest ALPN id kept, in bytes (ids are opaque; longer ones are cut).
    pub const MAX_ALPN_ID_LEN: usize = 32;
    /// CNAME links followed from a question name before giving up (loops are also guarded).
    pub const MAX_CNAME_CHAIN: usize = 16;
    /// Distinct queries kept in one flow's [`DnsRecord`](crate::dissect::dns::DnsRecord).
    pub const MAX_RECORD_QUERIES: usize = 8;
    /// Distinct response codes kept in one flow's record.
    pub const MAX_RECORD_RCODES: usize = 8;
    /// Bytes of a DNS-over-TCP stream head scanned for length-prefixed messages.
    pub const MAX_TCP_SCAN: usize = 64 * 1024;
}

/// HTTP/1 request heads.
pub mod http {
    /// Bytes of a client stream head searched for the end of the request header block.
    pub const MAX_HEADER_BLOCK: usize = 8 * 1024;
    /// Longest request method token accepted before giving up ("OPTIONS", "PROPFIND", …).
    pub const MAX_METHOD_LEN: usize = 16;
    /// Longest Host value kept (a DNS name is at most 253 characters, plus a port).
    pub const MAX_HOST_LEN: usize = 261;
}

/// The IP → name cache fed by DNS answers.
pub mod names {
    /// Entries kept by default before the least recently used is evicted.
    pub const DEFAULT_CAPACITY: usize = 1_000_000;
    /// Names kept in one cached CNAME chain (query name first).
    pub const MAX_CHAIN_KEPT: usize = super::dns::MAX_CNAME_CHAIN + 1;
}

/// Caps of the TLS dissector (`dissect::tls`).
pub mod tls {
    /// Largest record payload accepted: 2^14 bytes of plaintext (RFC 8446 §5.1) plus the 2048 bytes
    /// TLS ≤ 1.2 allowed for compression expansion (RFC 5246 §6.2.2). Longer is not TLS.
    pub const MAX_RECORD_LEN: usize = 16_384 + 2_048;
    /// Largest ClientHello message kept (header included). Real hellos, post-quantum key shares and
    /// padding included, stay under 8 KiB; nDPI's "lots of cipher suites" captures under 16 KiB.
    pub const MAX_CLIENT_HELLO_LEN: usize = 65_536;
    /// Handshake bytes buffered from the server's first records (ServerHello + Certificate). Only the
    /// first certificate is read, and it is parsed as soon as its bytes are in, so a longer chain does
    /// not need the whole message.
    pub const MAX_SERVER_FLIGHT_LEN: usize = 65_536;
    /// Names kept from the server certificate (subject CNs + subjectAltName DNS names).
    pub const MAX_CERT_NAMES: usize = 64;
    /// Longest certificate name kept, in bytes (a DNS name is at most 253 characters).
    pub const MAX_CERT_NAME_LEN: usize = 255;
    /// Longest SNI host name kept, in bytes (longer is cut at a character boundary).
    pub const MAX_SNI_LEN: usize = 255;
    /// ALPN protocol names kept from one hello.
    pub const MAX_ALPN_VALUES: usize = 32;
}

/// Proxy preambles before a tunnelled TLS stream (`dissect::proxy`).
pub mod proxy {
    /// Bytes searched for the end of a CONNECT request or response header block.
    pub const MAX_PREAMBLE: usize = 4 * 1024;
}

/// Google QUIC cleartext handshake messages (`dissect::gquic`).
pub mod gquic {
    /// Bytes of a datagram searched for the CHLO tag.
    pub const MAX_CHLO_SEARCH: usize = 1500;
    /// Tag/value entries accepted in one CHLO (Chrome sends about 30).
    pub const MAX_CHLO_TAGS: usize = 128;
}

/// The engine's cache of destination countries (`classify::geo::GeoCache`).
pub mod geo {
    /// Addresses (and database records) whose country is remembered; when full, a cache is emptied
    /// and refilled (a lookup is pure, so this only costs repeated lookups).
    pub const CACHE_ENTRIES: usize = 16 * 1024;
}
