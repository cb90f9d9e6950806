//! What the SCIM service supports (RFC 7644 §4): `ServiceProviderConfig` (PATCH and filters
//! yes; bulk, sort, ETags and password changes no), the one resource type (`User`) and its schema,
//! which lists exactly the attributes a user keeps here.

use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Provisioner, ScimError, ScimJson, list, resource::USER_SCHEMA};
use crate::{http::extract::ApiPath, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(schemas))
        .routes(routes!(schema))
        .routes(routes!(resource_types))
        .routes(routes!(resource_type))
}

/// The most users one list answers.
pub const MAX_RESULTS: i64 = 200;

fn meta(resource_type: &str, location: &str) -> Value {
    json!({"resourceType": resource_type, "location": location})
}

fn string(name: &str, description: &str, required: bool, case_exact: bool) -> Value {
    json!({
        "name": name, "type": "string", "multiValued": false, "description": description,
        "required": required, "caseExact": case_exact, "mutability": "readWrite",
        "returned": "default", "uniqueness": "none",
    })
}

fn user_schema() -> Value {
    let mut user_name = string(
        "userName",
        "Unique identifier of the user, often an email (case aside)",
        true,
        false,
    );
    user_name["uniqueness"] = json!("server");
    let name_parts = [
        ("formatted", "The full name"),
        ("familyName", "The family name"),
        ("givenName", "The given name"),
        ("middleName", "The middle name"),
        ("honorificPrefix", "A title before the name"),
        ("honorificSuffix", "A suffix after the name"),
    ]
    .map(|(n, d)| string(n, d, false, false));
    let mut email_type = string("type", "work, home or other", false, false);
    email_type["canonicalValues"] = json!(["work", "home", "other"]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A host of the company's directory",
        "attributes": [
            user_name,
            {
                "name": "name", "type": "complex", "multiValued": false, "description": "The user's name",
                "required": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                "subAttributes": name_parts,
            },
            string("displayName", "The name shown on the kiosk", false, false),
            string("userType", "Who the user is to the company (Employee, say); the values the SSO settings list give a host account that signs in by SSO", false, false),
            {
                "name": "emails", "type": "complex", "multiValued": true,
                "description": "Email addresses; the primary one (or the first) is where the host is told of visitors",
                "required": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                "subAttributes": [
                    string("value", "The address", true, false),
                    email_type,
                    {"name": "primary", "type": "boolean", "multiValued": false, "description": "The address to use",
                     "required": false, "mutability": "readWrite", "returned": "default"},
                ],
            },
            {
                "name": "active", "type": "boolean", "multiValued": false,
                "description": "False: the host leaves the kiosk directory and takes no new visitors",
                "required": false, "mutability": "readWrite", "returned": "default",
            },
        ],
        "meta": meta("Schema", &format!("/scim/v2/Schemas/{USER_SCHEMA}")),
    })
}

fn user_type() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A host of the company's directory",
        "schema": USER_SCHEMA,
        "meta": meta("ResourceType", "/scim/v2/ResourceTypes/User"),
    })
}

/// What this service supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim",
    responses((status = 200, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn service_provider_config(_p: Provisioner) -> ScimJson {
    ScimJson(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API key",
            "description": "A Vestibule API key of scope scim, sent as Authorization: Bearer",
            "primary": true,
        }],
        "meta": meta("ServiceProviderConfig", "/scim/v2/ServiceProviderConfig"),
    }))
}

/// The schemas of the resources served (the core User schema, reduced to what is kept).
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim",
    responses((status = 200, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn schemas(_p: Provisioner) -> ScimJson {
    list(vec![user_schema()], 1, 1)
}

#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 404, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn schema(_p: Provisioner, ApiPath(id): ApiPath<String>) -> Result<ScimJson, ScimError> {
    if id == USER_SCHEMA {
        Ok(ScimJson(user_schema()))
    } else {
        Err(ScimError::not_found())
    }
}

/// The resource types served: `User`.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim",
    responses((status = 200, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn resource_types(_p: Provisioner) -> ScimJson {
    list(vec![user_type()], 1, 1)
}

#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 404, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn resource_type(
    _p: Provisioner,
    ApiPath(id): ApiPath<String>,
) -> Result<ScimJson, ScimError> {
    if id == "User" {
        Ok(ScimJson(user_type()))
    } else {
        Err(ScimError::not_found())
    }
}
