//! Visits: the visit log, read by keyset pages with the console's filters, each visit opened
//! under the tenant's keys (the check-in is `check_in.rs`, a check-out and corrections
//! `visit_changes.rs`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use uuid::Uuid;
use vestibule_shared::{dto::visits::VisitStatus, types::Email};

use super::TenantTx;
use super::query::Both;
use super::sealed::{
    HOST_NAME, VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE,
};
use crate::{crypto::TenantKeys, error::Error};

/// A visit with its visitor and host, decrypted.
#[derive(Debug, Clone)]
pub struct VisitRow {
    pub id: Uuid,
    pub site_id: Uuid,
    /// `None`: checked in offline for a host removed before the check-in arrived.
    pub host_id: Option<Uuid>,
    pub visitor_id: Uuid,
    pub host_name: Option<String>,
    pub visitor_name: String,
    pub visitor_email: String,
    pub visitor_company: Option<String>,
    pub visitor_phone: Option<String>,
    pub purpose: Option<String>,
    pub status: VisitStatus,
    pub badge_code: String,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// Checked out by the site's daily automatic sign-out.
    pub checked_out_auto: bool,
    /// Checked in on a kiosk that could not reach the server, delivered sealed later.
    pub offline: bool,
}

#[derive(sqlx::FromRow)]
struct RawVisit {
    id: Uuid,
    site_id: Uuid,
    host_id: Option<Uuid>,
    visitor_id: Uuid,
    purpose_enc: Option<Vec<u8>>,
    status: String,
    badge_code: String,
    checked_in_at: DateTime<Utc>,
    checked_out_at: Option<DateTime<Utc>>,
    checked_out_auto: bool,
    offline: bool,
    approval: Option<String>,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
    company_enc: Option<Vec<u8>>,
    phone_enc: Option<Vec<u8>>,
    host_name_enc: Option<Vec<u8>>,
}

/// A visit's status from its stored `status` and `approval` (read as `COALESCE(hold, approval)`,
/// the watchlist's hold first): a visit waiting for its host or held at the desk is on site (in
/// the building) but shown as `pending_approval` or `held`; a declined one is `denied`.
pub fn status_of(status: &str, approval: Option<&str>) -> VisitStatus {
    match (status, approval) {
        (_, Some("denied")) => VisitStatus::Denied,
        ("on_site", Some("held")) => VisitStatus::Held,
        ("on_site", Some("pending")) => VisitStatus::PendingApproval,
        ("on_site", _) => VisitStatus::OnSite,
        _ => VisitStatus::CheckedOut,
    }
}

/// Filters of the visit log, already validated.
#[derive(Debug, Clone, Default)]
pub struct VisitFilterSql {
    pub site_id: Option<Uuid>,
    pub host_id: Option<Uuid>,
    pub status: Option<VisitStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The visitor's exact email, matched through its blind index (nothing is decrypted).
    pub email: Option<Email>,
    /// Only the visits of the hosts with this email (a signed-in host's own).
    pub host_email: Option<Email>,
    /// Only the visits after this one in the log's order (newest first): keyset paging, which
    /// costs the same on the millionth visit as on the first.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
    pub offset: i64,
}

/// The visit log counts matching visits up to this many; past it, the count says "more".
pub const VISIT_COUNT_CAP: i64 = 10_000;

/// What a [`RawVisit`] reads: the visit `v`, its visitor `vi` and its host `h`.
macro_rules! visit_columns {
    () => {
        "SELECT v.id, v.site_id, v.host_id, v.visitor_id, v.purpose_enc, v.status, v.badge_code, v.checked_in_at, \
         v.checked_out_at, v.checked_out_auto, v.offline, COALESCE(v.hold, v.approval) AS approval, vi.name_enc, vi.email_enc, vi.company_enc, vi.phone_enc, h.name_enc AS host_name_enc "
    };
}

/// How a visit meets its visitor and its host (if it has one).
macro_rules! visit_joins {
    () => {
        "JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
         LEFT JOIN hosts h ON h.tenant_id = v.tenant_id AND h.id = v.host_id "
    };
}

macro_rules! visit_select {
    ($rest:literal) => {
        concat!(
            visit_columns!(),
            "FROM visits v ",
            visit_joins!(),
            "WHERE v.tenant_id = $1",
            $rest
        )
    };
}

/// The filter's predicates (parameters `$2` to `$8`, and `$9`, `$10` for the cursor). A filter
/// that is present becomes its own predicate, so the planner can pick the index that serves it;
/// an absent one still names its parameter (`$n IS NULL`), so every variant binds the same list.
fn predicates(f: &VisitFilterSql, email_joined: bool) -> String {
    let filters: [(bool, &str, &str); 8] = [
        (f.site_id.is_some(), "v.site_id = $2", "$2 IS NULL"),
        (f.host_id.is_some(), "v.host_id = $3", "$3 IS NULL"),
        // The state as a literal (one of two), so that "on site" can use its partial index.
        (
            f.status.is_some(),
            match f.status {
                Some(VisitStatus::OnSite) => "v.status = 'on_site' AND $4 IS NOT NULL",
                Some(VisitStatus::PendingApproval) => {
                    "v.status = 'on_site' AND v.approval = 'pending' AND v.hold IS NULL AND $4 IS NOT NULL"
                }
                Some(VisitStatus::Held) => {
                    "v.hold = 'held' AND v.status = 'on_site' AND $4 IS NOT NULL"
                }
                Some(VisitStatus::Denied) => {
                    "(v.approval = 'denied' OR v.hold = 'denied') AND $4 IS NOT NULL"
                }
                _ => "v.status = 'checked_out' AND $4 IS NOT NULL",
            },
            "$4 IS NULL",
        ),
        (f.from.is_some(), "v.checked_in_at >= $5", "$5 IS NULL"),
        (f.to.is_some(), "v.checked_in_at < $6", "$6 IS NULL"),
        (
            f.email.is_some(),
            if email_joined {
                "ve.tenant_id = v.tenant_id AND ve.id = v.visitor_id AND ve.email_idx = $7"
            } else {
                "v.visitor_id IN (SELECT id FROM visitors WHERE tenant_id = $1 AND email_idx = $7)"
            },
            "$7 IS NULL",
        ),
        (
            f.host_email.is_some(),
            // A host never sees a held visitor (until staff admit them).
            "v.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $8) \
             AND COALESCE(v.hold, '') <> 'held'",
            "$8 IS NULL",
        ),
        (
            f.after.is_some(),
            "(v.checked_in_at, v.id) < ($9, $10)",
            "$9 IS NULL AND $10 IS NULL",
        ),
    ];
    filters
        .iter()
        .map(|&(present, when, absent)| format!(" AND {}", if present { when } else { absent }))
        .collect()
}

/// Hosts' names opened once each for a run of visits (a page of the log has few hosts).
#[derive(Default)]
struct HostNames(HashMap<Uuid, String>);

impl HostNames {
    fn open(&mut self, c: &TenantKeys, host: Uuid, sealed: &[u8]) -> Result<String, Error> {
        if let Some(name) = self.0.get(&host) {
            return Ok(name.clone());
        }
        let name = c.open(HOST_NAME, host, sealed)?;
        self.0.insert(host, name.clone());
        Ok(name)
    }
}

/// A visit as read, its sealed fields opened with the tenant's keys `c`.
fn open_visit(c: &TenantKeys, hosts: &mut HostNames, r: RawVisit) -> Result<VisitRow, Error> {
    Ok(VisitRow {
        host_name: r
            .host_id
            .zip(r.host_name_enc.as_deref())
            .map(|(host, enc)| hosts.open(c, host, enc))
            .transpose()?,
        visitor_name: c.open(VISITOR_NAME, r.visitor_id, &r.name_enc)?,
        visitor_email: c.open(VISITOR_EMAIL, r.visitor_id, &r.email_enc)?,
        visitor_company: c.open_opt(VISITOR_COMPANY, r.visitor_id, r.company_enc.as_deref())?,
        visitor_phone: c.open_opt(VISITOR_PHONE, r.visitor_id, r.phone_enc.as_deref())?,
        purpose: c.open_opt(VISIT_PURPOSE, r.id, r.purpose_enc.as_deref())?,
        status: status_of(&r.status, r.approval.as_deref()),
        id: r.id,
        site_id: r.site_id,
        host_id: r.host_id,
        visitor_id: r.visitor_id,
        badge_code: r.badge_code,
        checked_in_at: r.checked_in_at,
        checked_out_at: r.checked_out_at,
        checked_out_auto: r.checked_out_auto,
        offline: r.offline,
    })
}

impl TenantTx {
    pub async fn visit(&mut self, id: Uuid) -> Result<Option<VisitRow>, Error> {
        let raw: Option<RawVisit> = self
            .fetch_optional(visit_select!(" AND v.id = $2"), (id,))
            .await?;
        raw.map(|r| open_visit(&self.keys, &mut HostNames::default(), r))
            .transpose()
    }

    /// A page of the visit log, newest first: the filter's matches after its cursor.
    pub async fn visits(&mut self, f: &VisitFilterSql) -> Result<Vec<VisitRow>, Error> {
        let mut page = Vec::new();
        self.visits_each(f, |r| {
            page.push(r);
            Ok(())
        })
        .await?;
        Ok(page)
    }

    /// The same page handed to `each` visit by visit as the engine reads it (the export writes
    /// each one out without gathering the page).
    pub async fn visits_each(
        &mut self,
        f: &VisitFilterSql,
        mut each: impl FnMut(VisitRow) -> Result<(), Error> + Send,
    ) -> Result<(), Error> {
        // The page's visits first, from the visits alone (the index of the log's order, or of the
        // filter), then their visitors and hosts: joined before the limit, a planner may walk the
        // few visitors first and sort a million visits. An exact email starts from its visitors
        // instead (a person's visits are few; scanning the log for them is not).
        // `CROSS JOIN` fixes the order on SQLite, whose statistics (sampled, `checkpoint.rs`) may
        // otherwise lead it to walk the log and probe each visitor; PostgreSQL plans it as a join.
        let from = if f.email.is_some() {
            "visitors ve CROSS JOIN visits v"
        } else {
            "visits v"
        };
        let sql = format!(
            "{}FROM (SELECT v.* FROM {from} WHERE v.tenant_id = $1{} \
             ORDER BY v.checked_in_at DESC, v.id DESC LIMIT $11 OFFSET $12) v {}\
             ORDER BY v.checked_in_at DESC, v.id DESC",
            visit_columns!(),
            predicates(f, f.email.is_some()),
            visit_joins!(),
        );
        let (at, id) = f.after.unzip();
        let params = Both(self.filter_params(f), (at, id, f.limit, f.offset));
        let (keys, mut hosts) = (self.keys.clone(), HostNames::default());
        self.for_each(AssertSqlSafe(sql), params, |r: RawVisit| {
            each(open_visit(&keys, &mut hosts, r)?)
        })
        .await
    }

    /// Every visit of the people with the email blind index `idx`, oldest first.
    pub async fn visits_by_email_idx(&mut self, idx: &[u8]) -> Result<Vec<VisitRow>, Error> {
        let raws: Vec<RawVisit> = self
            .fetch_all(
                visit_select!(" AND vi.email_idx = $2 ORDER BY v.checked_in_at, v.id"),
                (idx.to_vec(),),
            )
            .await?;
        let mut hosts = HostNames::default();
        raws.into_iter()
            .map(|r| open_visit(&self.keys, &mut hosts, r))
            .collect()
    }

    /// How many visits match the filter (the cursor aside), counted up to [`VISIT_COUNT_CAP`]:
    /// the count and whether there are more.
    pub async fn count_visits(&mut self, f: &VisitFilterSql) -> Result<(i64, bool), Error> {
        let all = VisitFilterSql {
            after: None,
            ..f.clone()
        };
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM visits v WHERE v.tenant_id = $1{} LIMIT {}) AS c",
            predicates(&all, false),
            VISIT_COUNT_CAP + 1
        );
        let params = Both(self.filter_params(f), (None::<DateTime<Utc>>, None::<Uuid>));
        let n: i64 = self.scalar(AssertSqlSafe(sql), params).await?;
        Ok((n.min(VISIT_COUNT_CAP), n > VISIT_COUNT_CAP))
    }

    /// The filter's values, `$2` to `$8`.
    #[allow(clippy::type_complexity)]
    fn filter_params(
        &self,
        f: &VisitFilterSql,
    ) -> (
        Option<Uuid>,
        Option<Uuid>,
        Option<&'static str>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
    ) {
        let index = |e: &Option<Email>| e.as_ref().map(|e| self.keys.email_index(e));
        (
            f.site_id,
            f.host_id,
            f.status.map(VisitStatus::as_str),
            f.from,
            f.to,
            index(&f.email),
            index(&f.host_email),
        )
    }

    /// Whether `host` is one of the host records with this email (a signed-in host's own); a
    /// visit without a host is no one's.
    pub async fn hosted_by(&mut self, host: Option<Uuid>, email: &Email) -> Result<bool, Error> {
        let Some(host) = host else {
            return Ok(false);
        };
        const SQL: &str = "SELECT EXISTS (SELECT 1 FROM hosts WHERE tenant_id = $1 AND id = $2 AND email_idx = $3)";
        let idx = self.keys.email_index(email);
        self.scalar(SQL, (host, idx)).await
    }

    /// The host records with this email (a signed-in host's own).
    pub async fn hosts_of(&mut self, email: &Email) -> Result<Vec<Uuid>, Error> {
        const SQL: &str = "SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $2";
        let idx = self.keys.email_index(email);
        let rows: Vec<(Uuid,)> = self.fetch_all(SQL, (idx,)).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The number of outbox rows.
    pub async fn outbox_len(&mut self) -> Result<i64, Error> {
        self.scalar("SELECT COUNT(*) FROM outbox WHERE tenant_id = $1", ())
            .await
    }
}
