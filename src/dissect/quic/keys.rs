//! Initial packet protection (RFC 9001 §5): key derivation from the client's Destination Connection
//! ID (for either direction), AES-128-ECB header protection and AES-128-GCM payload protection.

use aes::Aes128;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes_gcm::aead::{AeadInOut, Tag};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use super::version::VersionParams;

/// The secrets RFC 9001 Appendix A publishes, kept to check the derivation step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InitialSecrets {
    pub initial_secret: [u8; 32],
    /// The direction's secret: `client_initial_secret` or `server_initial_secret`.
    pub direction_secret: [u8; 32],
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

/// HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context, as QUIC uses it, from an
/// already keyed HKDF (so one secret expanded several times sets up its HMAC once).
fn expand_label(prk: &Hkdf<Sha256>, label: &[u8], out: &mut [u8]) -> Result<(), &'static str> {
    const PREFIX: &[u8] = b"tls13 ";
    // Output length (2), label length (1), the label, the empty context's length (1).
    const MAX_INFO: usize = 4 + 255;
    let out_len = u16::try_from(out.len()).map_err(|_| "hkdf output too long")?;
    let label_len = u8::try_from(PREFIX.len() + label.len()).map_err(|_| "hkdf label too long")?;
    let mut info = [0u8; MAX_INFO];
    let info_len = 4 + usize::from(label_len);
    let parts: [&[u8]; 5] = [&out_len.to_be_bytes(), &[label_len], PREFIX, label, &[0]];
    let mut at = 0;
    for part in parts {
        info.get_mut(at..at + part.len())
            .ok_or("hkdf label too long")?
            .copy_from_slice(part);
        at += part.len();
    }
    let info = info.get(..info_len).ok_or("hkdf label too long")?;
    prk.expand(info, out).map_err(|_| "hkdf output too long")
}

/// Which side's Initial packets the keys protect (the HKDF label of RFC 9001 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// Derives the client's Initial secrets for `dcid` under `params` (RFC 9001 §5.2, RFC 9369 §3.3).
pub(crate) fn derive_client_secrets(
    params: &VersionParams,
    dcid: &[u8],
) -> Result<InitialSecrets, &'static str> {
    derive_secrets(params, dcid, Side::Client)
}

/// Derives one side's Initial secrets from the client's Destination Connection ID: the first one,
/// or the Source Connection ID of the server's Retry after one (RFC 9001 §5.2).
pub(crate) fn derive_secrets(
    params: &VersionParams,
    dcid: &[u8],
    side: Side,
) -> Result<InitialSecrets, &'static str> {
    // `extract` hands back the HKDF keyed with the initial secret: expanding from it saves
    // setting up the HMAC again; likewise one HKDF keyed with the direction's secret serves the
    // key, IV and header-protection labels.
    let (prk, initial) = Hkdf::<Sha256>::extract(Some(params.salt), dcid);
    let mut secrets = InitialSecrets {
        initial_secret: [0; 32],
        direction_secret: [0; 32],
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    secrets.initial_secret.copy_from_slice(prk.as_slice());
    let label: &[u8] = match side {
        Side::Client => b"client in",
        Side::Server => b"server in",
    };
    expand_label(&initial, label, &mut secrets.direction_secret)?;
    let direction =
        Hkdf::<Sha256>::from_prk(&secrets.direction_secret).map_err(|_| "hkdf secret too short")?;
    expand_label(&direction, params.key_label, &mut secrets.key)?;
    expand_label(&direction, params.iv_label, &mut secrets.iv)?;
    expand_label(&direction, params.hp_label, &mut secrets.hp)?;
    Ok(secrets)
}

/// Ready-to-use ciphers for one direction's Initial packets.
pub(crate) struct PacketKeys {
    aead: Aes128Gcm,
    iv: [u8; 12],
    header: Aes128,
}

impl std::fmt::Debug for PacketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PacketKeys { .. }")
    }
}

impl PacketKeys {
    pub(crate) fn new(secrets: &InitialSecrets) -> Self {
        PacketKeys {
            aead: Aes128Gcm::new(&Array::from(secrets.key)),
            iv: secrets.iv,
            header: Aes128::new(&Array::from(secrets.hp)),
        }
    }

    /// The 5-byte header protection mask for a 16-byte ciphertext sample (RFC 9001 §5.4.3).
    pub(crate) fn header_mask(&self, sample: &[u8; 16]) -> [u8; 5] {
        let mut block = Array::from(*sample);
        self.header.encrypt_block(&mut block);
        let mut mask = [0; 5];
        mask.copy_from_slice(&block[..5]);
        mask
    }

    /// The AEAD nonce: the IV with the packet number XORed into its low bytes (RFC 9001 §5.3).
    fn nonce(&self, packet_number: u64) -> Nonce<aes_gcm::aead::consts::U12> {
        let mut nonce = self.iv;
        for (n, p) in nonce.iter_mut().rev().zip(packet_number.to_le_bytes()) {
            *n ^= p;
        }
        Array::from(nonce)
    }

    /// Opens `sealed` (ciphertext followed by the 16-byte tag) in place; returns the plaintext
    /// length. `header` is the unprotected header, the associated data.
    pub(crate) fn open_in_place(
        &self,
        packet_number: u64,
        header: &[u8],
        sealed: &mut [u8],
    ) -> Result<usize, &'static str> {
        let plain_len = sealed
            .len()
            .checked_sub(16)
            .ok_or("payload shorter than the AEAD tag")?;
        let (payload, tag) = sealed.split_at_mut(plain_len);
        let tag =
            Tag::<Aes128Gcm>::try_from(&*tag).map_err(|_| "payload shorter than the AEAD tag")?;
        self.aead
            .decrypt_inout_detached(&self.nonce(packet_number), header, payload.into(), &tag)
            .map_err(|_| "AEAD authentication failed")?;
        Ok(plain_len)
    }

    /// Seals `payload` in place and returns the tag; used by tests to build packets.
    #[cfg(test)]
    pub(crate) fn seal_in_place(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> [u8; 16] {
        let tag = self
            .aead
            .encrypt_inout_detached(&self.nonce(packet_number), header, payload.into())
            .unwrap_or_default();
        let mut out = [0; 16];
        out.copy_from_slice(&tag);
        out
    }
}
