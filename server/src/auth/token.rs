//! Bearer tokens: 256-bit random secrets, shown once, stored as SHA-256, compared in constant time.
//!
//! A token names its kind and (except for platform keys) its tenant in the clear, so the server
//! knows which tenant's rows to look in before it looks: `vsd_<tenant>_<secret>` for a kiosk
//! device, `vss_…` for a signed-in user, `vsr_…` for a kiosk override, `vsk_…` for a tenant's
//! API key, `vsp_<secret>` for the platform operator. Neither part is personal data.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;
use vestibule_shared::types::EnrollmentCode;
use zeroize::Zeroizing;

use crate::ids::TenantId;

/// What a bearer token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    Device,
    Override,
    Operator,
    ApiKey,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Session => "vss",
            Self::Device => "vsd",
            Self::Override => "vsr",
            Self::Operator => "vsp",
            Self::ApiKey => "vsk",
        }
    }
}

/// A freshly made token: the secret to show once, and the hash to store.
pub struct Issued {
    pub token: Zeroizing<String>,
    pub hash: [u8; 32],
}

/// A token as presented: its kind, tenant and hash (the secret itself is not kept), and for a
/// session, the CSRF value its browser writes must carry.
#[derive(Debug, Clone, Copy)]
pub struct Presented {
    pub kind: TokenKind,
    pub tenant: Option<TenantId>,
    pub hash: [u8; 32],
    pub csrf: Option<[u8; 32]>,
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    parts.iter().for_each(|p| h.update(p));
    h.finalize().into()
}

/// Makes a new token of `kind` (bound to `tenant`, except operator tokens).
pub fn issue(kind: TokenKind, tenant: Option<TenantId>) -> Issued {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(secret.as_mut());
    let encoded = Zeroizing::new(URL_SAFE_NO_PAD.encode(secret.as_ref()));
    let token = Zeroizing::new(match tenant {
        Some(t) => format!("{}_{}_{}", kind.prefix(), t.0.simple(), encoded.as_str()),
        None => format!("{}_{}", kind.prefix(), encoded.as_str()),
    });
    let hash = sha256(&[token.as_bytes()]);
    Issued { token, hash }
}

/// Parses a presented token. `None` for anything malformed.
pub fn parse(raw: &str) -> Option<Presented> {
    if raw.len() > 200 {
        return None;
    }
    let (prefix, rest) = raw.split_once('_')?;
    let kind = match prefix {
        "vss" => TokenKind::Session,
        "vsd" => TokenKind::Device,
        "vsr" => TokenKind::Override,
        "vsp" => TokenKind::Operator,
        "vsk" => TokenKind::ApiKey,
        _ => return None,
    };
    // The secret is base64url and may itself contain `_`; the tenant part never does.
    let (tenant, secret) = match kind {
        TokenKind::Operator => (None, rest),
        _ => {
            let (t, s) = rest.split_once('_')?;
            (Some(TenantId(Uuid::try_parse(t).ok()?)), s)
        }
    };
    if URL_SAFE_NO_PAD.decode(secret).ok()?.len() != 32 {
        return None;
    }
    Some(Presented {
        kind,
        tenant,
        hash: sha256(&[raw.as_bytes()]),
        // Derived from the secret, never stored: only a page that can read `/auth/me` with the
        // session learns it, and the database alone cannot make it.
        csrf: (kind == TokenKind::Session).then(|| sha256(&[b"vestibule-csrf:", raw.as_bytes()])),
    })
}

/// How a CSRF value is written in `X-CSRF-Token`.
pub fn csrf_text(csrf: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(csrf)
}

/// Constant-time equality of two stored hashes.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A new enrollment code (16 characters of the code alphabet, about 79 bits).
pub fn enrollment_code() -> EnrollmentCode {
    let raw = crate::ids::random_code(EnrollmentCode::LEN);
    EnrollmentCode::parse(&raw).expect("generated from the code alphabet")
}

/// What is stored of an enrollment code.
pub fn enrollment_hash(code: &EnrollmentCode) -> [u8; 32] {
    sha256(&[b"vestibule-enrollment:", code.as_str().as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_parse_back_to_their_hash() {
        let t = TenantId(Uuid::now_v7());
        let issued = issue(TokenKind::Device, Some(t));
        let p = parse(&issued.token).expect("parses");
        assert_eq!(p.kind, TokenKind::Device);
        assert_eq!(p.tenant, Some(t));
        assert!(same(&p.hash, &issued.hash));
        let op = issue(TokenKind::Operator, None);
        assert_eq!(parse(&op.token).map(|p| p.kind), Some(TokenKind::Operator));
    }

    #[test]
    fn secrets_with_underscores_parse() {
        for _ in 0..200 {
            let t = issue(TokenKind::Operator, None);
            assert!(parse(&t.token).is_some());
            let t = issue(TokenKind::Session, Some(TenantId(Uuid::now_v7())));
            assert!(parse(&t.token).is_some());
            let t = issue(TokenKind::ApiKey, Some(TenantId(Uuid::now_v7())));
            assert_eq!(parse(&t.token).map(|p| p.kind), Some(TokenKind::ApiKey));
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "vsd",
            "vsd_x_y",
            "xxx_0191_aaaa",
            "vsp_short",
            "vsd_00000000000000000000000000000000_abc_def",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
