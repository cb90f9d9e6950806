//! Outbound HTTPS to webhook receivers, kept from reaching inside: `https://` only, certificates
//! verified (the public roots plus a webhook's own CA), no proxy, no redirects, bounded time and
//! answer size. The address a name resolves to is checked at connect time by the resolver the
//! client connects through, so a name that resolves to a private address later (DNS rebinding)
//! is refused as well; a URL with an IP literal is checked before the request. Loopback,
//! private, shared, link-local (and so the cloud metadata address), multicast and unspecified
//! addresses are refused unless the operator allows their network (`--webhook-allow-network`).

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::{ClientConfig, pki_types::CertificateDer, pki_types::pem::PemObject};
use sha2::{Digest, Sha256};

/// The most of an answer read (the rest is dropped: only the status matters).
const ANSWER_CAP: usize = 64 * 1024;

/// Why a request did not get an answer (no URL and no personal data in it).
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("the receiver's address is not allowed (loopback, private, link-local or multicast)")]
    Forbidden,
    #[error("timed out")]
    Timeout,
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the CA certificate does not parse")]
    BadCa,
    #[error("{0}")]
    Other(String),
}

/// Sends webhook requests; one client per CA, kept.
#[derive(Clone)]
pub struct Egress {
    allow: Arc<Vec<IpNet>>,
    timeout: Duration,
    clients: Arc<Mutex<HashMap<[u8; 32], reqwest::Client>>>,
}

/// Whether `ip` is an address a webhook may not reach by default.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

fn allowed(allow: &[IpNet], ip: IpAddr) -> bool {
    !forbidden(ip) || allow.iter().any(|n| n.contains(&ip))
}

/// The resolver the client connects through: the system's, with forbidden addresses removed.
struct Guarded(Arc<Vec<IpNet>>);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.0.clone();
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let ok: Vec<SocketAddr> = found.filter(|a| allowed(&allow, a.ip())).collect();
            if ok.is_empty() {
                return Err(Box::new(EgressError::Forbidden) as _);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

impl Egress {
    pub fn new(allow: Vec<IpNet>, timeout: Duration) -> Self {
        Self {
            allow: Arc::new(allow),
            timeout,
            clients: Arc::default(),
        }
    }

    /// POSTs `body` with `headers` to `url`; the receiver's status, or why there is none.
    pub async fn post(
        &self,
        url: &str,
        ca_pem: Option<&str>,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<u16, EgressError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| EgressError::Other("bad URL".into()))?;
        if parsed.scheme() != "https" {
            return Err(EgressError::Other("only https:// is sent to".into()));
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !allowed(&self.allow, ip)) {
            return Err(EgressError::Forbidden);
        }
        let client = self.client(ca_pem)?;
        let mut req = client
            .post(parsed)
            .header("content-type", "application/json")
            .header("user-agent", "Vestibule-Webhooks/1");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut answer = req.body(body).send().await.map_err(classify)?;
        let status = answer.status().as_u16();
        let mut read = 0;
        while read < ANSWER_CAP {
            match answer.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        Ok(status)
    }

    /// The client for `ca_pem` (made once per CA).
    fn client(&self, ca_pem: Option<&str>) -> Result<reqwest::Client, EgressError> {
        let key: [u8; 32] = Sha256::digest(ca_pem.unwrap_or_default().as_bytes()).into();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(ca_pem)?)
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guarded(self.allow.clone())))
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .build()
            .map_err(|e| EgressError::Other(e.without_url().to_string()))?;
        if clients.len() > 256 {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// [`crate::tls::client_config`] with the webhook's CA.
fn tls_config(ca_pem: Option<&str>) -> Result<ClientConfig, EgressError> {
    let extra = CertificateDer::pem_slice_iter(ca_pem.unwrap_or_default().as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| EgressError::BadCa)?;
    crate::tls::client_config(extra).map_err(|_| EgressError::BadCa)
}

/// A failed request, said without its URL (a Slack or Teams URL is a credential).
fn classify(e: reqwest::Error) -> EgressError {
    if e.is_timeout() {
        return EgressError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(EgressError::Forbidden) = s.downcast_ref::<EgressError>() {
            return EgressError::Forbidden;
        }
        source = s.source();
    }
    let chain = {
        let mut parts = Vec::new();
        let mut s: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        while let Some(x) = s {
            parts.push(x.to_string());
            s = x.source();
        }
        parts.join(": ")
    };
    if chain.contains("is not allowed") {
        EgressError::Forbidden
    } else if e.is_connect() {
        EgressError::Connect(chain)
    } else {
        EgressError::Other(e.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_inside_by_default() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "ff02::1",
        ] {
            assert!(forbidden(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!forbidden(ip.parse().expect("ip")), "{ip}");
        }
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("net")];
        assert!(allowed(&allow, "127.0.0.1".parse().expect("ip")));
        assert!(!allowed(&allow, "10.0.0.1".parse().expect("ip")));
    }
}
