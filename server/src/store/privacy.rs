//! The data-subject rights in the store: a person is found by their email's blind index (no
//! decryption to search), and erasing them removes their visitors, visits (with everything that
//! hangs on them), invitations and passes in one transaction.

use vestibule_shared::{dto::privacy::Erased, types::Email};

use super::TenantTx;
use crate::error::Error;

impl TenantTx {
    /// The blind index of `email` in this tenant (what the audit log may name instead of it).
    pub fn email_index(&self, email: &Email) -> Vec<u8> {
        self.keys.email_index(email)
    }

    /// Removes everything held about the person with the email blind index `idx`.
    pub async fn erase_subject(&mut self, idx: &[u8]) -> Result<Erased, Error> {
        // Each statement names the person's visits (or visitors) by the same subquery.
        const MARKS: &str = "DELETE FROM evacuation_people WHERE tenant_id = $1 AND visit_id IN \
            (SELECT v.id FROM visits v JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
             WHERE v.tenant_id = $1 AND vi.email_idx = $2)";
        const SIGNED: &str = "DELETE FROM visit_agreements WHERE tenant_id = $1 AND visit_id IN \
            (SELECT v.id FROM visits v JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
             WHERE v.tenant_id = $1 AND vi.email_idx = $2)";
        const RECORDS: &str = "DELETE FROM visit_records WHERE tenant_id = $1 AND id IN \
            (SELECT v.id FROM visits v JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
             WHERE v.tenant_id = $1 AND vi.email_idx = $2)";
        const INVITES: &str = "DELETE FROM invites WHERE tenant_id = $1 AND (email_idx = $2 OR visit_id IN \
            (SELECT v.id FROM visits v JOIN visitors vi ON vi.tenant_id = v.tenant_id AND vi.id = v.visitor_id \
             WHERE v.tenant_id = $1 AND vi.email_idx = $2))";
        const PASSES: &str = "DELETE FROM visitor_passes WHERE tenant_id = $1 AND visitor_id IN \
            (SELECT id FROM visitors WHERE tenant_id = $1 AND email_idx = $2)";
        const VISITS: &str = "DELETE FROM visits WHERE tenant_id = $1 AND visitor_id IN \
            (SELECT id FROM visitors WHERE tenant_id = $1 AND email_idx = $2)";
        const VISITORS: &str = "DELETE FROM visitors WHERE tenant_id = $1 AND email_idx = $2";
        let idx = idx.to_vec();
        self.execute(MARKS, (idx.clone(),)).await?;
        self.execute(SIGNED, (idx.clone(),)).await?;
        self.execute(RECORDS, (idx.clone(),)).await?;
        let invites = self.execute(INVITES, (idx.clone(),)).await?;
        let passes = self.execute(PASSES, (idx.clone(),)).await?;
        let visits = self.execute(VISITS, (idx.clone(),)).await?;
        let visitors = self.execute(VISITORS, (idx,)).await?;
        Ok(Erased {
            erased_visits: visits,
            erased_invites: invites,
            erased_visitors: visitors,
            erased_passes: passes,
        })
    }
}
