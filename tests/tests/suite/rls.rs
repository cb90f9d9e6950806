//! PostgreSQL's row-level security and the app role's rights, checked from outside the store: the
//! app role owns nothing and cannot bypass RLS, every tenant table forces it, a query with no
//! tenant set sees no rows (the tenant registry and the enrollment codes included), the app role
//! cannot write the migrations or the master-key record, finds a tenant or a code before it is
//! entered only through narrow functions, and a pool of one connection shared by two tenants'
//! concurrent requests never leaks one's setting into the other's transaction.

use crate::storage_support::{Fixture, tenant};
use futures::future::join_all;
use server::{ids::TenantId, store::APP_ROLE};
use sqlx::{Column, Row};

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
async fn the_routing_tables_are_under_rls_too() {
    let fx = Fixture::postgres().await;
    for table in ["tenants", "enrollment_codes"] {
        let row = sqlx::query(
            "SELECT c.relrowsecurity, (SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid) \
             FROM pg_class c WHERE c.relname = $1",
        )
        .bind(table)
        .fetch_one(fx.pg())
        .await
        .expect("table");
        // Enabled, not forced: the owner (migrations, `keys`, the lookup functions) sees every row.
        assert!(row.get::<bool, _>(0), "{table}: RLS must be enabled");
        assert_eq!(row.get::<i64, _>(1), 1, "{table}: one policy, the tenant's");
    }
}

#[tokio::test]
async fn with_no_tenant_set_a_query_returns_no_rows() {
    let fx = Fixture::postgres().await;
    let t = tenant(&fx, "acme").await;
    let mut tx = fx.store.write(t).await.expect("tx");
    tx.insert_site("HQ", "UTC", None).await.expect("site");
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
        let site = tx.insert_site(slug, "UTC", None).await.expect("site");
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

/// A connection of the owner's pool switched to the app role (detach it when done: the role
/// outlives a transaction).
async fn as_app(fx: &Fixture) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
    let mut conn = fx.pg().acquire().await.expect("conn");
    sqlx::query("SET ROLE vestibule_app")
        .execute(&mut *conn)
        .await
        .expect("set role");
    conn
}

/// Asserts that `result` is PostgreSQL's refusal (42501): no privilege, or a policy said no.
fn refused<T: std::fmt::Debug>(result: Result<T, sqlx::Error>, what: &str) {
    match result {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {}
        other => panic!("{what}: expected a refusal (42501), got {other:?}"),
    }
}

#[tokio::test]
async fn the_app_role_cannot_write_migrations_nor_the_key_check() {
    let fx = Fixture::postgres().await;
    let t = tenant(&fx, "acme").await;
    let mut conn = as_app(&fx).await;
    for sql in [
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'x', true, '\\x00', 0)",
        "UPDATE _sqlx_migrations SET success = false",
        "DELETE FROM _sqlx_migrations",
        "INSERT INTO kek_check (id, kek_id, check_enc, created_at) VALUES (1, 'x', '\\x00', now())",
        "UPDATE kek_check SET kek_id = 'x'",
        "DELETE FROM kek_check",
        "SELECT kek_id FROM kek_check FOR SHARE",
        "TRUNCATE tenants",
    ] {
        refused(sqlx::query(sql).execute(&mut *conn).await, sql);
    }
    // What the readiness check reads stays readable.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await
        .expect("the readiness check reads the migrations");
    assert!(n > 0);
    // Inside its tenant the app role writes the audit head, keys and settings, nothing else.
    let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("tx");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t.0.to_string())
        .execute(&mut *tx)
        .await
        .expect("set");
    sqlx::query("UPDATE tenants SET audit_seq = audit_seq")
        .execute(&mut *tx)
        .await
        .expect("the audit head is written in a tenant transaction");
    drop(tx);
    for column in ["id", "slug", "name", "plan", "created_at"] {
        let sql = format!("UPDATE tenants SET {column} = {column}");
        refused(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await,
            &sql,
        );
    }
    conn.detach();
    assert!(
        fx.store.readiness().await.is_ok(),
        "the server is still ready"
    );
}

#[tokio::test]
async fn tenant_rows_and_enrollment_codes_are_their_tenants_only() {
    let fx = Fixture::postgres().await;
    let mut kiosks = Vec::new();
    for slug in ["alpha", "bravo"] {
        let t = tenant(&fx, slug).await;
        let mut tx = fx.store.write(t).await.expect("tx");
        let site = tx.insert_site("HQ", "UTC", None).await.expect("site");
        let expires = fx.store.clock().now() + chrono::Duration::hours(1);
        let code = format!("code-{slug}");
        let kiosk = tx
            .insert_kiosk(site.id, "Lobby", code.as_bytes(), expires)
            .await
            .expect("kiosk");
        tx.commit().await.expect("commit");
        kiosks.push((t, kiosk.id));
    }
    let ((a, _), (b, b_kiosk)) = (kiosks[0], kiosks[1]);
    let mut conn = as_app(&fx).await;
    for table in ["tenants", "enrollment_codes"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(n, 0, "{table} without a tenant");
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("tx");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(a.0.to_string())
        .execute(&mut *tx)
        .await
        .expect("set");
    let seen: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM tenants")
        .fetch_all(&mut *tx)
        .await
        .expect("tenants");
    assert_eq!(seen, vec![a.0], "inside A, only A's tenant row");
    let seen: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT tenant_id FROM enrollment_codes")
        .fetch_all(&mut *tx)
        .await
        .expect("codes");
    assert_eq!(seen, vec![a.0], "inside A, only A's enrollment code");
    for (sql, what) in [
        (
            "UPDATE tenants SET audit_seq = 99 WHERE id = $1",
            "B's tenant row",
        ),
        ("DELETE FROM tenants WHERE id = $1", "B's tenant row"),
        (
            "DELETE FROM enrollment_codes WHERE tenant_id = $1",
            "B's enrollment code",
        ),
    ] {
        let done = sqlx::query(sql)
            .bind(b.0)
            .execute(&mut *tx)
            .await
            .expect(what);
        assert_eq!(done.rows_affected(), 0, "{what} is out of A's reach");
    }
    let mut sp = sqlx::Connection::begin(&mut *tx).await.expect("savepoint");
    refused(
        sqlx::query("INSERT INTO enrollment_codes (code_hash, tenant_id, kiosk_id, expires_at) VALUES ('\\x01', $1, $2, now())")
            .bind(b.0)
            .bind(b_kiosk)
            .execute(&mut *sp)
            .await,
        "a code of B written inside A",
    );
    drop(sp);
    refused(
        sqlx::query("INSERT INTO tenants (id, slug, name, plan, audit_head, created_at) VALUES ($1, 'x', 'x', 'free', '\\x00', now())")
            .bind(uuid::Uuid::now_v7())
            .execute(&mut *tx)
            .await,
        "another tenant's row written inside A",
    );
    drop(tx);
    conn.detach();
    let mut raw = fx.pg().acquire().await.expect("conn");
    let seq: i64 = sqlx::query_scalar("SELECT audit_seq FROM tenants WHERE id = $1")
        .bind(b.0)
        .fetch_one(&mut *raw)
        .await
        .expect("B");
    assert_ne!(seq, 99, "B's row is unchanged");
}

#[tokio::test]
async fn lookups_before_the_tenant_is_known_return_routing_columns_only() {
    let fx = Fixture::postgres().await;
    let a = tenant(&fx, "alpha").await;
    let mut conn = as_app(&fx).await;
    for (sql, key) in [
        ("SELECT * FROM tenant_route_by_slug($1)", "alpha".to_owned()),
        (
            "SELECT * FROM tenant_route_by_id($1::uuid)",
            a.0.to_string(),
        ),
    ] {
        let rows = sqlx::query(sql)
            .bind(&key)
            .fetch_all(&mut *conn)
            .await
            .expect("lookup");
        assert_eq!(rows.len(), 1, "{sql}");
        let columns: Vec<&str> = rows[0].columns().iter().map(|c| c.name()).collect();
        assert_eq!(columns, ["id", "plan"], "{sql}: the routing columns only");
        assert_eq!(rows[0].get::<uuid::Uuid, _>("id"), a.0);
    }
    let none = sqlx::query("SELECT * FROM tenant_route_by_slug('nobody')")
        .fetch_all(&mut *conn)
        .await
        .expect("lookup");
    assert!(none.is_empty(), "an unknown slug finds nothing");
    let taken = sqlx::query("SELECT * FROM take_enrollment_code('\\x00')")
        .fetch_all(&mut *conn)
        .await
        .expect("take");
    assert!(taken.is_empty(), "an unknown code finds nothing");
    let kiosk = sqlx::query("SELECT * FROM kiosk_by_token($1, '\\x00')")
        .bind(a.0)
        .fetch_all(&mut *conn)
        .await
        .expect("kiosk");
    assert!(kiosk.is_empty(), "an unknown device token finds nothing");
    conn.detach();
    // Each runs as the owner with a fixed search path, and only the app role may call it.
    let functions: Vec<(String, bool, Vec<String>, bool)> = sqlx::query_as(
        "SELECT p.proname::text, p.prosecdef, coalesce(p.proconfig, '{}'), \
         p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) x WHERE x.grantee = 0) \
         FROM pg_proc p WHERE p.proname IN \
         ('tenant_route_by_slug', 'tenant_route_by_id', 'take_enrollment_code', 'kek_id_for_wrap', \
         'kiosk_by_token')",
    )
    .fetch_all(fx.pg())
    .await
    .expect("functions");
    assert_eq!(functions.len(), 5);
    for (name, definer, config, public) in functions {
        assert!(definer, "{name} is SECURITY DEFINER");
        assert_eq!(config, ["search_path=pg_catalog, pg_temp"], "{name}");
        assert!(!public, "{name} is not executable by PUBLIC");
    }
}
