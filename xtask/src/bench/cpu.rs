//! How busy the machine was during a run: the aggregate `cpu` line of `/proc/stat` read before
//! and after, busy = 1 − (idle + iowait) / total of the differences. Everything on the machine
//! counts (the server, the load generator, the SMTP sink, the database, anything else running).
//! The server's own share comes from its `/proc/<pid>/stat` (user + system time), in the same
//! clock ticks, as a fraction of the whole machine (1.0 = every core).

/// The counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    total: u64,
    idle: u64,
    /// The server process's user + system ticks, if it was given and could be read.
    process: Option<u64>,
}

impl Snapshot {
    /// Reads the counters now; `pid` is the server's process, if its share is wanted.
    pub fn now(pid: Option<u32>) -> Snapshot {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let (total, idle) = stat
            .lines()
            .find(|l| l.starts_with("cpu "))
            .map_or((0, 0), parse_cpu_line);
        let process = pid.and_then(process_ticks);
        Snapshot {
            total,
            idle,
            process,
        }
    }

    /// Whether the process's time could be read (it is still running).
    pub fn has_process(&self) -> bool {
        self.process.is_some()
    }

    /// The machine's busy share since `before` (0.0 to 1.0; NaN if nothing could be read).
    pub fn busy_since(&self, before: &Snapshot) -> f64 {
        let total = self.total.saturating_sub(before.total);
        let idle = self.idle.saturating_sub(before.idle);
        if total == 0 {
            return f64::NAN;
        }
        1.0 - idle as f64 / total as f64
    }

    /// The server process's share of the whole machine since `before` (NaN if unknown).
    pub fn process_since(&self, before: &Snapshot) -> f64 {
        let total = self.total.saturating_sub(before.total);
        match (self.process, before.process) {
            (Some(after), Some(before)) if total > 0 => {
                after.saturating_sub(before) as f64 / total as f64
            }
            _ => f64::NAN,
        }
    }
}

/// `(total, idle + iowait)` of a `cpu ...` line: user nice system idle iowait irq softirq steal
/// (guest time is already inside user and nice, so it is not added again).
fn parse_cpu_line(line: &str) -> (u64, u64) {
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let total = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total, idle)
}

/// utime + stime (fields 14 and 15) of `/proc/<pid>/stat`; the command name in parentheses may
/// hold spaces, so fields are counted after its closing parenthesis.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share() {
        let (total, idle) = parse_cpu_line("cpu  100 0 50 800 50 0 0 0 0 0");
        assert_eq!((total, idle), (1000, 850));
        let before = Snapshot {
            total: 1000,
            idle: 850,
            process: Some(10),
        };
        let after = Snapshot {
            total: 2000,
            idle: 1100,
            process: Some(510),
        };
        assert!((after.busy_since(&before) - 0.75).abs() < 1e-9);
        assert!((after.process_since(&before) - 0.5).abs() < 1e-9);
        let own = process_ticks(std::process::id());
        assert!(own.is_some());
    }
}
