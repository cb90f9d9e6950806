//! The device token, the one secret the kiosk keeps, lives in the OS keychain (the Secret Service
//! on Linux, through `keyring-core`; a real backend, never a mock). No keychain, no kiosk.

use std::sync::Arc;

use keyring_core::{Entry, api::CredentialStoreApi};
use zeroize::Zeroizing;

use crate::error::Error;

const SERVICE: &str = "vestibule-kiosk";
const USER: &str = "device-token";

/// The keychain entry of the device token.
pub struct Keychain {
    entry: Entry,
}

impl Keychain {
    /// Connects to the OS keychain.
    pub fn open() -> Result<Keychain, Error> {
        let store: Arc<zbus_secret_service_keyring_store::Store> =
            zbus_secret_service_keyring_store::Store::new().map_err(|e| {
                Error::Keychain(format!(
                    "no OS keychain is available ({e}); the kiosk cannot keep its device token"
                ))
            })?;
        let entry = store
            .build(SERVICE, USER, None)
            .map_err(|e| Error::Keychain(format!("the keychain refused the entry: {e}")))?;
        Ok(Keychain { entry })
    }

    /// The stored device token, if any.
    pub fn device_token(&self) -> Result<Option<Zeroizing<String>>, Error> {
        match self.entry.get_password() {
            Ok(t) => Ok(Some(Zeroizing::new(t))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Keychain(format!(
                "reading the device token from the keychain: {e}"
            ))),
        }
    }

    pub fn store(&self, token: &str) -> Result<(), Error> {
        self.entry
            .set_password(token)
            .map_err(|e| Error::Keychain(format!("storing the device token in the keychain: {e}")))
    }

    /// Forgets the device token (after the server revoked it).
    pub fn forget(&self) -> Result<(), Error> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::Keychain(format!(
                "removing the device token from the keychain: {e}"
            ))),
        }
    }
}
