//! `GET /metrics` over a real socket: the answer is Prometheus text (content type and a
//! strict parse), carries edgeHub's names, types and common labels, and its counters match
//! the messages, refusals and connections this test made. `edgemodule-hub stats` reads the
//! same figures.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::{output_topic, Creds, Raw, TestHub, DEVICE, QUIET, WAIT};
use edgemodule_hub::metrics::names;
use edgemodule_hub::metrics::text::{self, Exposition};
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rumqttc::ConnectReturnCode;
use serde_json::Value;
use tokio::net::TcpStream;

/// Messages the sender sends to each output.
const TO_RECEIVER: usize = 5;
const TO_UPSTREAM: usize = 2;
const UNROUTED: usize = 1;

/// Status, content type and body of `method path` on the metrics port.
async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    let stream = TcpStream::connect(addr)
        .await
        .expect("metrics port answers");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// One scrape, parsed strictly.
async fn scrape(addr: SocketAddr) -> (String, Exposition) {
    let (status, content_type, body) = http(addr, "GET", "/metrics").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        content_type, "text/plain; version=0.0.4; charset=utf-8",
        "the exposition format's content type"
    );
    let parsed = text::parse(&body).unwrap_or_else(|e| panic!("not Prometheus text: {e}\n{body}"));
    (body, parsed)
}

fn value(e: &Exposition, name: &str, filter: &[(&str, &str)]) -> f64 {
    e.sum(name, filter)
}

#[tokio::test]
async fn counters_match_the_messages_connections_and_refusals_of_the_test() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let addr = hub.hub.metrics_addr().expect("metrics are on in tests");

    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let (mut sender, _) = hub.connect("sender", false).await;
    let mut sent_bytes = 0usize;
    for (output, count) in [
        ("out1", TO_RECEIVER),
        ("up", TO_UPSTREAM),
        ("nowhere", UNROUTED),
    ] {
        let topic = output_topic("sender", output, &[]);
        for i in 0..count {
            let body = format!("{output}-{i}");
            sent_bytes += body.len();
            sender.publish_acked(&topic, body.as_bytes()).await;
        }
    }
    for _ in 0..TO_RECEIVER {
        receiver.receive_acked().await;
    }
    assert!(receiver.next_publish(QUIET).await.is_none());
    // A CONNECT with a token for another module: refused, counted for the id it claimed.
    let wrong = Creds {
        client_id: format!("{DEVICE}/other"),
        ..hub.creds("sender")
    };
    let (_refused, ack) =
        Raw::connect(hub.addr(), hub.hub.trust_bundle_pem(), &wrong, true, 60).await;
    assert_ne!(ack.code, ConnectReturnCode::Success);

    // Acknowledgements are handled after the PUBACK is written: wait for the last one.
    let from = format!("{DEVICE}/sender");
    let to = format!("{DEVICE}/receiver");
    let deadline = tokio::time::Instant::now() + WAIT;
    let (body, e) = loop {
        let (body, e) = scrape(addr).await;
        let done = value(
            &e,
            "edgehub_message_send_duration_seconds_count",
            &[("to", &to)],
        );
        if done == TO_RECEIVER as f64 {
            break (body, e);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "sends finished: {done}\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // Types as edgeHub's (prometheus-net) render them.
    for (family, kind) in [
        (names::MESSAGES_RECEIVED.name, "counter"),
        (names::MESSAGES_SENT.name, "counter"),
        (names::MESSAGES_DROPPED.name, "counter"),
        (names::CLIENT_CONNECT_FAILED.name, "counter"),
        (names::QUEUE_LENGTH.name, "gauge"),
        (names::CONNECTED_CLIENTS.name, "gauge"),
        (names::MESSAGE_SIZE.name, "summary"),
        (names::MESSAGE_SEND_DURATION.name, "summary"),
        (names::STORE_SIZE.name, "gauge"),
        (names::USER_TOPIC_DROPS.name, "counter"),
    ] {
        let f = e
            .family(family)
            .unwrap_or_else(|| panic!("no {family}\n{body}"));
        assert_eq!(f.kind.as_deref(), Some(kind), "{family}");
        assert!(f.help.is_some(), "{family} has # HELP");
    }
    // edgeHub's common labels, first, on every series.
    let instance = e
        .samples(names::MESSAGES_RECEIVED.name)
        .next()
        .and_then(|s| s.label(names::INSTANCE_NUMBER))
        .expect("instance_number")
        .to_string();
    for f in &e.families {
        for s in &f.samples {
            let first: Vec<&str> = s.labels.iter().take(3).map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                first,
                [names::IOTHUB, names::EDGE_DEVICE, names::INSTANCE_NUMBER],
                "{s:?}"
            );
            assert_eq!(s.label(names::EDGE_DEVICE), Some(DEVICE));
            assert_eq!(s.label(names::INSTANCE_NUMBER), Some(instance.as_str()));
        }
    }

    let received = |output: &str| {
        value(
            &e,
            names::MESSAGES_RECEIVED.name,
            &[
                ("id", &from),
                ("route_output", output),
                ("ms_telemetry", "True"),
            ],
        )
    };
    assert_eq!(received("out1"), TO_RECEIVER as f64);
    assert_eq!(received("up"), TO_UPSTREAM as f64);
    assert_eq!(received("nowhere"), UNROUTED as f64);
    let all = TO_RECEIVER + TO_UPSTREAM + UNROUTED;
    assert_eq!(value(&e, names::MESSAGES_RECEIVED.name, &[]), all as f64);
    assert_eq!(
        value(&e, "edgehub_message_size_bytes_count", &[("id", &from)]),
        all as f64
    );
    // edgeHub's size counts properties too: at least the bodies.
    assert!(value(&e, "edgehub_message_size_bytes_sum", &[("id", &from)]) >= sent_bytes as f64);
    assert_eq!(
        value(
            &e,
            names::MESSAGES_SENT.name,
            &[
                ("from", &from),
                ("to", &to),
                ("from_route_output", "out1"),
                ("to_route_input", "in1")
            ]
        ),
        TO_RECEIVER as f64
    );
    assert_eq!(
        value(
            &e,
            names::MESSAGES_SENT.name,
            &[
                ("from", &from),
                ("to", names::UPSTREAM),
                ("from_route_output", "up")
            ]
        ),
        TO_UPSTREAM as f64
    );
    assert_eq!(
        value(&e, names::MESSAGES_SENT.name, &[]),
        (TO_RECEIVER + TO_UPSTREAM) as f64
    );
    assert_eq!(
        value(
            &e,
            names::MESSAGES_DROPPED.name,
            &[
                ("reason", names::REASON_NO_ROUTE),
                ("from", &from),
                ("from_route_output", "nowhere")
            ]
        ),
        UNROUTED as f64
    );
    assert_eq!(
        value(&e, names::MESSAGES_DROPPED.name, &[]),
        UNROUTED as f64
    );
    assert_eq!(
        value(
            &e,
            names::QUEUE_LENGTH.name,
            &[("endpoint", &format!("{to}/in1"))]
        ),
        0.0,
        "all acknowledged\n{body}"
    );
    assert!(
        e.samples(names::QUEUE_LENGTH.name)
            .any(|s| s.label("endpoint") == Some(&format!("{to}/in1"))
                && s.label("priority").is_some()),
        "{body}"
    );
    assert_eq!(
        value(
            &e,
            names::CLIENT_CONNECT_FAILED.name,
            &[
                ("id", &format!("{DEVICE}/other")),
                ("reason", names::REASON_NOT_AUTHENTICATED)
            ]
        ),
        1.0
    );
    assert_eq!(value(&e, names::CONNECTED_CLIENTS.name, &[]), 2.0);
    assert_eq!(
        value(&e, names::MODULE_CONNECTED.name, &[("module", "receiver")]),
        1.0
    );
    assert_eq!(
        value(&e, names::MODULE_CONNECTED.name, &[("module", "other")]),
        0.0
    );
    assert_eq!(
        value(
            &e,
            names::MODULE_CONNECTIONS.name,
            &[("module", "receiver")]
        ),
        1.0
    );
    assert_eq!(
        value(&e, names::MODULE_IN_FLIGHT.name, &[("module", "receiver")]),
        0.0
    );
    assert_eq!(value(&e, names::USER_TOPIC_DROPS.name, &[]), 0.0);
    assert_eq!(value(&e, names::MESSAGES_UNACK.name, &[]), 0.0);

    // `stats` reads the same figures (the binary, against this hub's metrics port).
    let metrics = addr.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_edgemodule-hub"))
            .args([
                "stats",
                "--metrics",
                &metrics,
                "--once",
                "--json",
                "--interval",
                "0.2",
            ])
            .output()
            .expect("stats runs")
    })
    .await
    .expect("stats finished");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["device"], DEVICE);
    assert_eq!(report["received"]["total"], all);
    assert_eq!(report["sent"]["total"], TO_RECEIVER + TO_UPSTREAM);
    assert_eq!(report["sent_by_destination"][&to]["total"], TO_RECEIVER);
    assert_eq!(
        report["sent_by_destination"][names::UPSTREAM]["total"],
        TO_UPSTREAM
    );
    assert_eq!(report["dropped"], UNROUTED);
    assert_eq!(report["connected_clients"], 2);
    assert_eq!(report["connect_failed"], 1);
    assert_eq!(report["queues"][format!("{to}/in1")], 0);
    let modules = report["modules"].as_array().expect("modules");
    let module = |id: &str| {
        modules
            .iter()
            .find(|m| m["module"] == id)
            .unwrap_or_else(|| panic!("no {id} in {report}"))
    };
    assert_eq!(module("receiver")["connected"], true);
    assert_eq!(module("receiver")["sent"]["total"], TO_RECEIVER);
    assert_eq!(module("sender")["received"]["total"], all);
    assert_eq!(module("other")["connected"], false);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_get_metrics_is_served() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let addr = hub.hub.metrics_addr().expect("metrics are on in tests");
    let (status, _, body) = http(addr, "GET", "/").await;
    assert_eq!(
        (status, body.as_str()),
        (404, "the metrics are at /metrics\n")
    );
    let (status, _, _) = http(addr, "POST", "/metrics").await;
    assert_eq!(status, 405);
    let (status, content_type, body) = http(addr, "HEAD", "/metrics").await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    // The in-process rendering is what the port serves.
    let rendered = tokio::task::block_in_place(|| hub.hub.render_metrics()).expect("metrics on");
    text::parse(&rendered).expect("Prometheus text");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn switched_off_there_is_no_port_and_nothing_rendered() {
    let hub = TestHub::start_with(&common::routed_deployment(), |c| {
        c.metrics = edgemodule_hub::config::MetricsBind::Off;
    })
    .await;
    assert_eq!(hub.hub.metrics_addr(), None);
    assert_eq!(
        tokio::task::block_in_place(|| hub.hub.render_metrics()),
        None
    );
    hub.stop().await;
}

#[test]
fn stats_says_where_it_looked_when_no_hub_answers() {
    // A port just closed: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let out = Command::new(env!("CARGO_BIN_EXE_edgemodule-hub"))
        .args(["stats", "--metrics", &free.to_string(), "--once"])
        .output()
        .expect("stats runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&free.to_string()) && err.contains("metrics="),
        "{err}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_edgemodule-hub"))
        .args(["stats", "--interval", "0", "--once"])
        .output()
        .expect("stats runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--interval 0"));
}
