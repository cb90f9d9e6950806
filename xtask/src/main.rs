//! `cargo xtask run` starts Vestibule with a demo tenant on the embedded database;
//! `cargo xtask test` installs or checks what the tests need, audits the third-party code, runs
//! every test, fuzzes each fuzz target for a bounded time, and stops what it started;
//! `cargo xtask bench` measures throughput and latency (see [`bench`]); `cargo xtask dist` builds
//! what an operator installs (see [`dist`]); `cargo xtask seed` fills a database with made-up
//! tenants and visits (see [`seed`]).

mod audit;
mod bench;
mod demo;
mod dist;
mod fuzz;
mod mailcatcher;
mod prereqs;
mod seed;
mod ui;
mod workspace;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build and start the server with a demo tenant, site, hosts and a kiosk enrollment code.
    Run {
        /// Where the server keeps its database and keys.
        #[arg(long, default_value = "vestibule-data")]
        data_dir: std::path::PathBuf,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
    },
    /// Build in release and measure throughput and latency on both engines (see bench/results.json).
    Bench(bench::BenchOpts),
    /// Build the release server binary and the kiosk's .deb (and, with --image, the server image)
    /// into <target>/dist.
    Dist(dist::DistOpts),
    /// Build the server in release and fill a database with made-up tenants and visits: the
    /// arguments of `vestibule-server seed` (`--tenants N --visits-per-tenant M`, `--data-dir` or
    /// `--database-url`, ...).
    Seed {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Install or check the test prerequisites, audit the dependencies, run every test of the workspace, then
    /// a short run of each fuzz target.
    Test {
        /// Extra arguments for `cargo test` (a test name filter, say).
        args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run { data_dir, listen } => demo::run(&data_dir, &listen),
        Command::Test { args } => test(&args),
        Command::Bench(opts) => bench::run(&opts),
        Command::Dist(opts) => dist::run_dist(&opts),
        Command::Seed { args } => seed::run(&args),
    }
}

fn test(args: &[String]) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let services = timed("prerequisites", prereqs::ensure)?;
    let result = (|| {
        timed("audit", audit::check)?;
        timed("ui", ui::build_and_test)?;
        timed("build", || {
            workspace::cargo(&["build", "--workspace", "--all-targets"], &[])
        })?;
        let bin = workspace::server_bin()?;
        let py_bin = timed("python tools", prereqs::python_tools)?;
        let packages = timed("packages", || dist::for_tests(&bin))?;
        let mut cargo_args = vec!["test", "--workspace"];
        cargo_args.extend(args.iter().map(String::as_str));
        let mut env = vec![
            ("VESTIBULE_SERVER_BIN", bin.as_os_str()),
            ("VESTIBULE_PY_BIN", py_bin.as_os_str()),
        ];
        env.extend(packages.iter().map(|(k, v)| (*k, v.as_os_str())));
        timed("tests", || workspace::cargo(&cargo_args, &env))?;
        timed("fuzz", fuzz::run)
    })();
    services.stop();
    result?;
    println!(
        "cargo xtask test: all tests passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs one step of `test` and prints how long it took, so that a cold run shows where its
/// time goes.
fn timed<T>(step: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let started = std::time::Instant::now();
    let out = f();
    println!(
        "xtask: {step} took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    out
}
