//! `cargo xtask dist`: what an operator installs. The release `vestibule-server` binary, the
//! kiosk's `.deb` (Tauri's own deb bundler, from the kiosk's npm workspace: no download at build
//! time), and with `--image` the server image (`deploy/container/Containerfile`) built with podman
//! on a `debian:bookworm-slim` base that [`base_image`] makes from Debian's packages when no such
//! image is here (no container registry is needed). Everything lands in `<target>/dist/`.
//! `cargo xtask test` packages its debug build the same way ([`for_tests`]) for the suite's
//! image, compose and package tests.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

use crate::workspace;

#[derive(Debug, clap::Args)]
pub struct DistOpts {
    /// Also build the server image with podman.
    #[arg(long)]
    image: bool,
}

/// Podman's settings on these machines: runc and cgroupfs (crun cannot raise the limits here),
/// a file event log, and the highest open-file limit these machines allow.
const CONTAINERS_CONF: &str = "\
[containers]
default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]
[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
";

/// The base the Containerfile names; users get the public image of that name.
const BASE: &str = "debian:bookworm-slim";

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed");
    }
    Ok(())
}

fn dist_dir() -> anyhow::Result<PathBuf> {
    let dir = workspace::target_dir()?.join("dist");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The containers.conf podman runs with (`CONTAINERS_CONF`), written to `<target>/dist/`.
pub fn containers_conf() -> anyhow::Result<PathBuf> {
    let path = dist_dir()?.join("containers.conf");
    std::fs::write(&path, CONTAINERS_CONF)?;
    Ok(path)
}

fn podman(conf: &Path) -> Command {
    let mut cmd = Command::new("podman");
    cmd.env("CONTAINERS_CONF", conf);
    cmd
}

/// Makes `debian:bookworm-slim` from Debian's packages when podman has no image of that name:
/// mmdebstrap's minbase with merged /usr and without documentation, as the public slim image is.
fn base_image(conf: &Path) -> anyhow::Result<()> {
    if podman(conf)
        .args(["image", "exists", BASE])
        .status()?
        .success()
    {
        return Ok(());
    }
    let tar = dist_dir()?.join("bookworm-slim.tar");
    let _ = std::fs::remove_file(&tar);
    let mut cmd = Command::new("mmdebstrap");
    cmd.args([
        "--variant=minbase",
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    ]);
    for rule in [
        "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/info/*",
        "path-exclude=/usr/share/doc/*",
        "path-include=/usr/share/doc/*/copyright",
        "path-exclude=/usr/share/locale/*",
        "path-exclude=/usr/share/lintian/*",
    ] {
        cmd.arg(format!("--dpkgopt={rule}"));
    }
    run(cmd.arg("bookworm").arg(&tar))?;
    run(podman(conf).arg("import").arg(&tar).arg(BASE))?;
    std::fs::remove_file(&tar)?;
    Ok(())
}

/// Builds the server image from `binary`, tagged `tag`; returns its size in bytes.
fn image(binary: &Path, tag: &str, conf: &Path) -> anyhow::Result<u64> {
    base_image(conf)?;
    let context = dist_dir()?.join("image-context");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context)?;
    std::fs::copy(binary, context.join("vestibule-server"))?;
    let containerfile = workspace::root().join("deploy/container/Containerfile");
    run(podman(conf)
        .args([
            "build",
            "--pull=never",
            "--format",
            "docker",
            "-t",
            tag,
            "-f",
        ])
        .arg(&containerfile)
        .arg(&context))?;
    std::fs::remove_dir_all(&context)?;
    let out = podman(conf)
        .args(["image", "inspect", "--format", "{{.Size}}", tag])
        .output()?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .context("the image's size")
}

/// Bundles the kiosk binary cargo built in `profile` (debug or release) as a .deb with Tauri's
/// bundler (the binary is packed as built: no patching); returns the package's path.
fn kiosk_deb(profile: &str) -> anyhow::Result<PathBuf> {
    let tauri = workspace::root().join("ui/node_modules/.bin/tauri");
    let mut cmd = Command::new(&tauri);
    cmd.args(["bundle", "--bundles", "deb", "--no-binary-patching"])
        .env("CI", "true")
        .current_dir(workspace::root().join("kiosk"));
    if profile == "debug" {
        cmd.arg("--debug");
    }
    run(&mut cmd)?;
    let dir = workspace::target_dir()?.join(profile).join("bundle/deb");
    let deb = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .with_context(|| format!("no .deb in {}", dir.display()))?;
    let out = dist_dir()?.join(format!(
        "vestibule-kiosk_{}_{profile}_amd64.deb",
        env!("CARGO_PKG_VERSION")
    ));
    std::fs::rename(&deb, &out)?;
    Ok(out)
}

/// `cargo xtask dist`.
pub fn run_dist(opts: &DistOpts) -> anyhow::Result<()> {
    workspace::cargo(
        &[
            "build",
            "--release",
            "-p",
            "vestibule-server",
            "-p",
            "vestibule-kiosk",
        ],
        &[],
    )?;
    let release = workspace::target_dir()?.join("release");
    let server = dist_dir()?.join("vestibule-server");
    std::fs::copy(release.join("vestibule-server"), &server)?;
    println!(
        "dist: {} ({} bytes)",
        server.display(),
        std::fs::metadata(&server)?.len()
    );
    let deb = kiosk_deb("release")?;
    println!(
        "dist: {} ({} bytes)",
        deb.display(),
        std::fs::metadata(&deb)?.len()
    );
    if opts.image {
        let conf = containers_conf()?;
        let tag = format!("localhost/vestibule-server:{}", env!("CARGO_PKG_VERSION"));
        let size = image(&server, &tag, &conf)?;
        println!("dist: image {tag} ({size} bytes)");
    }
    Ok(())
}

/// What the suite's packaging tests get from `cargo xtask test`, as environment variables: the
/// debug build's server image (`VESTIBULE_IMAGE`), its kiosk .deb (`VESTIBULE_KIOSK_DEB`), and
/// podman's settings (`CONTAINERS_CONF`).
pub fn for_tests(server: &Path) -> anyhow::Result<Vec<(&'static str, PathBuf)>> {
    let conf = containers_conf()?;
    let tag = "localhost/vestibule-server:test";
    image(server, tag, &conf)?;
    Ok(vec![
        ("VESTIBULE_IMAGE", PathBuf::from(tag)),
        ("VESTIBULE_KIOSK_DEB", kiosk_deb("debug")?),
        ("CONTAINERS_CONF", conf),
    ])
}
