//! The daily automatic sign-out's rows (`auto_checkouts`): one per site, local day and kind
//! (`sign_out`, `reminder`), whose insert decides which process does that day's work, so that it
//! happens once however many replicas look.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::outbox::Notification;
use super::{Actor, TenantTx};
use crate::error::Error;

impl TenantTx {
    /// The site's automatic sign-out of its local day `day`, due at `cutoff`: everyone who checked
    /// in before `cutoff` and is still on site is checked out at `cutoff`, marked automatic. `None`
    /// if that day's sign-out was already done (by this or another process); else the visits
    /// checked out, with their hosts.
    pub async fn auto_check_out(
        &mut self,
        site: Uuid,
        day: NaiveDate,
        cutoff: DateTime<Utc>,
    ) -> Result<Option<Vec<(Uuid, Option<Uuid>)>>, Error> {
        const RUN: &str = "INSERT INTO auto_checkouts (tenant_id, site_id, day, ran_at) VALUES ($1, $2, $3, $4) \
                           ON CONFLICT DO NOTHING";
        const OUT: &str = "UPDATE visits SET status = 'checked_out', checked_out_at = $3, checked_out_auto = TRUE \
                           WHERE tenant_id = $1 AND site_id = $2 AND status = 'on_site' AND checked_in_at < $3 \
                           RETURNING id, host_id";
        const COUNT: &str = "UPDATE auto_checkouts SET visits = $4 \
                             WHERE tenant_id = $1 AND site_id = $2 AND day = $3 AND kind = 'sign_out'";
        if self.execute(RUN, (site, day, self.now())).await? == 0 {
            return Ok(None);
        }
        let out: Vec<(Uuid, Option<Uuid>)> = self.fetch_all(OUT, (site, cutoff)).await?;
        let ids: Vec<Uuid> = out.iter().map(|(id, _)| *id).collect();
        self.checked_out(Actor::System, &ids).await?;
        let n = i32::try_from(out.len()).unwrap_or(i32::MAX);
        self.execute(COUNT, (site, day, n)).await?;
        Ok(Some(out))
    }

    /// The hosts' reminder before the site's sign-out of its local day `day`: an email (if the
    /// tenant has an SMTP server) to the host of each visitor still on site. `None` if that day's
    /// reminder was already sent (by this or another process) or cannot be; else how many.
    pub async fn remind_before_sign_out(
        &mut self,
        site: Uuid,
        day: NaiveDate,
    ) -> Result<Option<usize>, Error> {
        const RUN: &str = "INSERT INTO auto_checkouts (tenant_id, site_id, day, kind, ran_at) \
                           VALUES ($1, $2, $3, 'reminder', $4) ON CONFLICT DO NOTHING";
        const ON_SITE: &str =
            "SELECT id FROM visits WHERE tenant_id = $1 AND site_id = $2 AND status = 'on_site'";
        if !self.has_smtp().await? || self.execute(RUN, (site, day, self.now())).await? == 0 {
            return Ok(None);
        }
        let on_site: Vec<(Uuid,)> = self.fetch_all(ON_SITE, (site,)).await?;
        for (id,) in &on_site {
            let n = Notification::about("still_on_site", *id);
            self.enqueue("host_notification", &n, self.now()).await?;
        }
        Ok(Some(on_site.len()))
    }
}
