//! `edgemodule-bench`: one measurement per invocation, one JSON line on stdout.
//! `bench/run.sh` starts the servers, repeats runs and writes `docs/benchmarks.md`.
//!
//! ```text
//! edgemodule-bench routed-hub  --port P --ca FILE --sender-cs CS --receiver-cs CS [opts]
//! edgemodule-bench routed-mqtt --port P [opts]          # plain broker, e.g. mosquitto
//! edgemodule-bench client-send --port P --ca FILE --cs CS [opts]   # Rust ModuleClient
//! edgemodule-bench client-idle --port P --ca FILE --cs CS          # idle RSS delta
//! opts: --messages N --size BYTES --window W --rate MSGS_PER_SEC --timeout SECS
//! ```

mod client;
mod peer;
mod routed;
mod stats;

use std::collections::HashMap;
use std::time::Duration;

fn args() -> (String, HashMap<String, String>) {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().unwrap_or_default();
    let mut map = HashMap::new();
    while let Some(k) = it.next() {
        if let Some(name) = k.strip_prefix("--") {
            map.insert(name.to_string(), it.next().unwrap_or_default());
        }
    }
    (cmd, map)
}

fn num<T: std::str::FromStr>(
    m: &HashMap<String, String>,
    k: &str,
    default: T,
) -> Result<T, String> {
    match m.get(k) {
        Some(v) => v.parse().map_err(|_| format!("--{k}: not a number: {v}")),
        None => Ok(default),
    }
}

fn need<'a>(m: &'a HashMap<String, String>, k: &str) -> Result<&'a str, String> {
    m.get(k)
        .map(String::as_str)
        .ok_or(format!("--{k} is required"))
}

async fn main_result() -> Result<(), String> {
    let (cmd, m) = args();
    let params = routed::RunParams {
        messages: num(&m, "messages", 20_000)?,
        size: num(&m, "size", 256)?,
        window: num(&m, "window", 500)?,
        rate: m
            .get("rate")
            .map(|r| r.parse())
            .transpose()
            .map_err(|_| "--rate: not a number".to_string())?,
        timeout: Duration::from_secs(num(&m, "timeout", 120)?),
    };
    let port: u16 = num(&m, "port", 0)?;
    if cmd.starts_with("client-") {
        return client_command(&cmd, &m, port, &params).await;
    }
    let (sender, receiver) = match cmd.as_str() {
        "routed-hub" => {
            let ca = std::fs::read(need(&m, "ca")?).map_err(|e| format!("--ca: {e}"))?;
            (
                peer::hub_module(need(&m, "sender-cs")?, port, &ca, "out1")?,
                peer::hub_module(need(&m, "receiver-cs")?, port, &ca, "out1")?,
            )
        }
        "routed-mqtt" => (
            peer::plain("bench-sender", port, "bench/routed"),
            peer::plain("bench-receiver", port, "bench/routed"),
        ),
        other => {
            return Err(format!(
                "unknown command {other:?}; see the source header for usage"
            ))
        }
    };
    let r = routed::run(sender, receiver, &params).await?;
    let out = serde_json::json!({
        "command": cmd,
        "messages": params.messages,
        "size": params.size,
        "window": params.window,
        "rate": params.rate,
        "delivered": r.delivered,
        "msgs_per_sec": r.msgs_per_sec,
        "p50_us": r.latency.p50_us,
        "p99_us": r.latency.p99_us,
        "p999_us": r.latency.p999_us,
    });
    println!("{out}");
    Ok(())
}

async fn client_command(
    cmd: &str,
    m: &HashMap<String, String>,
    port: u16,
    p: &routed::RunParams,
) -> Result<(), String> {
    let ca = std::fs::read_to_string(need(m, "ca")?).map_err(|e| format!("--ca: {e}"))?;
    let cs = need(m, "cs")?;
    let out = if cmd == "client-send" {
        let output = m.get("output").map(String::as_str).unwrap_or("upstream");
        let r = client::send(cs, &ca, port, output, p.messages, p.size, p.window).await?;
        serde_json::json!({
            "command": cmd, "messages": p.messages, "size": p.size, "window": p.window,
            "delivered": r.sent, "msgs_per_sec": r.msgs_per_sec,
            "p50_us": r.latency.p50_us, "p99_us": r.latency.p99_us, "p999_us": r.latency.p999_us,
        })
    } else if cmd == "client-idle" {
        let (bare, connected) = client::idle_rss(cs, &ca, port, Duration::from_secs(3)).await?;
        serde_json::json!({
            "command": cmd, "bare_rss_kib": bare, "connected_rss_kib": connected,
            "idle_rss_delta_kib": connected.saturating_sub(bare),
        })
    } else {
        return Err(format!("unknown command {cmd:?}"));
    };
    println!("{out}");
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match main_result().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgemodule-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
