//! A ready tenant for tests: an admin, a site with hosts, an enrolled kiosk and a receptionist
//! with a PIN — made through the public API, as a new customer would.

use crate::{Api, Auth, api::visitor};

/// The PIN every test receptionist gets.
pub const PIN: &str = "246810";

/// One tenant's handles.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub admin: Auth,
    pub site: String,
    pub host: String,
    pub kiosk: String,
    pub device: Auth,
    pub receptionist: String,
}

impl Tenant {
    /// Creates a tenant named `slug` with everything above.
    pub async fn setup(api: &Api, operator: &str, slug: &str) -> Tenant {
        let id = api.create_tenant(operator, slug).await;
        let admin_email = format!("admin@{slug}.test");
        api.create_user(operator, &id, &admin_email, "admin", None)
            .await;
        let receptionist = format!("desk@{slug}.test");
        api.create_user(operator, &id, &receptionist, "receptionist", Some(PIN))
            .await;
        let admin = api.login(slug, &admin_email).await;
        let site = api.create_site(&admin, "Headquarters").await;
        let host = api
            .create_host(
                &admin,
                &site,
                "Harriet Host",
                &format!("harriet@{slug}.test"),
            )
            .await;
        let (kiosk, code) = api.create_kiosk(&admin, &site).await;
        let device = api.enroll(&code).await;
        Tenant {
            id,
            slug: slug.to_owned(),
            admin,
            site,
            host,
            kiosk,
            device,
            receptionist,
        }
    }

    /// Checks a visitor in at this tenant's kiosk; returns the visit id.
    pub async fn check_in(&self, api: &Api, key: &str, name: &str) -> String {
        let r = api
            .check_in(
                &self.device,
                key,
                &visitor(&self.host, name, "visitor@example.com"),
            )
            .await;
        r.expect(201)["visit_id"]
            .as_str()
            .expect("visit id")
            .to_owned()
    }
}
