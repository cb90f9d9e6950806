//! What the bench's load runs as, made through the API: the `bench` tenant with one site, one
//! host and one enrolled kiosk per client; for the many-tenant run, more tenants of one site,
//! host and kiosk each; and for the sustained run, the tenant's SMTP settings pointing at the
//! bench's SMTP sink.

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use super::{
    load::Kiosk,
    server::{BenchServer, PASSWORD},
    wrk::KioskTarget,
};
use crate::demo::post;

/// What the bench's setup made: the operator token (it reads `/metrics`), the `bench` tenant's
/// admin session and host, and its kiosks (for the own generator, and as wrk's targets).
pub struct Fleet {
    pub op: String,
    pub admin: String,
    pub host: String,
    pub kiosks: Vec<Kiosk>,
    pub targets: Vec<KioskTarget>,
}

struct TenantSetup {
    admin: String,
    host: String,
    targets: Vec<KioskTarget>,
}

impl BenchServer {
    /// The `bench` tenant with `clients` enrolled kiosks, each with its own connection for the
    /// project's own generator.
    pub async fn setup(&self, clients: usize) -> anyhow::Result<Fleet> {
        let op = self.operator_token()?;
        let t = self.tenant_with_kiosks(&op, "bench", clients).await?;
        let kiosks = t
            .targets
            .iter()
            .map(|k| {
                Ok(Kiosk {
                    client: self.client()?,
                    device: k.device.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Fleet {
            op,
            admin: t.admin,
            host: t.host,
            kiosks,
            targets: t.targets,
        })
    }

    /// `count` more tenants (`t001`, ...), each with a site, a host and one enrolled kiosk: one
    /// check-in target per tenant, in order. Four are made at a time.
    pub async fn more_tenants(&self, op: &str, count: usize) -> anyhow::Result<Vec<KioskTarget>> {
        let made: Vec<TenantSetup> = futures::stream::iter(1..=count)
            .map(|i| async move { self.tenant_with_kiosks(op, &format!("t{i:03}"), 1).await })
            .buffered(4)
            .try_collect()
            .await?;
        Ok(made.into_iter().flat_map(|t| t.targets).collect())
    }

    /// Tenant `slug`: its admin's session, a site, a host and `kiosks` enrolled kiosks.
    async fn tenant_with_kiosks(
        &self,
        op: &str,
        slug: &str,
        kiosks: usize,
    ) -> anyhow::Result<TenantSetup> {
        self.create_tenant(op, slug).await?;
        let c = self.client()?;
        let b = &self.base;
        let admin = self
            .login(&c, slug, &format!("admin@{slug}.test"), PASSWORD)
            .await?;
        let site = post(
            &c,
            format!("{b}/api/v1/sites"),
            &admin,
            json!({"name": "HQ", "timezone": "Europe/Paris"}),
        )
        .await?;
        let site_id = site["id"].as_str().context("site id")?;
        let host = post(
            &c,
            format!("{b}/api/v1/hosts"),
            &admin,
            json!({"name": "Harriet Host", "email": format!("harriet@{slug}.test"), "site_id": site_id}),
        )
        .await?;
        let host = host["id"].as_str().context("host id")?.to_owned();
        let mut targets = Vec::with_capacity(kiosks);
        for i in 0..kiosks {
            let k = post(
                &c,
                format!("{b}/api/v1/kiosks"),
                &admin,
                json!({"site_id": site_id, "name": format!("Tablet {i}")}),
            )
            .await?;
            let code = k["enrollment_code"].as_str().context("enrollment code")?;
            let enrolled = c
                .post(format!("{b}/api/v1/kiosk/enroll"))
                .json(&json!({"enrollment_code": code}))
                .send()
                .await?;
            let enrolled: serde_json::Value = enrolled.json().await?;
            let device = enrolled["device_token"]
                .as_str()
                .context("device token")?
                .to_owned();
            targets.push(KioskTarget {
                device,
                host_id: host.clone(),
            });
        }
        Ok(TenantSetup {
            admin,
            host,
            targets,
        })
    }

    /// Points the tenant of the admin session `admin` at the SMTP sink on `port` (implicit TLS,
    /// this server's certificate as the CA).
    pub async fn configure_smtp(&self, admin: &str, port: u16) -> anyhow::Result<()> {
        let ca_pem = std::fs::read_to_string(self.cert_and_key().0)?;
        let body = json!({
            "host": "localhost", "port": port, "security": "tls",
            "username": "bench", "password": "bench-smtp-password",
            "from_address": "reception@bench.test", "from_name": "Bench Reception",
            "ca_pem": ca_pem,
        });
        let res = self
            .client()?
            .put(format!("{}/api/v1/integrations/smtp", self.base))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        anyhow::ensure!(
            status.is_success(),
            "setting the SMTP server: {status} {}",
            res.text().await.unwrap_or_default()
        );
        Ok(())
    }
}
