//! Who is asking: the client IP and the device a request comes from, as rate-limit keys.
//!
//! The IP is the socket's peer address, unless that peer is one of the configured trusted
//! proxies: then it is the right-most address of `X-Forwarded-For` that is not itself a trusted
//! proxy. An untrusted peer's `X-Forwarded-For` is ignored, so spoofing it changes nothing.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let hops: Vec<IpAddr> = forwarded.filter_map(|s| s.trim().parse().ok()).collect();
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// A key for the bearer token of a request (its SHA-256, shortened): the device's limiter key.
pub fn bearer_key(headers: &HeaderMap) -> Option<[u8; 16]> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let digest = Sha256::digest(token.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    Some(key)
}

/// Whether the request's bearer token is a tenant's API key (`vsk_…`).
pub fn is_api_key(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer vsk_"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("198.51.100.1"), &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("198.51.100.1"), &[ip("10.0.0.1")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client may prepend anything; the right-most untrusted hop is the one our proxy saw.
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                &xff("1.2.3.4, 198.51.100.7, 10.0.0.2"),
                &proxies
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &proxies),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("garbage"), &proxies),
            ip("10.0.0.1")
        );
    }
}
