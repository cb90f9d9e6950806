//! The texts of queries over many rows: one statement's copy numbered on for each row
//! ([`renumber`]), made anonymous ([`anonymous`]), built once per row count ([`built_once`]), and
//! `IN` lists of a few lengths only ([`padded`]).

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
};

use uuid::Uuid;

/// `sql` with every parameter `$n` made `$(n + by)`: a statement's copy for the next set of
/// parameters in a query that writes several rows at once.
pub(crate) fn renumber(sql: &str, by: usize) -> String {
    map_params(sql, |n| format!("${}", n + by))
}

/// `sql` with each parameter `$k` made an anonymous `?`, and the numbers `k` in the order they
/// stood (see [`InOrder`](super::InOrder)).
fn anonymous(sql: &str) -> (String, Vec<usize>) {
    let mut refs = Vec::new();
    let sql = map_params(sql, |k| {
        refs.push(k);
        "?".to_owned()
    });
    (sql, refs)
}

/// `sql` with each parameter `$k` written as `f(k)` says, in their order.
pub(crate) fn map_params(sql: &str, mut f: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(k) => out.push_str(&f(k)),
            Err(_) => {
                out.push('$');
                out.push_str(&rest[..digits]);
            }
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// A query of many rows whose parameters are anonymous: its text, and for each `?` in order the
/// number `$k` it stood for (see [`InOrder`](super::InOrder)).
#[derive(Clone, Copy)]
pub(crate) struct Laid {
    pub sql: &'static str,
    pub refs: &'static [usize],
}

/// The query `build` makes for `n` rows of the statement `name`, built once and kept (callers
/// bound `n`, so a few dozen texts at most): drivers cache prepared statements by their text.
pub(crate) fn built_once(
    name: &'static str,
    n: usize,
    build: impl FnOnce() -> String,
) -> &'static str {
    kept(name, n, || Laid {
        sql: Box::leak(build().into_boxed_str()),
        refs: &[],
    })
    .sql
}

/// [`built_once`], the query made anonymous ([`anonymous`]).
pub(crate) fn laid_once(name: &'static str, n: usize, build: impl FnOnce() -> String) -> Laid {
    kept(name, n, || {
        let (sql, refs) = anonymous(&build());
        Laid {
            sql: Box::leak(sql.into_boxed_str()),
            refs: Box::leak(refs.into_boxed_slice()),
        }
    })
}

/// The query of `name` for `n` rows, made by `build` the first time.
fn kept(name: &'static str, n: usize, build: impl FnOnce() -> Laid) -> Laid {
    static BUILT: LazyLock<Mutex<HashMap<(&'static str, usize), Laid>>> =
        LazyLock::new(Default::default);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    *built.entry((name, n)).or_insert_with(build)
}

/// `$first, $(first + 1), …`: `n` parameters, for an `IN` list.
pub(crate) fn numbered(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `values`, the last one repeated up to the next power of two: a list bound as parameters of
/// its own, in a few sizes only (an `IN` list does not mind the repeats), so that a few texts
/// of a query built for a list are prepared, not one per length.
pub(crate) fn padded<T: Clone>(values: &[T]) -> Vec<T> {
    let mut v = values.to_vec();
    if let Some(last) = values.last() {
        v.resize(values.len().next_power_of_two(), last.clone());
    }
    v
}

/// Each of `ids` as a parameter of its own, padded ([`padded`]).
pub(crate) fn one_each(ids: &[Uuid]) -> Vec<(Uuid,)> {
    padded(ids).into_iter().map(|id| (id,)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_made_anonymous_in_their_order() {
        let (sql, refs) = anonymous("SELECT $2, $10 WHERE a = $2");
        assert_eq!(
            (sql.as_str(), refs),
            ("SELECT ?, ? WHERE a = ?", vec![2, 10, 2])
        );
    }

    #[test]
    fn parameters_are_numbered_on() {
        assert_eq!(
            renumber("a = $1 AND b = $12, $", 26),
            "a = $27 AND b = $38, $"
        );
        assert_eq!(built_once("t", 2, || "x".into()), "x");
        assert_eq!(built_once("t", 2, || "y".into()), "x");
    }

    #[test]
    fn lists_come_in_a_few_sizes() {
        assert_eq!(numbered(3, 3), "$3, $4, $5");
        assert_eq!(padded(&[1, 2, 3]), [1, 2, 3, 3]);
        assert_eq!(padded(&[1, 2, 3, 4]), [1, 2, 3, 4]);
        assert_eq!(padded::<u8>(&[]), Vec::<u8>::new());
        assert_eq!(one_each(&[Uuid::nil(); 5]).len(), 8);
    }
}
