//! Writing each claimed row's email, a tenant's batch at a time (`deliver` in `mod.rs`): the
//! host's notices and reminders, an invitation's emails, a visitor's pass, the desk's alerts, an
//! evacuation's call to the site's contacts and a signed agreement's copy. The hosts and sites a
//! batch needs are read once; a row that needs no email gets the reason to record instead.

use std::collections::{HashMap, hash_map::Entry};

use uuid::Uuid;
use vestibule_shared::dto::{
    accounts::Role, invites::InviteState, passes::PassState, visits::VisitStatus,
};

use super::{agreement, compose, desk, evacuation, invitation, pass, smtp};
use crate::{
    error::Error,
    store::{HostRow, OutboxItem, SiteRow, SmtpAccount, TenantTx},
};

/// An email ready to go out.
pub(super) struct Outgoing {
    pub message: lettre::Message,
    pub message_id: String,
}

/// What every email of one tenant's batch needs once: its SMTP account and settings, and the
/// hosts and sites already read.
pub(super) struct Batch {
    pub account: Option<SmtpAccount>,
    pub settings: vestibule_shared::dto::settings::Settings,
    hosts: HashMap<Uuid, Option<HostRow>>,
    sites: HashMap<Uuid, Option<SiteRow>>,
    public_url: String,
}

impl Batch {
    /// A batch of `account` (none: the tenant has no SMTP server) and `settings`, whose links
    /// point to `public_url`.
    pub fn new(
        account: Option<SmtpAccount>,
        settings: vestibule_shared::dto::settings::Settings,
        public_url: String,
    ) -> Batch {
        Batch {
            account,
            settings,
            hosts: HashMap::new(),
            sites: HashMap::new(),
            public_url,
        }
    }

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

/// Writes the email a row asks for; `Err` with the reason to record for rows that need none.
pub(super) async fn prepare(
    tx: &mut TenantTx,
    item: &OutboxItem,
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
    let message_id = message_id(account, id);
    smtp::message(account, to, &message_id, content)
        .map(|message| Outgoing {
            message,
            message_id,
        })
        .map_err(|e| e.reason)
}

/// A Message-ID of `local` at the domain of the account's sender address.
pub(super) fn message_id(account: &SmtpAccount, local: impl std::fmt::Display) -> String {
    let domain = account
        .config
        .from_address
        .rsplit('@')
        .next()
        .unwrap_or("vestibule.invalid");
    format!("<{local}@{domain}>")
}

/// Writes an invitation's email: to the visitor (`invite`, with the code the row carries) or the
/// host's confirmation (`invite_sent`).
async fn prepare_invitation(
    tx: &mut TenantTx,
    item: &OutboxItem,
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
    item: &OutboxItem,
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
    item: &OutboxItem,
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
    item: &OutboxItem,
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
    item: &OutboxItem,
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
