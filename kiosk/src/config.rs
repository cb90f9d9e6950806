//! The kiosk's only file: where its server is and how to recognise it (URLs, SPKI pins, an
//! optional CA file), the tenant and site names shown on the welcome screen, and display
//! settings. Nothing personal. `$VESTIBULE_KIOSK_CONFIG`, else
//! `$XDG_CONFIG_HOME/vestibule-kiosk/kiosk.json` (`~/.config/...`).

use std::{
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Server base URLs, tried in order; the next one on a connection failure.
    #[serde(default)]
    pub server_urls: Vec<String>,
    /// `sha256/<base64>` SPKI pins: primary and backup.
    #[serde(default)]
    pub pins: Vec<String>,
    /// A PEM file of the CA (or the server's self-signed certificate) to verify against instead of
    /// the system roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// A one-time enrollment code for unattended setup (`cargo xtask run`, an installer): used
    /// at the first start, then removed from the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_code: Option<String>,
    #[serde(default)]
    pub tenant_name: Option<String>,
    #[serde(default)]
    pub site_name: Option<String>,
    /// Full screen, as on a reception tablet (off for development).
    #[serde(default = "yes")]
    pub kiosk_mode: bool,
    /// Seconds without a touch before the visitor's form is wiped.
    #[serde(default = "idle")]
    pub idle_secs: u32,
    /// Seconds without a touch before receptionist override mode ends.
    #[serde(default = "override_idle")]
    pub override_idle_secs: u32,
    /// At most this many sealed check-ins wait in memory while no server answers; past it,
    /// visitors are asked to see reception.
    #[serde(default = "offline_limit")]
    pub offline_limit: usize,
}

fn yes() -> bool {
    true
}
fn idle() -> u32 {
    60
}
fn override_idle() -> u32 {
    120
}
fn offline_limit() -> usize {
    500
}

impl Default for Config {
    fn default() -> Config {
        serde_json::from_str("{}").expect("defaults")
    }
}

impl Config {
    pub fn path() -> PathBuf {
        if let Some(p) = std::env::var_os("VESTIBULE_KIOSK_CONFIG") {
            return PathBuf::from(p);
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("vestibule-kiosk").join("kiosk.json")
    }

    /// Reads the config file; a missing file is the default (not enrolled) config.
    pub fn load(path: &Path) -> Result<Config, Error> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }

    /// Writes the config file (owner-only), replacing it atomically.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let fail = |e: std::io::Error| Error::Internal(format!("writing {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(fail)?;
        f.write_all(&serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?)
            .and_then(|()| f.sync_all())
            .map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }

    /// The CA file's contents, if one is configured.
    pub fn ca_pem(&self) -> Result<Option<Vec<u8>>, Error> {
        self.ca_file
            .as_ref()
            .map(|p| {
                std::fs::read(p).map_err(|e| {
                    Error::field("ca", format!("reading the CA file {}: {e}", p.display()))
                })
            })
            .transpose()
    }
}
