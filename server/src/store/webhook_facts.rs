//! What a webhook event is about, read when the delivery is sent: the site, the host, the times,
//! and the visitor's name and company only for a webhook that sends them. Nothing of it is kept
//! with the delivery, so the privacy desk's erasure and retention reach webhook payloads too.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::dto::webhooks::WebhookEvent;
use zeroize::Zeroizing;

use super::TenantTx;
use super::sealed::{HOST_NAME, INVITE_COMPANY, INVITE_NAME, VISITOR_COMPANY, VISITOR_NAME};
use crate::error::Error;

/// The facts of one event.
#[derive(Default)]
pub struct EventFacts {
    /// The visit, invitation, evacuation (or, for a test, webhook) the event is about.
    pub subject: Option<Uuid>,
    pub site: Option<(Uuid, String)>,
    pub host: Option<(Uuid, Zeroizing<String>)>,
    /// Its times by name (`checked_in_at`, …).
    pub times: Vec<(&'static str, DateTime<Utc>)>,
    /// The visitor's name and company, when the webhook sends them.
    pub visitor: Option<(Zeroizing<String>, Option<Zeroizing<String>>)>,
}

type Sealed = Option<Vec<u8>>;

impl TenantTx {
    /// The facts of `event` about `target` (`visit:<id>`, …); only ids when the thing is gone.
    pub async fn event_facts(
        &mut self,
        event: WebhookEvent,
        target: &str,
        include_visitor: bool,
    ) -> Result<EventFacts, Error> {
        let subject = target
            .split_once(':')
            .and_then(|(_, id)| id.parse::<Uuid>().ok());
        let mut facts = EventFacts {
            subject,
            ..EventFacts::default()
        };
        let Some(id) = subject else {
            return Ok(facts);
        };
        match event {
            WebhookEvent::VisitCheckedIn
            | WebhookEvent::VisitCheckedOut
            | WebhookEvent::VisitHeld => self.visit_facts(id, include_visitor, &mut facts).await?,
            WebhookEvent::InviteCreated => {
                self.invite_facts(id, include_visitor, &mut facts).await?
            }
            WebhookEvent::EvacuationStarted => {
                const SQL: &str = "SELECT e.site_id, s.name, e.started_at FROM evacuations e \
                                   JOIN sites s ON s.tenant_id = e.tenant_id AND s.id = e.site_id \
                                   WHERE e.tenant_id = $1 AND e.id = $2";
                let row: Option<(Uuid, String, DateTime<Utc>)> =
                    self.fetch_optional(SQL, (id,)).await?;
                if let Some((site, name, started)) = row {
                    facts.site = Some((site, name));
                    facts.times.push(("started_at", started));
                }
            }
            WebhookEvent::Test => {}
        }
        Ok(facts)
    }

    async fn visit_facts(
        &mut self,
        id: Uuid,
        include_visitor: bool,
        facts: &mut EventFacts,
    ) -> Result<(), Error> {
        const SQL: &str = "SELECT v.site_id, s.name, v.host_id, h.name_enc, v.checked_in_at, v.checked_out_at, \
                           v.visitor_id, vi.name_enc, vi.company_enc FROM visits v \
                           JOIN sites s ON s.tenant_id = v.tenant_id AND s.id = v.site_id \
                           JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
                           LEFT JOIN hosts h ON h.tenant_id = v.tenant_id AND h.id = v.host_id \
                           WHERE v.tenant_id = $1 AND v.id = $2";
        type Raw = (
            Uuid,
            String,
            Option<Uuid>,
            Sealed,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Uuid,
            Vec<u8>,
            Sealed,
        );
        let row: Option<Raw> = self.fetch_optional(SQL, (id,)).await?;
        let Some((site, site_name, host, host_name, inn, out, visitor, name, company)) = row else {
            return Ok(());
        };
        facts.site = Some((site, site_name));
        facts.host = self.host_named(host, host_name)?;
        facts.times.push(("checked_in_at", inn));
        if let Some(out) = out {
            facts.times.push(("checked_out_at", out));
        }
        if include_visitor {
            facts.visitor = Some((
                Zeroizing::new(self.keys.open(VISITOR_NAME, visitor, &name)?),
                self.keys
                    .open_opt(VISITOR_COMPANY, visitor, company.as_deref())?
                    .map(Zeroizing::new),
            ));
        }
        Ok(())
    }

    async fn invite_facts(
        &mut self,
        id: Uuid,
        include_visitor: bool,
        facts: &mut EventFacts,
    ) -> Result<(), Error> {
        const SQL: &str = "SELECT i.site_id, s.name, i.host_id, h.name_enc, i.expected_at, i.name_enc, i.company_enc \
                           FROM invites i JOIN sites s ON s.tenant_id = i.tenant_id AND s.id = i.site_id \
                           LEFT JOIN hosts h ON h.tenant_id = i.tenant_id AND h.id = i.host_id \
                           WHERE i.tenant_id = $1 AND i.id = $2";
        type Raw = (Uuid, String, Uuid, Sealed, DateTime<Utc>, Vec<u8>, Sealed);
        let row: Option<Raw> = self.fetch_optional(SQL, (id,)).await?;
        let Some((site, site_name, host, host_name, expected, name, company)) = row else {
            return Ok(());
        };
        facts.site = Some((site, site_name));
        facts.host = self.host_named(Some(host), host_name)?;
        facts.times.push(("expected_at", expected));
        if include_visitor {
            facts.visitor = Some((
                Zeroizing::new(self.keys.open(INVITE_NAME, id, &name)?),
                self.keys
                    .open_opt(INVITE_COMPANY, id, company.as_deref())?
                    .map(Zeroizing::new),
            ));
        }
        Ok(())
    }

    fn host_named(
        &self,
        host: Option<Uuid>,
        name: Sealed,
    ) -> Result<Option<(Uuid, Zeroizing<String>)>, Error> {
        let (Some(host), Some(name)) = (host, name) else {
            return Ok(None);
        };
        Ok(Some((
            host,
            Zeroizing::new(self.keys.open(HOST_NAME, host, &name)?),
        )))
    }
}
