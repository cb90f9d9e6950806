//! The tenant's offline key pairs: X25519 keys of HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305) that kiosks seal check-ins to
//! while they cannot reach the server. The private half leaves this module only sealed (the
//! store keeps it under the tenant's data key) and is zeroized when dropped.

use hpke::{
    Deserializable, Kem as _, OpModeR, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use vestibule_shared::dto::offline::HPKE_INFO;
use zeroize::Zeroizing;

use crate::error::Error;

type Kem = X25519HkdfSha256;

/// A fresh key pair: (public key, private key), 32 bytes each.
pub fn generate() -> (Vec<u8>, Zeroizing<Vec<u8>>) {
    let (private, public) = Kem::gen_keypair();
    (
        public.to_bytes().to_vec(),
        Zeroizing::new(private.to_bytes().to_vec()),
    )
}

/// Opens a check-in sealed to the pair whose private key is `private`, with HPKE's encapsulated
/// key `enc` and the associated data `aad`. Any failure is one refusal: the bytes do not open.
pub fn open(
    private: &[u8],
    enc: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let refused = || Error::InvalidInput("ciphertext: the sealed check-in does not open".into());
    let private = <Kem as hpke::Kem>::PrivateKey::from_bytes(private).map_err(|_| refused())?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| refused())?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &private,
        &enc,
        HPKE_INFO,
        ciphertext,
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| refused())
}

#[cfg(test)]
mod tests;
