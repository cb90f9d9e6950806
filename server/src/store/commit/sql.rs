//! The group committer's SQL: a batch's facts in one query and its rows in one `INSERT` per table,
//! each built once per batch size from the single check-in's statements (`check_in.rs`), their
//! parameters numbered on from one check-in to the next.

use super::super::check_in::{FACTS, FACTS_PARAMS, WRITE_PARAMS, check_in_rows};
use super::super::query::{built_once, renumber};

/// The most check-ins one `UNION ALL` names: SQLite allows 500 terms in a compound `SELECT`, and
/// a check-in's outbox rows are two.
const COMPOUND: usize = 200;

/// `0..n` in runs of at most [`COMPOUND`].
fn runs(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n)
        .step_by(COMPOUND)
        .map(move |start| start..n.min(start + COMPOUND))
}

/// The batch's facts query for `n` check-ins, after `BEGIN IMMEDIATE` (the write lock, taken in
/// the same hand-off to SQLite's thread): `n` copies of [`FACTS`] joined by `UNION ALL`, each
/// numbered on and naming its check-in.
pub(super) fn facts_sql(n: usize) -> &'static str {
    built_once("check-in facts", n, || {
        let columns = FACTS.strip_prefix("SELECT ").unwrap_or(FACTS);
        let facts = runs(n).map(|run| {
            run.map(|i| format!("SELECT {i} AS i, {}", renumber(columns, FACTS_PARAMS * i)))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        });
        ["BEGIN IMMEDIATE".to_owned()]
            .into_iter()
            .chain(facts)
            .collect::<Vec<_>>()
            .join(";\n")
    })
}

/// The batch's write for `n` check-ins, then `COMMIT`: each of SQLite's check-in statements
/// once for the whole batch (sqlx hands every statement's result back on its own, a wake-up of
/// the committer each): the rows of all `n` as one `INSERT`, their parameters numbered on; the
/// chain heads last, each tenant's from its newest entry, just written.
pub(super) fn write_sql(n: usize) -> &'static str {
    built_once("check-in write", n, || {
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

    /// The highest parameter number in `sql`.
    fn highest(sql: &str) -> usize {
        sql.split('$')
            .skip(1)
            .filter_map(|s| {
                let d: String = s.chars().take_while(char::is_ascii_digit).collect();
                d.parse().ok()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn every_copy_has_its_own_parameters() {
        assert_eq!(highest(FACTS), FACTS_PARAMS);
        assert_eq!(highest(write_sql(1)), WRITE_PARAMS);
        assert_eq!(highest(facts_sql(3)), 3 * FACTS_PARAMS);
        assert_eq!(highest(write_sql(3)), 3 * WRITE_PARAMS);
        assert_eq!(facts_sql(3).matches(" UNION ALL ").count(), 2);
    }

    #[test]
    fn a_batch_is_a_few_statements_whatever_its_size() {
        // BEGIN, then the facts in runs of `COMPOUND` check-ins.
        assert_eq!(facts_sql(450).matches(";\n").count(), 3);
        // Visitors, visits, the outbox in two runs, audit entries, chain heads, COMMIT.
        assert_eq!(write_sql(300).matches(";\n").count(), 6);
        assert_eq!(highest(write_sql(300)), 300 * WRITE_PARAMS);
    }
}
