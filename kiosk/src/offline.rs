//! Check-ins while no server answers, with nothing readable kept. While online the kiosk keeps
//! the tenant's offline public key, its provisional badge prefix and the site's host directory
//! (ids and names, not visitor data) in memory. When a check-in cannot reach any server it is
//! sealed to that key with HPKE ([`sealing`]), its plaintext zeroized at once, and only the sealed
//! bytes wait, in memory, beside the visitor's first name and time for reception; the visitor is
//! shown a provisional badge code. [`keep_in_touch`] probes the servers with backoff and delivers
//! the waiting check-ins in order, each with its original idempotency key. Nothing of this ever
//! touches the disk: a kiosk that loses power during an outage loses what was waiting.

pub mod desk;
pub mod sealing;

use std::{collections::VecDeque, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, SubsecRound, Utc};
use reqwest::Method;
use serde::Serialize;
use tauri::{AppHandle, Manager};
use uuid::Uuid;
use vestibule_shared::dto::{
    kiosk::{DirectoryEntry, shows},
    offline::{OfflineKey, ProvisionalCodes, SealedCheckIn, associated_data},
    visits::{CheckedIn, HostNotification, VisitStatus},
};
use zeroize::Zeroizing;

use crate::{
    commands::device_send,
    contract::{OfflineStatus, OverrideSession, WaitingVisitor},
    error::Error,
    state::Kiosk,
};

/// The quickest and slowest retry while check-ins wait.
const BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(16));
/// How often the key and the directory are fetched anew.
const REFRESH: Duration = Duration::from_secs(180);
/// How often the loop looks again when nothing waits (a failed refresh is retried then).
const PROBE: Duration = Duration::from_secs(30);

/// What the kiosk holds for working offline.
#[derive(Default)]
pub struct Offline {
    key: Option<SealingKey>,
    codes: Option<ProvisionalCodes>,
    directory: Vec<DirectoryEntry>,
    queue: VecDeque<Waiting>,
    /// Whether the last request to a server was answered.
    pub reachable: bool,
    /// Override mode during an outage.
    pub desk: desk::Desk,
}

struct SealingKey {
    kid: Uuid,
    public: sealing::PublicKey,
    kiosk_id: Uuid,
    badge_prefix: String,
}

/// A sealed check-in waiting for a server: the sealed bytes, and what reception may see.
struct Waiting {
    idempotency_key: String,
    sealed: SealedCheckIn,
    badge_code: String,
    first_name: Zeroizing<String>,
}

/// What is sealed: the check-in as it would have been sent, and the provisional badge code
/// (the server reads it as an `OfflineCheckIn`).
#[derive(Serialize)]
struct Sealable<'a, B: Serialize> {
    badge_code: &'a str,
    check_in: &'a B,
}

impl Offline {
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// What the waiting check-ins hold on the heap: the queue's slots and their strings.
    pub fn held_bytes(&self) -> usize {
        let strings: usize = self
            .queue
            .iter()
            .map(|w| {
                w.idempotency_key.capacity()
                    + w.sealed.enc.capacity()
                    + w.sealed.ciphertext.capacity()
                    + w.badge_code.capacity()
                    + w.first_name.capacity()
            })
            .sum();
        self.queue.capacity() * std::mem::size_of::<Waiting>() + strings
    }

    /// Takes the offline key the server gave; a new badge prefix starts its codes anew.
    pub fn set_key(&mut self, key: OfflineKey) -> Result<(), Error> {
        let public = URL_SAFE_NO_PAD
            .decode(&key.public_key)
            .map_err(|_| Error::Internal("the server's offline key is not base64url".into()))
            .and_then(|b| sealing::PublicKey::from_bytes(&b))?;
        let same_prefix = self.key.as_ref().map(|k| &k.badge_prefix) == Some(&key.badge_prefix);
        if !same_prefix || self.codes.is_none() {
            let start = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
            self.codes = Some(ProvisionalCodes::new(&key.badge_prefix, start));
        }
        self.key = Some(SealingKey {
            kid: key.kid,
            public,
            kiosk_id: key.kiosk_id,
            badge_prefix: key.badge_prefix,
        });
        Ok(())
    }

    /// Seals a check-in (`body` as it was sent, under its idempotency key) with a provisional
    /// badge code, zeroizes the plaintext, and keeps the sealed bytes and the visitor's first
    /// name to deliver later; answers what the visitor is shown. A retry of the same form answers
    /// the same. Refused with `OfflineFull` at `limit`, `Unreachable` with no key yet.
    pub fn seal(
        &mut self,
        limit: usize,
        body: &impl Serialize,
        idempotency_key: &str,
        visitor_name: &str,
    ) -> Result<CheckedIn, Error> {
        if let Some(w) = self
            .queue
            .iter()
            .find(|w| w.idempotency_key == idempotency_key)
        {
            return Ok(shown(&w.badge_code, w.sealed.sealed_at));
        }
        if self.queue.len() >= limit {
            return Err(Error::OfflineFull);
        }
        let (Some(key), Some(codes)) = (&self.key, &mut self.codes) else {
            return Err(Error::Unreachable);
        };
        let badge_code = codes.draw();
        let sealed_at = Utc::now().trunc_subsecs(3);
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&Sealable {
                badge_code: &badge_code,
                check_in: body,
            })
            .map_err(|e| Error::Internal(e.to_string()))?,
        );
        let aad = associated_data(key.kiosk_id, idempotency_key, sealed_at);
        let (enc, ciphertext) = sealing::seal(&key.public, &plaintext, &aad)?;
        drop(plaintext);
        let first_name = visitor_name.split_whitespace().next().unwrap_or_default();
        self.queue.push_back(Waiting {
            idempotency_key: idempotency_key.to_owned(),
            sealed: SealedCheckIn {
                kid: key.kid,
                enc: URL_SAFE_NO_PAD.encode(enc),
                ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
                sealed_at,
            },
            badge_code: badge_code.clone(),
            first_name: Zeroizing::new(first_name.to_owned()),
        });
        Ok(shown(&badge_code, sealed_at))
    }

    /// The directory entries that answer `query`, by the tenant's rules (offline host search).
    pub fn search(&self, query: &str, min_chars: u8, exact: bool) -> Vec<DirectoryEntry> {
        if query.trim().chars().count() < usize::from(min_chars) {
            return Vec::new();
        }
        self.directory
            .iter()
            .filter(|e| shows(&e.display_name, query, exact))
            .take(20)
            .cloned()
            .collect()
    }
}

/// Fetches the offline key and the site's directory. Called at start, after each settings
/// refresh and every few minutes.
pub async fn refresh(kiosk: &Kiosk) -> Result<(), Error> {
    let key: OfflineKey = get(kiosk, "/api/v1/kiosk/offline-key").await?;
    let directory: Vec<DirectoryEntry> = get(kiosk, "/api/v1/kiosk/directory").await?;
    let mut inner = kiosk.lock().await;
    let o = &mut inner.offline;
    o.set_key(key)?;
    o.directory = directory;
    o.reachable = true;
    Ok(())
}

async fn get<T: serde::de::DeserializeOwned>(kiosk: &Kiosk, path: &str) -> Result<T, Error> {
    device_send(kiosk, Method::GET, path, None::<&()>, None).await
}

/// Seals a check-in that no server took (`body` as it was sent, under its idempotency key) and
/// keeps it to deliver later; answers what the visitor is shown (see [`Offline::seal`]).
pub async fn seal(
    kiosk: &Kiosk,
    body: &impl Serialize,
    idempotency_key: &str,
    visitor_name: &str,
) -> Result<CheckedIn, Error> {
    let mut inner = kiosk.lock().await;
    let limit = inner.config.offline_limit;
    inner.offline.reachable = false;
    inner
        .offline
        .seal(limit, body, idempotency_key, visitor_name)
}

/// What the kiosk tells a visitor checked in offline: their provisional code, and that the host
/// is told once the connection is back.
fn shown(badge_code: &str, at: DateTime<Utc>) -> CheckedIn {
    CheckedIn {
        visit_id: Uuid::nil(),
        status: VisitStatus::OnSite,
        badge_code: Some(badge_code.to_owned()),
        checked_in_at: at,
        host_notification: HostNotification::Queued,
        visitor_first_name: None,
        host_name: None,
        offline: true,
    }
}

/// Delivers the waiting check-ins in order until none is left or no server answers. One the
/// server refuses for good (too old, say) is dropped: it can never be delivered.
pub async fn drain(kiosk: &Kiosk) -> Result<usize, Error> {
    let next = |o: &Offline| {
        o.queue
            .front()
            .map(|w| (w.idempotency_key.clone(), w.sealed.clone()))
    };
    let mut delivered = 0;
    let mut upcoming = next(&kiosk.lock().await.offline);
    while let Some((key, sealed)) = upcoming {
        let path = "/api/v1/kiosk/visits/sealed";
        let sent: Result<CheckedIn, Error> =
            device_send(kiosk, Method::POST, path, Some(&sealed), Some(&key)).await;
        match sent {
            Err(e @ (Error::Unreachable | Error::PinMismatch | Error::Revoked | Error::Locked)) => {
                kiosk.lock().await.offline.reachable = false;
                return Err(e);
            }
            Err(e) => tracing::warn!(kind = ?e.kind(), "a sealed check-in was refused"),
            Ok(_) => delivered += 1,
        }
        let mut inner = kiosk.lock().await;
        let o = &mut inner.offline;
        o.reachable = true;
        if o.queue.front().is_some_and(|w| w.idempotency_key == key) {
            o.queue.pop_front();
        }
        upcoming = next(o);
    }
    Ok(delivered)
}

/// Enters override mode while no server answers, for a receptionist who signed in on this kiosk
/// before (`desk`): it shows the waiting check-ins and allows quitting, nothing else.
pub async fn desk_login(kiosk: &Kiosk, email: &str, pin: &str) -> Result<OverrideSession, Error> {
    let verifier = kiosk.lock().await.offline.desk.verifier(email)?;
    let ok = desk::verify(verifier, pin).await?;
    let mut inner = kiosk.lock().await;
    inner.offline.desk.outcome(ok);
    if !ok {
        return Err(Error::field(
            "pin",
            "the server cannot be reached, and this email and PIN have not signed in on this kiosk",
        ));
    }
    let idle = i64::from(inner.config.override_idle_secs);
    Ok(OverrideSession {
        expires_at: (Utc::now() + chrono::Duration::seconds(idle)).to_rfc3339(),
    })
}

/// How many check-ins wait and whether the server answers; with an override session, who
/// waits (first names and times only).
pub async fn status(kiosk: &Kiosk) -> OfflineStatus {
    let inner = kiosk.lock().await;
    let o = &inner.offline;
    let visitors = inner.in_override().then(|| {
        o.queue
            .iter()
            .map(|w| WaitingVisitor {
                first_name: w.first_name.to_string(),
                checked_in_at: w.sealed.sealed_at.to_rfc3339(),
            })
            .collect()
    });
    OfflineStatus {
        waiting: o.queue.len() as u32,
        limit: inner.config.offline_limit as u32,
        reachable: o.reachable,
        ready: o.key.is_some(),
        visitors,
    }
}

/// Runs for the kiosk's life: delivers waiting check-ins with backoff (1 s doubling to 16 s
/// while no server answers), and every few minutes fetches the key and directory anew.
pub async fn keep_in_touch(app: AppHandle) {
    let mut backoff = BACKOFF.0;
    let mut refreshed: Option<std::time::Instant> = None;
    loop {
        let kiosk = app.state::<Kiosk>();
        let (enrolled, waiting) = {
            let inner = kiosk.lock().await;
            (inner.enrolled(), inner.offline.waiting())
        };
        let mut pause = PROBE;
        if enrolled && waiting > 0 {
            backoff = match drain(&kiosk).await {
                Ok(_) => BACKOFF.0,
                Err(_) => (backoff * 2).min(BACKOFF.1),
            };
            pause = backoff;
        }
        if enrolled && refreshed.is_none_or(|at| at.elapsed() >= REFRESH) {
            match refresh(&kiosk).await {
                Ok(()) => refreshed = Some(std::time::Instant::now()),
                Err(e) => {
                    kiosk.lock().await.offline.reachable = false;
                    tracing::debug!(kind = ?e.kind(), "the offline key was not refreshed");
                }
            }
        }
        tokio::time::sleep(pause).await;
    }
}
