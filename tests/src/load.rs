//! A check-in load for the operations tests, behaving as kiosks do: each client checks visitors in
//! one after another, each with a fresh `Idempotency-Key`; a request that gets no answer goes to
//! the next server URL with the same key, and a check-in not acknowledged is retried with the same
//! key until it is. The ledger it returns lets a test prove that every acknowledged check-in is
//! stored, decrypts, and was written once.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::Method;
use tokio::task::JoinHandle;

use crate::{Api, Auth, api::visitor};

/// A running load.
pub struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    statuses: Arc<Mutex<BTreeMap<u16, usize>>>,
    tasks: Vec<JoinHandle<Ledger>>,
}

/// What the clients saw: the check-ins acknowledged (key → visit id and visitor name) and those
/// sent but never acknowledged (key, name) when the load stopped.
#[derive(Debug, Default)]
pub struct Ledger {
    pub acked: HashMap<String, (String, String)>,
    pub pending: Vec<(String, String)>,
    /// Answers other than 201 by status, and transport failures under 0.
    pub statuses: BTreeMap<u16, usize>,
}

impl Load {
    /// Starts `clients` clients checking in at `host` with `device`, over `apis` (client `i`
    /// starts at URL `i % apis.len()`). Keys and names start with `tag`.
    pub fn start(apis: Vec<Api>, device: Auth, host: String, clients: usize, tag: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let statuses = Arc::new(Mutex::new(BTreeMap::new()));
        let tasks = (0..clients)
            .map(|i| {
                let (apis, device, host) = (apis.clone(), device.clone(), host.clone());
                let counters = Counters {
                    stop: stop.clone(),
                    acked: acked.clone(),
                    statuses: statuses.clone(),
                };
                let tag = format!("{tag}-{i}");
                tokio::spawn(async move { client(i, &apis, &device, &host, &tag, &counters).await })
            })
            .collect();
        Load {
            stop,
            acked,
            statuses,
            tasks,
        }
    }

    /// How many check-ins have been acknowledged so far.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits (a minute at most) until `more` check-ins beyond those acknowledged now are
    /// acknowledged: the load is going (again).
    pub async fn wait_for_progress(&self, more: usize) {
        let target = self.acked() + more;
        crate::wait_until(
            &format!("{target} check-ins of the load are acknowledged"),
            Duration::from_secs(60),
            async || (self.acked() >= target).then_some(()),
        )
        .await;
    }

    /// Stops the clients and merges what they saw.
    pub async fn stop(self) -> Ledger {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Ledger::default();
        for t in self.tasks {
            let l = t.await.expect("load client");
            all.acked.extend(l.acked);
            all.pending.extend(l.pending);
        }
        all.statuses = self.statuses.lock().expect("statuses").clone();
        all
    }
}

/// What the clients share with the [`Load`].
struct Counters {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    statuses: Arc<Mutex<BTreeMap<u16, usize>>>,
}

async fn client(
    i: usize,
    apis: &[Api],
    device: &Auth,
    host: &str,
    tag: &str,
    counters: &Counters,
) -> Ledger {
    let Counters {
        stop,
        acked,
        statuses,
    } = counters;
    let mut ledger = Ledger::default();
    let mut url = i % apis.len();
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let (key, name) = (format!("{tag}-{n}"), format!("Load Visitor {tag} {n}"));
        n += 1;
        let body = visitor(host, &name, "load@example.com");
        loop {
            if stop.load(Ordering::SeqCst) {
                ledger.pending.push((key, name));
                return ledger;
            }
            let r = apis[url]
                .try_send(
                    Method::POST,
                    "/api/v1/kiosk/visits",
                    device,
                    Some(&body),
                    &[("Idempotency-Key", &key)],
                )
                .await;
            // After a failure a kiosk pauses a little before it tries again: part of the load, not a wait.
            match r {
                Ok(r) if r.status == 201 => {
                    ledger.acked.insert(key, (r.str("visit_id"), name));
                    acked.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                Ok(r) => {
                    *statuses
                        .lock()
                        .expect("statuses")
                        .entry(r.status.as_u16())
                        .or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(_) => {
                    *statuses.lock().expect("statuses").entry(0).or_default() += 1;
                    url = (url + 1) % apis.len();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    ledger
}

impl Ledger {
    /// Retries every pending check-in with its key until it is acknowledged.
    pub async fn settle(&mut self, api: &Api, device: &Auth, host: &str) {
        for (key, name) in std::mem::take(&mut self.pending) {
            let r = api
                .check_in(device, &key, &visitor(host, &name, "load@example.com"))
                .await;
            let id = r.expect(201)["visit_id"]
                .as_str()
                .expect("visit id")
                .to_owned();
            self.acked.insert(key, (id, name));
        }
    }

    /// Asserts that the visit log holds exactly the acknowledged check-ins, each once and with
    /// the visitor's name decrypted, and that the audit chain verifies.
    pub async fn verify(&self, api: &Api, admin: &Auth) {
        let log = all_visits(api, admin).await;
        assert_eq!(
            log.len(),
            self.acked.len(),
            "the log holds {} visits for {} acknowledged check-ins",
            log.len(),
            self.acked.len()
        );
        for (key, (id, name)) in &self.acked {
            let stored = log
                .get(id)
                .unwrap_or_else(|| panic!("acknowledged check-in {key} (visit {id}) is missing"));
            assert_eq!(stored, name, "visit {id} decrypts to another name");
        }
        let chain = api.get("/api/v1/audit/verify", admin).await.expect(200);
        assert_eq!(chain["valid"], true, "audit chain: {chain}");
    }
}

/// Every visit of the tenant: id → visitor name, walked page by page with the log's cursor
/// (the count stops at 10,000, so it cannot say when the walk is over).
pub async fn all_visits(api: &Api, admin: &Auth) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut after = String::new();
    loop {
        let page = api
            .get(&format!("/api/v1/visits?limit=200{after}"), admin)
            .await
            .expect(200);
        for v in page["items"].as_array().expect("items") {
            let id = v["id"].as_str().expect("id").to_owned();
            assert!(
                out.insert(
                    id.clone(),
                    v["visitor_name"].as_str().expect("name").to_owned()
                )
                .is_none(),
                "visit {id} listed twice"
            );
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}
