//! Every cap on what a dissector reads or keeps, in one place.

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
