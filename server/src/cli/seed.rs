//! `vestibule-server seed`: made-up tenants and visits for benchmarks and demos (see
//! [`crate::seed`]). It prints each tenant's slug and id, one a line, then a summary line; the
//! seeded data is made up, never personal.

use clap::Args;

use super::{Storage, open_store};
use crate::seed::{SeedPlan, seed};

#[derive(Debug, Args)]
pub(super) struct Seed {
    #[command(flatten)]
    storage: Storage,
    /// Tenants to create.
    #[arg(long, default_value_t = 1)]
    tenants: usize,
    /// Visits of each tenant.
    #[arg(long, default_value_t = 1_000)]
    visits_per_tenant: u64,
    /// Days back the visits are spread over, today the last (at most 360: older visits would
    /// fall to the default retention of a year).
    #[arg(long, default_value_t = 300)]
    days: u32,
    /// Hosts of each tenant.
    #[arg(long, default_value_t = 20)]
    hosts: usize,
    /// The tenants' slugs are `<prefix>-00001`, `<prefix>-00002`, ...
    #[arg(long, default_value = "seed")]
    prefix: String,
}

pub(super) async fn run(args: Seed) -> anyhow::Result<()> {
    let plan = SeedPlan {
        tenants: args.tenants,
        visits_per_tenant: args.visits_per_tenant,
        days: args.days,
        hosts: args.hosts,
        prefix: args.prefix,
    };
    let store = open_store(&args.storage).await?;
    let seeded = seed(&store, &plan).await;
    store.close().await;
    let seeded = seeded?;
    for (slug, id) in &seeded.tenants {
        println!("{slug} {}", id.0);
    }
    let secs = seeded.took.as_secs_f64();
    let first = seeded.tenants.first().map_or("", |t| t.0.as_str());
    let last = seeded.tenants.last().map_or("", |t| t.0.as_str());
    println!(
        "seeded {} tenants ({first} to {last}) with {} visits ({} signed out in the evening, in {:.1} s) in {secs:.1} s: {:.0} visits/s",
        seeded.tenants.len(),
        seeded.visits,
        seeded.signed_out,
        seeded.signing_out.as_secs_f64(),
        seeded.visits as f64 / secs.max(1e-9)
    );
    Ok(())
}
