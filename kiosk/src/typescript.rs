//! The UI's TypeScript types of the commands' arguments, results and errors, generated from the
//! Rust types with ts-rs into `ui/kiosk/src/lib/generated/` (committed). The test regenerates
//! them into a temporary directory and fails when the committed ones differ, so a change on one
//! side cannot go unnoticed on the other. To regenerate after changing a type:
//! `VESTIBULE_UPDATE_TS=1 cargo test -p vestibule-kiosk --lib typescript`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use ts_rs::{Config, TS};
use vestibule_shared::dto::{
    badges::PrintOutcome,
    invites::InviteGreeting,
    kiosk::DirectoryEntry,
    passes::PassGreeting,
    visitor_types::{KioskVisitState, KioskVisitorType},
    visits::CheckedIn,
};

use crate::{
    contract::{
        CheckInArgs, CheckOutArgs, CorrectionArgs, EnrollArgs, ExpectedArrival, InviteArgs,
        InvitedArgs, KioskStatus, OfflineStatus, OnSiteVisit, OverrideLoginArgs, OverrideSession,
        PassArgs, SearchHostsArgs, VisitArgs, WaitingVisitor,
    },
    error::{CommandError, ErrorKind},
};

const REGENERATE: &str = "VESTIBULE_UPDATE_TS=1 cargo test -p vestibule-kiosk --lib typescript";

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/kiosk/src/lib/generated")
}

/// Writes every type the UI sees (and what they use) into `dir`.
fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir);
    let results = [
        KioskStatus::export_all(&cfg),
        EnrollArgs::export_all(&cfg),
        SearchHostsArgs::export_all(&cfg),
        DirectoryEntry::export_all(&cfg),
        CheckInArgs::export_all(&cfg),
        CheckedIn::export_all(&cfg),
        OfflineStatus::export_all(&cfg),
        WaitingVisitor::export_all(&cfg),
        InviteArgs::export_all(&cfg),
        InviteGreeting::export_all(&cfg),
        PassArgs::export_all(&cfg),
        PassGreeting::export_all(&cfg),
        CheckOutArgs::export_all(&cfg),
        OverrideLoginArgs::export_all(&cfg),
        OverrideSession::export_all(&cfg),
        OnSiteVisit::export_all(&cfg),
        ExpectedArrival::export_all(&cfg),
        InvitedArgs::export_all(&cfg),
        VisitArgs::export_all(&cfg),
        CorrectionArgs::export_all(&cfg),
        KioskVisitorType::export_all(&cfg),
        KioskVisitState::export_all(&cfg),
        PrintOutcome::export_all(&cfg),
        CommandError::export_all(&cfg),
        ErrorKind::export_all(&cfg),
    ];
    for r in results {
        r.expect("exporting a TypeScript binding");
    }
}

/// The `.ts` files of `dir` by name.
fn read_ts(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("a generated file"),
            )
        })
        .collect()
}

#[test]
fn the_committed_typescript_bindings_are_up_to_date() {
    let fresh_dir = tempfile::tempdir().expect("a temporary directory");
    export_all(fresh_dir.path());
    let fresh = read_ts(fresh_dir.path());
    assert!(
        fresh.contains_key("KioskStatus.ts") && fresh.contains_key("Language.ts"),
        "ts-rs wrote {:?}",
        fresh.keys()
    );
    let dir = committed_dir();
    if std::env::var_os("VESTIBULE_UPDATE_TS").is_some() {
        std::fs::create_dir_all(&dir).expect("the generated directory");
        for name in read_ts(&dir).keys().filter(|n| !fresh.contains_key(*n)) {
            std::fs::remove_file(dir.join(name)).expect("removing a stale binding");
        }
        for (name, text) in &fresh {
            std::fs::write(dir.join(name), text).expect("writing a binding");
        }
        return;
    }
    let committed = read_ts(&dir);
    let stale: Vec<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|n| fresh.get(*n) != committed.get(*n))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        stale.is_empty(),
        "the TypeScript bindings in {} are stale ({stale:?} differ from the Rust types); regenerate them with `{REGENERATE}` and commit them",
        dir.display()
    );
}
