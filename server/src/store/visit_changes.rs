//! A visit's changes after its check-in: the check-out (by badge code at a kiosk, or by id at
//! the desk) with what follows it (the audit entries, the host's email, the visitor's pass), and
//! the desk's corrections of a visit and its visitor, sealed again.

use uuid::Uuid;
use vestibule_shared::{
    dto::visits::{CorrectVisit, VisitStatus},
    types::BadgeCode,
};

use super::outbox::Notification;
use super::sealed::{VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE};
use super::{Actor, TenantTx, VisitRow};
use crate::error::Error;

impl TenantTx {
    /// Checks out the on-site visit of `site` with this badge code.
    pub async fn check_out_badge(
        &mut self,
        actor: Actor,
        site: Uuid,
        badge: &BadgeCode,
    ) -> Result<(Uuid, Option<Uuid>), Error> {
        const SQL: &str = "UPDATE visits SET status = 'checked_out', checked_out_at = $4 \
                           WHERE tenant_id = $1 AND site_id = $2 AND badge_code = $3 AND status = 'on_site' RETURNING id, host_id";
        let (id, host): (Uuid, Option<Uuid>) = self
            .fetch_optional(SQL, (site, badge.as_str(), self.now()))
            .await?
            .ok_or(Error::NotFound)?;
        self.checked_out(actor, &[id]).await?;
        Ok((id, host))
    }

    /// Checks out a visit by id (optionally only one of `site`); returns its site and host.
    pub async fn check_out(
        &mut self,
        actor: Actor,
        id: Uuid,
        site: Option<Uuid>,
    ) -> Result<(Uuid, Option<Uuid>), Error> {
        const SQL: &str = "UPDATE visits SET status = 'checked_out', checked_out_at = $3 \
                           WHERE tenant_id = $1 AND id = $2 AND ($4 IS NULL OR site_id = $4) AND status = 'on_site' \
                           RETURNING site_id, host_id";
        let found: (Uuid, Option<Uuid>) = self
            .fetch_optional(SQL, (id, self.now(), site))
            .await?
            .ok_or(Error::NotFound)?;
        self.checked_out(actor, &[id]).await?;
        Ok(found)
    }

    /// What follows the check-out of visits `ids`: their audit entries; if the tenant wants it
    /// and has an SMTP server to send it by, each host's email (none is queued only to fail); and
    /// each visitor's pass, if they asked for one. The settings and the SMTP server are read once,
    /// the entries written together: a night's sign-out of a busy site is a few statements.
    pub(super) async fn checked_out(&mut self, actor: Actor, ids: &[Uuid]) -> Result<(), Error> {
        let settings = self.settings().await?;
        if self.has_smtp().await? {
            for &id in ids {
                self.issue_pass(actor, id, settings.pass_days).await?;
                if settings.notify_checkout {
                    let notice = Notification::about("check_out", id);
                    self.enqueue("host_notification", &notice, self.now())
                        .await?;
                }
            }
        }
        let targets: Vec<String> = ids.iter().map(|id| format!("visit:{id}")).collect();
        self.audit_all(actor, "visit.check_out", &targets).await
    }

    /// Applies a correction to a visit and its visitor.
    pub async fn correct_visit(
        &mut self,
        actor: Actor,
        id: Uuid,
        site: Option<Uuid>,
        fix: &CorrectVisit,
    ) -> Result<VisitRow, Error> {
        const VISITOR: &str = "UPDATE visitors SET name_enc = $3, email_enc = $4, email_idx = COALESCE($5, email_idx), company_enc = $6, \
                               phone_enc = $7 WHERE tenant_id = $1 AND id = $2";
        let mut v = self
            .visit(id)
            .await?
            .filter(|v| site.is_none_or(|s| s == v.site_id))
            .ok_or(Error::NotFound)?;
        let hostless = v.host_id.is_none();
        if let Some(host_id) = fix.host_id {
            match self.host(host_id).await? {
                Some(h) if h.site_id == v.site_id => v.host_id = Some(host_id),
                _ => {
                    return Err(Error::InvalidInput(
                        "host_id: no such host at this visit's site".into(),
                    ));
                }
            }
        }
        if let Some(x) = &fix.name {
            v.visitor_name = x.as_str().to_owned();
        }
        if let Some(x) = &fix.company {
            v.visitor_company = Some(x.as_str().to_owned());
        }
        if let Some(x) = &fix.phone {
            v.visitor_phone = Some(x.as_str().to_owned());
        }
        if let Some(x) = &fix.purpose {
            v.purpose = Some(x.as_str().to_owned());
        }
        let c = self.keys.clone();
        let email_idx = fix.email.as_ref().map(|e| c.email_index(e));
        if let Some(x) = &fix.email {
            v.visitor_email = x.as_str().to_owned();
        }
        let vid = v.visitor_id;
        let name_enc = c.seal(VISITOR_NAME, vid, &v.visitor_name);
        let email_enc = c.seal(VISITOR_EMAIL, vid, &v.visitor_email);
        let company_enc = v
            .visitor_company
            .as_ref()
            .map(|x| c.seal(VISITOR_COMPANY, vid, x));
        let phone_enc = v
            .visitor_phone
            .as_ref()
            .map(|x| c.seal(VISITOR_PHONE, vid, x));
        let purpose_enc = v.purpose.as_ref().map(|x| c.seal(VISIT_PURPOSE, id, x));
        self.execute(
            VISITOR,
            (vid, name_enc, email_enc, email_idx, company_enc, phone_enc),
        )
        .await?;
        self.execute(
            "UPDATE visits SET host_id = $3, purpose_enc = $4 WHERE tenant_id = $1 AND id = $2",
            (id, v.host_id, purpose_enc),
        )
        .await?;
        // A visitor checked in offline for a removed host: the host the desk found hears of them.
        if hostless
            && v.host_id.is_some()
            && v.status == VisitStatus::OnSite
            && self.has_smtp().await?
        {
            let notice = Notification::about("check_in", id);
            self.enqueue("host_notification", &notice, self.now())
                .await?;
        }
        self.audit(actor, "visit.correct", format!("visit:{id}"))
            .await?;
        self.visit(id).await?.ok_or(Error::NotFound)
    }
}
