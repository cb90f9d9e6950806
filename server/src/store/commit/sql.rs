//! The group committer's SQL: a batch's facts in one query and its rows in one `INSERT` per table,
//! each built once per batch size from the single check-in's statements (`check_in.rs`), their
//! parameters numbered on from one check-in to the next, then made anonymous (`?`, bound in
//! their order: [`InOrder`](super::super::query::InOrder)).

use super::super::check_in::{FACTS, FACTS_PARAMS, WRITE_PARAMS, check_in_rows};
use super::super::query::{Laid, laid_once, map_params, numbered, renumber};

/// The most check-ins one `UNION ALL` of outbox rows names: SQLite allows 500 terms in a compound
/// `SELECT`, and a check-in's outbox rows are two.
const COMPOUND: usize = 200;

/// `0..n` in runs of at most [`COMPOUND`].
fn runs(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n)
        .step_by(COMPOUND)
        .map(move |start| start..n.min(start + COMPOUND))
}

/// The batch's facts query for `n` check-ins, after `BEGIN IMMEDIATE` (the write lock, taken in
/// the same hand-off to SQLite's thread): [`FACTS`] once, its parameters `$k` read from the
/// columns `pk` of a `VALUES` list of the `n` check-ins' (`batch`, numbered `i`), which it joins
/// first. One statement for all opens its cursors once: `n` copies joined by `UNION ALL` opened
/// theirs each, and SQLite walks every cursor open as it opens another.
pub(super) fn facts_sql(n: usize) -> Laid {
    laid_once("check-in facts", n, || {
        let columns: Vec<String> = (1..=FACTS_PARAMS).map(|k| format!("p{k}")).collect();
        let rows: Vec<String> = (0..n)
            .map(|i| format!("({i}, {})", numbered(1 + FACTS_PARAMS * i, FACTS_PARAMS)))
            .collect();
        let facts = map_params(FACTS, |k| format!("batch.p{k}"))
            .replacen("SELECT ", "SELECT batch.i, ", 1)
            .replacen(" FROM tenants t ", " FROM batch CROSS JOIN tenants t ", 1);
        format!(
            "BEGIN IMMEDIATE;\nWITH batch (i, {}) AS (VALUES {}) {facts}",
            columns.join(", "),
            rows.join(", ")
        )
    })
}

/// The batch's write for `n` check-ins, then `COMMIT`: each of SQLite's check-in statements
/// once for the whole batch (sqlx hands every statement's result back on its own, a wake-up of
/// the committer each): the rows of all `n` as one `INSERT`, their parameters numbered on; the
/// chain heads last, each tenant's from its newest entry, just written.
pub(super) fn write_sql(n: usize) -> Laid {
    laid_once("check-in write", n, || {
        let tenants = (0..n)
            .map(|i| format!("${}", 1 + WRITE_PARAMS * i))
            .collect::<Vec<_>>()
            .join(", ");
        let outbox = check_in_rows!(outbox);
        let (into, selects) = outbox.split_at(outbox.find(" SELECT ").unwrap_or(0));
        let outbox =
            runs(n).map(|run| format!("{into} {}", each(selects.trim(), run, " UNION ALL ")));
        [
            values(check_in_rows!(visitor), n),
            values(check_in_rows!(visit), n),
        ]
        .into_iter()
        .chain(outbox)
        .chain([
            values(check_in_rows!(audit), n),
            format!(
                "UPDATE tenants SET (audit_seq, audit_head) = (SELECT seq, hash FROM audit_log \
                     WHERE audit_log.tenant_id = tenants.id ORDER BY seq DESC LIMIT 1) \
                     WHERE id IN ({tenants})"
            ),
            "COMMIT".to_owned(),
        ])
        .collect::<Vec<_>>()
        .join(";\n")
    })
}

/// `INSERT ... VALUES (...)` with the values of `n` check-ins.
fn values(insert: &str, n: usize) -> String {
    let (into, row) = insert.split_once(" VALUES ").unwrap_or((insert, ""));
    format!("{into} VALUES {}", each(row, 0..n, ", "))
}

/// `sql` once for each check-in of `run`, numbered on, joined by `by`.
fn each(sql: &str, run: std::ops::Range<usize>, by: &str) -> String {
    run.map(|i| renumber(sql, WRITE_PARAMS * i))
        .collect::<Vec<_>>()
        .join(by)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highest parameter number `q` binds.
    fn highest(q: Laid) -> usize {
        q.refs.iter().copied().max().unwrap_or(0)
    }

    #[test]
    fn every_copy_has_its_own_parameters() {
        let facts = laid_once("facts alone", 1, || FACTS.to_owned());
        assert_eq!(facts.refs.iter().max(), Some(&FACTS_PARAMS));
        assert_eq!(highest(write_sql(1)), WRITE_PARAMS);
        assert_eq!(highest(facts_sql(3)), 3 * FACTS_PARAMS);
        assert_eq!(highest(write_sql(3)), 3 * WRITE_PARAMS);
        assert!(
            facts_sql(3)
                .sql
                .contains("FROM batch CROSS JOIN tenants t ")
        );
        assert_eq!(
            facts_sql(3).refs,
            (1..=3 * FACTS_PARAMS).collect::<Vec<_>>()
        );
    }

    #[test]
    fn parameters_are_anonymous_and_bound_in_their_order() {
        let q = write_sql(2);
        assert!(!q.sql.contains('$'));
        assert_eq!(q.sql.matches('?').count(), q.refs.len());
        // The visitors' rows first: the first check-in's $1 to $8, then the second's.
        let second: Vec<usize> = (1..=8).map(|k| k + WRITE_PARAMS).collect();
        assert_eq!(q.refs[..8], [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(q.refs[8..16], second[..]);
    }

    #[test]
    fn a_batch_is_a_few_statements_whatever_its_size() {
        // BEGIN, then the facts.
        assert_eq!(facts_sql(450).sql.matches(";\n").count(), 1);
        // Visitors, visits, the outbox in two runs, audit entries, chain heads, COMMIT.
        assert_eq!(write_sql(300).sql.matches(";\n").count(), 6);
        assert_eq!(highest(write_sql(300)), 300 * WRITE_PARAMS);
    }
}
