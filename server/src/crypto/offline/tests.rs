//! The suite [`open`] uses reproduces RFC 9180's test vector A.2.1, and [`open`] opens what is
//! sealed to a [`generate`]d key under our `info` and refuses anything else.

use hpke::OpModeS;

use super::*;

/// RFC 9180, Appendix A.2.1: base mode, DHKEM(X25519, HKDF-SHA256) (kem_id 32), HKDF-SHA256
/// (kdf_id 1), ChaCha20-Poly1305 (aead_id 3). Its `info` ("Ode on a Grecian Urn") is not ours, so
/// the vector is checked against the suite itself.
mod rfc9180 {
    pub const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
    pub const IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
    /// As published, unclamped: hpke clamps private keys when it reads and writes them.
    pub const SK_RM: &str = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
    pub const PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
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
    hex::decode(hex).expect("hex")
}

/// RFC 9180 §7.1.2: X25519 private keys are clamped when serialised.
fn clamped(mut key: Vec<u8>) -> Vec<u8> {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

fn private_key(bytes: &[u8]) -> <Kem as hpke::Kem>::PrivateKey {
    <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes).expect("an X25519 private key")
}

fn encapped_key(bytes: &[u8]) -> <Kem as hpke::Kem>::EncappedKey {
    <Kem as hpke::Kem>::EncappedKey::from_bytes(bytes).expect("an encapsulated key")
}

#[test]
fn rfc9180_a_2_1_recipient_key_pair_derives_from_ikm_r() {
    let (private, public) = <Kem as hpke::Kem>::derive_keypair(&h(rfc9180::IKM_R));
    assert_eq!(public.to_bytes().as_slice(), h(rfc9180::PK_RM));
    assert!(private == private_key(&h(rfc9180::SK_RM)), "skRm");
    assert_eq!(
        private.to_bytes().as_slice(),
        clamped(h(rfc9180::SK_RM)),
        "skRm, serialised clamped"
    );
    assert_eq!(
        <Kem as hpke::Kem>::sk_to_pk(&private_key(&h(rfc9180::SK_RM)))
            .to_bytes()
            .as_slice(),
        h(rfc9180::PK_RM)
    );
}

#[test]
fn rfc9180_a_2_1_opens() {
    let (private, _) = <Kem as hpke::Kem>::derive_keypair(&h(rfc9180::IKM_R));
    let enc = encapped_key(&h(rfc9180::ENC));
    let info = h(rfc9180::INFO);

    // Single-shot is sequence number 0 only.
    let pt = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &private_key(&h(rfc9180::SK_RM)),
        &enc,
        &info,
        &h(rfc9180::CT_0),
        &h(rfc9180::AAD_0),
    )
    .expect("sequence number 0 opens");
    assert_eq!(pt, h(rfc9180::PT));

    let mut context = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &private,
        &enc,
        &info,
    )
    .expect("the receiver's context");
    let opened = context
        .open(&h(rfc9180::CT_0), &h(rfc9180::AAD_0))
        .expect("sequence number 0 opens");
    assert_eq!(opened, h(rfc9180::PT));
    let opened = context
        .open(&h(rfc9180::CT_1), &h(rfc9180::AAD_1))
        .expect("sequence number 1 opens");
    assert_eq!(opened, h(rfc9180::PT));
}

#[test]
fn rfc9180_a_2_1_does_not_open_under_our_info() {
    // `open` binds HPKE_INFO: the vector's own key, enc, ciphertext and aad are refused.
    assert!(
        open(
            &h(rfc9180::SK_RM),
            &h(rfc9180::ENC),
            &h(rfc9180::CT_0),
            &h(rfc9180::AAD_0)
        )
        .is_err()
    );
}

fn sealed_to(public: &[u8], plaintext: &[u8], aad: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let public = <Kem as hpke::Kem>::PublicKey::from_bytes(public).expect("an X25519 public key");
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        HPKE_INFO,
        plaintext,
        aad,
    )
    .expect("seals");
    (enc.to_bytes().to_vec(), ciphertext)
}

#[test]
fn generated_keys_open_what_is_sealed_to_them() {
    let (public, private) = generate();
    assert_eq!(public.len(), 32);
    assert_eq!(private.len(), 32);
    let aad = b"vestibule-offline-v1\nkiosk\nkey\n1700000000000";
    let (enc, ciphertext) = sealed_to(&public, b"a check-in", aad);
    let opened = open(&private, &enc, &ciphertext, aad).expect("opens");
    assert_eq!(opened.as_slice(), b"a check-in");
}

#[test]
fn anything_else_is_refused() {
    let (public, private) = generate();
    let aad = b"vestibule-offline-v1\nkiosk\nkey\n1700000000000";
    let (enc, ciphertext) = sealed_to(&public, b"a check-in", aad);

    assert!(
        open(
            &private,
            &enc,
            &ciphertext,
            b"vestibule-offline-v1\nkiosk\nkey\n1700000000001"
        )
        .is_err(),
        "another aad"
    );
    for i in [0, ciphertext.len() / 2, ciphertext.len() - 1] {
        let mut flipped = ciphertext.clone();
        flipped[i] ^= 1;
        assert!(
            open(&private, &enc, &flipped, aad).is_err(),
            "byte {i} flipped"
        );
    }
    let (_, other) = generate();
    assert!(
        open(&other, &enc, &ciphertext, aad).is_err(),
        "another private key"
    );
    let mut other_enc = enc.clone();
    other_enc[0] ^= 1;
    assert!(
        open(&private, &other_enc, &ciphertext, aad).is_err(),
        "another enc"
    );
    assert!(
        open(&private[..31], &enc, &ciphertext, aad).is_err(),
        "a short private key"
    );
    assert!(
        open(&private, &enc[..31], &ciphertext, aad).is_err(),
        "a short enc"
    );
    assert!(
        open(&private, &enc, &ciphertext[..15], aad).is_err(),
        "shorter than a tag"
    );
}
