//! What the kiosk holds while it runs, all in memory: its configuration, the device token (read
//! from the keychain), the API client, the idempotency key of the check-in being submitted (a
//! hash of the form, never the form itself), a receptionist's override token, and the tenant's
//! settings and visitor types as last fetched, and what working offline needs ([`Offline`]). `wipe` and the
//! end of override mode drop (and zeroize) what they held.

use std::{path::PathBuf, sync::Arc};

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use vestibule_shared::dto::{settings::KioskSettings, visitor_types::KioskVisitorType};

use crate::{client::Client, config::Config, error::Error, keychain::Keychain, offline::Offline};

/// The idempotency key of a check-in form: the same form (a retry) keeps its key.
struct Pending {
    fingerprint: [u8; 32],
    key: String,
}

pub struct Kiosk {
    pub config_path: PathBuf,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub keychain: Result<Keychain, String>,
    pub device: Option<Zeroizing<String>>,
    pub client: Option<Arc<Client>>,
    pending: Option<Pending>,
    pub override_token: Option<Zeroizing<String>>,
    pub settings: Option<KioskSettings>,
    /// The visitor types the site offers, as last fetched (none yet: not fetched since start).
    pub visitor_types: Option<Vec<KioskVisitorType>>,
    /// The offline key, the directory and the sealed check-ins waiting for a server.
    pub offline: Offline,
}

/// What a request needs, taken out of the lock so the lock is not held across the network.
pub struct Session {
    pub client: Arc<Client>,
    pub device: Zeroizing<String>,
    pub override_token: Option<Zeroizing<String>>,
}

impl Kiosk {
    /// Reads the config file and the device token from the keychain.
    pub fn load() -> Kiosk {
        let config_path = Config::path();
        let config = Config::load(&config_path).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the kiosk configuration does not load; starting unconfigured");
            Config::default()
        });
        let keychain = Keychain::open().map_err(|e| e.to_string());
        let device = keychain
            .as_ref()
            .ok()
            .and_then(|k| k.device_token().ok().flatten());
        let client = device
            .as_ref()
            .and_then(|_| Client::new(&config).ok())
            .map(Arc::new);
        Kiosk {
            config_path,
            inner: Mutex::new(Inner {
                config,
                keychain,
                device,
                client,
                pending: None,
                override_token: None,
                settings: None,
                visitor_types: None,
                offline: Offline::default(),
            }),
        }
    }

    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Inner> {
        self.inner.lock().await
    }

    /// The enrolled session, or the reason there is none.
    pub async fn session(&self) -> Result<Session, Error> {
        let inner = self.inner.lock().await;
        inner
            .keychain
            .as_ref()
            .map_err(|e| Error::Keychain(e.clone()))?;
        match (&inner.client, &inner.device) {
            (Some(client), Some(device)) => Ok(Session {
                client: client.clone(),
                device: device.clone(),
                override_token: inner.override_token.clone(),
            }),
            _ => Err(Error::Revoked),
        }
    }

    /// The idempotency key for a check-in whose serialized body is `body`.
    pub async fn idempotency_key(&self, body: &[u8]) -> String {
        let fingerprint: [u8; 32] = Sha256::digest(body).into();
        let mut inner = self.inner.lock().await;
        match &inner.pending {
            Some(p) if p.fingerprint == fingerprint => p.key.clone(),
            _ => {
                let key = uuid::Uuid::now_v7().to_string();
                inner.pending = Some(Pending {
                    fingerprint,
                    key: key.clone(),
                });
                key
            }
        }
    }

    /// Forgets the visitor being checked in.
    pub async fn wipe(&self) {
        self.inner.lock().await.pending = None;
    }

    /// The server no longer knows this device: forget its token.
    pub async fn revoked(&self) {
        let mut inner = self.inner.lock().await;
        if let Ok(k) = &inner.keychain {
            let _ = k.forget();
        }
        inner.device = None;
        inner.client = None;
        inner.override_token = None;
        inner.settings = None;
        inner.visitor_types = None;
    }
}

impl Inner {
    pub fn enrolled(&self) -> bool {
        self.device.is_some() && self.client.is_some()
    }

    /// Whether a receptionist is in override mode (signed in through the server, or offline).
    pub fn in_override(&self) -> bool {
        self.override_token.is_some() || self.offline.desk.signed_in
    }
}
