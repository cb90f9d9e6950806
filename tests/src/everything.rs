//! One of every kind of row a tenant can have, made through the public API: visits (plain, with a
//! pass, held by the watchlist, of a visitor type with a signed agreement), an invite, a printer,
//! a roll call, an offline key, API keys, a SCIM-provisioned host and a webhook with a delivery.
//! The isolation test points another tenant at all of it; the upgrade fixtures are made of it.

use std::io::Cursor;

use base64::Engine as _;
use image::{DynamicImage, GrayAlphaImage, ImageFormat, LumaA};
use serde_json::{Value, json};

use crate::{Api, Auth, Tenant};

/// The ids (and two credentials) of what [`Everything::make`] made.
#[derive(Debug, Clone)]
pub struct Everything {
    pub visit: String,
    pub user: String,
    pub invite: String,
    pub pass: String,
    /// The visit that asked for the pass.
    pub pass_visit: String,
    pub printer: String,
    pub evacuation: String,
    pub watch: String,
    pub held: String,
    pub offline_kid: String,
    pub agreement: String,
    pub visitor_type: String,
    pub typed: String,
    pub api_key: String,
    pub scim_key: Auth,
    pub scim_user: String,
    pub webhook: String,
    pub delivery: String,
}

/// The personal data and names [`Everything::make`] wrote, besides the tenant's own.
pub const WRITTEN: &[&str] = &[
    "Bruno Bravo",
    "Iris Invited",
    "Petra Pass",
    "Tilda Typed",
    "Wanda Watched",
    "Bravo's own reason",
    "Board member",
    "Bravo's SIEM",
    "Sam Scim",
    "bravo-receiver",
];

/// A signature: a few strokes on a transparent pad (blank when `strokes` is 0), as a PNG.
pub fn signature_png(strokes: u32) -> Vec<u8> {
    let mut pad = GrayAlphaImage::from_pixel(600, 200, LumaA([255, 0]));
    for s in 0..strokes {
        for x in 40..560 {
            let y = 60 + s * 30 + (x / 40) % 10;
            for dy in 0..3 {
                pad.put_pixel(x, y + dy, LumaA([0, 255]));
            }
        }
    }
    let mut out = Vec::new();
    DynamicImage::ImageLumaA8(pad)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode");
    out
}

/// What the tenant's admin can list: every kind of row, as the API answers it.
pub async fn state_of(api: &Api, admin: &Auth, site: &str) -> Value {
    let mut all = json!({});
    for path in [
        "/api/v1/sites",
        "/api/v1/hosts",
        "/api/v1/users",
        "/api/v1/kiosks",
        "/api/v1/visits?limit=200",
        "/api/v1/audit?limit=200",
        "/api/v1/invites",
        "/api/v1/visitor-types",
        "/api/v1/agreements",
        "/api/v1/watchlist",
        "/api/v1/api-keys",
        "/api/v1/webhooks",
    ] {
        all[path] = api.get(path, admin).await.expect(200);
    }
    let printers = format!("/api/v1/sites/{site}/printers");
    all["printers"] = api.get(&printers, admin).await.expect(200);
    all["evacuations"] = api.get("/api/v1/evacuations", admin).await.expect(200);
    all
}

fn id_of(v: Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

impl Everything {
    /// Makes all of it in tenant `t` (whose admin, host, site and kiosk it uses).
    pub async fn make(api: &Api, t: &Tenant) -> Everything {
        let visit = t.check_in(api, "b-visit", "Bruno Bravo").await;
        let users = api.get("/api/v1/users", &t.admin).await.expect(200);
        let user = users[0]["id"].as_str().expect("id").to_owned();
        let invite = id_of(
            api.post(
                "/api/v1/invites",
                &t.admin,
                json!({"visitor": {"name": "Iris Invited", "email": "iris@example.com"},
                    "host_id": t.host, "site_id": t.site, "expected_at": chrono::Utc::now()}),
            )
            .await
            .expect(201),
        );
        api.patch("/api/v1/settings", &t.admin, json!({"pass_days": 30}))
            .await
            .expect(200);
        let body = json!({"visitor": {"name": "Petra Pass", "email": "petra@example.com"},
            "host_id": t.host, "want_pass": true});
        let r = api.check_in(&t.device, "b-pass", &body).await.expect(201);
        let pass_visit = r["visit_id"].as_str().expect("visit").to_owned();
        let pass_path = format!("/api/v1/visits/{pass_visit}/pass");
        let pass = id_of(api.get(&pass_path, &t.admin).await.expect(200));
        // A printer of the site (switched off).
        let printer = id_of(
            api.post(
                &format!("/api/v1/sites/{}/printers", t.site),
                &t.admin,
                json!({"name": "Desk", "url": "ipp://127.0.0.1:9/ipp/print"}),
            )
            .await
            .expect(201),
        );
        // A roll call of the site.
        let evacuation = id_of(
            api.post(
                &format!("/api/v1/sites/{}/evacuations", t.site),
                &t.admin,
                json!({}),
            )
            .await
            .expect(201),
        );
        // A watchlist entry, and a visitor it holds.
        let watch = id_of(
            api.post(
                "/api/v1/watchlist",
                &t.admin,
                json!({"name": "Wanda Watched", "reason": "Bravo's own reason"}),
            )
            .await
            .expect(201),
        );
        let body = json!({"visitor": {"name": "Wanda Watched", "email": "wanda@example.com"}, "host_id": t.host});
        let held = api.check_in(&t.device, "b-held", &body).await.expect(201);
        assert_eq!(held["status"], "held");
        let held = held["visit_id"].as_str().expect("visit").to_owned();
        // The kiosk's offline key.
        let offline = api
            .get("/api/v1/kiosk/offline-key", &t.device)
            .await
            .expect(200);
        let offline_kid = offline["kid"].as_str().expect("kid").to_owned();
        // A visitor type with an agreement, and a visit of it waiting for approval.
        let agreement = id_of(
            api.post(
                "/api/v1/agreements",
                &t.admin,
                json!({"name": "NDA", "texts": {"en": {"title": "NDA", "body": "Say nothing."}}}),
            )
            .await
            .expect(201),
        );
        let visitor_type = id_of(
            api.post(
                "/api/v1/visitor-types",
                &t.admin,
                json!({"names": {"en": "Board member"}, "agreements": [agreement], "approval": true}),
            )
            .await
            .expect(201),
        );
        let signature = base64::engine::general_purpose::STANDARD.encode(signature_png(3));
        let body = json!({"visitor": {"name": "Tilda Typed", "email": "tilda@example.com"},
            "host_id": t.host, "visitor_type_id": visitor_type, "signature": signature,
            "agreements": [{"document_id": agreement, "version": 1, "language": "en"}]});
        let typed = api.check_in(&t.device, "b-typed", &body).await.expect(201)["visit_id"]
            .as_str()
            .expect("visit")
            .to_owned();
        let (api_key, scim_key) = api
            .create_api_key(&t.admin, "Bravo's SIEM", &["scim"])
            .await;
        // A host provisioned by the identity provider.
        let scim_user = id_of(
            api.post(
                "/scim/v2/Users",
                &scim_key,
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "sam@bravo.test", "displayName": "Sam Scim"}),
            )
            .await
            .expect(201),
        );
        // A webhook (its receiver never resolves) and a delivery of it.
        let webhook = id_of(
            api.post(
                "/api/v1/webhooks",
                &t.admin,
                json!({"url": "https://bravo-receiver.invalid/hook", "kind": "slack",
                    "events": ["visit.checked_in"]}),
            )
            .await
            .expect(201),
        );
        let delivery = id_of(
            api.post(
                &format!("/api/v1/webhooks/{webhook}/test"),
                &t.admin,
                json!({}),
            )
            .await
            .expect(202),
        );
        Everything {
            visit,
            user,
            invite,
            pass,
            pass_visit,
            printer,
            evacuation,
            watch,
            held,
            offline_kid,
            agreement,
            visitor_type,
            typed,
            api_key,
            scim_key,
            scim_user,
            webhook,
            delivery,
        }
    }
}
