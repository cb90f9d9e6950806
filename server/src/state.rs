//! What every handler shares: the store, the server's settings, the shield's limiters and the clock.

use std::sync::Arc;

use chrono::Duration;

use crate::{clock::Clock, shield::Shield, store::Store};

/// The state of the axum app.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub shield: Arc<Shield>,
    /// The store's clock: handlers read the time here.
    pub clock: Clock,
}

/// Lifetimes of credentials.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a kiosk enrollment code stays valid.
    pub enrollment_ttl: Duration,
    /// How long a signed-in session lasts.
    pub session_ttl: Duration,
    /// An override token ends after this long without use...
    pub override_idle: Duration,
    /// ...and after this long in any case.
    pub override_max: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enrollment_ttl: Duration::hours(24),
            session_ttl: Duration::hours(12),
            override_idle: Duration::minutes(5),
            override_max: Duration::hours(8),
        }
    }
}

impl AppState {
    pub fn new(store: Store) -> Self {
        let clock = store.clock().clone();
        Self {
            store,
            settings: Arc::new(Settings::default()),
            shield: Shield::new(Default::default()),
            clock,
        }
    }
}
