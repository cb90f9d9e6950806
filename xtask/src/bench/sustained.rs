//! Sustained throughput: check-ins per second counted until their emails are out. A wrk
//! check-in run (no warm-up, so that every row it leaves is counted), then `/metrics` polled
//! every 100 ms until `vestibule_outbox_depth` (emails due and not yet sent or given up) is 0
//! and the check-in counter has settled; sustained = check-ins / (run seconds + drain seconds).
//! Without SMTP settings the tenant's check-ins write no outbox row, so the drain is immediate
//! and the figure is the peak's; with them, the emails go to the bench's SMTP sink, whose
//! message count is reported beside the server's own check-in counter (fewer emails than
//! check-ins: some were deferred or given up, not sent; up to one more per connection: requests
//! in flight when wrk stopped, written but answered to no one) and the sink's count of repeated
//! Message-IDs (emails sent twice). A drain that outlasts the timeout is reported as such.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::{cpu, server::BenchServer, smtp_sink::SmtpSink, wrk};

/// How the outbox emptied after a run.
#[derive(Debug, Clone)]
pub struct Drain {
    pub drained: bool,
    pub secs: f64,
    /// The depth at the last poll.
    pub left: f64,
    /// The machine's busy share meanwhile, the server's, and the bench's own (the SMTP sink and
    /// the polling), each as a share of the whole machine.
    pub cpu_busy: f64,
    pub server_cpu: f64,
    pub bench_cpu: f64,
    /// The server's check-in counter at the end.
    pub check_ins: f64,
}

/// A metric's value in Prometheus text: the first sample named exactly `name`.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?;
        let value = match rest.chars().next()? {
            ' ' => rest,
            '{' => &rest[rest.find('}')? + 1..],
            _ => return None,
        };
        value.split_whitespace().next()?.parse().ok()
    })
}

/// How much the sample `name` grew between two scrapes of `/metrics`.
pub fn grew(before: &str, after: &str, name: &str) -> Option<f64> {
    Some(metric(after, name)? - metric(before, name)?)
}

/// Polls `/metrics` until the outbox depth is 0 and the check-in counter has stopped moving
/// (requests still in flight when wrk stopped have been written), or `timeout` has passed.
pub async fn drain(
    server: &BenchServer,
    op: &str,
    timeout: Duration,
    pid: Option<u32>,
) -> anyhow::Result<Drain> {
    let started = Instant::now();
    let before = cpu::Snapshot::now(pid);
    let own_before = cpu::Snapshot::now(Some(std::process::id()));
    let mut last = f64::NAN;
    loop {
        let text = server.metrics(op).await?;
        let depth = metric(&text, "vestibule_outbox_depth")
            .context("no vestibule_outbox_depth in /metrics")?;
        let check_ins = metric(&text, CHECK_INS).context("no check-in counter in /metrics")?;
        let done = depth == 0.0 && check_ins == last;
        last = check_ins;
        if done || started.elapsed() >= timeout {
            let after = cpu::Snapshot::now(pid);
            let own = cpu::Snapshot::now(Some(std::process::id()));
            return Ok(Drain {
                drained: done,
                secs: started.elapsed().as_secs_f64(),
                left: depth,
                cpu_busy: after.busy_since(&before),
                server_cpu: after.process_since(&before),
                bench_cpu: own.process_since(&own_before),
                check_ins,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The server's counter of check-ins (replays not counted).
const CHECK_INS: &str = "vestibule_check_ins_total";

/// One sustained run with `script`; `sink` is the SMTP sink the tenant's emails go to, if any.
pub async fn run(
    server: &BenchServer,
    op: &str,
    script: &std::path::Path,
    clients: usize,
    secs: u64,
    timeout: Duration,
    sink: Option<&SmtpSink>,
) -> anyhow::Result<Value> {
    let pid = Some(server.pid());
    let url = format!("{}/api/v1/kiosk/visits", server.base);
    let sent_before = sink.map(|s| (s.messages(), s.repeats()));
    let counted_before =
        metric(&server.metrics(op).await?, CHECK_INS).context("no check-in counter in /metrics")?;
    let load = wrk::run(&url, script, clients, secs, pid).await?;
    let d = drain(server, op, timeout, pid).await?;
    let counted = d.check_ins - counted_before;
    let (sent, repeats) = match (sink, sent_before) {
        (Some(s), Some((m, r))) => (Some(s.messages() - m), Some(s.repeats() - r)),
        _ => (None, None),
    };
    let rps = load.ok as f64 / (load.secs + d.secs);
    let drain_note = if d.drained {
        format!("drained in {:.1} s", d.secs)
    } else {
        format!("NOT drained after {:.0} s ({} left)", d.secs, d.left)
    };
    let what = if sink.is_some() { "SMTP" } else { "no SMTP" };
    println!(
        "  sustained, {what:<8} {rps:>8.0} /s  ({} check-ins, {} failed, {drain_note}; CPU busy {:.0}% in the run)",
        load.ok,
        load.failed,
        load.cpu_busy * 100.0,
    );
    if let (Some(n), Some(r)) = (sent, repeats) {
        println!(
            "    {n} emails at the sink ({r} with a Message-ID seen before), {counted} check-ins by the server's count; in the drain CPU busy {:.0}%, of it the server {:.0}%, the sink {:.0}%",
            d.cpu_busy * 100.0,
            d.server_cpu * 100.0,
            d.bench_cpu * 100.0
        );
    }
    if let Some(n) = sent {
        let extra = n as f64 - counted;
        if extra < 0.0 {
            println!(
                "    note: fewer emails than check-ins: some were deferred or given up (see the server log)"
            );
        } else if extra > clients as f64 {
            println!("    note: more emails than check-ins and requests in flight can explain");
        } else if extra > 0.0 {
            println!(
                "    ({extra} more emails than counted check-ins: likely requests in flight when wrk stopped, written but answered to no one)"
            );
        }
    }
    Ok(json!({
        "load": load.json(),
        "drained": d.drained,
        "drain": {
            "secs": d.secs, "outbox_left": d.left, "cpu_busy": d.cpu_busy,
            "server_cpu": d.server_cpu, "bench_cpu": d.bench_cpu,
        },
        "server_counted_check_ins": counted,
        "emails_at_sink": sent,
        "emails_sent_twice": repeats,
        "sustained_rps": rps,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_lines() {
        let text = "# HELP vestibule_outbox_depth x\n# TYPE vestibule_outbox_depth gauge\n\
                    vestibule_outbox_depth_x 9\nvestibule_outbox_depth 12\n\
                    vestibule_http_requests_total{route=\"/healthz\"} 5\n";
        assert_eq!(metric(text, "vestibule_outbox_depth"), Some(12.0));
        assert_eq!(metric(text, "vestibule_http_requests_total"), Some(5.0));
        assert_eq!(metric(text, "vestibule_missing"), None);
    }
}
