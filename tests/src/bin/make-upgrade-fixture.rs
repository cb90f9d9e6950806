//! `cargo run -p vestibule-tests --bin make-upgrade-fixture` writes the upgrade fixture of this
//! version (`tests/fixtures/upgrade/<version>/`) with the server `VESTIBULE_SERVER_BIN` names (the
//! release build, when a version is released), on both engines. A version's fixture is never
//! rewritten: it is what that version left behind.

use vestibule_tests::{Engine, upgrade};

#[tokio::main]
async fn main() {
    let dir = upgrade::root().join(env!("CARGO_PKG_VERSION"));
    assert!(
        !dir.exists(),
        "{} exists: a version's fixture is never rewritten",
        dir.display()
    );
    std::fs::create_dir_all(&dir).expect("create the fixture dir");
    for engine in [Engine::Sqlite, Engine::Postgres] {
        upgrade::make(engine, &dir).await;
    }
    println!("wrote {}", dir.display());
}
