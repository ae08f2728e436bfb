//! The server's Initials: RFC 9001 and RFC 9369 Appendix A.1/A.3 vectors, then server packets
//! built with the key derivation those vectors establish (Retry, reordering, budgets).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::keys::{PacketKeys, Side, derive_secrets};
use super::rfc_vectors::{
    RFC9001_CLIENT_INITIAL, RFC9001_SERVER_HELLO, RFC9001_SERVER_INITIAL, RFC9369_CLIENT_INITIAL,
    RFC9369_SERVER_INITIAL,
};
use super::test_support::*;
use super::version::{self, QUIC_V1};
use super::*;
use crate::dissect::tls;

#[test]
fn rfc9001_a1_server_initial_keys() {
    let s = derive_secrets(
        version::params(QUIC_V1).unwrap(),
        &hex(RFC_DCID),
        Side::Server,
    )
    .unwrap();
    assert_eq!(
        s.direction_secret.to_vec(),
        hex("3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b")
    );
    assert_eq!(s.key.to_vec(), hex("cf3a5331653c364c88f0f379b6067e37"));
    assert_eq!(s.iv.to_vec(), hex("0ac1493ca1905853b0bba03e"));
    assert_eq!(s.hp.to_vec(), hex("c206b8d9b9f0f37644430b490eeaa314"));
}

/// The client Initial of Appendix A.2, then the server Initial of Appendix A.3, through one flow.
fn rfc_flow(client_initial: &str, server_initial: &str) -> QuicClientInitials {
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_client_datagram(&hex(client_initial)),
        QuicProgress::ClientHelloComplete
    );
    assert_eq!(flow.server_hello(), None);
    assert_eq!(
        flow.on_server_datagram(&hex(server_initial)),
        ServerProgress::ServerHelloComplete,
        "drops {:?}",
        flow.drops()
    );
    flow
}

#[test]
fn rfc9001_a3_server_initial_yields_the_published_server_hello() {
    let flow = rfc_flow(RFC9001_CLIENT_INITIAL, RFC9001_SERVER_INITIAL);
    assert_eq!(
        flow.server_hello(),
        Some(hex(RFC9001_SERVER_HELLO).as_slice())
    );
    let hello = tls::parse_server_hello_message(flow.server_hello().unwrap()).unwrap();
    // Read off the RFC's hex: TLS_AES_128_GCM_SHA256, key_share then supported_versions (1.3).
    assert_eq!(hello.cipher_suite, 0x1301);
    assert_eq!(hello.extensions, vec![0x0033, 0x002b]);
    assert_eq!(hello.selected_version, Some(0x0304));
    #[cfg(feature = "ja4plus")]
    {
        // q, 1.3, 2 extensions, no ALPN (QUIC sends it in EncryptedExtensions);
        // sha256("0033,002b")[..12], computed with Python's hashlib.
        assert_eq!(
            hello.ja4s(tls::Transport::Quic),
            "q130200_1301_234ea6891581"
        );
    }
}

#[test]
fn rfc9369_a3_server_initial_yields_the_published_server_hello() {
    let flow = rfc_flow(RFC9369_CLIENT_INITIAL, RFC9369_SERVER_INITIAL);
    assert_eq!(
        flow.server_hello(),
        Some(hex(RFC9001_SERVER_HELLO).as_slice())
    );
}

#[test]
fn server_initial_before_any_client_initial_is_counted_and_skipped() {
    let mut flow = QuicClientInitials::new();
    assert_eq!(
        flow.on_server_datagram(&hex(RFC9001_SERVER_INITIAL)),
        ServerProgress::NeedMore
    );
    assert!(
        flow.drops()
            .iter()
            .any(|(r, _)| *r == "server Initial before any client Initial opened")
    );
    // Once the client's Initial is in, a retransmission of the same packet opens.
    flow.on_client_datagram(&hex(RFC9001_CLIENT_INITIAL));
    assert_eq!(
        flow.on_server_datagram(&hex(RFC9001_SERVER_INITIAL)),
        ServerProgress::ServerHelloComplete
    );
}

#[test]
fn a_v1_server_initial_relabelled_as_v2_does_not_open() {
    let mut flow = QuicClientInitials::new();
    flow.on_client_datagram(&hex(RFC9001_CLIENT_INITIAL));
    let mut packet = hex(RFC9001_SERVER_INITIAL);
    packet[0] = (packet[0] & 0xcf) | (version::params(QUIC_V2).unwrap().initial_type << 4);
    packet[1..5].copy_from_slice(&QUIC_V2.to_be_bytes());
    assert_eq!(flow.on_server_datagram(&packet), ServerProgress::NeedMore);
    assert_eq!(flow.server_hello(), None);
}

// ---- server packets built here, with the derivation the vectors above validate ----

/// A protected Initial of `side` (4-byte packet number), keys derived from `key_dcid`.
fn seal(side: Side, key_dcid: &[u8], dcid: &[u8], pn: u32, frames: &[u8]) -> Vec<u8> {
    seal_with_first_byte(0xc3, side, key_dcid, dcid, pn, frames)
}

fn seal_with_first_byte(
    first_byte: u8,
    side: Side,
    key_dcid: &[u8],
    dcid: &[u8],
    pn: u32,
    frames: &[u8],
) -> Vec<u8> {
    let params = version::params(QUIC_V1).unwrap();
    let keys = PacketKeys::new(&derive_secrets(params, key_dcid, side).unwrap());
    let mut payload = frames.to_vec();
    payload.resize(
        payload
            .len()
            .max(if side == Side::Client { 1100 } else { 20 }),
        0,
    );
    let mut header = vec![first_byte];
    header.extend_from_slice(&QUIC_V1.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.extend_from_slice(&[4, 0xaa, 0xbb, 0xcc, 0xdd]); // SCID
    header.push(0); // no token
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

const CLIENT_SCID: &[u8] = &[0xaa, 0xbb, 0xcc, 0xdd];

fn client_with_hello(key_dcid: &[u8]) -> QuicClientInitials {
    let ch = hex(super::rfc_vectors::RFC9001_CLIENT_HELLO);
    let mut flow = QuicClientInitials::new();
    let initial = seal(Side::Client, key_dcid, key_dcid, 0, &crypto_frame(0, &ch));
    assert_eq!(
        flow.on_client_datagram(&initial),
        QuicProgress::ClientHelloComplete
    );
    flow
}

/// A v1 Handshake packet with an opaque payload, as servers coalesce after their Initial.
fn handshake_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0xe3];
    p.extend_from_slice(&QUIC_V1.to_be_bytes());
    p.push(CLIENT_SCID.len() as u8);
    p.extend_from_slice(CLIENT_SCID);
    p.push(0);
    varint(len as u64, &mut p);
    p.extend((0..len).map(|i| (i * 7 + 3) as u8));
    p
}

#[test]
fn server_hello_split_across_coalesced_initials_in_reverse_order() {
    let sh = hex(RFC9001_SERVER_HELLO);
    let mut flow = client_with_hello(DCID_A);
    let tail = seal(
        Side::Server,
        DCID_A,
        CLIENT_SCID,
        1,
        &crypto_frame(40, &sh[40..]),
    );
    let head = seal(
        Side::Server,
        DCID_A,
        CLIENT_SCID,
        0,
        &crypto_frame(0, &sh[..40]),
    );
    let first = [tail, handshake_packet(300)].concat();
    assert_eq!(flow.on_server_datagram(&first), ServerProgress::NeedMore);
    let second = [head, handshake_packet(500)].concat();
    assert_eq!(
        flow.on_server_datagram(&second),
        ServerProgress::ServerHelloComplete
    );
    assert_eq!(flow.server_hello(), Some(sh.as_slice()));
}

#[test]
fn server_initial_with_a_greased_fixed_bit_opens() {
    // RFC 9287: after the client's grease_quic_bit transport parameter the server may clear the
    // fixed bit, from its first Initial on (quic-33.pcapng and quic-34.pcap in nDPI's captures).
    let sh = hex(RFC9001_SERVER_HELLO);
    let mut flow = client_with_hello(DCID_A);
    let greased = seal_with_first_byte(
        0x83,
        Side::Server,
        DCID_A,
        CLIENT_SCID,
        0,
        &crypto_frame(0, &sh),
    );
    assert_eq!(greased[0] & 0x40, 0);
    assert_eq!(
        flow.on_server_datagram(&greased),
        ServerProgress::ServerHelloComplete
    );
    assert_eq!(flow.server_hello(), Some(sh.as_slice()));
}

#[test]
fn after_retry_server_keys_come_from_the_retry_scid() {
    let sh = hex(RFC9001_SERVER_HELLO);
    let mut flow = client_with_hello(DCID_A);
    let mut retry = vec![0xf0];
    retry.extend_from_slice(&QUIC_V1.to_be_bytes());
    retry.push(CLIENT_SCID.len() as u8);
    retry.extend_from_slice(CLIENT_SCID);
    retry.push(DCID_B.len() as u8);
    retry.extend_from_slice(DCID_B);
    retry.extend_from_slice(&[0x77; 40]); // token and integrity tag
    assert_eq!(flow.on_server_datagram(&retry), ServerProgress::NeedMore);
    assert!(flow.retry_seen());
    // Keys of the first DCID no longer apply: that packet is counted, not read.
    let stale = seal(Side::Server, DCID_A, CLIENT_SCID, 0, &crypto_frame(0, &sh));
    assert_eq!(flow.on_server_datagram(&stale), ServerProgress::NeedMore);
    assert!(
        flow.drops()
            .iter()
            .any(|(r, _)| *r == "AEAD authentication failed")
    );
    let fresh = seal(Side::Server, DCID_B, CLIENT_SCID, 0, &crypto_frame(0, &sh));
    assert_eq!(
        flow.on_server_datagram(&fresh),
        ServerProgress::ServerHelloComplete
    );
    assert_eq!(flow.server_hello(), Some(sh.as_slice()));
}

#[test]
fn client_keys_do_not_open_server_initials() {
    // The two directions' keys differ (labels "client in" / "server in").
    let sh = hex(RFC9001_SERVER_HELLO);
    let mut flow = client_with_hello(DCID_A);
    let wrong = seal(Side::Client, DCID_A, CLIENT_SCID, 0, &crypto_frame(0, &sh));
    assert_eq!(flow.on_server_datagram(&wrong), ServerProgress::NeedMore);
    assert_eq!(flow.server_hello(), None);
}

#[test]
fn server_crypto_not_starting_with_server_hello_fails() {
    let mut flow = client_with_hello(DCID_A);
    let other = seal(
        Side::Server,
        DCID_A,
        CLIENT_SCID,
        0,
        &crypto_frame(0, &[8, 0, 0, 2, 0, 0]),
    );
    assert_eq!(
        flow.on_server_datagram(&other),
        ServerProgress::Failed("server CRYPTO stream does not start with a ServerHello")
    );
    // Terminal: a good packet afterwards changes nothing.
    let good = seal(
        Side::Server,
        DCID_A,
        CLIENT_SCID,
        1,
        &crypto_frame(0, &hex(RFC9001_SERVER_HELLO)),
    );
    assert!(matches!(
        flow.on_server_datagram(&good),
        ServerProgress::Failed(_)
    ));
}

#[test]
fn server_datagram_budget_ends_the_server_side() {
    let mut flow = client_with_hello(DCID_A);
    let mut last = ServerProgress::NeedMore;
    for _ in 0..=caps::MAX_SERVER_DATAGRAMS {
        last = flow.on_server_datagram(&[0x40, 1, 2, 3, 4, 5, 6, 7, 8]); // short header
    }
    assert_eq!(
        last,
        ServerProgress::Failed("no ServerHello within the server datagram budget")
    );
}

#[test]
fn no_panic_on_truncated_or_flipped_server_initials() {
    let packet = hex(RFC9001_SERVER_INITIAL);
    for len in 0..packet.len() {
        let mut flow = QuicClientInitials::new();
        flow.on_client_datagram(&hex(RFC9001_CLIENT_INITIAL));
        assert_ne!(
            flow.on_server_datagram(&packet[..len]),
            ServerProgress::ServerHelloComplete
        );
    }
    for bit in 0..packet.len() * 8 {
        let mut flipped = packet.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let mut flow = QuicClientInitials::new();
        flow.on_client_datagram(&hex(RFC9001_CLIENT_INITIAL));
        let _ = flow.on_server_datagram(&flipped);
    }
}

#[test]
fn session_waits_for_the_server_hello_then_releases_the_flow() {
    use crate::dissect::session::FlowDissector;
    use crate::flow::Direction::{ClientToServer, ServerToClient};
    let mut flow = FlowDissector::default();
    flow.on_udp(ClientToServer, &hex(RFC9001_CLIENT_INITIAL), 50000, 443);
    assert_eq!(flow.sni(), Some("example.com"));
    assert!(!flow.finished(), "the ServerHello is still to come");
    flow.on_udp(ServerToClient, &hex(RFC9001_SERVER_INITIAL), 50000, 443);
    assert!(flow.finished());
    assert_eq!(flow.server_hello().map(|h| h.cipher_suite), Some(0x1301));
    let record = flow.tls_record().unwrap();
    assert_eq!(record.cipher.as_deref(), Some("0x1301"));
    #[cfg(feature = "ja4plus")]
    assert_eq!(record.ja4s.as_deref(), Some("q130200_1301_234ea6891581"));
}
