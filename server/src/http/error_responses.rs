//! The error responses of every operation in the OpenAPI document, derived from what the operation
//! takes: a credential can be refused (401), an admin-only credential or an API key of another
//! scope too (403), a body can be unreadable, too large or not JSON (400, 413, 415), and a body or
//! a parameter can be invalid (422), and any request can be rate-limited (429) or carry too many
//! or too large headers (431).
//! Each answers the contract's error envelope.
//! Responses an operation documents itself win.

use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, ResponseBuilder, Type,
    path::{Operation, PathItem},
};

/// Adds the error responses to every operation of `doc`.
pub fn document(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        // SCIM answers a refused credential in its own error form (`http/scim`).
        let scim = path.starts_with("/scim/");
        let PathItem {
            get,
            put,
            post,
            delete,
            options,
            head,
            patch,
            trace,
            ..
        } = item;
        for op in [get, put, post, delete, options, head, patch, trace]
            .into_iter()
            .flatten()
        {
            for (status, description) in statuses(op) {
                let response = if scim && ["401", "403"].contains(&status) {
                    let error = ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                        .build();
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/scim+json", error)
                } else {
                    let envelope = ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                        .build();
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/json", envelope)
                }
                .build();
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert(response.into());
            }
        }
    }
}

/// The error statuses `op` can answer with, and why.
fn statuses(op: &Operation) -> Vec<(&'static str, &'static str)> {
    let requirements: Vec<serde_json::Value> = op
        .security
        .iter()
        .flatten()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        .collect();
    let admin_only = requirements.iter().any(|r| {
        r["session"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|s| s == "admin"))
    });
    let body = op.request_body.as_ref();
    let json_body = body.is_some_and(|b| b.content.contains_key("application/json"));
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut out = Vec::new();
    if !requirements.is_empty() {
        out.push((
            "401",
            "No credential, or one that is unknown, expired or revoked",
        ));
    }
    let by_key = requirements.iter().any(|r| r.get("api_key").is_some());
    if admin_only || by_key {
        out.push((
            "403",
            "The signed-in user is not an admin, or the API key's scopes do not include this route",
        ));
    }
    if body.is_some() {
        out.push(("400", "The body could not be read, or is not valid JSON"));
        out.push(("413", "The body is too large"));
    }
    if json_body {
        out.push(("415", "The body is not `application/json`"));
    }
    if body.is_some() || has_params {
        out.push(("422", "A field of the body, or a parameter, is invalid"));
    }
    out.push((
        "429",
        "Too many requests from this client, device or address; see `Retry-After`",
    ));
    out.push((
        "431",
        "The request's headers are too many or too large together",
    ));
    out
}
