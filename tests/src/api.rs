//! An HTTP client for the Vestibule API whose helpers read like the user's actions:
//! `api.create_site(&admin, "HQ")`, `api.check_in(&device, key, body)`.

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

/// The credential a request carries.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    /// A kiosk device token plus a receptionist's override token.
    Override {
        device: String,
        token: String,
    },
}

impl Auth {
    pub fn bearer(token: impl Into<String>) -> Auth {
        Auth::Bearer(token.into())
    }
}

/// A response: status, headers and the JSON body (`Null` if empty or not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The line and column of each row an import's 422 reports.
    pub fn bad_rows(&self) -> Vec<(u64, String)> {
        self.body["error"]["details"]
            .as_array()
            .expect("details")
            .iter()
            .map(|e| {
                (
                    e["line"].as_u64().expect("line"),
                    e["column"].as_str().expect("column").to_owned(),
                )
            })
            .collect()
    }

    /// The `error.code` of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }

    /// `body[field]` as a string.
    pub fn str(&self, field: &str) -> String {
        self.body[field].as_str().unwrap_or_default().to_owned()
    }
}

/// A client bound to one server.
#[derive(Debug, Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(client: reqwest::Client, base: String) -> Api {
        Api { client, base }
    }

    /// Sends one request with an optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.try_send(method, path, auth, body, headers)
            .await
            .expect("request sent")
    }

    /// [`Api::send`] that returns a transport failure (no connection, connection lost) instead
    /// of failing the test.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, reqwest::Error> {
        let mut req = self.request(method, path, auth);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::finish(req).await
    }

    /// A request to `path` with `auth`'s credentials.
    fn request(&self, method: Method, path: &str, auth: &Auth) -> reqwest::RequestBuilder {
        let req = self.client.request(method, format!("{}{path}", self.base));
        match auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Override { device, token } => {
                req.bearer_auth(device).header("X-Override-Token", token)
            }
        }
    }

    /// Sends `req` and reads the whole answer.
    async fn finish(req: reqwest::RequestBuilder) -> Result<Resp, reqwest::Error> {
        let res = req.send().await?;
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Resp {
            status,
            headers,
            body,
            text,
        })
    }

    /// Posts a CSV file (an import).
    pub async fn post_csv(&self, path: &str, auth: &Auth, csv: &str) -> Resp {
        let req = self
            .request(Method::POST, path, auth)
            .header("content-type", "text/csv")
            .body(csv.to_owned());
        Self::finish(req).await.expect("request sent")
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Resp {
        self.send(Method::GET, path, auth, None, &[]).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: Value) -> Resp {
        self.send(Method::POST, path, auth, Some(&body), &[]).await
    }

    pub async fn put(&self, path: &str, auth: &Auth, body: Value) -> Resp {
        self.send(Method::PUT, path, auth, Some(&body), &[]).await
    }

    pub async fn patch(&self, path: &str, auth: &Auth, body: Value) -> Resp {
        self.send(Method::PATCH, path, auth, Some(&body), &[]).await
    }

    // --- the operator ---

    /// Creates a tenant; returns its id.
    pub async fn create_tenant(&self, operator: &str, slug: &str) -> String {
        let r = self
            .post(
                "/api/v1/operator/tenants",
                &Auth::bearer(operator),
                json!({"slug": slug, "name": slug, "plan": "business"}),
            )
            .await;
        r.expect(201)["id"].as_str().expect("id").to_owned()
    }

    /// Creates a user of a tenant as the operator.
    pub async fn create_user(
        &self,
        operator: &str,
        tenant: &str,
        email: &str,
        role: &str,
        pin: Option<&str>,
    ) -> Value {
        let mut body = json!({"email": email, "name": "Test User", "role": role, "password": "correct horse battery staple"});
        if let Some(p) = pin {
            body["pin"] = json!(p);
        }
        self.post(
            &format!("/api/v1/operator/tenants/{tenant}/users"),
            &Auth::bearer(operator),
            body,
        )
        .await
        .expect(201)
    }

    // --- staff ---

    /// Signs in; returns the session credential.
    pub async fn login(&self, tenant_slug: &str, email: &str) -> Auth {
        let r = self
            .post(
                "/api/v1/auth/login",
                &Auth::None,
                json!({"tenant": tenant_slug, "email": email, "password": "correct horse battery staple"}),
            )
            .await;
        Auth::bearer(r.expect(200)["token"].as_str().expect("token"))
    }

    pub async fn create_site(&self, admin: &Auth, name: &str) -> String {
        let r = self
            .post(
                "/api/v1/sites",
                admin,
                json!({"name": name, "timezone": "Europe/Paris"}),
            )
            .await;
        r.expect(201)["id"].as_str().expect("id").to_owned()
    }

    pub async fn create_host(&self, admin: &Auth, site: &str, name: &str, email: &str) -> String {
        let r = self
            .post(
                "/api/v1/hosts",
                admin,
                json!({"name": name, "email": email, "site_id": site}),
            )
            .await;
        r.expect(201)["id"].as_str().expect("id").to_owned()
    }

    /// Creates a kiosk; returns its id and enrollment code.
    pub async fn create_kiosk(&self, admin: &Auth, site: &str) -> (String, String) {
        let b = self
            .post(
                "/api/v1/kiosks",
                admin,
                json!({"name": "Lobby", "site_id": site}),
            )
            .await
            .expect(201);
        (
            b["id"].as_str().expect("id").to_owned(),
            b["enrollment_code"].as_str().expect("code").to_owned(),
        )
    }

    /// Makes an API key with these scopes; returns its id and the credential.
    pub async fn create_api_key(
        &self,
        admin: &Auth,
        name: &str,
        scopes: &[&str],
    ) -> (String, Auth) {
        let b = self
            .post(
                "/api/v1/api-keys",
                admin,
                json!({"name": name, "scopes": scopes}),
            )
            .await
            .expect(201);
        (
            b["id"].as_str().expect("id").to_owned(),
            Auth::bearer(b["key"].as_str().expect("key")),
        )
    }

    // --- a kiosk ---

    /// Enrolls with a code; returns the device credential.
    pub async fn enroll(&self, code: &str) -> Auth {
        let b = self
            .post(
                "/api/v1/kiosk/enroll",
                &Auth::None,
                json!({"enrollment_code": code}),
            )
            .await
            .expect(200);
        Auth::bearer(b["device_token"].as_str().expect("device token"))
    }

    /// Checks a visitor in with an idempotency key.
    pub async fn check_in(&self, device: &Auth, key: &str, body: &Value) -> Resp {
        self.send(
            Method::POST,
            "/api/v1/kiosk/visits",
            device,
            Some(body),
            &[("Idempotency-Key", key)],
        )
        .await
    }

    /// Steps up to override mode; returns the override credential.
    pub async fn override_login(&self, device: &Auth, email: &str, pin: &str) -> Auth {
        let b = self
            .post(
                "/api/v1/kiosk/override",
                device,
                json!({"email": email, "pin": pin}),
            )
            .await
            .expect(200);
        let Auth::Bearer(d) = device else {
            panic!("a device token")
        };
        Auth::Override {
            device: d.clone(),
            token: b["override_token"]
                .as_str()
                .expect("override token")
                .to_owned(),
        }
    }
}

/// A check-in body for a host.
pub fn visitor(host_id: &str, name: &str, email: &str) -> Value {
    json!({
        "visitor": {"name": name, "email": email, "company": "Globex Corporation", "phone": "+33 1 23 45 67 89"},
        "host_id": host_id,
        "purpose": "Quarterly review"
    })
}
