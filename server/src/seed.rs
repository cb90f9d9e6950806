//! `vestibule-server seed`: fills a database with made-up tenants and their visits, written
//! through the store's own code paths (sealed fields, blind indexes, the audit chain, idempotency
//! keys, the nightly sign-out), for `cargo xtask seed` and the benchmarks at scale.
//!
//! Each tenant gets a site (in UTC), `hosts` hosts and a kiosk. Its visits are spread evenly over
//! the working hours (08:00 to 17:00, on the hour) of the last `days` days up to now, by moving
//! the store's clock: the check-ins of one hour, of every tenant, go through
//! [`Store::check_in_together`] (SQLite's group commit: one transaction per [`BATCH`]), and each
//! evening at 19:00 every site that had visitors signs them out as the server's automatic
//! sign-out does (today's visitors stay on site until today's 19:00 is past). Visitors come
//! back: each tenant has at most [`PEOPLE`] different ones (`visitor<N>@example.com`). Nothing
//! seeded is real personal data.

use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::{accounts::Plan, visits::VisitorDetails},
    types::{CompanyName, Email, PersonName},
};

use crate::{
    error::Error,
    ids::TenantId,
    store::{Actor, Flow, NewHost, NewVisit, Store},
};

/// The most different visitors of one tenant; later visits are theirs again.
pub const PEOPLE: u64 = 50_000;
/// Check-ins handed to the store at once: the server's own group-commit bound. A batch's
/// statements carry 8 and 26 parameters per check-in; with batches of 1,024, 30% of the seed's
/// CPU went to `sqlite3_bind_parameter_name` (sqlx looks each parameter's name up, and SQLite
/// finds a name by walking the statement's list of them) and 39% to SQLite's cursors.
const BATCH: usize = 64;
/// The hours of a day that get visits (UTC).
const HOURS: std::ops::Range<u32> = 8..18;
/// The most days back: a year's retention (the default) would remove older visits.
pub const MOST_DAYS: u32 = 360;
/// When the automatic sign-out runs.
const SIGN_OUT_HOUR: u32 = 19;

/// What to make.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub tenants: usize,
    pub visits_per_tenant: u64,
    pub days: u32,
    pub hosts: usize,
    /// The tenants' slugs are `<prefix>-00001`, `<prefix>-00002`, ...
    pub prefix: String,
}

/// What was made.
#[derive(Debug)]
pub struct Seeded {
    /// Each tenant's slug and id, in order.
    pub tenants: Vec<(String, TenantId)>,
    pub visits: u64,
    /// Visits the evening sign-outs checked out.
    pub signed_out: u64,
    pub took: Elapsed,
    /// Of `took`, the time the evening sign-outs took.
    pub signing_out: Elapsed,
}

/// A seeded tenant's site, hosts and kiosk, and how many visits it has had.
struct Desk {
    tenant: TenantId,
    site: Uuid,
    hosts: Vec<Uuid>,
    kiosk: Uuid,
    visits: u64,
}

/// Fills `store` as `plan` says. The store's clock is moved back to the past and forward again;
/// it reads the system's time again (to the microsecond) when this returns.
pub async fn seed(store: &Store, plan: &SeedPlan) -> Result<Seeded, Error> {
    if plan.tenants == 0 || plan.hosts == 0 || !(1..=MOST_DAYS).contains(&plan.days) {
        return Err(Error::InvalidInput(format!(
            "tenants and hosts must be at least 1, days 1 to {MOST_DAYS}"
        )));
    }
    let started = Instant::now();
    let now = Utc::now();
    let hours = working_hours(now, plan.days);
    set_clock(
        store,
        hours.first().copied().unwrap_or(now) - Duration::hours(1),
    );
    let mut desks = Vec::with_capacity(plan.tenants);
    let mut tenants = Vec::with_capacity(plan.tenants);
    for i in 1..=plan.tenants {
        let slug = format!("{}-{i:05}", plan.prefix);
        let d = desk(store, &slug, plan.hosts).await?;
        tenants.push((slug, d.tenant));
        desks.push(d);
    }
    let (mut visits, mut signed_out, mut today) = (0, 0, 0);
    let mut signing_out = Elapsed::ZERO;
    let slots = hours.len() as u64;
    for (slot, &hour) in (0..).zip(&hours) {
        let per = plan.visits_per_tenant;
        let due = per * (slot + 1) / slots - per * slot / slots;
        today += due;
        set_clock(store, hour);
        let mut batch = Vec::with_capacity(BATCH);
        for d in &mut desks {
            for _ in 0..due {
                batch.push((d.tenant, d.walk_in()?));
                if batch.len() == BATCH {
                    visits += check_in(store, std::mem::take(&mut batch)).await?;
                }
            }
        }
        visits += check_in(store, batch).await?;
        let evening = hour.with_hour(SIGN_OUT_HOUR).unwrap_or(hour);
        let next = usize::try_from(slot + 1).ok().and_then(|s| hours.get(s));
        if next.is_some_and(|n| n.date_naive() == hour.date_naive()) {
            continue;
        }
        if std::mem::take(&mut today) > 0 && evening < now {
            set_clock(store, evening);
            let t = Instant::now();
            for d in &desks {
                let mut tx = store.write(d.tenant).await?;
                let out = tx
                    .auto_check_out(d.site, hour.date_naive(), evening)
                    .await?;
                tx.commit().await?;
                signed_out += out.map_or(0, |o| o.len() as u64);
            }
            signing_out += t.elapsed();
        }
    }
    set_clock(store, Utc::now());
    for d in &desks {
        store.seal_audit(d.tenant).await?;
    }
    Ok(Seeded {
        tenants,
        visits,
        signed_out,
        took: started.elapsed(),
        signing_out,
    })
}

/// Every hour of [`HOURS`] of the last `days` days (today the last) that is already past.
fn working_hours(now: DateTime<Utc>, days: u32) -> Vec<DateTime<Utc>> {
    let today = now.date_naive();
    (0..i64::from(days))
        .rev()
        .flat_map(|ago| {
            let day = today - Duration::days(ago);
            HOURS.filter_map(move |h| {
                Some(day.and_time(NaiveTime::from_hms_opt(h, 0, 0)?).and_utc())
            })
        })
        .filter(|t| *t < now)
        .collect()
}

/// Moves the store's clock (and every clone of it) to read `at` now.
fn set_clock(store: &Store, at: DateTime<Utc>) {
    let clock = store.clock();
    clock.advance(at - clock.now());
}

/// Creates tenant `slug` with its site, hosts and kiosk.
async fn desk(store: &Store, slug: &str, hosts: usize) -> Result<Desk, Error> {
    let (row, mut tx) = store
        .create_tenant(slug, &format!("Seeded {slug}"), Plan::Business)
        .await?;
    let site = tx.insert_site("Head office", "UTC", None).await?;
    let mut ids = Vec::with_capacity(hosts);
    for h in 1..=hosts {
        let host = NewHost {
            name: format!("Host {h}"),
            email: parse(Email::parse(&format!("host{h}@{slug}.example.com")))?,
            site_id: site.id,
        };
        ids.push(tx.insert_host(&host).await?.id);
    }
    let never = tx.now();
    let kiosk = tx
        .insert_kiosk(site.id, "Lobby", Uuid::new_v4().as_bytes(), never)
        .await?;
    tx.commit().await?;
    Ok(Desk {
        tenant: TenantId(row.id),
        site: site.id,
        hosts: ids,
        kiosk: kiosk.id,
        visits: 0,
    })
}

impl Desk {
    /// The next walk-in at this desk's kiosk, as the kiosk would send it.
    fn walk_in(&mut self) -> Result<NewVisit, Error> {
        let n = self.visits;
        self.visits += 1;
        let person = n % PEOPLE;
        let companies = ["Acme Ltd", "Globex", "Initech", "Umbrella plc", "Hooli"];
        let visitor = VisitorDetails {
            name: parse(PersonName::parse(&format!("Visitor {person}")))?,
            email: parse(Email::parse(&format!("visitor{person}@example.com")))?,
            company: Some(parse(CompanyName::parse(companies[(person % 5) as usize]))?),
            phone: None,
        };
        let key = format!("seed-{n}");
        Ok(NewVisit {
            site_id: self.site,
            host_id: self.hosts[(n % self.hosts.len() as u64) as usize],
            visitor,
            purpose: Some("Meeting".into()),
            actor: Actor::Kiosk(self.kiosk),
            kiosk_id: Some(self.kiosk),
            idempotency: Some((key.clone(), key.into_bytes())),
            flow: Flow::Untyped,
            offline: None,
        })
    }
}

fn parse<T>(v: Result<T, vestibule_shared::types::ValidationError>) -> Result<T, Error> {
    v.map_err(|e| Error::InvalidInput(e.to_string()))
}

/// Checks `batch` in; how many were new.
async fn check_in(store: &Store, batch: Vec<(TenantId, NewVisit)>) -> Result<u64, Error> {
    let mut new = 0;
    for answer in store.check_in_together(batch).await? {
        new += u64::from(!answer?.1);
    }
    Ok(new)
}
