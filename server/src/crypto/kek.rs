//! Where the key-encryption key (KEK) comes from: a key file (default `<data-dir>/master.key`,
//! created 0600 on a fresh database, refused if its mode is wider), an environment variable
//! (base64), or the OS keychain (the Secret Service on Linux, through `keyring-core`; a real
//! backend, never a mock). The KEK is identified by a fingerprint (`kek_id`) that is recorded with
//! every key it wraps, never by its value.
//!
//! Each source has a *next* slot beside it (`master.key.next`, the keychain entry
//! `master-key.next`, `VESTIBULE_NEW_MASTER_KEY`): `keys rotate-kek` writes the new KEK there,
//! rewraps the database under it, then promotes it over the current one. A rotation interrupted
//! between the two is completed at the next start.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::aead::Key;
use crate::error::Error;

/// The environment variable that may carry the KEK (base64 of 32 bytes).
pub const KEK_ENV: &str = "VESTIBULE_MASTER_KEY";
/// The environment variable that carries the new KEK during `keys rotate-kek` of an env source.
pub const NEXT_KEK_ENV: &str = "VESTIBULE_NEW_MASTER_KEY";
/// The keychain account (user) under which the KEK is stored.
pub const KEYCHAIN_USER: &str = "master-key";

/// A loaded key-encryption key and its fingerprint.
#[derive(Debug, Clone)]
pub struct Kek {
    pub id: String,
    pub key: Key,
}

impl Kek {
    pub fn new(key: Key) -> Kek {
        let digest = Sha256::new()
            .chain_update(b"vestibule-kek-id-v1")
            .chain_update(key.expose())
            .finalize();
        Kek {
            id: hex::encode(&digest[..8]),
            key,
        }
    }
}

/// Where the KEK is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A file holding the base64 key; created on a fresh database.
    File(PathBuf),
    /// An environment variable holding the base64 key.
    Env(String),
    /// An entry (service, user) in the OS keychain holding the base64 key; created on a fresh database.
    Keychain { service: String, user: String },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "the key file {}", p.display()),
            KeySource::Env(v) => write!(f, "the environment variable {v}"),
            KeySource::Keychain { service, user } => {
                write!(f, "the keychain entry {user}@{service}")
            }
        }
    }
}

fn decode(text: &str, origin: &KeySource) -> Result<Key, Error> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Config(format!("{origin} is not base64 of a 32-byte key")))?,
    );
    Key::from_slice(&bytes)
        .ok_or_else(|| Error::Config(format!("{origin} must hold exactly 32 bytes (base64)")))
}

fn encode(key: &Key) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(key.expose()))
}

/// The Secret Service connection, opened once per process.
fn keychain() -> Result<Arc<zbus_secret_service_keyring_store::Store>, Error> {
    static STORE: OnceLock<Arc<zbus_secret_service_keyring_store::Store>> = OnceLock::new();
    if let Some(s) = STORE.get() {
        return Ok(s.clone());
    }
    let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| {
        Error::Config(format!(
            "the OS keychain (Secret Service) is not available: {e}"
        ))
    })?;
    Ok(STORE.get_or_init(|| store).clone())
}

fn keychain_entry(service: &str, user: &str) -> Result<keyring_core::Entry, Error> {
    use keyring_core::api::CredentialStoreApi;
    keychain()?
        .build(service, user, None)
        .map_err(|e| Error::Config(format!("the keychain entry {user}@{service}: {e}")))
}

impl KeySource {
    /// The KEK, or `None` if the source holds none yet.
    pub fn load(&self) -> Result<Option<Kek>, Error> {
        let text = match self {
            KeySource::Env(var) => match std::env::var(var) {
                Ok(v) => Zeroizing::new(v),
                Err(_) => return Ok(None),
            },
            KeySource::File(path) => {
                let meta = match std::fs::metadata(path) {
                    Ok(m) => m,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => {
                        return Err(Error::Config(format!("reading {}: {e}", path.display())));
                    }
                };
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(Error::Config(format!(
                        "the master key file {} has mode {mode:04o}; it must be readable by its owner only (chmod 600 {})",
                        path.display(),
                        path.display()
                    )));
                }
                Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))?,
                )
            }
            KeySource::Keychain { service, user } => {
                match keychain_entry(service, user)?.get_password() {
                    Ok(v) => Zeroizing::new(v),
                    Err(keyring_core::Error::NoEntry) => return Ok(None),
                    Err(e) => return Err(Error::Config(format!("reading {self}: {e}"))),
                }
            }
        };
        Ok(Some(Kek::new(decode(&text, self)?)))
    }

    /// Makes and stores a new KEK (file and keychain sources; an environment variable is set by
    /// whoever starts the server).
    pub fn create(&self) -> Result<Kek, Error> {
        let key = Key::generate();
        match self {
            KeySource::Env(var) => {
                return Err(Error::Config(format!(
                    "{var} is not set: give the server its master key"
                )));
            }
            KeySource::File(path) => write_new_file(path, &format!("{}\n", encode(&key).as_str()))?,
            KeySource::Keychain { service, user } => keychain_entry(service, user)?
                .set_password(&encode(&key))
                .map_err(|e| Error::Config(format!("writing {self}: {e}")))?,
        }
        Ok(Kek::new(key))
    }

    /// The slot a rotation writes the new KEK to before promoting it.
    pub fn next(&self) -> KeySource {
        match self {
            KeySource::File(path) => {
                KeySource::File(PathBuf::from(format!("{}.next", path.display())))
            }
            KeySource::Env(_) => KeySource::Env(NEXT_KEK_ENV.to_owned()),
            KeySource::Keychain { service, user } => KeySource::Keychain {
                service: service.clone(),
                user: format!("{user}.next"),
            },
        }
    }

    /// Replaces the current KEK by the one in [`KeySource::next`], and removes the next slot.
    /// Returns a note for the operator when it cannot do it itself (an environment variable).
    pub fn promote_next(&self) -> Result<Option<String>, Error> {
        match self {
            KeySource::Env(var) => Ok(Some(format!(
                "set {var} to the value of {NEXT_KEK_ENV} on every server, then unset {NEXT_KEK_ENV}"
            ))),
            KeySource::File(path) => {
                let next = PathBuf::from(format!("{}.next", path.display()));
                std::fs::rename(&next, path).map_err(|e| {
                    Error::Config(format!(
                        "moving {} over {}: {e}",
                        next.display(),
                        path.display()
                    ))
                })?;
                sync_dir(path)?;
                Ok(None)
            }
            KeySource::Keychain { service, user } => {
                let next = keychain_entry(service, &format!("{user}.next"))?;
                let text = Zeroizing::new(
                    next.get_password()
                        .map_err(|e| Error::Config(format!("reading {}: {e}", self.next())))?,
                );
                keychain_entry(service, user)?
                    .set_password(&text)
                    .map_err(|e| Error::Config(format!("writing {self}: {e}")))?;
                next.delete_credential()
                    .map_err(|e| Error::Config(format!("removing {}: {e}", self.next())))?;
                Ok(None)
            }
        }
    }
}

fn write_new_file(path: &Path, text: &str) -> Result<(), Error> {
    let text = Zeroizing::new(text.to_owned());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Config(format!("creating {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::Config(format!("writing {}: {e}", path.display())))?;
    sync_dir(path)
}

/// Makes a rename or creation in `path`'s directory durable.
fn sync_dir(path: &Path) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::Config(format!("syncing {}: {e}", dir.display())))
}
