//! Override mode while no server answers. A receptionist's email and PIN are checked by the
//! server; each time that succeeds, the kiosk keeps an Argon2id hash of the PIN (a random salt of
//! its own, in memory only, keyed by a hash of the email) so that the same receptionist can enter
//! override mode on this kiosk during an outage. Such a session sees only what the kiosk itself
//! holds (the waiting check-ins' first names and times) and may quit the kiosk; everything else
//! needs the server. Five wrong tries lock it for five minutes. A receptionist who has not signed
//! in on this kiosk since it started cannot enter it offline.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::Error;

/// Wrong tries before offline sign-in locks, and for how long.
const TRIES: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(300);

/// What offline override mode needs.
#[derive(Default)]
pub struct Desk {
    /// SHA-256 of the lowercased email → the PHC string of the PIN's hash.
    verifiers: HashMap<[u8; 32], String>,
    failures: u32,
    locked_until: Option<Instant>,
    /// Whether override mode was entered offline (no token: the server never saw it).
    pub signed_in: bool,
}

fn key(email: &str) -> [u8; 32] {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

impl Desk {
    /// Keeps the hash of a PIN the server accepted for `email`.
    pub fn remember(&mut self, email: &str, phc: String) {
        self.verifiers.insert(key(email), phc);
        self.failures = 0;
    }

    /// The stored hash to check `email`'s PIN against, unless offline sign-in is locked.
    pub fn verifier(&self, email: &str) -> Result<Option<String>, Error> {
        if self
            .locked_until
            .is_some_and(|until| Instant::now() < until)
        {
            return Err(Error::Locked);
        }
        Ok(self.verifiers.get(&key(email)).cloned())
    }

    /// Records the outcome of an offline sign-in.
    pub fn outcome(&mut self, ok: bool) {
        if ok {
            self.failures = 0;
            self.locked_until = None;
            self.signed_in = true;
            return;
        }
        self.failures += 1;
        if self.failures >= TRIES {
            self.failures = 0;
            self.locked_until = Some(Instant::now() + LOCKOUT);
        }
    }
}

/// Hashes a PIN (Argon2id, a random salt) on the blocking pool.
pub async fn hash(pin: &str) -> Result<String, Error> {
    let pin = Zeroizing::new(pin.to_owned());
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pin.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `pin` matches `phc` (a wrong PIN against no hash at all costs the same time).
pub async fn verify(phc: Option<String>, pin: &str) -> Result<bool, Error> {
    let pin = Zeroizing::new(pin.to_owned());
    let known = phc.is_some();
    let phc = match phc {
        Some(p) => p,
        None => hash("not-a-pin").await?,
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        }) && known
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_remembered_pin_opens_and_five_wrong_ones_lock() {
        let mut desk = Desk::default();
        let phc = hash("482913").await.expect("hash");
        assert!(!phc.contains("482913"));
        desk.remember("Desk@Example.test", phc);
        let stored = desk.verifier("desk@example.test").expect("not locked");
        assert!(verify(stored.clone(), "482913").await.expect("verify"));
        assert!(!verify(stored, "000000").await.expect("verify"));
        assert!(!verify(None, "482913").await.expect("verify"), "no one");
        for _ in 0..TRIES {
            desk.outcome(false);
        }
        assert!(matches!(
            desk.verifier("desk@example.test"),
            Err(Error::Locked)
        ));
    }
}
