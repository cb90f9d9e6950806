//! `vestibule-server keys status | rotate-dek | rotate-kek`: key management on a live database.
//! Servers keep serving during both rotations: they write under a new data key as soon as its
//! version commits, and read a rotated master key from their key source when the database names it.
//! On PostgreSQL these commands run as the database URL's user (the schema owner), not as the
//! server's app role: they list every tenant and rewrite the master-key record.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Storage, create_data_dir};
use crate::{
    ids::TenantId,
    store::{RekeyCursor, Store},
};

#[derive(Debug, Subcommand)]
pub enum Keys {
    /// Per tenant: the current and oldest data-key version, the KEK id, and how many sealed values
    /// each version protects.
    Status(Storage),
    /// Give tenants a new data key, re-seal their old values under it in batches, then destroy the
    /// old key. Run it again to resume an interrupted rotation.
    RotateDek(RotateDek),
    /// Rewrap every tenant's keys under a new master key (KEK), written to the key source's next
    /// slot first and then promoted over the old one.
    RotateKek(Storage),
}

#[derive(Debug, Args)]
pub struct RotateDek {
    #[command(flatten)]
    storage: Storage,
    /// The tenant (slug) to rotate.
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    tenant: Option<String>,
    /// Rotate every tenant.
    #[arg(long)]
    all: bool,
    /// Rows re-sealed per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    batch_size: u32,
    /// A pause between batches, in milliseconds, to go easy on a busy database.
    #[arg(long, default_value_t = 0)]
    pause_ms: u64,
}

pub async fn run(command: Keys) -> anyhow::Result<()> {
    match command {
        Keys::Status(storage) => status(&open_owner(&storage).await?).await,
        Keys::RotateDek(args) => rotate_dek(args).await,
        Keys::RotateKek(storage) => rotate_kek(storage).await,
    }
}

/// Opens the store as the schema owner (see the module's header).
async fn open_owner(s: &Storage) -> anyhow::Result<Store> {
    create_data_dir(&s.data_dir)?;
    Store::open_as_owner(s.database_url.as_deref(), &s.data_dir, &s.key_source())
        .await
        .context("opening the database")
}

async fn status(store: &Store) -> anyhow::Result<()> {
    for s in store.key_status().await? {
        let values: Vec<String> = s.values.iter().map(|(v, n)| format!("v{v}={n}")).collect();
        println!(
            "{}: key_version={} min_decryption_version={} kek={} values {}",
            s.slug,
            s.current,
            s.min_decryption,
            s.kek_id,
            if values.is_empty() {
                "none".to_owned()
            } else {
                values.join(" ")
            }
        );
    }
    store.close().await;
    Ok(())
}

async fn rotate_dek(args: RotateDek) -> anyhow::Result<()> {
    let store = open_owner(&args.storage).await?;
    let tenants: Vec<(TenantId, String)> = store
        .tenant_ids()
        .await?
        .into_iter()
        .filter(|(_, slug)| args.all || args.tenant.as_deref() == Some(slug.as_str()))
        .collect();
    if tenants.is_empty() {
        bail!("no tenant {}", args.tenant.as_deref().unwrap_or_default());
    }
    for (tenant, slug) in tenants {
        let started = Instant::now();
        let (version, fresh) = store
            .start_dek_rotation(tenant)
            .await
            .with_context(|| format!("starting the rotation of {slug}"))?;
        println!(
            "{slug}: {} key version {version}",
            if fresh {
                "new"
            } else {
                "resuming the rotation to"
            }
        );
        let bar = ProgressBar::new(store.sealed_rows(tenant).await?).with_message(slug.clone());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows, {eta} left")
                .context("progress template")?,
        );
        let (mut cursor, mut resealed) = (RekeyCursor::default(), 0);
        while !cursor.done() {
            let batch = store
                .reencrypt_batch(tenant, &mut cursor, args.batch_size)
                .await?;
            bar.inc(batch.scanned);
            resealed += batch.resealed;
            if args.pause_ms > 0 {
                tokio::time::sleep(Duration::from_millis(args.pause_ms)).await;
            }
        }
        bar.finish_and_clear();
        let left = store.finish_dek_rotation(tenant).await?;
        if left > 0 {
            bail!(
                "{slug}: {left} values are still sealed under an older key; run rotate-dek again"
            );
        }
        println!(
            "{slug}: re-sealed {resealed} rows under key version {version} in {:.2} s; older data keys destroyed",
            started.elapsed().as_secs_f64()
        );
    }
    store.close().await;
    Ok(())
}

async fn rotate_kek(storage: Storage) -> anyhow::Result<()> {
    let store = open_owner(&storage).await?;
    let source = storage.key_source();
    let next = source.next();
    let new = tokio::task::spawn_blocking(move || match next.load()? {
        Some(kek) => Ok(kek),
        None => next.create(),
    })
    .await??;
    let rewrapped = store.rotate_kek(&new).await?;
    store.close().await;
    let note = tokio::task::spawn_blocking(move || source.promote_next()).await??;
    println!(
        "rewrapped {rewrapped} keys under the new master key (id {}); the old master key is no longer needed",
        new.id
    );
    if let Some(note) = note {
        println!("{note}");
    }
    Ok(())
}
