//! The keys under which failed sign-in attempts are counted: HMAC-SHA256 of the door (password or
//! PIN), the tenant as typed (or as the device names it) and the normalised email, under a key
//! derived from the KEK. The counter belongs to what was typed, whether or not such an account
//! (or tenant) exists, so lockout tells nothing about who exists; and the stored key is useless
//! without the KEK, so the table holds nothing guessable. A KEK rotation starts every count
//! afresh (at most five more tries per identity).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Crypto, normalize_email};

/// Where a secret is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// A password at `POST /auth/login`.
    Login,
    /// A receptionist's PIN at a kiosk's override step-up.
    Pin,
}

impl Door {
    fn tag(self) -> &'static [u8] {
        match self {
            Door::Login => b"login",
            Door::Pin => b"pin",
        }
    }
}

impl Crypto {
    /// The counter key for `email` typed at `door` in `scope` (a tenant slug, compared without
    /// case, or a tenant id).
    pub fn throttle_key(&self, door: Door, scope: &str, email: &str) -> Vec<u8> {
        let kek = self.kek();
        let mut derive = <Hmac<Sha256> as KeyInit>::new_from_slice(kek.key.expose())
            .expect("HMAC takes any key length");
        derive.update(b"vestibule-throttle-v1");
        let key = Zeroizing::new(<[u8; 32]>::from(derive.finalize().into_bytes()));
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&*key).expect("HMAC takes any key length");
        for part in [
            door.tag(),
            scope.to_lowercase().as_bytes(),
            normalize_email(email).as_bytes(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Kek, Key};

    #[test]
    fn equal_for_what_types_the_same_and_apart_otherwise() {
        let c = Crypto::new(Kek::new(Key::from_slice(&[7; 32]).expect("32 bytes")));
        let k = |door, scope, email| c.throttle_key(door, scope, email);
        let base = k(Door::Login, "acme", "Ann@Acme.test");
        assert_eq!(base, k(Door::Login, "ACME", " ann@acme.test "));
        assert_ne!(base, k(Door::Pin, "acme", "ann@acme.test"));
        assert_ne!(base, k(Door::Login, "acme2", "ann@acme.test"));
        assert_ne!(base, k(Door::Login, "acm", "eann@acme.test"));
        let other = Crypto::new(Kek::new(Key::from_slice(&[8; 32]).expect("32 bytes")));
        assert_ne!(
            base,
            other.throttle_key(Door::Login, "acme", "ann@acme.test")
        );
    }
}
