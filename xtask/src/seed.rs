//! `cargo xtask seed`: builds the server in release and runs its `seed` command, which fills a
//! database (the data dir's SQLite, or `--database-url`) with made-up tenants and visits through
//! the store's own code paths. Every argument goes to `vestibule-server seed`, for example
//! `cargo xtask seed --tenants 1 --visits-per-tenant 1000000 --data-dir vestibule-data`.

use std::process::Command;

use anyhow::Context;

use crate::workspace;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let bin = workspace::release_server()?;
    let status = Command::new(&bin)
        .arg("seed")
        .args(args)
        .status()
        .with_context(|| format!("running {}", bin.display()))?;
    anyhow::ensure!(status.success(), "vestibule-server seed failed: {status}");
    Ok(())
}
