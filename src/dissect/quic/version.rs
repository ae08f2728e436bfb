//! What differs between the QUIC versions whose client Initials we can open: the initial salt, the
//! HKDF labels and the long-header type bits (RFC 9001 §5.2, RFC 9369 §3, draft-ietf-quic-tls-27…34).

/// QUIC version 1 (RFC 9000).
pub const QUIC_V1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const QUIC_V2: u32 = 0x6b33_43cf;
/// IETF draft 29, the last draft widely deployed before RFC 9000.
pub const QUIC_DRAFT_29: u32 = 0xff00_001d;

/// RFC 9001 §5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 §5.2 (drafts 29 to 32).
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 §5.2 (drafts 23 to 28, and mvfst's draft-27 flavour).
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

/// Google QUIC T051 (TLS 1.3 inside gQUIC's IETF-style Initials): Chromium's `kT051Salt`, also in
/// nDPI, Wireshark and lsquic.
const SALT_T051: [u8; 20] = [
    0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc,
    0xda, 0x6e, 0x03, 0x3d,
];
/// Google QUIC Q050 (gQUIC crypto, its CHLO in IETF-style Initials): Chromium's `kQ050Salt`, also
/// in lsquic's `salt_Q050`, nDPI and Wireshark.
const SALT_Q050: [u8; 20] = [
    0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0,
    0xd3, 0xb5, 0x6b, 0x45,
];
/// Google QUIC T050: Chromium's `kT050Salt`.
const SALT_T050: [u8; 20] = [
    0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c,
    0x60, 0x48, 0x83, 0x10,
];

/// How one version protects its Initial packets.
#[derive(Debug)]
pub(crate) struct VersionParams {
    pub salt: &'static [u8; 20],
    pub key_label: &'static [u8],
    pub iv_label: &'static [u8],
    pub hp_label: &'static [u8],
    /// Long-header type bits (`(first_byte >> 4) & 3`) of an Initial packet.
    pub initial_type: u8,
    /// Long-header type bits of a Retry packet (which has no Length field).
    pub retry_type: u8,
    /// Google QUIC's frame dialect inside IETF-style Initials (Q050/T050/T051): CRYPTO is type 0x08.
    pub gquic_frames: bool,
    /// The CRYPTO stream carries a gQUIC CHLO (Q050), not a TLS ClientHello.
    pub chlo: bool,
}

const V1_LIKE_LABELS: (&[u8], &[u8], &[u8]) = (b"quic key", b"quic iv", b"quic hp");

const fn v1_like(salt: &'static [u8; 20]) -> VersionParams {
    VersionParams {
        salt,
        key_label: V1_LIKE_LABELS.0,
        iv_label: V1_LIKE_LABELS.1,
        hp_label: V1_LIKE_LABELS.2,
        initial_type: 0b00,
        retry_type: 0b11,
        gquic_frames: false,
        chlo: false,
    }
}

/// Google QUIC with TLS: v1-style protection, its own salt, its own frame types.
const fn gquic_tls(salt: &'static [u8; 20]) -> VersionParams {
    VersionParams {
        gquic_frames: true,
        ..v1_like(salt)
    }
}

static PARAMS_V1: VersionParams = v1_like(&SALT_V1);
static PARAMS_DRAFT_29: VersionParams = v1_like(&SALT_DRAFT_29);
static PARAMS_DRAFT_23: VersionParams = v1_like(&SALT_DRAFT_23);
static PARAMS_T051: VersionParams = gquic_tls(&SALT_T051);
static PARAMS_T050: VersionParams = gquic_tls(&SALT_T050);
static PARAMS_Q050: VersionParams = VersionParams {
    chlo: true,
    ..gquic_tls(&SALT_Q050)
};
static PARAMS_V2: VersionParams = VersionParams {
    salt: &SALT_V2,
    key_label: b"quicv2 key",
    iv_label: b"quicv2 iv",
    hp_label: b"quicv2 hp",
    initial_type: 0b01,
    retry_type: 0b00,
    gquic_frames: false,
    chlo: false,
};

/// mvfst (Facebook) speaking draft 27.
const MVFST_27: u32 = 0xface_b002;

/// The protection parameters of `version`, or `None` when we cannot open its Initials.
pub(crate) fn params(version: u32) -> Option<&'static VersionParams> {
    match version {
        QUIC_V1 => Some(&PARAMS_V1),
        QUIC_V2 => Some(&PARAMS_V2),
        // Drafts 27 and 28 (and mvfst's draft-27) kept the draft-23 salt.
        0xff00_001b | 0xff00_001c | MVFST_27 => Some(&PARAMS_DRAFT_23),
        // Drafts 29 to 32 share the draft-29 salt.
        0xff00_001d..=0xff00_0020 => Some(&PARAMS_DRAFT_29),
        // Drafts 33 and 34 already used the final RFC 9001 salt.
        0xff00_0021 | 0xff00_0022 => Some(&PARAMS_V1),
        // Google QUIC with TLS 1.3 (`T051`, `T050`): v1-style protection with their own salts.
        0x5430_3531 => Some(&PARAMS_T051),
        0x5430_3530 => Some(&PARAMS_T050),
        // Google QUIC Q050: the same protection and frames, a CHLO inside.
        0x5130_3530 => Some(&PARAMS_Q050),
        // Reserved versions (RFC 9000 §15, `0x?a?a?a?a`) exist to force Version Negotiation and
        // define no protection. Clients of the draft-29 era protected them as draft 29, and
        // Wireshark opens them so; the AEAD tag tells when the guess is wrong.
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => Some(&PARAMS_DRAFT_29),
        _ => None,
    }
}

/// A short human name for a QUIC version, spelled as nDPI prints it (`V-1`, `V-2`, `Draft-29`,
/// `MVFST-27`, `Q046`, `T051`, `Ver-Negotiation`); unknown versions as `0x` and eight hex digits.
pub fn quic_version_name(version: u32) -> String {
    match version {
        0 => "Ver-Negotiation".to_owned(),
        QUIC_V1 => "V-1".to_owned(),
        QUIC_V2 => "V-2".to_owned(),
        0xface_b001 => "MVFST-22".to_owned(),
        MVFST_27 => "MVFST-27".to_owned(),
        0xface_b00e => "MVFST-EXP".to_owned(),
        v if v >> 8 == 0x00ff_0000 => format!("Draft-{}", v & 0xff),
        v => {
            // Google QUIC versions are four ASCII characters: 'Q' or 'T' and three digits.
            let bytes = v.to_be_bytes();
            let ascii = matches!(bytes.first(), Some(b'Q' | b'T'))
                && bytes.iter().skip(1).all(u8::is_ascii_digit);
            if ascii {
                bytes.iter().map(|&b| char::from(b)).collect()
            } else {
                format!("0x{v:08x}")
            }
        }
    }
}
