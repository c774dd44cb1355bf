//! `stats`: the hub's key figures, live, from its metrics endpoint (no token needed): messages
//! in and out per second (per module too), queue lengths per endpoint, connected modules.
//! `--once` prints one report and exits; `--json` prints JSON for scripts and tests.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::HOST;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

use super::args::StatsArgs;
use super::client::CliError;
use crate::metrics::names;
use crate::metrics::text::{self, Exposition};

/// How long connecting to, and reading from, the metrics endpoint may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One reading of the counters `stats` reports.
#[derive(Debug, Clone, Default, PartialEq)]
struct Reading {
    instance: String,
    device: String,
    received: BTreeMap<String, f64>,
    sent: BTreeMap<String, f64>,
    queues: BTreeMap<String, f64>,
    modules: Vec<ModuleReading>,
    dropped: f64,
    unacknowledged: f64,
    twin_gets: f64,
    reported_properties: f64,
    direct_methods: f64,
    connect_failed: f64,
    connected_clients: f64,
    store_size_bytes: f64,
    user_topic_drops: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ModuleReading {
    module: String,
    connected: bool,
    connections: f64,
    redeliveries: f64,
    in_flight: f64,
}

/// A count and its rate over the last interval.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rated {
    /// Cumulative since the hub started.
    pub total: u64,
    /// Per second over the last interval.
    pub per_sec: f64,
}

/// A module's line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModuleFigures {
    /// Module id.
    pub module: String,
    /// Has an open MQTT connection.
    pub connected: bool,
    /// Accepted CONNECTs since the hub started.
    pub connections: u64,
    /// Telemetry messages it sent to the hub.
    pub received: Rated,
    /// Messages the hub sent to its inputs.
    pub sent: Rated,
    /// Input messages sent and not acknowledged yet.
    pub in_flight: u64,
    /// Input messages sent again with DUP=1.
    pub redeliveries: u64,
}

/// What `stats` prints (the JSON form, field for field).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Where the figures were read.
    pub metrics: String,
    /// The edge device.
    pub device: String,
    /// Seconds between the two readings the rates come from.
    pub interval_secs: f64,
    /// `edgehub_messages_received_total`, all modules.
    pub received: Rated,
    /// `edgehub_messages_sent_total`, all destinations (modules and `upstream`).
    pub sent: Rated,
    /// `edgehub_messages_sent_total` by destination (`{device}/{module}` or `upstream`).
    pub sent_by_destination: BTreeMap<String, Rated>,
    /// `edgehub_messages_dropped_total`, all reasons.
    pub dropped: u64,
    /// `edgehub_messages_unack_total`.
    pub unacknowledged: u64,
    /// `edgehub_queue_length` summed over priorities, by endpoint.
    pub queues: BTreeMap<String, u64>,
    /// Per module.
    pub modules: Vec<ModuleFigures>,
    /// `edgehub_connected_clients`.
    pub connected_clients: u64,
    /// `edgehub_gettwin_total`.
    pub twin_gets: u64,
    /// `edgehub_reported_properties_total`.
    pub reported_properties: u64,
    /// `edgehub_direct_methods_total`.
    pub direct_methods: u64,
    /// `edgehub_client_connect_failed_total`.
    pub connect_failed: u64,
    /// `edgemodule_hub_store_size_bytes`.
    pub store_size_bytes: u64,
    /// `edgemodule_hub_user_topic_drops_total`.
    pub user_topic_drops: u64,
}

/// Runs `stats`.
pub async fn stats(args: StatsArgs) -> Result<(), CliError> {
    let interval = Duration::try_from_secs_f64(args.interval)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            CliError(format!(
                "--interval {}: not a positive number of seconds",
                args.interval
            ))
        })?;
    let mut previous = read(&args.addr).await?;
    let mut out = std::io::stdout();
    let live = !args.once && !args.json && out.is_terminal();
    loop {
        tokio::time::sleep(interval).await;
        let current = read(&args.addr).await?;
        let report = report(&args.addr, &previous, &current);
        let text = if args.json {
            let mut line = serde_json::to_string(&report)
                .map_err(|e| CliError(format!("cannot encode the report: {e}")))?;
            line.push('\n');
            line
        } else {
            table(&report, interval)
        };
        // Clear the screen between live tables; pipes get one table after another.
        let clear = if live { "\x1b[2J\x1b[H" } else { "" };
        if write!(out, "{clear}{text}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(()); // stdout closed (e.g. `| head`): done.
        }
        if args.once {
            return Ok(());
        }
        previous = current;
    }
}

/// A reading with when it was taken.
struct Timed {
    at: Instant,
    reading: Reading,
}

async fn read(addr: &str) -> Result<Timed, CliError> {
    let text = fetch(addr).await?;
    let at = Instant::now();
    let exposition = text::parse(&text)
        .map_err(|e| CliError(format!("{addr}/metrics is not Prometheus text: {e}")))?;
    Ok(Timed {
        at,
        reading: reading(&exposition),
    })
}

async fn fetch(addr: &str) -> Result<String, CliError> {
    let unreachable = |e: &dyn std::fmt::Display| {
        CliError(format!(
            "cannot read the hub's metrics at {addr}: is `edgemodule-hub serve` running, with metrics on this address (its ready line's metrics=)? ({e})"
        ))
    };
    let exchange = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| unreachable(&e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let request = Request::builder()
            .uri("/metrics")
            .header(HOST, addr)
            .body(Empty::<Bytes>::new())
            .map_err(|e| CliError(format!("cannot build the request: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| unreachable(&e))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable(&e))?
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(CliError(format!(
                "{addr}/metrics answered {}: {}",
                status.as_u16(),
                body.trim()
            )));
        }
        Ok(body)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| unreachable(&"no answer within 5 s"))?
}

fn reading(e: &Exposition) -> Reading {
    let by = |name: &str, label: &str| -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for s in e.samples(name) {
            *out.entry(s.label(label).unwrap_or("").to_string())
                .or_insert(0.0) += s.value;
        }
        out
    };
    let first_label = |label: &str| {
        e.families
            .iter()
            .flat_map(|f| f.samples.iter())
            .find_map(|s| s.label(label).map(str::to_string))
            .unwrap_or_default()
    };
    let per_module = |name: &str| by(name, "module");
    let connected = per_module(names::MODULE_CONNECTED.name);
    let connections = per_module(names::MODULE_CONNECTIONS.name);
    let redeliveries = per_module(names::MODULE_REDELIVERIES.name);
    let in_flight = per_module(names::MODULE_IN_FLIGHT.name);
    let total = |name: &str| e.sum(name, &[]);
    Reading {
        instance: first_label(names::INSTANCE_NUMBER),
        device: first_label(names::EDGE_DEVICE),
        received: by(names::MESSAGES_RECEIVED.name, "id"),
        sent: by(names::MESSAGES_SENT.name, "to"),
        queues: by(names::QUEUE_LENGTH.name, "endpoint"),
        modules: connected
            .iter()
            .map(|(module, up)| ModuleReading {
                module: module.clone(),
                connected: *up >= 1.0,
                connections: connections.get(module).copied().unwrap_or(0.0),
                redeliveries: redeliveries.get(module).copied().unwrap_or(0.0),
                in_flight: in_flight.get(module).copied().unwrap_or(0.0),
            })
            .collect(),
        dropped: total(names::MESSAGES_DROPPED.name),
        unacknowledged: total(names::MESSAGES_UNACK.name),
        twin_gets: total(names::GET_TWIN.name),
        reported_properties: total(names::REPORTED_PROPERTIES.name),
        direct_methods: total(names::DIRECT_METHODS.name),
        connect_failed: total(names::CLIENT_CONNECT_FAILED.name),
        connected_clients: total(names::CONNECTED_CLIENTS.name),
        store_size_bytes: total(names::STORE_SIZE.name),
        user_topic_drops: total(names::USER_TOPIC_DROPS.name),
    }
}

fn report(addr: &str, previous: &Timed, current: &Timed) -> Report {
    let secs = current.at.duration_since(previous.at).as_secs_f64();
    // A restarted hub starts its counters again: rate from zero.
    let restarted = previous.reading.instance != current.reading.instance;
    let empty = BTreeMap::new();
    let before = |key: &str, prev: &BTreeMap<String, f64>| prev.get(key).copied().unwrap_or(0.0);
    let rated = |now: f64, then: f64| Rated {
        total: now.max(0.0) as u64,
        per_sec: if secs > 0.0 {
            ((now - then).max(0.0) / secs * 10.0).round() / 10.0
        } else {
            0.0
        },
    };
    let (cur, prev) = (&current.reading, &previous.reading);
    let sum = |m: &BTreeMap<String, f64>| m.values().sum::<f64>();
    let prev_received = if restarted { &empty } else { &prev.received };
    let prev_sent = if restarted { &empty } else { &prev.sent };
    let device = cur.device.clone();
    let modules = cur
        .modules
        .iter()
        .map(|m| {
            let id = format!("{device}/{}", m.module);
            let received = cur.received.get(&id).copied().unwrap_or(0.0);
            let sent = cur.sent.get(&id).copied().unwrap_or(0.0);
            ModuleFigures {
                module: m.module.clone(),
                connected: m.connected,
                connections: m.connections as u64,
                received: rated(received, before(&id, prev_received)),
                sent: rated(sent, before(&id, prev_sent)),
                in_flight: m.in_flight as u64,
                redeliveries: m.redeliveries as u64,
            }
        })
        .collect();
    Report {
        metrics: addr.to_string(),
        device,
        interval_secs: (secs * 1000.0).round() / 1000.0,
        received: rated(sum(&cur.received), sum(prev_received)),
        sent: rated(sum(&cur.sent), sum(prev_sent)),
        sent_by_destination: cur
            .sent
            .iter()
            .map(|(to, v)| (to.clone(), rated(*v, before(to, prev_sent))))
            .collect(),
        dropped: cur.dropped as u64,
        unacknowledged: cur.unacknowledged as u64,
        queues: cur
            .queues
            .iter()
            .map(|(k, v)| (k.clone(), v.max(0.0) as u64))
            .collect(),
        modules,
        connected_clients: cur.connected_clients as u64,
        twin_gets: cur.twin_gets as u64,
        reported_properties: cur.reported_properties as u64,
        direct_methods: cur.direct_methods as u64,
        connect_failed: cur.connect_failed as u64,
        store_size_bytes: cur.store_size_bytes as u64,
        user_topic_drops: cur.user_topic_drops as u64,
    }
}

fn table(r: &Report, interval: Duration) -> String {
    let mut s = String::new();
    let mut line = |text: String| {
        s.push_str(&text);
        s.push('\n');
    };
    line(format!(
        "edgemodule-hub stats  device {}  metrics {}  every {:.1} s",
        r.device,
        r.metrics,
        interval.as_secs_f64()
    ));
    line(format!(
        "messages  in {} ({}/s)  out {} ({}/s)  dropped {}  unacknowledged {}",
        r.received.total,
        r.received.per_sec,
        r.sent.total,
        r.sent.per_sec,
        r.dropped,
        r.unacknowledged
    ));
    line(String::new());
    line(format!(
        "{:<24} {:>9} {:>11} {:>10} {:>10} {:>9} {:>12}",
        "module", "connected", "connections", "in/s", "out/s", "in flight", "redeliveries"
    ));
    for m in &r.modules {
        line(format!(
            "{:<24} {:>9} {:>11} {:>10} {:>10} {:>9} {:>12}",
            m.module,
            if m.connected { "yes" } else { "no" },
            m.connections,
            m.received.per_sec,
            m.sent.per_sec,
            m.in_flight,
            m.redeliveries
        ));
    }
    line(String::new());
    line(format!("{:<48} {:>10}", "queue (endpoint)", "length"));
    for (endpoint, length) in &r.queues {
        line(format!("{endpoint:<48} {length:>10}"));
    }
    if let Some(up) = r.sent_by_destination.get(names::UPSTREAM) {
        line(format!(
            "{:<48} {:>10}",
            "to $upstream (kept for monitor)", up.total
        ));
    }
    line(String::new());
    line(format!(
        "clients {}  store {} bytes  user-topic drops {}  twin gets {}  reported {}  methods {}  refused connects {}",
        r.connected_clients,
        r.store_size_bytes,
        r.user_topic_drops,
        r.twin_gets,
        r.reported_properties,
        r.direct_methods,
        r.connect_failed
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(text: &str, at: Instant) -> Timed {
        Timed {
            at,
            reading: reading(&text::parse(text).unwrap()),
        }
    }

    #[test]
    fn rates_come_from_two_readings_and_restart_from_zero() {
        let t0 = Instant::now();
        let a = "edgehub_messages_received_total{instance_number=\"i\",edge_device=\"d\",id=\"d/s\",route_output=\"o\"} 10\n\
                 edgemodule_hub_module_connected{module=\"s\"} 1\n";
        let b = a.replace("} 10", "} 30");
        let r = report("x", &timed(a, t0), &timed(&b, t0 + Duration::from_secs(2)));
        assert_eq!(
            r.received,
            Rated {
                total: 30,
                per_sec: 10.0
            }
        );
        assert_eq!(r.modules[0].received.per_sec, 10.0);
        assert!(r.modules[0].connected);
        let restarted = b.replace("\"i\"", "\"j\"");
        let r = report(
            "x",
            &timed(a, t0),
            &timed(&restarted, t0 + Duration::from_secs(2)),
        );
        assert_eq!(r.received.per_sec, 15.0);
        assert!(table(&r, Duration::from_secs(1)).contains("in 30 (15/s)"));
    }
}
