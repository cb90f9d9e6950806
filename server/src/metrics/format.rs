//! The two text formats of a scrape: which one a scraper asks for, and the classic one made from
//! the OpenMetrics text the encoder writes.

use std::collections::HashSet;

/// The two text formats of a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus' classic text format, version 0.0.4: a counter family is named by its sample
    /// (`x_total`), and there is no `# EOF`.
    Classic,
    /// OpenMetrics 1.0 text: a counter family is named without `_total`, and `# EOF` ends it.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when `accept` (the request's `Accept` header) names it, else classic.
    pub fn from_accept(accept: Option<&str>) -> Format {
        let wants_openmetrics = accept.into_iter().flat_map(|a| a.split(',')).any(|item| {
            let mut parts = item.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case("application/openmetrics-text"))
                && !parts.any(|p| matches!(p, "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
        });
        if wants_openmetrics {
            Format::OpenMetrics
        } else {
            Format::Classic
        }
    }

    /// The content type of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Classic => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// OpenMetrics text (what the encoder writes) in the classic format: the `HELP` and `TYPE` lines
/// of a counter family name its sample (`x_total`); `unknown` is `untyped`; a counter's
/// `_created` sample, `# UNIT` lines and the `# EOF` marker have no place there and are dropped.
pub(super) fn classic(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let is_created = |line: &str| {
        line.split_once(['{', ' '])
            .and_then(|(name, _)| name.strip_suffix("_created"))
            .is_some_and(|family| counters.contains(family))
    };
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") || is_created(line) {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "].into_iter().find_map(|prefix| {
            let (name, rest) = line.strip_prefix(prefix)?.split_once(' ')?;
            Some((prefix, name, rest))
        });
        match meta {
            Some((prefix, name, rest)) => {
                let suffix = if counters.contains(name) {
                    "_total"
                } else {
                    ""
                };
                let rest = if prefix == "# TYPE " && rest == "unknown" {
                    "untyped"
                } else {
                    rest
                };
                out.push_str(&format!("{prefix}{name}{suffix} {rest}"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Format, classic};

    #[test]
    fn counters_are_named_by_their_sample_in_the_classic_format() {
        let om = "# HELP app_hits Hits.\n# TYPE app_hits counter\napp_hits_total{a=\"b\"} 3\n\
                  app_hits_created 1.5\n# HELP app_up Up.\n# TYPE app_up gauge\n# UNIT app_up x\n\
                  app_up 1\n# TYPE app_odd unknown\napp_odd 2\n# EOF\n";
        assert_eq!(
            classic(om),
            "# HELP app_hits_total Hits.\n# TYPE app_hits_total counter\napp_hits_total{a=\"b\"} 3\n\
             # HELP app_up Up.\n# TYPE app_up gauge\napp_up 1\n# TYPE app_odd untyped\napp_odd 2\n"
        );
    }

    #[test]
    fn openmetrics_only_when_the_scraper_asks_for_it() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
        for accept in [
            None,
            Some("*/*"),
            Some("text/plain"),
            Some("application/openmetrics-text;q=0"),
        ] {
            assert_eq!(Format::from_accept(accept), Format::Classic, "{accept:?}");
        }
    }
}
