//! What the kiosk's processes hold in memory: the processes found by parentage (the kiosk this
//! test started, and its WebKit processes), their private pages read through `/proc/<pid>/mem`
//! and searched for needles in UTF-8 and UTF-16. Only the pages `/proc/<pid>/pagemap` says are
//! resident (or swapped out) are read, so the tens of gigabytes of address space WebKit reserves
//! and never touches cost nothing: a scan takes seconds, not minutes.

use std::{
    fs::File,
    os::unix::fs::FileExt,
    time::{Duration, Instant},
};

/// The page size of the machines the suite runs on (x86-64 Linux).
const PAGE: u64 = 4096;
/// How much of a region is searched at once.
const CHUNK: u64 = 4 << 20;

/// Which of `needles` occur in `hay`, in UTF-8 or in UTF-16 (little-endian).
pub fn found_in(hay: &[u8], needles: &[&str]) -> Vec<bool> {
    needles
        .iter()
        .map(|n| {
            let utf16: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
            !n.is_empty()
                && (memchr::memmem::find(hay, n.as_bytes()).is_some()
                    || memchr::memmem::find(hay, &utf16).is_some())
        })
        .collect()
}

/// The processes now running.
fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The parent of process `pid`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Whether process `pid` was started, at any depth, by process `ancestor`.
fn descends_from(mut pid: u32, ancestor: u32) -> bool {
    while let Some(parent) = parent_of(pid) {
        if parent == ancestor {
            return true;
        }
        if parent <= 1 {
            return false;
        }
        pid = parent;
    }
    false
}

/// The kiosk's Rust process (which also hosts WebKit's UI process): the one this test process
/// started, through tauri-driver and WebKitWebDriver, whose executable is `vestibule-kiosk`.
pub fn kiosk_pid() -> u32 {
    let me = std::process::id();
    let kiosks: Vec<u32> = pids()
        .into_iter()
        .filter(|&pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| {
                exe.to_string_lossy()
                    .trim_end_matches(" (deleted)")
                    .ends_with("vestibule-kiosk")
            }) && descends_from(pid, me)
        })
        .collect();
    assert_eq!(
        kiosks.len(),
        1,
        "one kiosk process of this test: {kiosks:?}"
    );
    kiosks[0]
}

/// The kiosk's WebKit processes (its web and network processes).
pub fn webkit_pids(kiosk: u32) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.starts_with("WebKit"))
                && descends_from(pid, kiosk)
        })
        .collect()
}

/// What a scan of processes' memory found.
pub struct MemoryScan {
    /// For each needle: where it was first found (a line of `/proc/<pid>/maps`), if anywhere.
    pub found: Vec<Option<String>>,
    /// How many bytes were read.
    pub bytes: u64,
    pub took: Duration,
}

impl MemoryScan {
    /// How many of the needles were found.
    pub fn count(&self) -> usize {
        self.found.iter().filter(|f| f.is_some()).count()
    }

    /// `needle in region` for each needle found.
    pub fn leaks(&self, needles: &[&str]) -> Vec<String> {
        needles
            .iter()
            .zip(&self.found)
            .filter_map(|(n, at)| at.as_ref().map(|at| format!("{n:?} in {at}")))
            .collect()
    }
}

/// Which of a process's private regions a scan reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Regions {
    /// All it may have written: anonymous ones, or written copies of a file (heaps, stacks, a
    /// file's data).
    All,
    /// Only glibc malloc's heaps, where the kiosk's Rust code allocates: the main one (`[heap]`)
    /// and the threads' arenas (anonymous mappings starting on a multiple of their 64 MiB).
    Malloc,
}

/// The size (and alignment) of a glibc arena's heap on 64-bit Linux.
const ARENA: u64 = 64 << 20;

/// The private regions of `which` kind in a process, as `(start, end, line of maps)`.
fn private_regions(pid: u32, which: Regions) -> Vec<(u64, u64, String)> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    maps.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (range, perms, inode) =
                (fields.first()?, fields.get(1)?.as_bytes(), fields.get(4)?);
            let readable_private = perms.first() == Some(&b'r') && perms.get(3) == Some(&b'p');
            let anonymous_or_written = *inode == "0" || perms.get(1) == Some(&b'w');
            let special = fields
                .get(5)
                .is_some_and(|p| ["[vvar]", "[vvar_vclock]", "[vsyscall]"].contains(p));
            if !readable_private || !anonymous_or_written || special {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            let start = u64::from_str_radix(a, 16).ok()?;
            let end = u64::from_str_radix(b, 16).ok()?;
            let malloc = match fields.get(5) {
                Some(path) => *path == "[heap]",
                None => *inode == "0" && start % ARENA == 0,
            };
            (which == Regions::All || malloc).then(|| (start, end, line.to_owned()))
        })
        .collect()
}

/// The runs of pages in `[start, end)` that are resident or swapped out, from the process's
/// page map (bit 63: present, bit 62: swapped).
fn resident_runs(pagemap: &File, start: u64, end: u64) -> Vec<(u64, u64)> {
    const BATCH: u64 = 1 << 15;
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut entries = vec![0u8; (BATCH * 8) as usize];
    let mut page = start / PAGE;
    while page < end / PAGE {
        let count = (end / PAGE - page).min(BATCH);
        let want = (count * 8) as usize;
        let Ok(n) = pagemap.read_at(&mut entries[..want], page * 8) else {
            break;
        };
        for (i, entry) in entries[..n].chunks_exact(8).enumerate() {
            let bits = u64::from_le_bytes(entry.try_into().unwrap_or([0; 8]));
            if bits & (0b11 << 62) == 0 {
                continue;
            }
            let at = (page + i as u64) * PAGE;
            match runs.last_mut() {
                Some((_, run_end)) if *run_end == at => *run_end += PAGE,
                _ => runs.push((at, at + PAGE)),
            }
        }
        if n < want {
            break;
        }
        page += count;
    }
    runs
}

/// Reads the resident memory of these processes' `which` regions and looks for `needles`; a page
/// that fails to read is skipped.
pub fn scan(pids: &[u32], which: Regions, needles: &[&str]) -> MemoryScan {
    let started = Instant::now();
    let overlap = needles.iter().map(|n| 2 * n.len()).max().unwrap_or(0);
    let mut scan = MemoryScan {
        found: vec![None; needles.len()],
        bytes: 0,
        took: Duration::ZERO,
    };
    let mut buf = vec![0u8; CHUNK as usize + overlap];
    for &pid in pids {
        let (Ok(mem), Ok(pagemap)) = (
            File::open(format!("/proc/{pid}/mem")),
            File::open(format!("/proc/{pid}/pagemap")),
        ) else {
            continue;
        };
        for (start, end, line) in private_regions(pid, which) {
            for (run_start, run_end) in resident_runs(&pagemap, start, end) {
                let (mut at, mut carried) = (run_start, 0usize);
                while at < run_end {
                    let want = (run_end - at).min(CHUNK) as usize;
                    let n = match mem.read_at(&mut buf[carried..carried + want], at) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let window = &buf[..carried + n];
                    for (i, hit) in found_in(window, needles).into_iter().enumerate() {
                        if hit && scan.found[i].is_none() {
                            scan.found[i] = Some(format!("process {pid}: {line}"));
                        }
                    }
                    scan.bytes += n as u64;
                    at += n as u64;
                    let keep = overlap.min(window.len());
                    let len = window.len();
                    buf.copy_within(len - keep..len, 0);
                    carried = keep;
                }
            }
        }
    }
    scan.took = started.elapsed();
    scan
}
