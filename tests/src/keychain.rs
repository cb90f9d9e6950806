//! A private Secret Service for tests: a D-Bus session bus and `gnome-keyring-daemon` (unlocked
//! with a throwaway password), both keeping their files in a temporary directory and stopped on
//! drop. A process started with [`SecretService::env`] keeps its secrets in a real keychain
//! backend, never a mock.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    time::Duration,
};

pub struct SecretService {
    /// The session bus address (`DBUS_SESSION_BUS_ADDRESS`).
    pub address: String,
    bus: Child,
    keyring: Child,
    _dir: tempfile::TempDir,
}

/// A D-Bus daemon of the test's own (a session bus); its process and address.
pub fn private_bus() -> (Child, String) {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (Debian: dbus) must be installed; `cargo xtask test` installs it");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().expect("stdout"))
        .read_line(&mut address)
        .expect("bus address");
    (bus, address.trim().to_owned())
}

impl SecretService {
    /// Starts a session bus and an unlocked keyring on it; waits until the Secret Service answers.
    pub fn start() -> SecretService {
        let dir = tempfile::tempdir().expect("tempdir");
        let (bus, address) = private_bus();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("runtime dir");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (Debian: gnome-keyring) must be installed; `cargo xtask test` installs it");
        // The unlock password must not be empty, or no login collection is made.
        keyring
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"vestibule-test-keyring")
            .expect("unlock password");
        let service = SecretService {
            address,
            bus,
            keyring,
            _dir: dir,
        };
        // Polls (10 s at most) until the Secret Service answers on the bus.
        for _ in 0..100 {
            if service.answers() {
                return service;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the Secret Service did not come up on the test bus within 10 s");
    }

    fn answers(&self) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .args([
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
    }

    /// The environment a process needs to use this keychain.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.address.clone())]
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
