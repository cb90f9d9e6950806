//! PostgreSQL's row-level security, checked from outside the store: the app role owns nothing and
//! cannot bypass RLS, every tenant table forces it, a query with no tenant set sees no rows, and a
//! pool of one connection shared by two tenants' concurrent requests never leaks one's setting
//! into the other's transaction.

use crate::storage_support::{Fixture, tenant};
use futures::future::join_all;
use server::{ids::TenantId, store::APP_ROLE};
use sqlx::Row;

const TENANT_TABLES: &[&str] = &[
    "sites",
    "users",
    "hosts",
    "kiosks",
    "sessions",
    "visitors",
    "visits",
    "audit_log",
    "outbox",
    "integrations",
];

#[tokio::test]
async fn the_app_role_is_not_privileged_and_rls_is_forced() {
    let fx = Fixture::postgres().await;
    let role = sqlx::query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
        .bind(APP_ROLE)
        .fetch_one(fx.pg())
        .await
        .expect("the role exists");
    assert!(
        !role.get::<bool, _>(0) && !role.get::<bool, _>(1),
        "the app role must not be superuser nor bypass RLS"
    );
    for table in TENANT_TABLES.iter().chain(&["api_keys"]) {
        let row =
            sqlx::query("SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.relname = $1")
                .bind(table)
                .fetch_one(fx.pg())
                .await
                .expect("table");
        assert!(
            row.get::<bool, _>(0) && row.get::<bool, _>(1),
            "{table}: RLS must be enabled and forced"
        );
        assert_ne!(
            row.get::<String, _>(2),
            APP_ROLE,
            "{table} must not be owned by the app role"
        );
    }
}

#[tokio::test]
async fn with_no_tenant_set_a_query_returns_no_rows() {
    let fx = Fixture::postgres().await;
    let t = tenant(&fx, "acme").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    tx.insert_site("HQ", "UTC").await.expect("site");
    tx.audit(server::store::Actor::User(uuid::Uuid::nil()), "x", "y")
        .await
        .expect("audit");
    tx.commit().await.expect("commit");

    let mut conn = fx.pg().acquire().await.expect("conn");
    sqlx::query("SET ROLE vestibule_app")
        .execute(&mut *conn)
        .await
        .expect("set role");
    for table in ["sites", "audit_log"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} without a tenant");
        let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("tx");
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(t.0.to_string())
            .execute(&mut *tx)
            .await
            .expect("set");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(n, 1, "{table} inside the tenant");
        tx.rollback().await.expect("rollback");
    }
    // Writing a row of another tenant is refused by the policy's WITH CHECK.
    let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("tx");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t.0.to_string())
        .execute(&mut *tx)
        .await
        .expect("set");
    let other = uuid::Uuid::now_v7();
    let err = sqlx::query("INSERT INTO sites (tenant_id, id, name, timezone, created_at) VALUES ($1, $2, 'x', 'UTC', now())")
        .bind(other)
        .bind(other)
        .execute(&mut *tx)
        .await;
    assert!(err.is_err(), "a row for another tenant must be refused");
    drop(tx);
    conn.detach();
}

#[tokio::test]
async fn a_pool_of_one_never_leaks_a_tenant_between_requests() {
    let fx = Fixture::postgres_with_pool(1).await;
    let mut tenants: Vec<(TenantId, uuid::Uuid)> = Vec::new();
    for slug in ["alpha", "bravo"] {
        let t = tenant(&fx, slug).await;
        let mut tx = fx.store.write(t).await.expect("tx");
        let site = tx.insert_site(slug, "UTC").await.expect("site");
        tx.commit().await.expect("commit");
        tenants.push((t, site.id));
    }
    let store = &fx.store;
    let tenants = &tenants;
    let runs = join_all((0..200).map(|i| async move {
        let (t, site) = tenants[i % 2];
        if i % 5 == 0 {
            // A global transaction in between must see no tenant at all.
            let g = store.global(false).await.expect("tx");
            g.commit().await.expect("commit");
        }
        let mut tx = store.read(t).await.expect("tx");
        let sites = tx.sites().await.expect("sites");
        tx.commit().await.expect("commit");
        sites.iter().map(|s| s.id).collect::<Vec<_>>() == vec![site]
    }))
    .await;
    assert!(
        runs.iter().all(|ok| *ok),
        "{} of 200 requests saw another tenant's rows",
        runs.iter().filter(|ok| !**ok).count()
    );

    // After those transactions, the one connection carries no tenant setting.
    let mut g = fx.store.global(false).await.expect("tx");
    assert!(
        g.current_tenant_setting()
            .await
            .expect("setting")
            .unwrap_or_default()
            .is_empty()
    );
}
