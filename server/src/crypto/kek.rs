//! Where the key-encryption key (KEK) comes from: a key file (default `<data-dir>/master.key`,
//! created 0600 on a fresh database, refused if its mode is wider) or an environment variable
//! (base64). The KEK is identified by a fingerprint (`kek_id`) that is recorded with every key it
//! wraps, never by its value.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::PathBuf,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::aead::Key;
use crate::error::Error;

/// The environment variable that may carry the KEK (base64 of 32 bytes).
pub const KEK_ENV: &str = "VESTIBULE_MASTER_KEY";

/// A loaded key-encryption key and its fingerprint.
#[derive(Debug, Clone)]
pub struct Kek {
    pub id: String,
    pub key: Key,
}

impl Kek {
    pub fn new(key: Key) -> Kek {
        let digest = Sha256::new().chain_update(b"vestibule-kek-id-v1").chain_update(key.expose()).finalize();
        Kek { id: hex::encode(&digest[..8]), key }
    }
}

/// Where the KEK is kept.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A file holding the base64 key; created on a fresh database.
    File(PathBuf),
    /// An environment variable holding the base64 key.
    Env(String),
}

fn decode(text: &str, origin: &str) -> Result<Key, Error> {
    let bytes =
        Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| Error::Config(format!("{origin} is not base64 of a 32-byte key")))?);
    Key::from_slice(&bytes).ok_or_else(|| Error::Config(format!("{origin} must hold exactly 32 bytes (base64)")))
}

impl KeySource {
    /// The KEK, or `None` if the source holds none yet.
    pub fn load(&self) -> Result<Option<Kek>, Error> {
        match self {
            KeySource::Env(var) => match std::env::var(var) {
                Ok(v) => Ok(Some(Kek::new(decode(&Zeroizing::new(v), var)?))),
                Err(_) => Ok(None),
            },
            KeySource::File(path) => {
                let meta = match std::fs::metadata(path) {
                    Ok(m) => m,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(Error::Config(format!("reading {}: {e}", path.display()))),
                };
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(Error::Config(format!(
                        "the master key file {} has mode {mode:04o}; it must be readable by its owner only (chmod 600 {})",
                        path.display(),
                        path.display()
                    )));
                }
                let text =
                    Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))?);
                Ok(Some(Kek::new(decode(&text, &path.display().to_string())?)))
            }
        }
    }

    /// Makes and stores a new KEK (file sources only).
    pub fn create(&self) -> Result<Kek, Error> {
        match self {
            KeySource::Env(var) => Err(Error::Config(format!("{var} is not set: give the server its master key"))),
            KeySource::File(path) => {
                let key = Key::generate();
                let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.expose())));
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| Error::Config(format!("creating {}: {e}", path.display())))?;
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| Error::Config(format!("writing {}: {e}", path.display())))?;
                Ok(Kek::new(key))
            }
        }
    }

    /// The source to use: the environment variable if set, else the key file in `data_dir`.
    pub fn from_env_or_file(data_dir: &std::path::Path) -> KeySource {
        if std::env::var_os(KEK_ENV).is_some() { KeySource::Env(KEK_ENV.to_owned()) } else { KeySource::File(data_dir.join("master.key")) }
    }
}
