//! Tenant admin: the tenant's SAML identity provider (enterprise plan only). Set it from the IdP's
//! metadata XML or from its entity ID, SSO URL and signing certificates; read it back with the SP
//! URLs to give the IdP; remove it (which also ends SSO enforcement).

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        accounts::Plan,
        sso::{PutSaml, SamlConfig},
    },
};

use super::extract::ApiJson;
use crate::{
    auth::Admin,
    error::Error,
    saml::{self, IdpParts, SamlSettings, SpUrls},
    state::AppState,
    store::{TenantRow, TenantTx},
};

/// The most group → role mappings a tenant may set.
const MAX_GROUP_ROLES: usize = 50;
/// The most SCIM `userType` values that give a sign-in.
const MAX_USER_TYPES: usize = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_saml, put_saml, delete_saml))
}

fn view(
    tenant: &TenantRow,
    s: SamlSettings,
    enforce: bool,
    updated_at: DateTime<Utc>,
) -> SamlConfig {
    let sp = SpUrls::new(&s.sp_base_url, &tenant.slug);
    SamlConfig {
        certificates: saml::certificates_to_pem(&s.certificates),
        entity_id: s.idp_entity_id,
        sso_url: s.sso_url,
        sp_base_url: s.sp_base_url,
        sp_entity_id: sp.entity_id,
        acs_url: sp.acs_url,
        login_url: sp.login_url,
        enforce,
        jit_role: s.jit_role,
        allow_idp_initiated: s.allow_idp_initiated,
        email_attribute: s.email_attribute,
        group_attribute: s.group_attribute,
        group_roles: s.group_roles,
        scim_user_types: s.scim_user_types,
        updated_at,
    }
}

async fn enterprise(tx: &mut TenantTx) -> Result<TenantRow, Error> {
    let tenant = tx.tenant_row().await?;
    if tenant.plan() != Plan::Enterprise {
        return Err(Error::Forbidden("single sign-on needs the enterprise plan"));
    }
    Ok(tenant)
}

async fn read(tx: &mut TenantTx, tenant: &TenantRow) -> Result<SamlConfig, Error> {
    let (config, enforce, updated_at) = tx.saml_config().await?.ok_or(Error::NotFound)?;
    let settings: SamlSettings =
        serde_json::from_str(&config).map_err(|e| Error::Internal(e.into()))?;
    Ok(view(tenant, settings, enforce, updated_at))
}

/// The tenant's SAML configuration.
#[utoipa::path(get, path = "/api/v1/sso/saml", tag = "sso",
    responses((status = 200, body = SamlConfig), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_saml(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<SamlConfig>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let tenant = enterprise(&mut tx).await?;
    let config = read(&mut tx, &tenant).await?;
    tx.commit().await?;
    Ok(ApiJson(config))
}

fn idp_parts(body: &PutSaml) -> Result<IdpParts, Error> {
    match (
        &body.idp_metadata_xml,
        &body.entity_id,
        &body.sso_url,
        &body.certificates,
    ) {
        (Some(xml), None, None, None) => saml::idp_from_metadata(xml.as_str()),
        (None, Some(entity_id), Some(sso_url), Some(certs)) => Ok(IdpParts {
            entity_id: entity_id.as_str().to_owned(),
            sso_url: sso_url.as_str().to_owned(),
            certificates: saml::certificates_from_pem(certs.iter().map(|c| c.as_str()))?,
        }),
        _ => Err(Error::InvalidInput(
            "give either idp_metadata_xml, or entity_id, sso_url and certificates".into(),
        )),
    }
}

/// Sets the tenant's identity provider and SSO options (enterprise plan).
#[utoipa::path(put, path = "/api/v1/sso/saml", tag = "sso", request_body = PutSaml,
    responses((status = 200, body = SamlConfig), (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn put_saml(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<PutSaml>,
) -> Result<ApiJson<SamlConfig>, Error> {
    if body.group_roles.len() > MAX_GROUP_ROLES {
        return Err(Error::InvalidInput(
            "group_roles: at most 50 mappings".into(),
        ));
    }
    if !body.group_roles.is_empty() && body.group_attribute.is_none() {
        return Err(Error::InvalidInput(
            "group_roles: needs group_attribute".into(),
        ));
    }
    if body.scim_user_types.len() > MAX_USER_TYPES {
        return Err(Error::InvalidInput(
            "scim_user_types: at most 20 values".into(),
        ));
    }
    let mut scim_user_types: Vec<String> = body
        .scim_user_types
        .iter()
        .map(|t| t.as_str().to_lowercase())
        .collect();
    scim_user_types.sort();
    scim_user_types.dedup();
    let mut tx = state.store.write(a.tenant).await?;
    let tenant = enterprise(&mut tx).await?;
    let idp = idp_parts(&body)?;
    let settings = SamlSettings {
        idp_entity_id: idp.entity_id,
        sso_url: idp.sso_url,
        certificates: idp.certificates,
        sp_base_url: body.sp_base_url.as_str().trim_end_matches('/').to_owned(),
        jit_role: body.jit_role,
        allow_idp_initiated: body.allow_idp_initiated,
        email_attribute: body.email_attribute.map(String::from),
        group_attribute: body.group_attribute.map(String::from),
        group_roles: body
            .group_roles
            .into_iter()
            .map(|(k, v)| (String::from(k), v))
            .collect(),
        scim_user_types,
    };
    let json = serde_json::to_string(&settings).map_err(|e| Error::Internal(e.into()))?;
    tx.put_saml_config(&json, body.enforce).await?;
    tx.audit(
        a.actor(),
        "sso.saml.update",
        format!("tenant:{}", a.tenant.0),
    )
    .await?;
    let config = read(&mut tx, &tenant).await?;
    tx.commit().await?;
    Ok(ApiJson(config))
}

/// Removes the tenant's identity provider: password login works again.
#[utoipa::path(delete, path = "/api/v1/sso/saml", tag = "sso",
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_saml(State(state): State<AppState>, Admin(a): Admin) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    enterprise(&mut tx).await?;
    if !tx.delete_saml_config().await? {
        return Err(Error::NotFound);
    }
    tx.audit(
        a.actor(),
        "sso.saml.delete",
        format!("tenant:{}", a.tenant.0),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
