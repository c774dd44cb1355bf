//! `edgemodule-bench`: one measurement per invocation, one JSON line on stdout.
//! `bench/measure.py` starts the servers, repeats runs and collects the lines.
//!
//! ```text
//! edgemodule-bench routed-hub  --port P --ca FILE --sender-cs CS --receiver-cs CS [routed opts]
//! edgemodule-bench routed-mqtt --port P [routed opts]        # plain broker, e.g. mosquitto
//!   routed opts: --messages N --size BYTES --window W --rate MSGS_PER_SEC --warmup N --timeout SECS
//! edgemodule-bench send --size BYTES --window W [--batch N] --warmup SECS --round SECS --rounds N
//!   [--logging none|subscriber|sink|count]                # see logging.rs
//! edgemodule-bench latency --rate MSGS_PER_SEC --messages N --warmup N --size BYTES
//! edgemodule-bench memory --idle SECS --messages N --size BYTES --window W
//! edgemodule-bench reconnect                                  # prints `ack <epoch ms>` lines
//! ```
//! The module commands (`send` … `reconnect`) use the Rust `ModuleClient` with the identity
//! in `$BENCH_ENV_DIR/sender.env` (and `receiver.env`).

mod cli;
mod latency;
mod logging;
mod memory;
mod module;
mod peer;
mod reconnect;
mod routed;
mod send;
mod stats;

use cli::Args;
use serde_json::json;

async fn routed(a: &Args) -> Result<serde_json::Value, String> {
    let params = routed::RunParams {
        messages: a.num("messages", 20_000)?,
        size: a.num("size", 256)?,
        window: a.num("window", 500)?,
        rate: a.opt_num("rate")?,
        warmup: a.num("warmup", 0)?,
        timeout: a.secs("timeout", 120.0)?,
    };
    let port: u16 = a.num("port", 0)?;
    let (sender, receiver) = if a.command == "routed-hub" {
        let ca = std::fs::read(a.need("ca")?).map_err(|e| format!("--ca: {e}"))?;
        (
            peer::hub_module(a.need("sender-cs")?, port, &ca, "out1")?,
            peer::hub_module(a.need("receiver-cs")?, port, &ca, "out1")?,
        )
    } else {
        (
            peer::plain("bench-sender", port, "bench/routed"),
            peer::plain("bench-receiver", port, "bench/routed"),
        )
    };
    let r = routed::run(sender, receiver, &params).await?;
    Ok(json!({
        "messages": params.messages, "size": params.size, "window": params.window,
        "rate": params.rate, "delivered": r.delivered, "msgs_per_sec": r.msgs_per_sec,
        "p50_us": r.latency.p50_us, "p99_us": r.latency.p99_us, "p999_us": r.latency.p999_us,
    }))
}

async fn send(a: &Args) -> Result<serde_json::Value, String> {
    let shape = send::Shape {
        output: a.get_or("output", "upstream").to_string(),
        size: a.num("size", 256)?,
        window: a.num("window", 100)?,
        batch: a.num("batch", 1)?,
    };
    let logging = a.get_or("logging", "none").to_string();
    let received = logging::install(&logging)?;
    let client = module::connect("sender", shape.in_flight()).await?;
    let records_before = received.get();
    let m = send::rounds(
        &client,
        &shape,
        a.secs("warmup", 1.0)?,
        a.secs("round", 1.0)?,
        a.num("rounds", 5)?,
    )
    .await?;
    let records_per_msg = (received.get() - records_before) as f64 / m.all_messages.max(1) as f64;
    client.close().await.map_err(|e| e.to_string())?;
    let cpu_us_per_msg = m
        .cpu_secs
        .filter(|_| m.messages > 0)
        .map(|s| s * 1e6 / m.messages as f64);
    Ok(json!({
        "rounds": m.rates, "logging": logging, "log_records": received.get(),
        "log_records_per_msg": records_per_msg,
        "messages": m.messages, "cpu_secs": m.cpu_secs, "cpu_us_per_msg": cpu_us_per_msg,
        "disabled_statement_ns": logging::disabled_statement_ns(),
    }))
}

async fn latency(a: &Args) -> Result<serde_json::Value, String> {
    let plan = latency::Plan {
        rate: a.num("rate", 500)?,
        messages: a.num("messages", 2000)?,
        warmup: a.num("warmup", 200)?,
        size: a.num("size", 256)?,
        timeout: a.secs("timeout", 60.0)?,
    };
    let o = latency::run(&plan).await?;
    let l = o.latency;
    Ok(
        json!({ "p50_us": l.p50_us, "p99_us": l.p99_us, "p999_us": l.p999_us,
               "samples": plan.messages, "msgs_per_sec": o.msgs_per_sec }),
    )
}

async fn main_result() -> Result<(), String> {
    let a = Args::from_env();
    let out = match a.command.as_str() {
        "routed-hub" | "routed-mqtt" => routed(&a).await?,
        "send" => send(&a).await?,
        "latency" => latency(&a).await?,
        "memory" => {
            let idle = a.secs("idle", 2.0)?;
            memory::run(
                idle,
                a.num("messages", 100_000)?,
                a.num("size", 256)?,
                a.num("window", 100)?,
            )
            .await?
        }
        "reconnect" => return reconnect::run().await,
        other => {
            return Err(format!(
                "unknown command {other:?}; see the source header for usage"
            ))
        }
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
