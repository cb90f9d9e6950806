//! A provisioned user who may sign in: when the tenant's SSO settings list the SCIM user's
//! `userType` (`scim_user_types`), the user gets a `host` account (a random password nobody
//! knows: it signs in by SSO only) and sees their own visitors in the console. The account is
//! linked to the SCIM user, so a deactivation or a `userType` that stops matching disables it
//! (and ends its sessions), and a reactivation enables it again. An account the company made
//! itself for the same email is left alone.

use rand::RngExt;
use tokio::sync::OnceCell;
use uuid::Uuid;
use vestibule_shared::{dto::accounts::Role, types::Email};
use zeroize::Zeroizing;

use crate::{
    auth::password,
    error::Error,
    saml::SamlSettings,
    store::{Actor, ScimWrite, TenantTx},
};

/// The password hash of every account made here: of a random secret that was never kept, so no
/// password signs in (the account signs in by SSO). Made once per process (Argon2id takes tens
/// of milliseconds).
async fn unusable_password() -> Result<&'static str, Error> {
    static HASH: OnceCell<String> = OnceCell::const_new();
    let hash = HASH
        .get_or_try_init(|| async {
            let secret = Zeroizing::new(hex::encode(rand::rng().random::<[u8; 32]>()));
            password::hash(&secret).await
        })
        .await?;
    Ok(hash.as_str())
}

/// Whether `user` should have a sign-in under the tenant's SSO settings.
async fn wanted(tx: &mut TenantTx, user: Option<&ScimWrite>) -> Result<bool, Error> {
    let Some(kind) = user
        .filter(|u| u.active)
        .and_then(|u| u.user_type.as_deref())
    else {
        return Ok(false);
    };
    let Some((config, _, _)) = tx.saml_config().await? else {
        return Ok(false);
    };
    let settings: SamlSettings =
        serde_json::from_str(&config).map_err(|e| Error::Internal(e.into()))?;
    Ok(settings.scim_user_types.contains(&kind.to_lowercase()))
}

/// Brings the sign-in of the SCIM user `host` in line with `user` (`None`: removed).
pub(super) async fn sync(
    tx: &mut TenantTx,
    actor: Actor,
    host: Uuid,
    user: Option<&ScimWrite>,
) -> Result<(), Error> {
    let wanted = wanted(tx, user).await?;
    match (wanted, tx.scim_login(host).await?) {
        (true, Some(mut account)) if account.disabled => {
            account.disabled = false;
            tx.update_user(&account).await?;
            tx.audit(
                actor,
                "user.enable_from_scim",
                format!("user:{}", account.id),
            )
            .await?;
        }
        (false, Some(mut account)) if !account.disabled => {
            account.disabled = true;
            tx.update_user(&account).await?;
            tx.delete_user_sessions(account.id).await?;
            tx.audit(
                actor,
                "user.disable_from_scim",
                format!("user:{}", account.id),
            )
            .await?;
        }
        (true, None) => {
            if let Some(user) = user {
                create(tx, actor, host, user).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn create(
    tx: &mut TenantTx,
    actor: Actor,
    host: Uuid,
    user: &ScimWrite,
) -> Result<(), Error> {
    let email: &Email = &user.host_email;
    if tx.user_by_email(email).await?.is_some() {
        return Ok(());
    }
    let hash = unusable_password().await?;
    let account = tx
        .insert_user(email, &user.host_name, Role::Host, hash, None)
        .await?;
    tx.link_scim_login(account.id, host).await?;
    tx.audit(
        actor,
        "user.create_from_scim",
        format!("user:{}", account.id),
    )
    .await
}
