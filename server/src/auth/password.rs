//! Argon2id for passwords and PINs, at OWASP's minimum or above (m = 19456 KiB, t = 2, p = 1),
//! stored as PHC strings. Hashing runs on the blocking pool: it takes tens of milliseconds by design.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::error::Error;

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(M_COST, T_COST, P_COST, None).expect("valid params"),
    )
}

/// A hash of a throwaway secret, verified against when a user does not exist so that an unknown
/// email costs the same time as a wrong password.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash_now("vestibule-dummy-secret").expect("hashing works"));

fn hash_now(secret: &str) -> Result<String, Error> {
    argon2()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("argon2: {e}")))
}

/// Hashes a secret.
pub async fn hash(secret: &str) -> Result<String, Error> {
    let secret = zeroize::Zeroizing::new(secret.to_owned());
    tokio::task::spawn_blocking(move || hash_now(&secret))
        .await
        .map_err(|e| Error::Internal(e.into()))?
}

/// Checks `secret` against `stored` (or against a dummy hash when there is no user).
pub async fn verify(stored: Option<&str>, secret: &str) -> Result<bool, Error> {
    let stored = stored.map(str::to_owned);
    let secret = zeroize::Zeroizing::new(secret.to_owned());
    tokio::task::spawn_blocking(move || {
        let phc = stored.as_deref().unwrap_or(DUMMY.as_str());
        let ok = PasswordHash::new(phc)
            .is_ok_and(|h| argon2().verify_password(secret.as_bytes(), &h).is_ok());
        ok && stored.is_some()
    })
    .await
    .map_err(|e| Error::Internal(e.into()))
}

/// Whether a stored hash is below the current policy (another algorithm or weaker parameters).
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(p) = Params::try_from(&h) else {
        return true;
    };
    h.algorithm.as_str() != "argon2id"
        || p.m_cost() < M_COST
        || p.t_cost() < T_COST
        || p.p_cost() < P_COST
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_meet_policy() {
        let h = hash("correct horse battery").await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify(Some(&h), "correct horse battery")
                .await
                .expect("verify")
        );
        assert!(
            !verify(Some(&h), "wrong horse battery")
                .await
                .expect("verify")
        );
        assert!(!verify(None, "anything").await.expect("verify"));
        assert!(!needs_rehash(&h));
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).expect("params"),
        )
        .hash_password(b"x")
        .expect("hash")
        .to_string();
        assert!(needs_rehash(&weak));
    }
}
