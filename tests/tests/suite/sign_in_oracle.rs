//! Sign-in answers tell nobody who has an account: over eight wrong attempts, a real account, an
//! unknown email and an unknown tenant get the same statuses, codes and `Retry-After` presence,
//! at the console's password login and at a kiosk's PIN step-up. (Their timing is measured by
//! `cargo xtask bench --login-timing`, not asserted here: these machines are noisy.)

use serde_json::json;
use vestibule_tests::{Auth, Engine, Resp, Tenant, TestServer};

/// What a caller can see of one refused attempt.
fn seen(r: &Resp) -> (u16, String, bool) {
    (
        r.status.as_u16(),
        r.code().to_owned(),
        r.headers.contains_key("retry-after"),
    )
}

async fn sign_in_answers_do_not_tell_who_exists(engine: Engine) {
    let flags = ["--sign-in-per-minute", "1000", "--rate-per-device", "1000"];
    let server = TestServer::start_with(engine, &flags).await;
    let api = server.api();
    let t = Tenant::setup(&api, &server.operator_token, "acme").await;
    let expected: Vec<(u16, String, bool)> = (1..=8)
        .map(|n| match n {
            1..=5 => (401, "invalid_credentials".to_owned(), false),
            _ => (429, "locked".to_owned(), true),
        })
        .collect();

    let mut logins = Vec::new();
    for (tenant, email) in [
        ("acme", "admin@acme.test"),
        ("acme", "nobody@acme.test"),
        ("nowhere", "admin@acme.test"),
    ] {
        let body = json!({"tenant": tenant, "email": email, "password": "wrong password!!"});
        let mut answers = Vec::new();
        for _ in 0..8 {
            answers.push(seen(
                &api.post("/api/v1/auth/login", &Auth::None, body.clone())
                    .await,
            ));
        }
        logins.push(answers);
    }
    for (who, answers) in ["a real account", "an unknown email", "an unknown tenant"]
        .iter()
        .zip(&logins)
    {
        assert_eq!(answers, &expected, "password login for {who}");
    }

    // The PIN step-up: a receptionist with a PIN, an admin without one, an unknown email.
    for (who, email) in [
        ("a receptionist", t.receptionist.as_str()),
        ("an admin without a PIN", "admin@acme.test"),
        ("an unknown email", "nobody@acme.test"),
    ] {
        let body = json!({"email": email, "pin": "000000"});
        let mut answers = Vec::new();
        for _ in 0..8 {
            answers.push(seen(
                &api.post("/api/v1/kiosk/override", &t.device, body.clone())
                    .await,
            ));
        }
        assert_eq!(answers, expected, "PIN step-up for {who}");
    }
}

both_engines!(sign_in_answers_do_not_tell_who_exists);
