//! The OpenAPI document against the server it describes: schemathesis generates requests for every
//! operation of `/api/v1/openapi.json` (valid and invalid ones, with a fixed seed and a bounded
//! number of cases per operation) and checks that none gets a 5xx and that every response matches
//! the document: its status code, content type and body schema.

use std::{process::Stdio, time::Duration};

use vestibule_tests::{Auth, Engine, Tenant, TestServer, pytools::python_tool, world::PIN};

/// Cases per operation and the seed: enough to reach the validation paths, small enough for CI.
const MAX_EXAMPLES: &str = "20";
const SEED: &str = "20261129";

/// The runs, in order, and the operations each takes (by tag). Admin and operator operations can
/// revoke the run's kiosk, delete its receptionist or its tenant, which ends the device and override
/// tokens: the kiosk's operations run first, while those credentials hold. The console's event
/// stream (tag `events`) never ends by itself, so it is left to `console_api`, which reads it.
const RUNS: [(&str, &[&str]); 3] = [
    (
        "kiosk, override and public operations",
        &["--include-tag-regex", "^(kiosk|override|health|meta)$"],
    ),
    (
        "staff operations",
        &[
            "--exclude-tag-regex",
            "^(kiosk|override|health|meta|operator|events)$",
        ],
    ),
    ("operator operations", &["--include-tag", "operator"]),
];

/// The credentials of each security scheme of the document, and the operations left out.
fn config(
    operator: &str,
    session: &str,
    device: &str,
    override_token: &str,
    api_key: &str,
) -> String {
    format!(
        r#"
[auth.openapi.operator]
bearer = "{operator}"
[auth.openapi.session]
bearer = "{session}"
[auth.openapi.device]
bearer = "{device}"
[auth.openapi.override]
api_key = "{override_token}"
[auth.openapi.api_key]
bearer = "{api_key}"

# Logging out ends the admin session that every admin operation of the run uses.
[[operations]]
include-name = "POST /api/v1/auth/logout"
enabled = false

# Leaving override mode ends the override token that every override operation of the run uses.
[[operations]]
include-name = "POST /api/v1/kiosk/override/exit"
enabled = false
"#
    )
}

#[tokio::test]
async fn every_response_matches_the_openapi_document_and_none_is_a_server_error() {
    let Some(tool) = python_tool("schemathesis") else {
        return;
    };
    let server = TestServer::start(Engine::Sqlite).await;
    let api = server.api();
    let tenant = Tenant::setup(&api, &server.operator_token, "fuzzed").await;
    let Auth::Bearer(device) = &tenant.device else {
        panic!("a device token")
    };
    let Auth::Bearer(session) = &tenant.admin else {
        panic!("a session token")
    };
    let Auth::Override {
        token: override_token,
        ..
    } = api
        .override_login(&tenant.device, &tenant.receptionist, PIN)
        .await
    else {
        panic!("an override token")
    };
    tenant.check_in(&api, "scan-1", "Vera Visitor").await;
    let scopes = [
        "visits:read",
        "invites:write",
        "hosts:write",
        "scim",
        "events:read",
    ];
    let (_, key) = api.create_api_key(&tenant.admin, "fuzz", &scopes).await;
    let Auth::Bearer(key) = &key else {
        panic!("a key")
    };

    let work = tempfile::tempdir().expect("tempdir");
    let config_path = work.path().join("schemathesis.toml");
    std::fs::write(
        &config_path,
        config(
            &server.operator_token,
            session,
            device,
            &override_token,
            key,
        ),
    )
    .expect("write the config");
    let cert = server.data_dir.path().join("tls/cert.pem");
    let mut total_cases = 0;
    for (group, filter) in RUNS {
        let mut cmd = tokio::process::Command::new(&tool);
        cmd.arg("--config-file")
            .arg(&config_path)
            .args(["--no-color", "run"])
            .arg(format!("{}/api/v1/openapi.json", server.base()));
        cmd.arg("--tls-verify").arg(&cert).args(filter);
        cmd.args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED, "--generation-database", "none"])
            // One worker: the run replays exactly from its seed. (With two, schemathesis 4.32.5 on
            // Python 3.11 stopped about one run in three on an internal error of Hypothesis, a
            // SystemError "AST constructor recursion depth mismatch" while describing a lambda.)
            .args(["--request-timeout", "30", "--workers", "1"])
            .current_dir(work.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().expect("run schemathesis");
        let out = tokio::time::timeout(Duration::from_secs(600), child.wait_with_output())
            .await
            .expect("schemathesis finished within 10 minutes")
            .expect("schemathesis ran");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "schemathesis found problems with the {group}:\n{text}"
        );
        println!("--- schemathesis, the {group} ---\n{text}");
        total_cases += cases(&text)
            .unwrap_or_else(|| panic!("no test case count in schemathesis' output:\n{text}"));
    }
    println!(
        "schemathesis: {total_cases} test cases, no failure (seed {SEED}, at most {MAX_EXAMPLES} examples per operation)"
    );
}

/// The number of test cases a schemathesis run reports ("Test cases:" then "N generated, ...").
fn cases(text: &str) -> Option<u64> {
    let after = text.split_once("Test cases:")?.1;
    after.split_whitespace().next()?.parse().ok()
}
