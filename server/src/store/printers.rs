//! Badges: a site's label printers (`printers`, in the order a kiosk tries them: fallbacks last,
//! then by name) and the tenant's logo (`tenant_logos`, as validated by `badge::logo`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::TenantTx;
use crate::{error::Error, ids::new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrinterRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub url: String,
    pub template: String,
    pub fallback: bool,
    pub created_at: DateTime<Utc>,
}

/// The tenant's logo as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogoRow {
    pub content_type: String,
    pub data: Vec<u8>,
}

impl TenantTx {
    pub async fn insert_printer(
        &mut self,
        site_id: Uuid,
        name: &str,
        url: &str,
        template: &str,
        fallback: bool,
    ) -> Result<PrinterRow, Error> {
        const SQL: &str = "INSERT INTO printers (tenant_id, id, site_id, name, url, template, fallback, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let row = PrinterRow {
            id: new_id(),
            site_id,
            name: name.to_owned(),
            url: url.to_owned(),
            template: template.to_owned(),
            fallback,
            created_at: self.now(),
        };
        self.execute(
            SQL,
            (
                row.id,
                site_id,
                &row.name,
                &row.url,
                &row.template,
                fallback,
                row.created_at,
            ),
        )
        .await?;
        Ok(row)
    }

    pub async fn printer(&mut self, id: Uuid) -> Result<Option<PrinterRow>, Error> {
        const SQL: &str = "SELECT id, site_id, name, url, template, fallback, created_at FROM printers \
                           WHERE tenant_id = $1 AND id = $2";
        self.fetch_optional(SQL, (id,)).await
    }

    /// A site's printers in the order to try them.
    pub async fn site_printers(&mut self, site_id: Uuid) -> Result<Vec<PrinterRow>, Error> {
        const SQL: &str = "SELECT id, site_id, name, url, template, fallback, created_at FROM printers \
                           WHERE tenant_id = $1 AND site_id = $2 ORDER BY fallback, name, id";
        self.fetch_all(SQL, (site_id,)).await
    }

    /// The tenant's first printer (for the template a badge download uses by default).
    pub async fn first_printer(&mut self) -> Result<Option<PrinterRow>, Error> {
        const SQL: &str = "SELECT id, site_id, name, url, template, fallback, created_at FROM printers \
                           WHERE tenant_id = $1 ORDER BY fallback, created_at, id LIMIT 1";
        self.fetch_optional(SQL, ()).await
    }

    pub async fn update_printer(&mut self, p: &PrinterRow) -> Result<(), Error> {
        const SQL: &str = "UPDATE printers SET name = $3, url = $4, template = $5, fallback = $6 \
                           WHERE tenant_id = $1 AND id = $2";
        self.execute(SQL, (p.id, &p.name, &p.url, &p.template, p.fallback))
            .await?;
        Ok(())
    }

    pub async fn delete_printer(&mut self, id: Uuid) -> Result<bool, Error> {
        Ok(self
            .execute(
                "DELETE FROM printers WHERE tenant_id = $1 AND id = $2",
                (id,),
            )
            .await?
            > 0)
    }

    pub async fn logo(&mut self) -> Result<Option<LogoRow>, Error> {
        self.fetch_optional(
            "SELECT content_type, data FROM tenant_logos WHERE tenant_id = $1",
            (),
        )
        .await
    }

    pub async fn set_logo(&mut self, content_type: &str, data: &[u8]) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO tenant_logos (tenant_id, content_type, data, updated_at) VALUES ($1, $2, $3, $4) \
                           ON CONFLICT (tenant_id) DO UPDATE SET content_type = excluded.content_type, \
                           data = excluded.data, updated_at = excluded.updated_at";
        let now = self.now();
        self.execute(SQL, (content_type, data, now)).await?;
        Ok(())
    }

    pub async fn delete_logo(&mut self) -> Result<bool, Error> {
        Ok(self
            .execute("DELETE FROM tenant_logos WHERE tenant_id = $1", ())
            .await?
            > 0)
    }
}
