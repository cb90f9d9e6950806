//! The mail sender: a task in every server process that claims due outbox rows (a lease, so
//! replicas never share a row), writes each host's email and sends it over TLS, then marks the
//! row sent, or schedules a retry with exponential backoff, or gives up after a bounded time
//! with the reason recorded. A check-in never waits for any of this. Rows are claimed up to 256
//! at a time and handled a tenant at a time: a read transaction writes the tenant's emails, one
//! statement records that they are being sent, up to four connections at once (a TLS handshake
//! and a login each) send them, one statement records those sent. On SQLite, whose one writer
//! the check-ins share, a batch of emails so costs three short write transactions.
//!
//! Never twice: right before the SMTP exchange the row's Message-ID and `sending_at` are
//! committed. A row claimed again with `sending_at` set belongs to a process that died mid-send;
//! whether the SMTP server took the message is unknowable, so it is not sent again and the row
//! records why (with the Message-ID, to look up in the mail server's log). See the README.

pub mod agreement;
mod compose;
mod desk;
mod evacuation;
mod invitation;
mod pass;
mod smtp;

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use tokio::sync::watch;
use uuid::Uuid;

use vestibule_shared::{
    dto::{accounts::Role, invites::InviteState, passes::PassState, visits::VisitStatus},
    types::Language,
};

use crate::{
    error::Error,
    ids::TenantId,
    store::{HostRow, SiteRow, SmtpAccount, Store, TenantTx},
};

/// How the sender paces itself.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// How often to look for due rows when there were none.
    pub poll: Duration,
    /// The first retry delay; each next one doubles, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// A notification still unsent this long after it was written is given up on.
    pub give_up: Duration,
    /// How long a claim lasts (longer than one send can take).
    pub lease: Duration,
    /// The whole SMTP exchange of one message.
    pub send_timeout: Duration,
    /// The server's address as people reach it (`https://…`, no trailing slash): the links in
    /// visitors' emails point there.
    pub public_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(30 * 60),
            give_up: Duration::from_secs(24 * 60 * 60),
            lease: Duration::from_secs(120),
            send_timeout: Duration::from_secs(60),
            public_url: "https://localhost:8443".into(),
        }
    }
}

/// Rows claimed per round.
const CLAIM_BATCH: i64 = 256;

/// The most connections one tenant's batch is sent over at once, and how many messages make it
/// worth another (each costs a TLS handshake and a login).
const CONNECTIONS: usize = 4;
const PER_CONNECTION: usize = 8;

/// Runs the sender until `stop` turns true; finishes the message in hand first, then gives back
/// the leases of the rows it claimed but did not start.
pub async fn run(store: Store, settings: MailSettings, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}:{}", std::process::id(), Uuid::now_v7());
    while !*stop.borrow() {
        let claimed = match claim(&store, &owner, &settings).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming outbox rows failed");
                Vec::new()
            }
        };
        for (tenant, ids) in by_tenant(&claimed) {
            if *stop.borrow() {
                break;
            }
            if let Err(e) = deliver(&store, &settings, &owner, tenant, &ids, &stop).await {
                tracing::warn!(error = %e, rows = ids.len(), "notifications could not be processed");
            }
        }
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
    match release(&store, &owner).await {
        Ok(n) => tracing::info!(released = n, "mail sender stopped"),
        Err(e) => {
            tracing::warn!(error = %e, "giving back the outbox leases failed; they run out by themselves")
        }
    }
}

/// The claimed rows grouped by tenant, in the order of the claim.
fn by_tenant(claimed: &[(TenantId, Uuid)]) -> Vec<(TenantId, Vec<Uuid>)> {
    let mut groups: Vec<(TenantId, Vec<Uuid>)> = Vec::new();
    for &(tenant, id) in claimed {
        match groups.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, ids)) => ids.push(id),
            None => groups.push((tenant, vec![id])),
        }
    }
    groups
}

/// Gives back the claims not yet being sent, so another process sends them without waiting for
/// the leases to run out.
async fn release(store: &Store, owner: &str) -> Result<u64, Error> {
    let mut g = store.global(true).await?;
    let n = g.release_outbox(owner).await?;
    g.commit().await?;
    Ok(n)
}

async fn claim(
    store: &Store,
    owner: &str,
    s: &MailSettings,
) -> Result<Vec<(TenantId, Uuid)>, Error> {
    let lease = chrono::Duration::from_std(s.lease).map_err(|e| Error::Internal(e.into()))?;
    let mut g = store.global(true).await?;
    let claimed = g.claim_outbox(owner, lease, CLAIM_BATCH).await?;
    g.commit().await?;
    Ok(claimed)
}

/// An email ready to go out.
struct Outgoing {
    message: lettre::Message,
    message_id: String,
}

/// What every email of one tenant's batch needs once: its SMTP account and settings, and the
/// hosts and sites already read.
struct Batch {
    account: Option<SmtpAccount>,
    settings: vestibule_shared::dto::settings::Settings,
    hosts: HashMap<Uuid, Option<HostRow>>,
    sites: HashMap<Uuid, Option<SiteRow>>,
    public_url: String,
}

impl Batch {
    /// The host, read once a batch; `None` if it no longer exists.
    async fn host(&mut self, tx: &mut TenantTx, host: Uuid) -> Result<Option<HostRow>, Error> {
        if let Entry::Vacant(e) = self.hosts.entry(host) {
            e.insert(tx.host(host).await?);
        }
        Ok(self.hosts.get(&host).cloned().flatten())
    }

    /// The site, read once a batch; `None` if it no longer exists.
    async fn site(&mut self, tx: &mut TenantTx, site: Uuid) -> Result<Option<SiteRow>, Error> {
        if let Entry::Vacant(e) = self.sites.entry(site) {
            e.insert(tx.site(site).await?);
        }
        Ok(self.sites.get(&site).cloned().flatten())
    }

    /// The host and the site; `None` if either no longer exists (or the visit has no host).
    async fn host_and_site(
        &mut self,
        tx: &mut TenantTx,
        host: Option<Uuid>,
        site: Uuid,
    ) -> Result<Option<(HostRow, SiteRow)>, Error> {
        let Some(host) = host else {
            return Ok(None);
        };
        let h = self.host(tx, host).await?;
        Ok(h.zip(self.site(tx, site).await?))
    }
}

/// Delivers one tenant's claimed rows `ids`: a read transaction writes their emails (holding up
/// no writer), one statement records that they are being sent, up to [`CONNECTIONS`] connections
/// send them, one statement records the ones sent (the others one by one).
/// If `stop` turns true on the way, the rows not yet sent are given back untouched.
async fn deliver(
    store: &Store,
    s: &MailSettings,
    owner: &str,
    tenant: TenantId,
    ids: &[Uuid],
    stop: &watch::Receiver<bool>,
) -> Result<(), Error> {
    let mut tx = store.read(tenant).await?;
    let mut batch = Batch {
        account: tx.smtp().await?,
        settings: tx.settings().await?,
        hosts: HashMap::new(),
        sites: HashMap::new(),
        public_url: s.public_url.clone(),
    };
    let mut ready = Vec::new();
    let mut given_up = Vec::new();
    for item in tx.outbox_items(ids, owner).await? {
        if item.sending_at.is_some() {
            let reason = format!(
                "interrupted while being sent (Message-ID {}); not sent again, so it cannot arrive twice",
                item.message_id.as_deref().unwrap_or("unknown")
            );
            given_up.push((item.id, reason));
            continue;
        }
        match prepare(&mut tx, &item, &mut batch).await? {
            Ok(out) => ready.push((item, out)),
            Err(reason) => given_up.push((item.id, reason)),
        }
    }
    tx.commit().await?;

    let mut tx = store.write_beside(tenant).await?;
    for (id, reason) in &given_up {
        tx.outbox_failed(*id, reason).await?;
    }
    crate::metrics::mail_attempts("failed", given_up.len() as u64);
    let sending: Vec<_> = ready
        .iter()
        .map(|(item, out)| (item.id, out.message_id.clone()))
        .collect();
    let marked = tx.outbox_sending(&sending, owner).await?;
    tx.commit().await?;
    ready.retain(|(item, _)| marked.contains(&item.id));
    let Some(account) = batch.account.filter(|_| !ready.is_empty()) else {
        return Ok(());
    };

    // Several connections at once: each message waits for the server's answers at every step of
    // its exchange, and one connection would leave the machine idle meanwhile.
    let lanes = ready.len().div_ceil(PER_CONNECTION).clamp(1, CONNECTIONS);
    let mut split: Vec<Vec<_>> = (0..lanes).map(|_| Vec::new()).collect();
    for (i, one) in ready.into_iter().enumerate() {
        split[i % lanes].push(one);
    }
    let sends = split.into_iter().map(|lane| async {
        let mut session = smtp::Session::new(&account, s.send_timeout);
        let mut outcomes = Vec::with_capacity(lane.len());
        for (item, out) in lane {
            let outcome = if *stop.borrow() {
                None
            } else {
                Some(session.send(out.message).await)
            };
            outcomes.push((item, outcome));
        }
        session.close().await;
        outcomes
    });
    let outcomes: Vec<_> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    drop(account);
    let mut tx = store.write_beside(tenant).await?;
    let mut sent = Vec::new();
    for (item, outcome) in outcomes {
        let id = item.id;
        match outcome {
            None => tx.outbox_unsend(id).await?,
            Some(Ok(())) => sent.push(id),
            Some(Err(e)) => {
                let age = (tx.now() - item.created_at).to_std().unwrap_or_default();
                let delay = backoff(s, item.attempts);
                if e.permanent || age + delay > s.give_up {
                    tx.outbox_failed(id, &e.reason).await?;
                    crate::metrics::mail_attempts("failed", 1);
                    tracing::warn!(outbox = %id, reason = %e.reason, "gave up on a notification");
                } else {
                    let next = tx.now()
                        + chrono::Duration::from_std(delay)
                            .map_err(|e| Error::Internal(e.into()))?;
                    tx.outbox_retry(id, next, &e.reason).await?;
                    crate::metrics::mail_attempts("retry", 1);
                    tracing::info!(outbox = %id, reason = %e.reason, retry_in = ?delay, "notification deferred");
                }
            }
        }
    }
    tx.outbox_sent(&sent).await?;
    tx.commit().await?;
    crate::metrics::mail_attempts("sent", sent.len() as u64);
    if !sent.is_empty() {
        tracing::info!(sent = sent.len(), "hosts notified");
    }
    Ok(())
}

/// Writes the email a row asks for; `Err` with the reason to record for rows that need none.
async fn prepare(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &mut Batch,
) -> Result<Result<Outgoing, String>, Error> {
    let n = &item.notification;
    if n.event.starts_with("invite") {
        return prepare_invitation(tx, item, batch).await;
    }
    if n.event == "pass" {
        return prepare_pass(tx, item, batch).await;
    }
    if n.event == "agreement" {
        return prepare_agreement(tx, item, batch).await;
    }
    if n.event == "evacuation" {
        return prepare_evacuation(tx, item, batch).await;
    }
    let Some(visit) = tx.visit(n.visit_id).await? else {
        return Ok(Err("the visit no longer exists".into()));
    };
    if n.event == "held" || n.event == "no_host" {
        return prepare_desk_alert(tx, item, batch, &visit).await;
    }
    if (n.event == "waiting" || n.event == "still_on_site") && visit.checked_out_at.is_some() {
        return Ok(Err(
            "not needed: the visitor left before the reminder was due".into(),
        ));
    }
    let Some((host, site)) = batch
        .host_and_site(tx, visit.host_id, visit.site_id)
        .await?
    else {
        return Ok(Err("the host or site no longer exists".into()));
    };
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let invited = n.event == "check_in" && tx.invite_of_visit(visit.id).await?.is_some();
    let link = (n.event == "approval").then(|| {
        let secret = tx.approval_secret(visit.id);
        format!(
            "{}/approval#{}.{}.{secret}",
            batch.public_url, tx.tenant.0, visit.id
        )
    });
    let facts = compose::Facts {
        event: &n.event,
        visitor: &visit.visitor_name,
        company: visit.visitor_company.as_deref(),
        site: &site.name,
        host: &host.name,
        purpose: visit.purpose.as_deref(),
        badge: &visit.badge_code,
        minutes: (tx.now() - visit.checked_in_at).num_minutes(),
        invited,
        link: link.as_deref(),
    };
    let Some(content) = compose::compose(batch.settings.language, &facts) else {
        return Ok(Err("unknown notification kind".into()));
    };
    Ok(outgoing(account, &[&host.email], item.id, content))
}

/// The message of outbox row `id` to `to`, with its Message-ID; `Err` with the reason to record.
fn outgoing(
    account: &SmtpAccount,
    to: &[&str],
    id: Uuid,
    content: compose::Content,
) -> Result<Outgoing, String> {
    let domain = account
        .config
        .from_address
        .rsplit('@')
        .next()
        .unwrap_or("vestibule.invalid")
        .to_owned();
    let message_id = format!("<{id}@{domain}>");
    smtp::message(account, to, &message_id, content)
        .map(|message| Outgoing {
            message,
            message_id,
        })
        .map_err(|e| e.reason)
}

/// Writes an invitation's email: to the visitor (`invite`, with the code the row carries) or the
/// host's confirmation (`invite_sent`).
async fn prepare_invitation(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &mut Batch,
) -> Result<Result<Outgoing, String>, Error> {
    let n = &item.notification;
    let Some(invite) = tx.invite(n.visit_id).await? else {
        return Ok(Err("the invitation no longer exists".into()));
    };
    if invite.state == InviteState::Cancelled {
        return Ok(Err("not needed: the invitation was cancelled".into()));
    }
    let Some((host, site)) = batch
        .host_and_site(tx, Some(invite.host_id), invite.site_id)
        .await?
    else {
        return Ok(Err("the host or site no longer exists".into()));
    };
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let when = crate::days::local_time(invite.expected_at, &site.timezone);
    let code = n.code.as_deref().unwrap_or_default();
    let facts = invitation::Invitation {
        id: invite.id,
        visitor: &invite.visitor_name,
        host: &host.name,
        site: &site.name,
        arrival: site.arrival_instructions.as_deref(),
        when: &when,
        expected_at: invite.expected_at,
        code,
    };
    let lang = batch.settings.language;
    let (to, content) = match n.event.as_str() {
        "invite" if !code.is_empty() => match invitation::to_visitor(lang, &facts) {
            Ok(c) => (invite.visitor_email.as_str(), c),
            Err(reason) => return Ok(Err(reason)),
        },
        "invite_sent" => (host.email.as_str(), invitation::to_host(lang, &facts)),
        _ => return Ok(Err("unknown notification kind".into())),
    };
    Ok(outgoing(account, &[to], item.id, content))
}

/// Writes the email that gives a visitor their pass, with its code and the secret of its
/// revocation link (both carried by the row alone).
async fn prepare_pass(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &Batch,
) -> Result<Result<Outgoing, String>, Error> {
    let n = &item.notification;
    let (Some(code), Some(secret)) = (&n.code, &n.secret) else {
        return Ok(Err("the pass's code is missing".into()));
    };
    let Some((pass, name, email)) = tx.pass_with_holder(n.visit_id).await? else {
        return Ok(Err("the pass no longer exists".into()));
    };
    if pass.state(tx.now()) != PassState::Active {
        return Ok(Err("not needed: the pass was revoked".into()));
    }
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let tenant = tx.tenant_row().await?;
    let until = pass
        .expires_at
        .map(|at| at.date_naive().to_string())
        .unwrap_or_default();
    let revoke_url = format!(
        "{}/pass#{}.{}.{secret}",
        batch.public_url, tenant.id, pass.id
    );
    let facts = pass::PassEmail {
        visitor: &name,
        company: &tenant.name,
        code,
        until: &until,
        revoke_url: &revoke_url,
    };
    match pass::to_visitor(batch.settings.language, &facts) {
        Ok(content) => Ok(outgoing(account, &[&email], item.id, content)),
        Err(reason) => Ok(Err(reason)),
    }
}

/// Writes the desk's alert to the tenant's admins and receptionists, with who and where: about a
/// visitor the watchlist held (`held`; the reason stays in the console), or one checked in
/// offline whose host was removed (`no_host`).
async fn prepare_desk_alert(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &mut Batch,
    visit: &crate::store::VisitRow,
) -> Result<Result<Outgoing, String>, Error> {
    let held = item.notification.event == "held";
    if held && visit.status != VisitStatus::Held {
        return Ok(Err("not needed: the visit was decided already".into()));
    }
    if !held && visit.host_id.is_some() {
        return Ok(Err("not needed: the visit has a host again".into()));
    }
    let Some(site) = batch.site(tx, visit.site_id).await? else {
        return Ok(Err("the site no longer exists".into()));
    };
    let host = match visit.host_id {
        Some(id) => batch.host(tx, id).await?.map(|h| h.name),
        None => None,
    };
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let users = tx.users().await?;
    let desk: Vec<&str> = users
        .iter()
        .filter(|u| !u.disabled && matches!(u.role, Role::Admin | Role::Receptionist))
        .map(|u| u.email.as_str())
        .collect();
    if desk.is_empty() {
        return Ok(Err("no admin or receptionist to alert".into()));
    }
    let at = crate::days::local_time(visit.checked_in_at, &site.timezone);
    let facts = desk::DeskAlert {
        visitor: &visit.visitor_name,
        company: visit.visitor_company.as_deref(),
        site: &site.name,
        host: host.as_deref(),
        at: &at,
        link: &batch.public_url,
    };
    let lang = batch.settings.language;
    let content = if held {
        desk::held(lang, &facts)
    } else {
        desk::no_host(lang, &facts)
    };
    Ok(outgoing(account, &desk, item.id, content))
}

/// Writes the email to one emergency contact (`code`) about the evacuation `visit_id` names.
async fn prepare_evacuation(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &Batch,
) -> Result<Result<Outgoing, String>, Error> {
    let n = &item.notification;
    let Some(to) = &n.code else {
        return Ok(Err("the emergency contact is missing".into()));
    };
    let Some(evacuation) = tx.evacuation(n.visit_id).await? else {
        return Ok(Err("the evacuation no longer exists".into()));
    };
    let Some(site) = tx.site(evacuation.site_id).await? else {
        return Ok(Err("the site no longer exists".into()));
    };
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let on_site: i64 = tx
        .roll_marks(evacuation.id)
        .await?
        .into_iter()
        .map(|(_, n)| n)
        .sum();
    let started = crate::days::local_time(evacuation.started_at, &site.timezone);
    let link = format!("{}/evacuation/{}", batch.public_url, evacuation.id);
    let facts = evacuation::EvacuationEmail {
        site: &site.name,
        started: &started,
        on_site,
        link: &link,
    };
    let content = evacuation::to_contact(batch.settings.language, &facts);
    Ok(outgoing(account, &[to], item.id, content))
}

/// Writes the email with the agreements a visitor signed, to them (they asked for a copy).
async fn prepare_agreement(
    tx: &mut TenantTx,
    item: &crate::store::OutboxItem,
    batch: &Batch,
) -> Result<Result<Outgoing, String>, Error> {
    let visit_id = item.notification.visit_id;
    let Some(visit) = tx.visit(visit_id).await? else {
        return Ok(Err("the visit no longer exists".into()));
    };
    let pdfs = agreement::pdfs(tx, &visit, None).await?;
    if pdfs.is_empty() {
        return Ok(Err("the visit has no signed agreement".into()));
    }
    let Some(account) = &batch.account else {
        return Ok(Err("no SMTP server is configured for this tenant".into()));
    };
    let tenant = tx.tenant_row().await?;
    let lang = batch.settings.language;
    let content = agreement::to_visitor(lang, &visit.visitor_name, &tenant.name, pdfs);
    Ok(outgoing(account, &[&visit.visitor_email], item.id, content))
}

/// Sends a test email through `account` to `to` (the admin asking), now, and says what happened:
/// `Err` carries the reason (the SMTP server's or rustls' words, never the message).
pub async fn send_test(
    account: &SmtpAccount,
    to: &str,
    lang: Language,
    timeout: Duration,
) -> Result<(), String> {
    let content = compose::test_message(lang);
    let domain = account
        .config
        .from_address
        .rsplit('@')
        .next()
        .unwrap_or("vestibule.invalid");
    let message_id = format!("<test-{}@{domain}>", crate::ids::new_id());
    let message = smtp::message(account, &[to], &message_id, content).map_err(|e| e.reason)?;
    let mut session = smtp::Session::new(account, timeout);
    let sent = session.send(message).await.map_err(|e| e.reason);
    session.close().await;
    sent
}

/// `retry_base × 2^attempts`, at most `retry_max`.
fn backoff(s: &MailSettings, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(0, 20) as u32);
    s.retry_base.saturating_mul(factor).min(s.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = MailSettings {
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(600),
            ..MailSettings::default()
        };
        let got: Vec<u64> = (0..7).map(|a| backoff(&s, a).as_secs()).collect();
        assert_eq!(got, [30, 60, 120, 240, 480, 600, 600]);
    }
}
