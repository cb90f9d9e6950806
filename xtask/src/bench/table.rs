//! The bench's table: every measured figure per engine, the machine's CPU busy share beside each
//! throughput, and the targets of the performance issue with whether each was met (also written
//! to `bench/results.json` as `targets`); and `--scale`'s table, each figure beside its target.

use serde_json::{Value, json};

/// A target: at least or at most `value`, judged on `engine`.
#[derive(Clone, Copy)]
enum Goal {
    AtLeast(f64, &'static str),
    AtMost(f64, &'static str),
}

impl Goal {
    fn engine(self) -> &'static str {
        match self {
            Goal::AtLeast(_, e) | Goal::AtMost(_, e) => e,
        }
    }

    fn met(self, v: f64) -> bool {
        match self {
            Goal::AtLeast(t, _) => v >= t,
            Goal::AtMost(t, _) => v <= t,
        }
    }

    fn text(self, percent: bool) -> String {
        let (op, t) = match self {
            Goal::AtLeast(t, _) => (">=", t),
            Goal::AtMost(t, _) => ("<=", t),
        };
        let t = if percent {
            format!("{:.0}%", t * 100.0)
        } else {
            format!("{t}")
        };
        format!("{} {op} {t}", self.engine())
    }
}

/// One line: a label, where its value is, where the CPU share of its run is, and its target.
struct Row {
    label: String,
    path: &'static [&'static str],
    cpu: Option<&'static [&'static str]>,
    goal: Option<Goal>,
    percent: bool,
}

fn row(label: &str, path: &'static [&'static str]) -> Row {
    Row {
        label: label.to_owned(),
        path,
        cpu: None,
        goal: None,
        percent: false,
    }
}

impl Row {
    fn cpu(mut self, path: &'static [&'static str]) -> Row {
        self.cpu = Some(path);
        self
    }
    fn goal(mut self, g: Goal) -> Row {
        self.goal = Some(g);
        self
    }
    fn percent(mut self) -> Row {
        self.percent = true;
        self
    }
}

fn rows(r: &Value) -> Vec<Row> {
    use Goal::*;
    let tenants = r["engines"]["postgres"]["many_tenants"]
        .as_u64()
        .unwrap_or(100);
    vec![
        row("no-op GET /healthz, wrk (/s)", &["noop", "rps"]).cpu(&["noop", "cpu_busy"]),
        row("no-op, own generator (/s)", &["noop_own_generator", "rps"])
            .cpu(&["noop_own_generator", "cpu_busy"]),
        row(
            "  own generator / wrk",
            &["ratio_own_generator_to_wrk_noop"],
        ),
        row("check-ins, one tenant (/s)", &["check_in", "rps"])
            .cpu(&["check_in", "cpu_busy"])
            .goal(AtLeast(1533.0, "postgres")),
        row(
            &format!("check-ins, {tenants} tenants (/s)"),
            &["check_in_many_tenants", "rps"],
        )
        .cpu(&["check_in_many_tenants", "cpu_busy"])
        .goal(AtLeast(2555.0, "postgres")),
        row("ratio check-in / no-op", &["ratio_check_in_to_noop"]).goal(AtLeast(0.2, "sqlite")),
        row("CPU busy during check-ins", &["check_in_cpu_busy"])
            .goal(AtLeast(0.9, "sqlite"))
            .percent(),
        row("  of it the server", &["check_in", "server_cpu"]).percent(),
        row("  check-ins per committed batch", &["check_ins_per_batch"]),
        row(
            "check-ins, group commit off (/s)",
            &["check_in_group_commit_off", "rps"],
        )
        .cpu(&["check_in_group_commit_off", "cpu_busy"]),
        row(
            "ratio group commit on / off",
            &["ratio_group_commit_on_to_off"],
        )
        .goal(AtLeast(5.0, "sqlite")),
        row(
            "bare SQLite, same rows (check-ins/s)",
            &["raw_sqlite_rows_rps"],
        ),
        row(
            "ratio check-in / bare SQLite",
            &["ratio_check_in_to_raw_sqlite"],
        ),
        row(
            "latency at half peak: rate (/s)",
            &["latency_at_half_peak", "rate"],
        )
        .cpu(&["latency_at_half_peak", "cpu_busy"]),
        row("  p50 (ms)", &["latency_at_half_peak", "p50_ms"]),
        row("  p99 (ms)", &["latency_at_half_peak", "p99_ms"]).goal(AtMost(10.0, "sqlite")),
        row("  max (ms)", &["latency_at_half_peak", "max_ms"]),
        row(
            "  server's own p99 at most (ms)",
            &["latency_at_half_peak", "server_p99_at_most_ms"],
        ),
        row(
            "sustained, no SMTP (/s)",
            &["sustained_no_smtp", "sustained_rps"],
        )
        .cpu(&["sustained_no_smtp", "load", "cpu_busy"]),
        row("  sustained / peak", &["ratio_sustained_no_smtp_to_peak"])
            .goal(AtLeast(0.8, "sqlite")),
        row("sustained, SMTP (/s)", &["sustained_smtp", "sustained_rps"]).cpu(&[
            "sustained_smtp",
            "load",
            "cpu_busy",
        ]),
        row("  sustained / peak", &["ratio_sustained_smtp_to_peak"]).goal(AtLeast(0.8, "sqlite")),
        row(
            "  check-ins (server's count)",
            &["sustained_smtp", "server_counted_check_ins"],
        ),
        row(
            "  emails at the sink",
            &["sustained_smtp", "emails_at_sink"],
        ),
        row(
            "    of them repeats",
            &["sustained_smtp", "emails_sent_twice"],
        ),
        row(
            "  drain after the run (s)",
            &["sustained_smtp", "drain", "secs"],
        )
        .cpu(&["sustained_smtp", "drain", "cpu_busy"]),
        row(
            "    of it the server",
            &["sustained_smtp", "drain", "server_cpu"],
        )
        .percent(),
        row(
            "    of it the sink",
            &["sustained_smtp", "drain", "bench_cpu"],
        )
        .percent(),
        row("failed requests, all runs", &["failed_all_runs"]),
    ]
}

const ENGINES: [&str; 2] = ["sqlite", "postgres"];

/// The paths of every run's failure count.
const FAILED: [&[&str]; 8] = [
    &["noop", "failed"],
    &["noop_own_generator", "failed"],
    &["check_in", "failed"],
    &["check_in_many_tenants", "failed"],
    &["latency_at_half_peak", "failed"],
    &["check_in_group_commit_off", "failed"],
    &["sustained_no_smtp", "load", "failed"],
    &["sustained_smtp", "load", "failed"],
];

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

/// Adds each engine's `failed_all_runs` and the list of `targets` with whether each was met.
pub fn assess(r: &mut Value) {
    for e in ENGINES {
        if r["engines"][e].is_object() {
            let failed: u64 = FAILED
                .iter()
                .filter_map(|p| at(&r["engines"][e], p).as_u64())
                .sum();
            r["engines"][e]["failed_all_runs"] = json!(failed);
        }
    }
    let targets: Vec<Value> = rows(r)
        .into_iter()
        .filter_map(|row| {
            let g = row.goal?;
            let v = at(&r["engines"][g.engine()], row.path).as_f64();
            Some(json!({
                "measure": row.label.trim(), "engine": g.engine(), "target": g.text(row.percent),
                "value": v, "met": v.is_some_and(|v| g.met(v)),
            }))
        })
        .collect();
    r["targets"] = json!(targets);
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "-".to_owned()
    } else if x.abs() >= 100.0 || (x.fract() == 0.0 && x.abs() < 1e15) {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

pub fn print(r: &Value) {
    let cell = |v: &Value, percent: bool| {
        v.as_f64().map_or("-".to_owned(), |x| {
            if percent {
                format!("{:.0}%", x * 100.0)
            } else {
                num(x)
            }
        })
    };
    println!();
    println!(
        "{} ({} connections, {} s runs, {} cores, {:.0}% busy before the runs)",
        r["when"].as_str().unwrap_or(""),
        r["clients"],
        r["secs_per_run"],
        r["machine"]["cores"],
        r["machine"]["busy_before_runs"]
            .as_f64()
            .unwrap_or(f64::NAN)
            * 100.0
    );
    println!(
        "{:<38} {:>9} {:>5} {:>9} {:>5}  {:<17} met",
        "measure", "sqlite", "cpu", "postgres", "cpu", "target"
    );
    for row in rows(r) {
        let mut line = format!("{:<38}", row.label);
        for e in ENGINES {
            let eng = &r["engines"][e];
            let mut v = cell(at(eng, row.path), row.percent);
            let drained = at(eng, &[row.path[0], "drained"]);
            if row.path[0].starts_with("sustained") && drained == &json!(false) {
                v = format!("<{v}");
            }
            let cpu = row.cpu.map_or(String::new(), |p| cell(at(eng, p), true));
            line += &format!(" {v:>9} {cpu:>5}");
        }
        if let Some(g) = row.goal {
            let v = at(&r["engines"][g.engine()], row.path).as_f64();
            let met = match v {
                Some(v) if g.met(v) => "yes",
                Some(_) => "NO",
                None => "-",
            };
            line += &format!("  {:<17} {met}", g.text(row.percent));
        }
        println!("{}", line.trim_end());
    }
    println!(
        "(cpu: the whole machine's busy share during that run, all processes; \"<\": the outbox had not drained)"
    );
}

/// `--scale`'s figures beside their targets, per engine: `(label, path in the engine's figures, target,
/// whether more is better)`. A target of 0 is only reported.
const SCALE_TARGETS: [(&str, &str, f64, bool); 20] = [
    ("seed, visits/s", "/seed_visits_per_s", 0.0, true),
    ("first page p99, ms", "/first page/p99_ms", 50.0, false),
    ("site filter p99, ms", "/site filter/p99_ms", 50.0, false),
    ("host filter p99, ms", "/host filter/p99_ms", 50.0, false),
    ("on site now p99, ms", "/on site now/p99_ms", 50.0, false),
    (
        "one day 100 days ago p99, ms",
        "/one day, 100 days ago/p99_ms",
        50.0,
        false,
    ),
    ("exact email p99, ms", "/exact email/p99_ms", 50.0, false),
    (
        "page 1001 by cursor p99, ms",
        "/page 1001 by cursor/p99_ms",
        50.0,
        false,
    ),
    ("dashboard p99, ms", "/dashboard/p99_ms", 100.0, false),
    (
        "host filter p99 before VACUUM, ms",
        "/before_vacuum/host filter/p99_ms",
        0.0,
        false,
    ),
    (
        "dashboard p99 before VACUUM, ms",
        "/before_vacuum/dashboard/p99_ms",
        0.0,
        false,
    ),
    ("export, rows/s", "/export/rows_per_s", 50_000.0, true),
    (
        "export, server RSS growth MB",
        "/export/rss_growth_mb",
        50.0,
        false,
    ),
    (
        "check-in p99 during export / idle",
        "/check_in/ratio",
        2.0,
        false,
    ),
    ("no-op p99 during export / idle", "/no_op/ratio", 0.0, false),
    (
        "check-in p99, idle conns held, ms",
        "/connections/check_in_p99_idle_only_ms",
        0.0,
        false,
    ),
    (
        "check-in p99, and event streams, ms",
        "/connections/check_in_p99_ms",
        0.0,
        false,
    ),
    (
        "retention: file rewritten in, s",
        "/retention/rewrite_s",
        0.0,
        false,
    ),
    (
        "retention: check-in max meanwhile, ms",
        "/retention/max_ms",
        0.0,
        false,
    ),
    (
        "retention: check-ins failed",
        "/retention/failed",
        0.0,
        false,
    ),
];

/// Prints `--scale`'s [`SCALE_TARGETS`] with each engine's value and whether it met its target.
pub fn print_scale(results: &Value) {
    let engines = results["engines"].as_object().cloned().unwrap_or_default();
    let mut head = format!("{:<38}{:>10}", "measure", "target");
    for name in engines.keys() {
        head.push_str(&format!("{name:>14}{:>5}", "met"));
    }
    println!("\n{head}");
    for (label, path, target, more) in SCALE_TARGETS {
        let mut line = if target == 0.0 {
            format!("{label:<38}{:>10}", "-")
        } else {
            let sign = if more { "≥" } else { "≤" };
            format!("{label:<38}{:>10}", format!("{sign} {target}"))
        };
        for figures in engines.values() {
            let value = figures.pointer(path).and_then(Value::as_f64);
            let met = match value {
                _ if target == 0.0 => "",
                Some(v) if (more && v >= target) || (!more && v <= target) => "yes",
                Some(_) => "NO",
                None => "?",
            };
            let shown = value.map_or("-".to_owned(), |v| format!("{v:.1}"));
            line.push_str(&format!("{shown:>14}{met:>5}"));
        }
        println!("{line}");
    }
    // Issue 15's targets for PostgreSQL: one tenant 3× the 511/s it began at, many tenants 5×.
    if let Some(runs) = results["many_tenants"]["runs"].as_object() {
        for (label, run) in runs {
            let target = if run["tenants"] == 1 {
                1_533.0
            } else {
                2_555.0
            };
            let rps = run["rps"].as_f64().unwrap_or(f64::NAN);
            let met = if rps >= target { "yes" } else { "NO" };
            let label = format!("postgres check-ins/s, {label}");
            println!(
                "{label:<38}{:>10}{rps:>14.0}{met:>5}",
                format!("≥ {target}")
            );
        }
    }
}
