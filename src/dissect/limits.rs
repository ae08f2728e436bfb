//! Every cap on what a dissector reads or keeps, in one place.

/// Caps for signature and policy files and for name matching.
pub mod signatures {
    /// A signature or policy file larger than this is refused (the shipped set is ~60 KiB).
    pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
    /// Longest DNS name (RFC 1035: 253 characters in text form); longer names never match and are
    /// normalised in a stack buffer of this size, so matching never allocates.
    pub const MAX_NAME_LEN: usize = 253;
}
