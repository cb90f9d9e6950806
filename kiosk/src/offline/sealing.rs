//! Sealing a check-in to the tenant's offline public key: HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), the suite the server opens.

use hpke::{
    Deserializable, OpModeS, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use vestibule_shared::dto::offline::HPKE_INFO;

use crate::error::Error;

type Kem = X25519HkdfSha256;

/// The tenant's offline public key, parsed once when fetched.
#[derive(Clone)]
pub struct PublicKey(<Kem as hpke::Kem>::PublicKey);

impl PublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, Error> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| Error::Internal("the server's offline key is not an X25519 key".into()))
    }
}

/// Seals `plaintext` with `aad`: (HPKE's encapsulated key, the ciphertext).
pub fn seal(key: &PublicKey, plaintext: &[u8], aad: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &key.0,
        HPKE_INFO,
        plaintext,
        aad,
    )
    .map(|(enc, ciphertext)| (enc.to_bytes().to_vec(), ciphertext))
    .map_err(|e| Error::Internal(format!("sealing a check-in: {e}")))
}

/// [`seal`] with the ephemeral key drawn from `rng`: the RFC's test vectors fix it.
#[cfg(test)]
pub(crate) fn seal_with(
    key: &PublicKey,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut impl hpke::rand_core::CryptoRng,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &key.0,
        HPKE_INFO,
        plaintext,
        aad,
        rng,
    )
    .map(|(enc, ciphertext)| (enc.to_bytes().to_vec(), ciphertext))
    .map_err(|e| Error::Internal(format!("sealing a check-in: {e}")))
}

#[cfg(test)]
mod tests;
