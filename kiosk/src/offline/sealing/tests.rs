//! The suite [`seal`] uses reproduces RFC 9180's test vector A.2.1 from its ephemeral key, and what
//! [`seal`] and [`seal_with`] produce opens under our `info` with the matching private key.

use std::convert::Infallible;

use hpke::{
    Kem as _, OpModeR,
    rand_core::{TryCryptoRng, TryRng},
};

use super::*;

/// RFC 9180, Appendix A.2.1: base mode, DHKEM(X25519, HKDF-SHA256) (kem_id 32), HKDF-SHA256
/// (kdf_id 1), ChaCha20-Poly1305 (aead_id 3). Its `info` ("Ode on a Grecian Urn") is not ours, so
/// the vector is checked against the suite itself.
mod rfc9180 {
    pub const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
    pub const IKM_E: &str = "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b";
    pub const IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
    pub const PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
    /// pkEm, the ephemeral public key.
    pub const ENC: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
    /// "Beauty is truth, truth beauty", the plaintext of every encryption.
    pub const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
    /// Sequence number 0 (nonce 5c4d98150661b848853b547f): aad "Count-0".
    pub const AAD_0: &str = "436f756e742d30";
    pub const CT_0: &str = concat!(
        "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db",
        "21993c62ce81883d2dd1b51a28"
    );
    /// Sequence number 1 (nonce 5c4d98150661b848853b547e): aad "Count-1".
    pub const AAD_1: &str = "436f756e742d31";
    pub const CT_1: &str = concat!(
        "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e",
        "85285337cc95ba5f59992dc98c"
    );
}

fn h(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "an even number of digits");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// An "RNG" that yields the RFC's `ikmE`: hpke draws the ephemeral key's 32 bytes of keying
/// material from it in one call and derives the key pair from them, which gives skEm.
struct FixedIkm(Vec<u8>);

impl FixedIkm {
    fn rfc9180() -> FixedIkm {
        FixedIkm(h(rfc9180::IKM_E))
    }
}

impl TryRng for FixedIkm {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("hpke fills bytes")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("hpke fills bytes")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(dst.len(), self.0.len(), "one draw of the whole ikm");
        dst.copy_from_slice(&self.0);
        Ok(())
    }
}

impl TryCryptoRng for FixedIkm {}

fn recipient_public() -> <Kem as hpke::Kem>::PublicKey {
    <Kem as hpke::Kem>::PublicKey::from_bytes(&h(rfc9180::PK_RM)).expect("pkRm")
}

#[test]
fn rfc9180_a_2_1_seals_from_ikm_e() {
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &recipient_public(),
        &h(rfc9180::INFO),
        &h(rfc9180::PT),
        &h(rfc9180::AAD_0),
        &mut FixedIkm::rfc9180(),
    )
    .expect("seals");
    assert_eq!(enc.to_bytes().as_slice(), h(rfc9180::ENC));
    assert_eq!(ciphertext, h(rfc9180::CT_0));

    let (enc, mut context) = hpke::setup_sender_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &recipient_public(),
        &h(rfc9180::INFO),
        &mut FixedIkm::rfc9180(),
    )
    .expect("the sender's context");
    assert_eq!(enc.to_bytes().as_slice(), h(rfc9180::ENC));
    let sealed = context
        .seal(&h(rfc9180::PT), &h(rfc9180::AAD_0))
        .expect("sequence number 0");
    assert_eq!(sealed, h(rfc9180::CT_0));
    let sealed = context
        .seal(&h(rfc9180::PT), &h(rfc9180::AAD_1))
        .expect("sequence number 1");
    assert_eq!(sealed, h(rfc9180::CT_1));
}

/// The recipient's pair of the vector, derived from ikmR.
fn recipient() -> (<Kem as hpke::Kem>::PrivateKey, PublicKey) {
    let (private, public) = Kem::derive_keypair(&h(rfc9180::IKM_R));
    assert_eq!(public.to_bytes().as_slice(), h(rfc9180::PK_RM));
    let public = PublicKey::from_bytes(&public.to_bytes()).expect("an X25519 public key");
    (private, public)
}

fn opened(
    private: &<Kem as hpke::Kem>::PrivateKey,
    info: &[u8],
    enc: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, hpke::HpkeError> {
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).expect("an encapsulated key");
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        private,
        &enc,
        info,
        ciphertext,
        aad,
    )
}

#[test]
fn sealed_check_ins_open_under_our_info() {
    let (private, public) = recipient();
    let aad = b"vestibule-offline-v1\nkiosk\nkey\n1700000000000";
    let (enc, ciphertext) = seal(&public, b"a check-in", aad).expect("seals");
    assert_eq!(enc.len(), 32);
    assert_eq!(ciphertext.len(), b"a check-in".len() + 16, "the tag");
    let pt = opened(&private, HPKE_INFO, &enc, &ciphertext, aad).expect("opens");
    assert_eq!(pt, b"a check-in");
    assert!(
        opened(&private, &h(rfc9180::INFO), &enc, &ciphertext, aad).is_err(),
        "another info"
    );
    assert!(
        opened(&private, HPKE_INFO, &enc, &ciphertext, b"another aad").is_err(),
        "another aad"
    );
    let (other, _) = Kem::derive_keypair(b"another recipient's keying material");
    assert!(
        opened(&other, HPKE_INFO, &enc, &ciphertext, aad).is_err(),
        "another private key"
    );
}

#[test]
fn sealing_draws_a_fresh_ephemeral_key() {
    let (_, public) = recipient();
    let (enc_a, ciphertext_a) = seal(&public, b"a check-in", b"aad").expect("seals");
    let (enc_b, ciphertext_b) = seal(&public, b"a check-in", b"aad").expect("seals");
    assert_ne!(enc_a, enc_b);
    assert_ne!(ciphertext_a, ciphertext_b);
}

#[test]
fn seal_with_a_fixed_ephemeral_key_is_deterministic() {
    let (private, public) = recipient();
    let aad = h(rfc9180::AAD_0);
    let first = seal_with(&public, &h(rfc9180::PT), &aad, &mut FixedIkm::rfc9180()).expect("seals");
    let second =
        seal_with(&public, &h(rfc9180::PT), &aad, &mut FixedIkm::rfc9180()).expect("seals");
    assert_eq!(first, second);
    let (enc, ciphertext) = first;
    // enc is the ephemeral public key alone; the ciphertext depends on our info too.
    assert_eq!(enc, h(rfc9180::ENC));
    assert_ne!(ciphertext, h(rfc9180::CT_0));
    let pt = opened(&private, HPKE_INFO, &enc, &ciphertext, &aad).expect("opens");
    assert_eq!(pt, h(rfc9180::PT));
}

#[test]
fn only_32_byte_public_keys_parse() {
    assert!(PublicKey::from_bytes(&h(rfc9180::PK_RM)).is_ok());
    assert!(PublicKey::from_bytes(&h(rfc9180::PK_RM)[..31]).is_err());
    assert!(PublicKey::from_bytes(&[0; 33]).is_err());
    assert!(PublicKey::from_bytes(&[]).is_err());
}
