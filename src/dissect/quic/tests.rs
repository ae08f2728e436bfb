//! Published vectors (RFC 9001 and RFC 9369 Appendix A), packets built with our own key derivation
//! (whose correctness the vectors establish), and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::keys::{PacketKeys, derive_client_secrets};
use super::rfc_vectors::{RFC9001_CLIENT_HELLO, RFC9001_CLIENT_INITIAL, RFC9369_CLIENT_INITIAL};
use super::test_support::*;
use super::version::{self, QUIC_DRAFT_29, QUIC_V1, QUIC_V2};
use super::*;

#[test]
fn rfc9001_a1_client_initial_keys() {
    let s = derive_client_secrets(version::params(QUIC_V1).unwrap(), &hex(RFC_DCID)).unwrap();
    assert_eq!(
        s.initial_secret.to_vec(),
        hex("7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44")
    );
    assert_eq!(
        s.direction_secret.to_vec(),
        hex("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea")
    );
    assert_eq!(s.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
    assert_eq!(s.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
    assert_eq!(s.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
}

#[test]
fn rfc9001_a2_header_protection_mask() {
    let s = derive_client_secrets(version::params(QUIC_V1).unwrap(), &hex(RFC_DCID)).unwrap();
    let sample: [u8; 16] = hex("d1b1c98dd7689fb8ec11d242b123dc9b").try_into().unwrap();
    assert_eq!(
        PacketKeys::new(&s).header_mask(&sample).to_vec(),
        hex("437b9aec36")
    );
}

#[test]
fn rfc9369_a1_client_initial_keys() {
    let s = derive_client_secrets(version::params(QUIC_V2).unwrap(), &hex(RFC_DCID)).unwrap();
    assert_eq!(
        s.initial_secret.to_vec(),
        hex("2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba")
    );
    assert_eq!(
        s.direction_secret.to_vec(),
        hex("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b")
    );
    assert_eq!(s.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
    assert_eq!(s.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
    assert_eq!(s.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
    // RFC 9369 A.2: sample and mask of the client Initial.
    let sample: [u8; 16] = hex("ffe67b6abcdb4298b485dd04de806071").try_into().unwrap();
    assert_eq!(
        PacketKeys::new(&s).header_mask(&sample).to_vec(),
        hex("94a0c95e80")
    );
}

#[test]
fn rfc9001_a2_client_initial_yields_the_published_client_hello() {
    let datagram = hex(RFC9001_CLIENT_INITIAL);
    assert!(looks_like_client_initial(&datagram));
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&datagram),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(
        flow.client_hello(),
        Some(hex(RFC9001_CLIENT_HELLO).as_slice())
    );
    assert_eq!(flow.version(), Some(QUIC_V1));
    assert!(flow.drops().is_empty(), "{:?}", flow.drops());
    // The RFC's packet number is 2.
    assert_eq!(flow.slots.first().and_then(|s| s.largest_pn), Some(2));
}

#[test]
fn rfc9369_a2_client_initial_yields_the_published_client_hello() {
    let datagram = hex(RFC9369_CLIENT_INITIAL);
    assert!(looks_like_client_initial(&datagram));
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&datagram),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(
        flow.client_hello(),
        Some(hex(RFC9001_CLIENT_HELLO).as_slice())
    );
    assert_eq!(flow.version(), Some(QUIC_V2));
}

#[test]
fn a_v1_packet_relabelled_as_v2_does_not_decrypt() {
    // Same bytes, v2 version field: wrong salt, labels and type bits; must not yield anything.
    let mut datagram = hex(RFC9001_CLIENT_INITIAL);
    datagram[1..5].copy_from_slice(&QUIC_V2.to_be_bytes());
    let mut flow = QuicClientInitials::new();
    assert_ne!(
        flow.on_client_datagram(&datagram),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), None);
}

// ---- packets built here, with the derivation the vectors above validate ----

/// A protected client Initial with a 4-byte packet number, frames padded to `min_payload`.
fn seal_initial(version: u32, dcid: &[u8], token: &[u8], pn: u32, frames: &[u8]) -> Vec<u8> {
    let params = version::params(version).unwrap();
    let keys = PacketKeys::new(&derive_client_secrets(params, dcid).unwrap());
    let mut payload = frames.to_vec();
    payload.resize(payload.len().max(1100), 0);
    let mut header = vec![0xc0 | (params.initial_type << 4) | 0x03];
    header.extend_from_slice(&version.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.extend_from_slice(&[4, 0xaa, 0xbb, 0xcc, 0xdd]); // SCID
    varint(token.len() as u64, &mut header);
    header.extend_from_slice(token);
    varint((4 + payload.len() + 16) as u64, &mut header);
    let pn_offset = header.len();
    header.extend_from_slice(&pn.to_be_bytes());
    let tag = keys.seal_in_place(u64::from(pn), &header, &mut payload);
    let mut packet = [header, payload, tag.to_vec()].concat();
    let sample: [u8; 16] = packet[pn_offset + 4..pn_offset + 20].try_into().unwrap();
    let mask = keys.header_mask(&sample);
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    packet
}

/// A v1 Handshake packet with an opaque (undecryptable to us) payload.
fn handshake_packet(dcid: &[u8], len: usize) -> Vec<u8> {
    let mut p = vec![0xe3];
    p.extend_from_slice(&QUIC_V1.to_be_bytes());
    p.push(dcid.len() as u8);
    p.extend_from_slice(dcid);
    p.push(0);
    varint(len as u64, &mut p);
    p.extend((0..len).map(|i| (i * 7 + 3) as u8));
    p
}

#[test]
fn our_sealing_matches_rfc9001_a2() {
    // The builder above, fed the RFC's unprotected packet, must give the RFC's protected bytes;
    // otherwise the tests below would prove nothing.
    let params = version::params(QUIC_V1).unwrap();
    let keys = PacketKeys::new(&derive_client_secrets(params, &hex(RFC_DCID)).unwrap());
    let header = hex("c300000001088394c8f03e5157080000449e00000002");
    let mut payload = crypto_frame(0, &hex(RFC9001_CLIENT_HELLO));
    payload.resize(1200 - header.len() - 16, 0);
    let tag = keys.seal_in_place(2, &header, &mut payload);
    let sealed = [payload, tag.to_vec()].concat();
    assert_eq!(sealed[..], hex(RFC9001_CLIENT_INITIAL)[header.len()..]);
}

#[test]
fn client_hello_split_across_two_initials_in_reverse_order() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    let first = seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch[..100]));
    let second = seal_initial(QUIC_V1, DCID_A, &[], 1, &crypto_frame(100, &ch[100..]));
    let mut flow = QuicClientInitials::new();
    assert_eq!(flow.on_client_datagram(&second), QuicProgress::NeedMore);
    assert_eq!(flow.client_hello(), None);
    assert_eq!(
        flow.on_client_datagram(&first),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
    assert!(flow.drops().is_empty(), "{:?}", flow.drops());
}

#[test]
fn chrome_style_shuffled_crypto_frames_with_ping_and_padding() {
    // Chrome splits the ClientHello into several CRYPTO frames out of order, between PING and
    // PADDING frames, within one packet.
    let ch = hex(RFC9001_CLIENT_HELLO);
    let frames = [
        vec![0x01, 0x00, 0x00],
        crypto_frame(200, &ch[200..]),
        vec![0x00; 7],
        crypto_frame(0, &ch[..50]),
        vec![0x01],
        crypto_frame(50, &ch[50..200]),
        // ACK frame: largest 0, delay 0, one extra range, first range 0, gap 0, len 0.
        vec![0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00],
    ]
    .concat();
    let packet = seal_initial(QUIC_DRAFT_29, DCID_A, &[], 0, &frames);
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&packet),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
    assert_eq!(flow.version(), Some(QUIC_DRAFT_29));
}

#[test]
fn coalesced_initial_handshake_initial_and_padding() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    let datagram = [
        seal_initial(QUIC_V1, DCID_A, &[], 1, &crypto_frame(120, &ch[120..])),
        handshake_packet(DCID_A, 60),
        seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch[..120])),
        vec![0; 30],
    ]
    .concat();
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&datagram),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
    assert!(flow.drops().is_empty(), "{:?}", flow.drops());
}

#[test]
fn retry_switches_keys_and_restarts_the_crypto_stream() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    // First attempt, keys of DCID_A: the tail of a different ClientHello of the same length.
    let mut other = ch.clone();
    for b in &mut other[150..] {
        *b ^= 0x55;
    }
    let mut flow = QuicClientInitials::new();
    let before = seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(150, &other[150..]));
    assert_eq!(flow.on_client_datagram(&before), QuicProgress::NeedMore);
    // Retry from the server: SCID DCID_B becomes the client's new DCID.
    let mut retry = vec![0xf0];
    retry.extend_from_slice(&QUIC_V1.to_be_bytes());
    retry.push(4);
    retry.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
    retry.push(DCID_B.len() as u8);
    retry.extend_from_slice(DCID_B);
    retry.extend_from_slice(&[0x77; 40]); // token and integrity tag
    flow.on_server_datagram(&retry);
    assert!(flow.retry_seen());
    let token = [0x77; 24];
    let head = seal_initial(QUIC_V1, DCID_B, &token, 1, &crypto_frame(0, &ch[..150]));
    // Without the restart, the first attempt's tail would complete a mixed ClientHello here.
    assert_eq!(flow.on_client_datagram(&head), QuicProgress::NeedMore);
    let tail = seal_initial(QUIC_V1, DCID_B, &token, 2, &crypto_frame(150, &ch[150..]));
    assert_eq!(
        flow.on_client_datagram(&tail),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
}

#[test]
fn client_keeps_its_first_keys_after_changing_dcid() {
    // RFC 9001 §5.2: after the server's first Initial the client sends to the server's SCID, but
    // its Initial keys still derive from the first DCID.
    let ch = hex(RFC9001_CLIENT_HELLO);
    let params = version::params(QUIC_V1).unwrap();
    let mut flow = QuicClientInitials::new();
    let first = seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch[..100]));
    assert_eq!(flow.on_client_datagram(&first), QuicProgress::NeedMore);
    // The second Initial goes to a new DCID but is protected with DCID_A's keys.
    let keys = PacketKeys::new(&derive_client_secrets(params, DCID_A).unwrap());
    let new_dcid = [0x42; 8];
    let mut header = vec![0xc3];
    header.extend_from_slice(&QUIC_V1.to_be_bytes());
    header.push(8);
    header.extend_from_slice(&new_dcid);
    header.push(0);
    header.push(0); // token
    let mut payload = crypto_frame(100, &ch[100..]);
    payload.resize(1100, 0);
    varint((4 + payload.len() + 16) as u64, &mut header);
    let pn_offset = header.len();
    header.extend_from_slice(&1u32.to_be_bytes());
    let tag = keys.seal_in_place(1, &header, &mut payload);
    let mut packet = [header, payload, tag.to_vec()].concat();
    let sample: [u8; 16] = packet[pn_offset + 4..pn_offset + 20].try_into().unwrap();
    let mask = keys.header_mask(&sample);
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    assert_eq!(
        flow.on_client_datagram(&packet),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
}

#[test]
fn version_negotiation_then_new_version() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    let mut flow = QuicClientInitials::new();
    let draft = seal_initial(QUIC_DRAFT_29, DCID_A, &[], 0, &crypto_frame(0, &ch[..100]));
    assert_eq!(flow.on_client_datagram(&draft), QuicProgress::NeedMore);
    assert_eq!(flow.version(), Some(QUIC_DRAFT_29));
    let mut vn = vec![0x80, 0, 0, 0, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd, 8];
    vn.extend_from_slice(DCID_A);
    vn.extend_from_slice(&QUIC_V1.to_be_bytes());
    flow.on_server_datagram(&vn);
    assert!(flow.version_negotiation_seen());
    let v1 = seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch));
    assert_eq!(
        flow.on_client_datagram(&v1),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.version(), Some(QUIC_V1));
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
}

#[test]
fn unknown_frame_type_is_counted_and_earlier_crypto_kept() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    // A STREAM frame (0x08) is not allowed in an Initial.
    let frames = [crypto_frame(0, &ch), vec![0x08, 0x00, 0x01, 0xff]].concat();
    let mut flow = QuicClientInitials::new();
    let packet = seal_initial(QUIC_V1, DCID_A, &[], 0, &frames);
    assert_eq!(
        flow.on_client_datagram(&packet),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(
        flow.drops(),
        &[("frame type not allowed in an Initial packet", 1)]
    );
}

#[test]
fn crypto_stream_not_starting_with_client_hello_fails() {
    let mut flow = QuicClientInitials::new();
    let packet = seal_initial(
        QUIC_V1,
        DCID_A,
        &[],
        0,
        &crypto_frame(0, &[2, 0, 0, 4, 1, 2, 3, 4]),
    );
    assert!(matches!(
        flow.on_client_datagram(&packet),
        QuicProgress::Failed(_)
    ));
    assert!(matches!(
        flow.on_client_datagram(&packet),
        QuicProgress::Failed(_)
    ));
}

#[test]
fn oversized_client_hello_fails_cleanly() {
    let mut flow = QuicClientInitials::new();
    // Declares a 1 MiB ClientHello.
    let packet = seal_initial(
        QUIC_V1,
        DCID_A,
        &[],
        0,
        &crypto_frame(0, &[1, 0x10, 0, 0, 3, 3]),
    );
    assert_eq!(
        flow.on_client_datagram(&packet),
        QuicProgress::Failed("ClientHello larger than the CRYPTO buffer cap")
    );
}

#[test]
fn truncated_packet_is_counted_not_fatal() {
    let datagram = hex(RFC9001_CLIENT_INITIAL);
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&datagram[..600]),
        QuicProgress::NotQuic
    );
    assert_eq!(flow.drops(), &[("Length field beyond the datagram", 1)]);
    // The full packet still works afterwards.
    assert_eq!(
        flow.on_client_datagram(&datagram),
        QuicProgress::ClientHelloComplete
    );
}

#[test]
fn corrupted_ciphertext_is_counted_by_reason() {
    let mut datagram = hex(RFC9001_CLIENT_INITIAL);
    datagram[800] ^= 1;
    let mut flow = QuicClientInitials::new();
    assert_eq!(flow.on_client_datagram(&datagram), QuicProgress::NeedMore);
    assert_eq!(flow.drops(), &[("AEAD authentication failed", 1)]);
}

#[test]
fn garbage_is_not_quic() {
    let mut flow = QuicClientInitials::new();
    for garbage in [
        &b""[..],
        b"\x00",
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xff; 64],
        &[0xc0; 3],
    ] {
        assert!(!looks_like_client_initial(garbage));
        assert_eq!(flow.on_client_datagram(garbage), QuicProgress::NotQuic);
    }
}

#[test]
fn datagram_budget_ends_the_flow() {
    let mut flow = QuicClientInitials::new();
    let mut last = QuicProgress::NeedMore;
    for _ in 0..=crate::dissect::limits::quic::MAX_CLIENT_DATAGRAMS {
        last = flow.on_client_datagram(&[0x40, 1, 2, 3]);
    }
    assert_eq!(
        last,
        QuicProgress::Failed("no ClientHello within the datagram budget")
    );
}

#[test]
fn version_names_match_ndpi_spelling() {
    // Spellings from nDPI's reports (`quic_version` in its per-flow results).
    assert_eq!(quic_version_name(QUIC_V1), "V-1");
    assert_eq!(quic_version_name(QUIC_V2), "V-2");
    assert_eq!(quic_version_name(QUIC_DRAFT_29), "Draft-29");
    assert_eq!(quic_version_name(0xff00_0022), "Draft-34");
    assert_eq!(quic_version_name(0xface_b002), "MVFST-27");
    assert_eq!(quic_version_name(u32::from_be_bytes(*b"Q046")), "Q046");
    assert_eq!(quic_version_name(u32::from_be_bytes(*b"T051")), "T051");
    assert_eq!(quic_version_name(0), "Ver-Negotiation");
    assert_eq!(quic_version_name(0x1a2a_3a4a), "0x1a2a3a4a");
}

#[test]
fn packet_number_decoding_rfc9000_a3_example() {
    // RFC 9000 Appendix A.3: largest 0xa82f30ea, truncated 0x9b32 (2 bytes) decodes to 0xa82f9b32.
    assert_eq!(
        packet::decode_packet_number(0xa82f_30eb, 0x9b32, 2),
        0xa82f_9b32
    );
    assert_eq!(packet::decode_packet_number(0, 2, 4), 2);
}

#[test]
fn no_panic_on_truncations_and_bit_flips() {
    let ch = hex(RFC9001_CLIENT_HELLO);
    let coalesced = [
        seal_initial(QUIC_V1, DCID_A, &[], 1, &crypto_frame(120, &ch[120..])),
        handshake_packet(DCID_A, 60),
        seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch[..120])),
    ]
    .concat();
    let inputs = [
        hex(RFC9001_CLIENT_INITIAL),
        hex(RFC9369_CLIENT_INITIAL),
        coalesced,
    ];
    for input in &inputs {
        // Truncations: every prefix up to the first 64 bytes (the headers), then every 7th.
        for len in (0..input.len()).filter(|l| *l < 64 || l % 7 == 0) {
            let mut flow = QuicClientInitials::new();
            let _ = flow.on_client_datagram(&input[..len]);
            flow.on_server_datagram(&input[..len]);
            assert_eq!(flow.client_hello(), None);
        }
        // Bit flips: every header byte, every 13th payload byte, one bit each.
        for pos in (0..input.len()).filter(|p| *p < 64 || p % 13 == 0) {
            let mut flipped = input.clone();
            flipped[pos] ^= 1 << (pos % 8);
            let mut flow = QuicClientInitials::new();
            let progress = flow.on_client_datagram(&flipped);
            flow.on_server_datagram(&flipped);
            if let Some(hello) = flow.client_hello() {
                // A flip outside what authentication covers (e.g. the skipped Handshake packet)
                // may leave a result, but never a different one.
                assert_eq!(progress, QuicProgress::ClientHelloComplete);
                assert_eq!(hello, ch.as_slice());
            }
        }
    }
}

#[test]
fn no_panic_on_random_mutations_and_datagram_sequences() {
    // A fixed xorshift stream: reproducible, several bytes changed per input, and inputs fed as
    // sequences to one flow so that state carried between datagrams is exercised too.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ch = hex(RFC9001_CLIENT_HELLO);
    let bases = [
        hex(RFC9001_CLIENT_INITIAL),
        hex(RFC9369_CLIENT_INITIAL),
        seal_initial(QUIC_V1, DCID_A, &[], 0, &crypto_frame(0, &ch[..100])),
        seal_initial(QUIC_V1, DCID_A, &[], 1, &crypto_frame(100, &ch[100..])),
        handshake_packet(DCID_A, 40),
    ];
    for _ in 0..300 {
        let mut flow = QuicClientInitials::new();
        for _ in 0..4 {
            let base = &bases[(next() % bases.len() as u64) as usize];
            let mut input = base.clone();
            for _ in 0..(next() % 4) {
                // Mutations concentrate on the first 64 bytes, where the headers are.
                let span = if next() % 2 == 0 {
                    64.min(input.len())
                } else {
                    input.len()
                };
                let pos = (next() % span as u64) as usize;
                input[pos] = next() as u8;
            }
            input.truncate(input.len().saturating_sub((next() % 3 * 200) as usize));
            if next() % 4 == 0 {
                flow.on_server_datagram(&input);
            } else {
                let _ = flow.on_client_datagram(&input);
            }
            if let Some(hello) = flow.client_hello() {
                // Authenticated data only: a ClientHello, when one comes out, is the real one.
                assert_eq!(hello, ch.as_slice());
            }
        }
    }
}

/// Google QUIC's CRYPTO frame: type 0x08, then offset and length as varints.
fn gquic_crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x08];
    varint(offset, &mut f);
    varint(data.len() as u64, &mut f);
    f.extend_from_slice(data);
    f
}

#[test]
fn t051_initial_with_gquic_frames_yields_the_client_hello() {
    const T051: u32 = u32::from_be_bytes(*b"T051");
    let ch = hex(RFC9001_CLIENT_HELLO);
    // A gQUIC ACK (0x40, six bytes) before the CRYPTO frame, as Chrome sent after a CHLO retry.
    let frames = [
        vec![0x40, 0, 0, 0, 0, 0],
        gquic_crypto_frame(0, &ch[..120]),
        gquic_crypto_frame(120, &ch[120..]),
    ]
    .concat();
    let mut flow = QuicClientInitials::new();
    let packet = seal_initial(T051, DCID_A, &[], 0, &frames);
    assert_eq!(
        flow.on_client_datagram(&packet),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(ch.as_slice()));
    assert!(!flow.carries_chlo());
    // The same frames under v1 are not a v1 Initial's frames (0x08 is STREAM there).
    let mut v1 = QuicClientInitials::new();
    let packet = seal_initial(QUIC_V1, DCID_A, &[], 0, &frames);
    assert_eq!(v1.on_client_datagram(&packet), QuicProgress::NeedMore);
    assert!(!v1.drops().is_empty());
}

#[test]
fn q050_chlo_is_complete_only_with_its_last_value() {
    const Q050: u32 = u32::from_be_bytes(*b"Q050");
    // CHLO with two tags: SNI "example.org" (11 bytes) then VER "Q050" (4 bytes): ends 11 and 15.
    let mut chlo = b"CHLO".to_vec();
    chlo.extend_from_slice(&2u16.to_le_bytes());
    chlo.extend_from_slice(&[0, 0]);
    chlo.extend_from_slice(b"SNI\0");
    chlo.extend_from_slice(&11u32.to_le_bytes());
    chlo.extend_from_slice(b"VER\0");
    chlo.extend_from_slice(&15u32.to_le_bytes());
    chlo.extend_from_slice(b"example.orgQ050");
    let mut flow = QuicClientInitials::new();
    let first = seal_initial(Q050, DCID_A, &[], 0, &gquic_crypto_frame(0, &chlo[..30]));
    assert_eq!(flow.on_client_datagram(&first), QuicProgress::NeedMore);
    assert!(flow.carries_chlo());
    let second = seal_initial(Q050, DCID_A, &[], 1, &gquic_crypto_frame(30, &chlo[30..]));
    assert_eq!(
        flow.on_client_datagram(&second),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.client_hello(), Some(chlo.as_slice()));
    assert_eq!(
        crate::dissect::gquic::chlo_sni(&chlo).as_deref(),
        Some("example.org")
    );
}
