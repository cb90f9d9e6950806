//! Visitor types (`visitor_types`, their sites in `visitor_type_sites`), the agreement documents
//! they ask to sign (`agreements`, each version kept in `agreement_versions`), and what a visit of
//! a type recorded (`visit_records`: the answers, photo and signature sealed under the visit's id;
//! `visit_agreements`: the exact version signed, with the SHA-256 of the text shown). A type's
//! definition and a document's texts are JSON: nothing in them is personal.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::sealed::{RECORD_ANSWERS, RECORD_PHOTO, RECORD_SIGNATURE};
use super::{Actor, TenantTx};
use crate::error::Error;

/// A visitor type: its definition (JSON of `VisitorTypeInput`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TypeRow {
    pub id: Uuid,
    pub flow: String,
    pub updated_at: DateTime<Utc>,
}

/// An agreement document at one version; `texts` is JSON: per language `{title, body, sha256}`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: Uuid,
    pub name: String,
    pub version: i32,
    pub texts: String,
    pub updated_at: DateTime<Utc>,
}

/// What a visit of a visitor type recorded, opened (the photo and signature only as present).
#[derive(Debug, Clone)]
pub struct VisitRecordRow {
    pub visitor_type_id: Option<Uuid>,
    pub type_name: Option<String>,
    /// JSON of the recorded answers.
    pub answers: Option<Zeroizing<String>>,
    pub photo: bool,
    pub signature: bool,
    pub approval: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawRecord {
    visitor_type_id: Option<Uuid>,
    type_name: Option<String>,
    answers_enc: Option<Vec<u8>>,
    photo: bool,
    signature: bool,
    approval: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
}

/// An agreement signed with a visit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignedRow {
    pub agreement_id: Uuid,
    pub name: String,
    pub version: i32,
    pub language: String,
    pub sha256: Vec<u8>,
    pub signed_at: DateTime<Utc>,
    /// The version's texts (JSON), for the PDF.
    pub texts: String,
}

/// What a check-in of a visitor type writes beside the visit, already validated.
pub struct NewRecord {
    pub visitor_type_id: Uuid,
    pub type_name: String,
    /// JSON of the recorded answers; `None` when the type asks none.
    pub answers: Option<String>,
    pub photo: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
    /// (agreement, version, language, SHA-256 of the text shown).
    pub agreements: Vec<(Uuid, i32, String, Vec<u8>)>,
}

impl TenantTx {
    /// Every visitor type, in their order on the kiosk.
    pub async fn visitor_types(&mut self) -> Result<Vec<TypeRow>, Error> {
        const SQL: &str = "SELECT id, flow, updated_at FROM visitor_types WHERE tenant_id = $1 \
                           ORDER BY position, created_at, id";
        self.fetch_all(SQL, ()).await
    }

    /// The visitor types a site's kiosks offer, in order.
    pub async fn visitor_types_of_site(&mut self, site: Uuid) -> Result<Vec<TypeRow>, Error> {
        const SQL: &str = "SELECT t.id, t.flow, t.updated_at FROM visitor_types t WHERE t.tenant_id = $1 \
             AND (t.all_sites OR EXISTS (SELECT 1 FROM visitor_type_sites s \
                  WHERE s.tenant_id = t.tenant_id AND s.type_id = t.id AND s.site_id = $2)) \
             ORDER BY t.position, t.created_at, t.id";
        self.fetch_all(SQL, (site,)).await
    }

    pub async fn visitor_type(&mut self, id: Uuid) -> Result<Option<TypeRow>, Error> {
        const SQL: &str =
            "SELECT id, flow, updated_at FROM visitor_types WHERE tenant_id = $1 AND id = $2";
        self.fetch_optional(SQL, (id,)).await
    }

    /// Writes visitor type `id` (new or replaced) with the sites it is offered on (every site
    /// when `sites` is empty); `false` when replacing a type that does not exist.
    pub async fn put_visitor_type(
        &mut self,
        actor: Actor,
        id: Uuid,
        new: bool,
        flow: &str,
        sites: &[Uuid],
        position: i32,
    ) -> Result<bool, Error> {
        const INSERT: &str = "INSERT INTO visitor_types (tenant_id, id, flow, all_sites, position, created_at, updated_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $6)";
        const UPDATE: &str = "UPDATE visitor_types SET flow = $3, all_sites = $4, position = $5, updated_at = $6 \
                              WHERE tenant_id = $1 AND id = $2";
        const CLEAR: &str = "DELETE FROM visitor_type_sites WHERE tenant_id = $1 AND type_id = $2";
        const SITE: &str =
            "INSERT INTO visitor_type_sites (tenant_id, type_id, site_id) VALUES ($1, $2, $3)";
        let params = (id, flow, sites.is_empty(), position, self.now());
        let sql = if new { INSERT } else { UPDATE };
        if self.execute(sql, params).await? == 0 {
            return Ok(false);
        }
        self.execute(CLEAR, (id,)).await?;
        for site in sites {
            self.execute(SITE, (id, *site)).await?;
        }
        let action = if new {
            "visitor_type.create"
        } else {
            "visitor_type.update"
        };
        self.audit(actor, action, format!("visitor_type:{id}"))
            .await?;
        Ok(true)
    }

    pub async fn delete_visitor_type(&mut self, actor: Actor, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "DELETE FROM visitor_types WHERE tenant_id = $1 AND id = $2";
        let done = self.execute(SQL, (id,)).await? > 0;
        if done {
            self.audit(actor, "visitor_type.delete", format!("visitor_type:{id}"))
                .await?;
        }
        Ok(done)
    }

    /// The agreement documents not archived, at their current versions.
    pub async fn agreements(&mut self) -> Result<Vec<AgreementRow>, Error> {
        const SQL: &str = "SELECT a.id, a.name, a.version, v.texts, a.updated_at FROM agreements a \
             JOIN agreement_versions v ON v.tenant_id = a.tenant_id AND v.agreement_id = a.id AND v.version = a.version \
             WHERE a.tenant_id = $1 AND a.archived_at IS NULL ORDER BY a.name, a.id";
        self.fetch_all(SQL, ()).await
    }

    /// Agreement `id` at `version` (its current one when `None`), archived or not.
    pub async fn agreement(
        &mut self,
        id: Uuid,
        version: Option<i32>,
    ) -> Result<Option<AgreementRow>, Error> {
        const SQL: &str = "SELECT a.id, a.name, v.version, v.texts, v.created_at AS updated_at FROM agreements a \
             JOIN agreement_versions v ON v.tenant_id = a.tenant_id AND v.agreement_id = a.id \
             WHERE a.tenant_id = $1 AND a.id = $2 AND v.version = COALESCE($3, a.version)";
        self.fetch_optional(SQL, (id, version)).await
    }

    /// Publishes a version of agreement `id`: its first (`new`) or the next; `None` when there
    /// is no such document to change (or it is archived). Returns the version.
    pub async fn put_agreement(
        &mut self,
        actor: Actor,
        id: Uuid,
        new: bool,
        name: &str,
        texts: &str,
    ) -> Result<Option<i32>, Error> {
        const INSERT: &str = "INSERT INTO agreements (tenant_id, id, name, version, created_at, updated_at) \
                              VALUES ($1, $2, $3, 1, $4, $4) RETURNING version";
        const UPDATE: &str = "UPDATE agreements SET name = $3, version = version + 1, updated_at = $4 \
                              WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL RETURNING version";
        const VERSION: &str = "INSERT INTO agreement_versions (tenant_id, agreement_id, version, texts, created_at) \
                               VALUES ($1, $2, $3, $4, $5)";
        let now = self.now();
        let sql = if new { INSERT } else { UPDATE };
        let Some((version,)): Option<(i32,)> = self.fetch_optional(sql, (id, name, now)).await?
        else {
            return Ok(None);
        };
        self.execute(VERSION, (id, version, texts, now)).await?;
        self.audit(actor, "agreement.publish", format!("agreement:{id}"))
            .await?;
        Ok(Some(version))
    }

    /// Archives agreement `id`: no longer offered, still there for the visits that signed it.
    pub async fn archive_agreement(&mut self, actor: Actor, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "UPDATE agreements SET archived_at = $3 \
                           WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL";
        let done = self.execute(SQL, (id, self.now())).await? > 0;
        if done {
            self.audit(actor, "agreement.archive", format!("agreement:{id}"))
                .await?;
        }
        Ok(done)
    }

    /// Writes what visit `visit` of a visitor type recorded, sealed under the visit's id.
    pub async fn record_visit(&mut self, visit: Uuid, r: &NewRecord) -> Result<(), Error> {
        const RECORD: &str = "INSERT INTO visit_records (tenant_id, id, visitor_type_id, type_name, answers_enc, \
             photo_enc, signature_enc) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        const SIGNED: &str = "INSERT INTO visit_agreements (tenant_id, visit_id, agreement_id, version, language, \
             sha256, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let k = &self.keys;
        let answers = r.answers.as_ref().map(|a| k.seal(RECORD_ANSWERS, visit, a));
        let photo = r
            .photo
            .as_ref()
            .map(|p| k.seal_bytes(RECORD_PHOTO, visit, p));
        let signature = r
            .signature
            .as_ref()
            .map(|s| k.seal_bytes(RECORD_SIGNATURE, visit, s));
        let params = (
            visit,
            r.visitor_type_id,
            r.type_name.as_str(),
            answers,
            photo,
            signature,
        );
        self.execute(RECORD, params).await?;
        let now = self.now();
        for (id, version, language, sha) in &r.agreements {
            let params = (visit, *id, *version, language.as_str(), sha.as_slice(), now);
            self.execute(SIGNED, params).await?;
        }
        Ok(())
    }

    /// What visit `visit` recorded, if it was of a visitor type or waits for approval.
    pub async fn visit_record(&mut self, visit: Uuid) -> Result<Option<VisitRecordRow>, Error> {
        const SQL: &str = "SELECT r.visitor_type_id, r.type_name, r.answers_enc, r.photo_enc IS NOT NULL AS photo, \
             r.signature_enc IS NOT NULL AS signature, v.approval, r.decided_at, r.decided_by \
             FROM visit_records r JOIN visits v ON v.tenant_id = r.tenant_id AND v.id = r.id \
             WHERE r.tenant_id = $1 AND r.id = $2";
        let raw: Option<RawRecord> = self.fetch_optional(SQL, (visit,)).await?;
        let Some(r) = raw else { return Ok(None) };
        let answers = r
            .answers_enc
            .map(|a| {
                self.keys
                    .open(RECORD_ANSWERS, visit, &a)
                    .map(Zeroizing::new)
            })
            .transpose()?;
        Ok(Some(VisitRecordRow {
            visitor_type_id: r.visitor_type_id,
            type_name: r.type_name,
            answers,
            photo: r.photo,
            signature: r.signature,
            approval: r.approval,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
        }))
    }

    /// The photo (JPEG) of visit `visit`, opened.
    pub async fn visit_photo(&mut self, visit: Uuid) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        const SQL: &str = "SELECT photo_enc FROM visit_records WHERE tenant_id = $1 AND id = $2";
        self.opened_image(SQL, RECORD_PHOTO, visit).await
    }

    /// The signature (PNG) of visit `visit`, opened.
    pub async fn visit_signature(
        &mut self,
        visit: Uuid,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        const SQL: &str =
            "SELECT signature_enc FROM visit_records WHERE tenant_id = $1 AND id = $2";
        self.opened_image(SQL, RECORD_SIGNATURE, visit).await
    }

    async fn opened_image(
        &mut self,
        sql: &'static str,
        field: crate::crypto::Field,
        visit: Uuid,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        let row: Option<(Option<Vec<u8>>,)> = self.fetch_optional(sql, (visit,)).await?;
        row.and_then(|(sealed,)| sealed)
            .map(|s| self.keys.open_bytes(field, visit, &s))
            .transpose()
    }

    /// The agreements signed with visit `visit`, with the texts of the versions signed.
    pub async fn visit_agreements(&mut self, visit: Uuid) -> Result<Vec<SignedRow>, Error> {
        const SQL: &str = "SELECT s.agreement_id, a.name, s.version, s.language, s.sha256, s.signed_at, v.texts \
             FROM visit_agreements s \
             JOIN agreements a ON a.tenant_id = s.tenant_id AND a.id = s.agreement_id \
             JOIN agreement_versions v ON v.tenant_id = s.tenant_id AND v.agreement_id = s.agreement_id AND v.version = s.version \
             WHERE s.tenant_id = $1 AND s.visit_id = $2 ORDER BY a.name, s.agreement_id";
        self.fetch_all(SQL, (visit,)).await
    }

    /// Where visit `visit`, checked in by kiosk `kiosk`, stands: its status, its approval and
    /// its badge code.
    pub async fn kiosk_visit(
        &mut self,
        kiosk: Uuid,
        visit: Uuid,
    ) -> Result<Option<(String, Option<String>, String)>, Error> {
        const SQL: &str = "SELECT status, COALESCE(hold, approval), badge_code FROM visits \
                           WHERE tenant_id = $1 AND id = $2 AND kiosk_id = $3";
        self.fetch_optional(SQL, (visit, kiosk)).await
    }

    /// The secret of the link in the host's email that approves visit `visit`: a keyed hash of
    /// its id under the tenant's index key (unpadded base64url of 32 bytes), so nothing is stored
    /// and nothing but this server can make one.
    pub fn approval_secret(&self, visit: Uuid) -> String {
        use base64::Engine;
        let mac = self.keys.code_index("approval", &visit.to_string());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    }

    /// Decides the approval visit `visit` waits for: approved, it is on site as any other; denied,
    /// it is checked out at once. `false` when it does not wait (any more).
    pub async fn decide_approval(
        &mut self,
        actor: Actor,
        visit: Uuid,
        approve: bool,
    ) -> Result<bool, Error> {
        const APPROVE: &str = "UPDATE visits SET approval = 'approved' \
             WHERE tenant_id = $1 AND id = $2 AND approval = 'pending' AND status = 'on_site'";
        const DENY: &str = "UPDATE visits SET approval = 'denied', status = 'checked_out', checked_out_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND approval = 'pending' AND status = 'on_site'";
        const DECIDED: &str = "UPDATE visit_records SET decided_at = $3, decided_by = $4 \
                               WHERE tenant_id = $1 AND id = $2";
        let now = self.now();
        let changed = if approve {
            self.execute(APPROVE, (visit,)).await?
        } else {
            self.execute(DENY, (visit, now)).await?
        };
        if changed == 0 {
            return Ok(false);
        }
        self.execute(DECIDED, (visit, now, actor.to_string()))
            .await?;
        let action = if approve {
            "visit.approve"
        } else {
            "visit.deny"
        };
        self.audit(actor, action, format!("visit:{visit}")).await?;
        Ok(true)
    }
}
