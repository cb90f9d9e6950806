//! Query helpers: one SQL text, its parameters bound onto whichever engine the transaction runs
//! on. A repository function is then its SQL, a tuple of parameters and the type it reads:
//!
//! ```text
//! let n = self.execute("UPDATE kiosks SET name = $3 WHERE tenant_id = $1 AND id = $2", (id, name)).await?;
//! ```
//!
//! [`TenantTx`]'s helpers bind the transaction's tenant as `$1` before the tuple; [`Tx`]'s (which
//! [`GlobalTx`](super::GlobalTx) uses) bind the tuple alone. A parameter type must encode on both
//! engines and a row type decode on both, so a query cannot compile for one engine only.
//! `Engine::read_one` runs one statement about a tenant outside any transaction, for the lookups
//! every request makes.

use sqlx::{
    Arguments, Database, Encode, FromRow, Postgres, SqlSafeStr, Sqlite, Type, error::BoxDynError,
    postgres::PgRow, sqlite::SqliteRow,
};
use uuid::Uuid;

use super::{Engine, TenantTx, Tx, on_tx};
use crate::{error::Error, ids::TenantId};

mod texts;

pub(crate) use texts::{
    Laid, built_once, laid_once, map_params, numbered, one_each, padded, renumber,
};

/// Values that bind, in order, onto one engine's query arguments.
pub(crate) trait Bind<DB: Database> {
    /// Appends the values to `args`.
    fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError>;
}

/// The parameters of a query on either engine: a tuple (`()` for none) of values both engines
/// encode, or a struct declared with [`params!`](crate::store::query::params).
pub(crate) trait Params: Bind<Sqlite> + Bind<Postgres> + Send {}

impl<P: Bind<Sqlite> + Bind<Postgres> + Send> Params for P {}

/// A row type both engines decode (a `FromRow` struct or a tuple).
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin> Record for R {}

macro_rules! tuple_params {
    ($($T:ident $i:tt),*) => {
        impl<'t, DB: Database, $($T: Encode<'t, DB> + Type<DB>),*> Bind<DB> for ($($T,)*) {
            fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
                $(args.add(self.$i)?;)*
                Ok(())
            }
        }

        impl<'t, DB: Database, $($T: Encode<'t, DB> + Type<DB>),*> Nth<DB> for ($($T,)*) {
            fn nth(&self, k: usize, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
                $(if k == $i + 1 {
                    return args.add(&self.$i);
                })*
                Err(no_parameter(k))
            }
        }
    };
}

/// Values of which any one binds by its number (`$k`, from 1): the rows of a query whose
/// parameters are anonymous ([`InOrder`]).
pub(crate) trait Nth<DB: Database> {
    /// Appends value `k` to `args`.
    fn nth(&self, k: usize, args: &mut DB::Arguments) -> Result<(), BoxDynError>;
}

/// The error of a value number that a set of parameters does not have.
pub(crate) fn no_parameter(k: usize) -> BoxDynError {
    format!("no parameter ${k} in this set").into()
}

/// Rows of `per` values each, bound in the order of a query's anonymous `?` parameters: `refs`
/// names, for each `?`, the number `$k` it stood for in the query numbered on from row to row
/// ([`laid_once`]). SQLite looks a numbered parameter's name up by walking the statement's list
/// of names (and sqlx asks for every parameter's), so a statement of many rows spent time
/// quadratic in its size on binding; an anonymous one has no names to walk.
pub(crate) struct InOrder<T> {
    pub rows: Vec<T>,
    pub per: usize,
    pub refs: &'static [usize],
}

impl<DB: Database, T: Nth<DB>> Bind<DB> for InOrder<T> {
    fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
        let per = self.per.max(1);
        for &k in self.refs {
            let i = k.checked_sub(1).ok_or_else(|| no_parameter(k))?;
            let row = self.rows.get(i / per).ok_or_else(|| no_parameter(k))?;
            row.nth(i % per + 1, args)?;
        }
        Ok(())
    }
}

impl<DB: Database> Bind<DB> for () {
    fn bind(self, _: &mut DB::Arguments) -> Result<(), BoxDynError> {
        Ok(())
    }
}

tuple_params!(A 0);
tuple_params!(A 0, B 1);
tuple_params!(A 0, B 1, C 2);
tuple_params!(A 0, B 1, C 2, D 3);
tuple_params!(A 0, B 1, C 2, D 3, E 4);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// Declares a struct of named query parameters, bound in the order of its fields (the first
/// field is `$1`): for a statement with too many parameters to read as a tuple.
macro_rules! params {
    ($(#[$m:meta])* $vis:vis struct $name:ident$(<$lt:lifetime>)? { $($(#[$fm:meta])* $fvis:vis $field:ident: $ty:ty,)* }) => {
        $(#[$m])*
        $vis struct $name$(<$lt>)? { $($(#[$fm])* $fvis $field: $ty,)* }

        $crate::store::query::params!(@bind $name$(<$lt>)?, ::sqlx::Sqlite, $($field)*);
        $crate::store::query::params!(@bind $name$(<$lt>)?, ::sqlx::Postgres, $($field)*);
        $crate::store::query::params!(@nth $name$(<$lt>)?, ::sqlx::Sqlite, $($field)*);
        $crate::store::query::params!(@nth $name$(<$lt>)?, ::sqlx::Postgres, $($field)*);
    };
    (@nth $name:ident$(<$lt:lifetime>)?, $db:ty, $($field:ident)*) => {
        impl$(<$lt>)? $crate::store::query::Nth<$db> for $name$(<$lt>)? {
            fn nth(&self, k: usize, args: &mut <$db as ::sqlx::Database>::Arguments) -> Result<(), ::sqlx::error::BoxDynError> {
                let mut i = 0;
                $(
                    i += 1;
                    if i == k {
                        return ::sqlx::Arguments::add(args, &self.$field);
                    }
                )*
                Err($crate::store::query::no_parameter(k))
            }
        }
    };
    (@bind $name:ident$(<$lt:lifetime>)?, $db:ty, $($field:ident)*) => {
        impl$(<$lt>)? $crate::store::query::Bind<$db> for $name$(<$lt>)? {
            fn bind(self, args: &mut <$db as ::sqlx::Database>::Arguments) -> Result<(), ::sqlx::error::BoxDynError> {
                $(::sqlx::Arguments::add(args, self.$field)?;)*
                Ok(())
            }
        }
    };
}
pub(crate) use params;

/// Several rows' parameters, one after the other (for a query of many rows numbered on from one
/// row to the next).
impl<DB: Database, P: Bind<DB>> Bind<DB> for Vec<P> {
    fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
        self.into_iter().try_for_each(|p| p.bind(args))
    }
}

/// Two sets of parameters, the second numbered on after the first.
pub(crate) struct Both<A, B>(pub A, pub B);

impl<DB: Database, A: Bind<DB>, B: Bind<DB>> Bind<DB> for Both<A, B> {
    fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
        self.0.bind(args)?;
        self.1.bind(args)
    }
}

/// `params` after the tenant: what [`TenantTx`]'s helpers bind.
struct InTenant<P>(Uuid, P);

impl<'t, DB: Database, P: Bind<DB>> Bind<DB> for InTenant<P>
where
    Uuid: Encode<'t, DB> + Type<DB>,
{
    fn bind(self, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
        args.add(self.0)?;
        self.1.bind(args)
    }
}

/// `params` as one engine's arguments.
fn arguments<DB: Database, P: Bind<DB>>(params: P) -> Result<DB::Arguments, sqlx::Error> {
    let mut args = DB::Arguments::default();
    params.bind(&mut args).map_err(sqlx::Error::Encode)?;
    Ok(args)
}

impl Tx {
    /// Runs a statement; returns how many rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<u64, Error> {
        let sql = sql.into_sql_str();
        Ok(on_tx!(self, |c, Db| sqlx::query_with(
            sql,
            arguments::<Db, _>(params)?
        )
        .execute(c)
        .await?
        .rows_affected()))
    }

    /// The first row, if there is one.
    pub(crate) async fn fetch_optional<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<Option<R>, Error> {
        let sql = sql.into_sql_str();
        Ok(on_tx!(self, |c, Db| sqlx::query_as_with(
            sql,
            arguments::<Db, _>(params)?
        )
        .fetch_optional(c)
        .await?))
    }

    /// The first row; a query without rows is an error.
    pub(crate) async fn fetch_one<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<R, Error> {
        let sql = sql.into_sql_str();
        Ok(on_tx!(self, |c, Db| sqlx::query_as_with(
            sql,
            arguments::<Db, _>(params)?
        )
        .fetch_one(c)
        .await?))
    }

    /// Every row.
    pub(crate) async fn fetch_all<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<Vec<R>, Error> {
        let sql = sql.into_sql_str();
        Ok(on_tx!(self, |c, Db| sqlx::query_as_with(
            sql,
            arguments::<Db, _>(params)?
        )
        .fetch_all(c)
        .await?))
    }

    /// Every row, handed to `each` as it arrives rather than gathered first (a large read:
    /// SQLite's connection thread runs ahead instead of waking the reader for each row).
    pub(crate) async fn for_each<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
        mut each: impl FnMut(R) -> Result<(), Error> + Send,
    ) -> Result<(), Error> {
        use futures::TryStreamExt;
        let sql = sql.into_sql_str();
        on_tx!(self, |c, Db| {
            let mut rows = sqlx::query_as_with(sql, arguments::<Db, _>(params)?).fetch(c);
            while let Some(row) = rows.try_next().await? {
                each(row)?;
                // Buffered rows come without a wait, so the loop would not yield: a page of an
                // export (decrypted row by row) held its worker thread, and the check-ins queued
                // on it, for the whole page. Tokio's budget yields every 128 rows or so.
                tokio::task::coop::consume_budget().await;
            }
        });
        Ok(())
    }

    /// The first column of the first row.
    pub(crate) async fn scalar<T>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<T, Error>
    where
        (T,): Record,
    {
        self.fetch_one::<(T,)>(sql, params).await.map(|(v,)| v)
    }
}

/// The same helpers inside the tenant: `$1` is the tenant, the tuple's values are `$2`, `$3`, …
impl TenantTx {
    /// Runs a statement; returns how many rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<u64, Error> {
        self.tx.execute(sql, InTenant(self.tenant.0, params)).await
    }

    /// The first row, if there is one.
    pub(crate) async fn fetch_optional<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<Option<R>, Error> {
        self.tx
            .fetch_optional(sql, InTenant(self.tenant.0, params))
            .await
    }

    /// The first row; a query without rows is an error.
    pub(crate) async fn fetch_one<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<R, Error> {
        self.tx
            .fetch_one(sql, InTenant(self.tenant.0, params))
            .await
    }

    /// Every row.
    pub(crate) async fn fetch_all<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<Vec<R>, Error> {
        self.tx
            .fetch_all(sql, InTenant(self.tenant.0, params))
            .await
    }

    /// Every row, handed to `each` as it arrives (see [`Tx::for_each`]).
    pub(crate) async fn for_each<R: Record>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
        each: impl FnMut(R) -> Result<(), Error> + Send,
    ) -> Result<(), Error> {
        self.tx
            .for_each(sql, InTenant(self.tenant.0, params), each)
            .await
    }

    /// The first column of the first row.
    pub(crate) async fn scalar<T>(
        &mut self,
        sql: impl SqlSafeStr + Send,
        params: impl Params,
    ) -> Result<T, Error>
    where
        (T,): Record,
    {
        self.tx.scalar(sql, InTenant(self.tenant.0, params)).await
    }
}

impl Engine {
    /// The first row of one statement about `tenant` (`$1`, then `params`) run outside any
    /// transaction: on SQLite on a reader, on PostgreSQL where the statement itself confines
    /// itself to the tenant (the dialect's lookups through functions: it has no tenant setting).
    pub(super) async fn read_one<R: Record>(
        &self,
        tenant: TenantId,
        sql: &'static str,
        params: impl Params,
    ) -> Result<Option<R>, Error> {
        let args = InTenant(tenant.0, params);
        Ok(match self {
            Engine::Sqlite { reader, .. } => {
                sqlx::query_as_with(sql, arguments::<Sqlite, _>(args)?)
                    .fetch_optional(reader)
                    .await?
            }
            Engine::Postgres(pool) => {
                let args = arguments::<Postgres, _>(args)?;
                super::on_live(pool, || {
                    sqlx::query_as_with(sql, args.clone()).fetch_optional(pool)
                })
                .await?
            }
        })
    }
}
