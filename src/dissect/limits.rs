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
/// Caps for signature and policy files and for name matching.
pub mod signatures {
    /// A signature or policy file larger than this is refused (the shipped set is ~60 KiB).
    pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
    /// Longest DNS name (RFC 1035: 253 characters in text form); longer names never match and are
    /// normalised in a stack buffer of this size, so matching never allocates.
    pub const MAX_NAME_LEN: usize = 253;
}
