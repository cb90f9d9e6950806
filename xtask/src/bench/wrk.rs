//! `wrk` as the closed-loop load generator (C, event loop, a fraction of the CPU our reqwest
//! client needs per request, so that the server, not the generator, is what is measured). The
//! bench writes a Lua script per run into its temp dir: a check-in run sends
//! `POST /api/v1/kiosk/visits` with a kiosk's device token, the check-in body for that kiosk's
//! host and an `Idempotency-Key` unique per run, thread and request, cycling over the given
//! kiosks (one tenant's or a hundred tenants'); a no-op run sends `GET /healthz`. Every script
//! counts answers other than 2xx (a failed request is never counted as done) and prints one
//! `WRK-RESULT key=value ...` line from `done`, which [`run`] parses. wrk does not verify the
//! server's certificate; it only generates load. `-t 2`, one connection per client.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use super::cpu;
use crate::prereqs;

/// Installs Debian's `wrk` package when the command is missing.
pub fn ensure() -> anyhow::Result<()> {
    prereqs::command("wrk", "wrk", "the bench's load generator")
}

/// A kiosk the script sends check-ins as: its device token and the host id of its tenant.
#[derive(Debug, Clone)]
pub struct KioskTarget {
    pub device: String,
    pub host_id: String,
}

/// A Lua string literal of `s` (Lua 5.1 escapes).
fn lua_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// The part every script shares: threads numbered in `setup`, the `WRK-RESULT` line in `done`.
/// With `count_status`, `response` counts every answer outside 2xx; without it (the no-op run,
/// kept free of per-request Lua), wrk's own count of statuses above 399 is used.
fn common(count_status: bool) -> String {
    let response = if count_status {
        "function response(status, headers, body)\n  \
           if status < 200 or status > 299 then non2xx = non2xx + 1 end\nend\n"
    } else {
        ""
    };
    format!(
        r#"local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
non2xx = 0
{response}
function done(summary, latency, requests)
  local e = summary.errors
  local bad = e.status
  if {count_status} then
    bad = 0
    for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  end
  io.write(string.format(
    "WRK-RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99)), math.floor(latency.max)))
end
"#
    )
}

/// Writes the no-op script (`GET` of the URL given to wrk) as `dir/noop.lua`.
pub fn noop_script(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("noop.lua");
    std::fs::write(&path, common(false))?;
    Ok(path)
}

/// Writes a check-in script as `dir/<name>.lua`: each request as the next of `kiosks`, with
/// idempotency keys `<run>-<thread>-<n>`. `body` is the check-in body with `"HOST_ID"` where
/// the host id goes.
pub fn check_in_script(
    dir: &Path,
    name: &str,
    run: &str,
    body: &str,
    kiosks: &[KioskTarget],
) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(!kiosks.is_empty(), "no kiosk to send check-ins as");
    let (head, tail) = body
        .split_once("HOST_ID")
        .context("the body has no HOST_ID")?;
    let mut targets = String::new();
    for k in kiosks {
        targets.push_str(&format!(
            "  {{ auth = {}, body = {} }},\n",
            lua_str(&format!("Bearer {}", k.device)),
            lua_str(&format!("{head}{}{tail}", k.host_id)),
        ));
    }
    let script = format!(
        r#"-- cargo xtask bench: check-ins, one idempotency key per request
local targets = {{
{targets}}}
local run = {run}
local n = 0
function init(args)
  prefix = run .. "-" .. tostring(tid) .. "-"
end
function request()
  n = n + 1
  local t = targets[(n + tid) % #targets + 1]
  return wrk.format("POST", "/api/v1/kiosk/visits", {{
    ["Authorization"] = t.auth,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. n,
  }}, t.body)
end
{common}"#,
        run = lua_str(run),
        common = common(true),
    );
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, script)?;
    Ok(path)
}

/// What one wrk run measured, with how busy the machine (and the server) was meanwhile.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// 2xx answers.
    pub ok: u64,
    /// Answers outside 2xx plus connect, read, write errors and timeouts.
    pub failed: u64,
    pub secs: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub cpu_busy: f64,
    pub server_cpu: f64,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    pub fn json(&self) -> Value {
        json!({
            "rps": self.rps(), "ok": self.ok, "failed": self.failed, "secs": self.secs,
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms,
            "cpu_busy": self.cpu_busy, "server_cpu": self.server_cpu,
        })
    }
}

/// Runs wrk against `url` with `script` for `secs` seconds over `clients` connections.
pub async fn run(
    url: &str,
    script: &Path,
    clients: usize,
    secs: u64,
    server_pid: Option<u32>,
) -> anyhow::Result<Outcome> {
    let threads = clients.clamp(1, 2).to_string();
    let before = cpu::Snapshot::now(server_pid);
    let out = tokio::process::Command::new("wrk")
        .args(["-t", &threads, "-c", &clients.to_string()])
        .args(["-d", &format!("{secs}s"), "--timeout", "10s", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .await
        .context("running wrk")?;
    let after = cpu::Snapshot::now(server_pid);
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut o = parse(&stdout).with_context(|| format!("wrk printed no result: {stdout}"))?;
    o.cpu_busy = after.busy_since(&before);
    o.server_cpu = after.process_since(&before);
    Ok(o)
}

/// The `WRK-RESULT` line of wrk's output.
fn parse(stdout: &str) -> Option<Outcome> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("WRK-RESULT "))?;
    let get = |key: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    let (requests, non2xx) = (get("requests")?, get("non2xx")?);
    let errors = get("connect")? + get("read")? + get("write")? + get("timeout")?;
    Some(Outcome {
        ok: requests.saturating_sub(non2xx),
        failed: non2xx + errors,
        secs: get("duration_us")? as f64 / 1e6,
        p50_ms: get("p50_us")? as f64 / 1000.0,
        p99_ms: get("p99_us")? as f64 / 1000.0,
        max_ms: get("max_us")? as f64 / 1000.0,
        ..Outcome::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line() {
        let o = parse(
            "Running 5s test\nWRK-RESULT requests=1000 duration_us=5000000 non2xx=10 connect=0 \
             read=1 write=0 timeout=2 p50_us=1500 p99_us=9000 max_us=12000\n",
        )
        .expect("parsed");
        assert_eq!((o.ok, o.failed), (990, 13));
        assert!((o.rps() - 198.0).abs() < 1e-9);
        assert!((o.p99_ms - 9.0).abs() < 1e-9);
        assert_eq!(lua_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\010\"");
    }
}
