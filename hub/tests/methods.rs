//! Direct methods: the HTTPS API (§6.2) with a real TLS client trusting the hub CA, against
//! the dispatcher with a scripted in-process "module", and end to end through a running
//! hub with a rumqttc module answering.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use edgemodule::protocol::{sas, topics};
use edgemodule_hub::certs::HubCertificates;
use edgemodule_hub::hub::HubError;
use edgemodule_hub::identity::Identities;
use edgemodule_hub::methods::{serve_https, HttpsState, MethodDispatcher};
use edgemodule_hub::twins::{ClientPublisher, WaitFuture};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};

const DEVICE: &str = "edge1";
const HUB: &str = "hub.azure-devices.net";

// ---------------------------------------------------------------------------------------
// A scripted module behind the dispatcher.

/// Answers method requests like a module would, through `MethodDispatcher::on_response`:
/// `echo` → 200 with the payload, `fail` → 500 `{"error":"no"}`, `shout` → 201 with the
/// rid upper-cased (edgeHub matches rids case-insensitively), `empty` → 200 with no body,
/// anything else → never answers.
#[derive(Clone, Default)]
struct ScriptedModules {
    connected: Arc<Mutex<HashSet<String>>>,
    dispatcher: Arc<OnceLock<MethodDispatcher>>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl ScriptedModules {
    fn connect(&self, client_id: &str) {
        self.connected.lock().unwrap().insert(client_id.to_string());
    }
}

impl ClientPublisher for ScriptedModules {
    fn publish_to(&self, client_id: &str, topic: &str, payload: Bytes, _qos: u8) -> bool {
        if !self.is_subscribed(client_id, topic) {
            return false;
        }
        self.requests
            .lock()
            .unwrap()
            .push((client_id.to_string(), topic.to_string()));
        let request = topics::parse_method_request(topic).expect("method request topic");
        let module = client_id.split('/').nth(1).unwrap().to_string();
        let dispatcher = self.dispatcher.get().unwrap().clone();
        tokio::spawn(async move {
            let (status, rid, body) = match request.method_name.as_str() {
                "echo" => (200, request.rid, payload.to_vec()),
                "fail" => (500, request.rid, br#"{"error":"no"}"#.to_vec()),
                "shout" => (201, request.rid.to_uppercase(), b"\"LOUD\"".to_vec()),
                "empty" => (200, request.rid, Vec::new()),
                _ => return,
            };
            let topic = topics::method_response_topic(status, &rid);
            // A response from another module must not complete the call.
            dispatcher.on_response("intruder", &topic, b"{}");
            dispatcher.on_response(&module, &topic, &body);
        });
        true
    }
    fn is_subscribed(&self, client_id: &str, topic: &str) -> bool {
        topic.starts_with("$iothub/methods/POST/")
            && self.connected.lock().unwrap().contains(client_id)
    }
    fn is_connected(&self, client_id: &str) -> bool {
        self.connected.lock().unwrap().contains(client_id)
    }
    fn wait_subscribed<'a>(
        &'a self,
        client_id: &'a str,
        topic: &'a str,
        timeout: Duration,
    ) -> WaitFuture<'a> {
        Box::pin(async move {
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline {
                if self.is_subscribed(client_id, topic) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        })
    }
}

fn scripted() -> (ScriptedModules, MethodDispatcher) {
    let modules = ScriptedModules::default();
    let dispatcher = MethodDispatcher::new(modules.clone(), DEVICE.to_string());
    modules.dispatcher.set(dispatcher.clone()).ok().unwrap();
    (modules, dispatcher)
}

#[tokio::test]
async fn dispatcher_round_trips_and_matches_rids_case_insensitively() {
    let (modules, dispatcher) = scripted();
    modules.connect("edge1/target");
    let t = Duration::from_secs(5);
    let (status, payload) = dispatcher
        .invoke("target", "echo", json!({"n": 1}), Duration::ZERO, t)
        .await
        .unwrap();
    assert_eq!((status, payload), (200, json!({"n": 1})));
    let (status, payload) = dispatcher
        .invoke("target", "shout", Value::Null, Duration::ZERO, t)
        .await
        .unwrap();
    assert_eq!((status, payload), (201, json!("LOUD")));
    let (status, payload) = dispatcher
        .invoke("target", "empty", Value::Null, Duration::ZERO, t)
        .await
        .unwrap();
    assert_eq!((status, payload), (200, Value::Null));

    // The request id is a lowercase GUID and the topic is edgeHub's.
    let requests = modules.requests.lock().unwrap().clone();
    let (client, topic) = &requests[0];
    assert_eq!(client, "edge1/target");
    let parsed = topics::parse_method_request(topic).unwrap();
    assert_eq!(parsed.method_name, "echo");
    assert_eq!(parsed.rid, parsed.rid.to_lowercase());
    assert!(uuid::Uuid::parse_str(&parsed.rid).is_ok());
}

#[tokio::test]
async fn dispatcher_not_found_timeout_and_connect_wait() {
    let (modules, dispatcher) = scripted();
    let err = dispatcher
        .invoke(
            "target",
            "echo",
            Value::Null,
            Duration::ZERO,
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::NotFound(ref m) if m == "Client edge1/target not found"));

    modules.connect("edge1/target");
    let started = Instant::now();
    let err = dispatcher
        .invoke(
            "target",
            "silent",
            Value::Null,
            Duration::ZERO,
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // connectTimeout: the module shows up while the call waits.
    let late = modules.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        late.connect("edge1/late");
    });
    let (status, _) = dispatcher
        .invoke(
            "late",
            "echo",
            json!(1),
            Duration::from_secs(5),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------------------------------
// HTTPS API against the scripted modules.

struct HttpsFixture {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    ca_pem: String,
    identities: Arc<Identities>,
    modules: ScriptedModules,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for HttpsFixture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn https_fixture() -> HttpsFixture {
    let dir = tempfile::tempdir().unwrap();
    let identities = Arc::new(
        Identities::load_or_create(
            dir.path(),
            DEVICE,
            HUB,
            "localhost",
            &["caller".to_string(), "target".to_string()],
        )
        .unwrap(),
    );
    let certs = HubCertificates::load_or_create(dir.path(), "localhost").unwrap();
    let (modules, dispatcher) = scripted();
    let state = HttpsState {
        identities: identities.clone(),
        dispatcher,
    };
    let (addr, server) = serve_https(
        "127.0.0.1:0".parse().unwrap(),
        certs.server_tls_config().unwrap(),
        state,
    )
    .await
    .unwrap();
    HttpsFixture {
        _dir: dir,
        addr,
        ca_pem: certs.ca_pem.clone(),
        identities,
        modules,
        server,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A module's SAS token, as the SDKs build it.
fn token(identities: &Identities, module: &str, expiry: u64) -> String {
    let uri = sas::resource_uri(HUB, DEVICE, Some(module));
    let key = identities.primary_key(module).unwrap();
    let sig = sas::sign(key, sas::string_to_sign(&uri, expiry).as_bytes()).unwrap();
    sas::format_token(&uri, &sig, expiry)
}

struct HttpAnswer {
    status: u16,
    content_type: String,
    body: String,
}

impl HttpAnswer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// POSTs over TLS, verifying the server against the hub CA (name `localhost`).
async fn post(
    addr: SocketAddr,
    ca_pem: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpAnswer {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut request = hyper::Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), sender.send_request(request))
        .await
        .expect("HTTPS answer in time")
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    HttpAnswer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

impl HttpsFixture {
    async fn call(
        &self,
        path: &str,
        caller: Option<&str>,
        auth: Option<&str>,
        body: &str,
    ) -> HttpAnswer {
        let mut headers = Vec::new();
        if let Some(c) = caller {
            headers.push(("x-ms-edge-moduleId", c));
        }
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        post(self.addr, &self.ca_pem, path, &headers, body).await
    }

    fn caller_token(&self) -> String {
        token(&self.identities, "caller", now() + 3600)
    }
}

const TARGET_PATH: &str = "/twins/edge1/modules/target/methods?api-version=2020-09-30";

#[tokio::test]
async fn https_success_returns_status_and_payload() {
    let f = https_fixture().await;
    f.modules.connect("edge1/target");
    let auth = f.caller_token();
    let body =
        json!({"methodName": "echo", "payload": {"v": [1, 2]}, "responseTimeoutInSeconds": 10})
            .to_string();
    let answer = f
        .call(TARGET_PATH, Some("edge1/caller"), Some(&auth), &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json; charset=utf-8");
    assert_eq!(
        answer.json(),
        json!({"status": 200, "payload": {"v": [1, 2]}})
    );

    // The module's own status travels in the body; percent-encoded ids are decoded; no
    // api-version needed (Node sends none).
    let body = json!({"methodName": "fail"}).to_string();
    let answer = f
        .call(
            "/twins/edge1/modules/%74arget/methods",
            Some("edge1/caller"),
            Some(&auth),
            &body,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"status": 500, "payload": {"error": "no"}})
    );
}

#[tokio::test]
async fn https_rejects_bad_callers() {
    let f = https_fixture().await;
    f.modules.connect("edge1/target");
    let auth = f.caller_token();
    let body = json!({"methodName": "echo"}).to_string();

    for caller in [
        None,
        Some("nomodule"),
        Some("/x"),
        Some("edge1/"),
        Some("a/b/c"),
    ] {
        let answer = f.call(TARGET_PATH, caller, Some(&auth), &body).await;
        assert_eq!(answer.status, 400, "{caller:?}");
        assert_eq!(
            answer.json(),
            json!({"message": "Invalid header value for x-ms-edge-moduleId"})
        );
    }

    let answer = f
        .call(TARGET_PATH, Some("otherdevice/caller"), Some(&auth), &body)
        .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json()["message"],
        "Only modules on the same device can invoke DirectMethods"
    );

    // Token of another module, expired token, garbage, none.
    let wrong = token(&f.identities, "target", now() + 3600);
    let expired = token(&f.identities, "caller", now() - 3600);
    for auth in [
        Some(wrong.as_str()),
        Some(expired.as_str()),
        Some("SharedAccessSignature x"),
        None,
    ] {
        let answer = f.call(TARGET_PATH, Some("edge1/caller"), auth, &body).await;
        assert_eq!(answer.status, 401, "{auth:?}");
        assert!(answer.json()["message"].is_string());
    }
}

#[tokio::test]
async fn https_validates_the_body() {
    let f = https_fixture().await;
    f.modules.connect("edge1/target");
    let auth = f.caller_token();
    let big = "x".repeat(128 * 1024);
    let bodies = [
        "not json".to_string(),
        json!({}).to_string(),
        json!({"methodName": "m".repeat(101)}).to_string(),
        json!({"methodName": "echo", "responseTimeoutInSeconds": 4}).to_string(),
        json!({"methodName": "echo", "responseTimeoutInSeconds": 301}).to_string(),
        json!({"methodName": "echo", "connectTimeoutInSeconds": 301}).to_string(),
        json!({"methodName": "echo", "payload": big}).to_string(),
    ];
    for body in &bodies {
        let answer = f
            .call(TARGET_PATH, Some("edge1/caller"), Some(&auth), body)
            .await;
        assert_eq!(answer.status, 400, "{}", &body[..body.len().min(80)]);
        assert!(
            answer.content_type.starts_with("text/plain"),
            "{}",
            answer.content_type
        );
        assert!(!answer.body.is_empty());
    }
}

#[tokio::test]
async fn https_not_found_and_timeout() {
    let f = https_fixture().await;
    let auth = f.caller_token();
    let body = json!({"methodName": "echo"}).to_string();

    // Not connected (connectTimeoutInSeconds 0).
    let answer = f
        .call(TARGET_PATH, Some("edge1/caller"), Some(&auth), &body)
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"message": "Client edge1/target not found"})
    );
    // Another device, or a device-level call: no leaf devices here.
    let answer = f
        .call(
            "/twins/other/modules/target/methods",
            Some("edge1/caller"),
            Some(&auth),
            &body,
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"message": "Client other/target not found"})
    );
    let answer = f
        .call(
            "/twins/leaf/methods",
            Some("edge1/caller"),
            Some(&auth),
            &body,
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json(), json!({"message": "Client leaf not found"}));

    // Connected but silent: 504 after responseTimeoutInSeconds (minimum 5 s).
    f.modules.connect("edge1/target");
    let started = Instant::now();
    let body = json!({"methodName": "silent", "responseTimeoutInSeconds": 5}).to_string();
    let answer = f
        .call(TARGET_PATH, Some("edge1/caller"), Some(&auth), &body)
        .await;
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert!(answer.json()["message"].is_string());
    assert!(started.elapsed() >= Duration::from_secs(5));
}

// ---------------------------------------------------------------------------------------
// End to end: HTTPS caller → hub → module over MQTT (TLS, SAS) and back.

use common::TestHub;
use rumqttc::QoS;

/// Answers one method request on `raw` with `status`, echoing the payload; the rid is
/// upper-cased to check the hub matches it case-insensitively.
async fn answer_one(raw: &mut common::Raw, status: i32) -> (String, Value) {
    let request = raw
        .next_publish(common::WAIT)
        .await
        .expect("method request");
    if request.qos == QoS::AtLeastOnce {
        raw.puback(request.pkid).await;
    }
    let parsed = topics::parse_method_request(&request.topic).expect("request topic");
    let payload: Value = serde_json::from_slice(&request.payload).unwrap();
    let body = json!({"got": payload}).to_string();
    raw.publish(
        &topics::method_response_topic(status, &parsed.rid.to_uppercase()),
        body.as_bytes(),
        QoS::AtMostOnce,
    )
    .await;
    (parsed.method_name, payload)
}

#[tokio::test]
async fn https_call_reaches_a_real_module_and_back() {
    let hub = TestHub::start(&common::deployment(&["caller", "target"], &[], None)).await;
    let https = hub.hub.https_addr();
    let ca = hub.hub.trust_bundle_pem().to_string();
    let auth = hub.creds("caller").password;
    let caller = format!("{}/caller", common::DEVICE);
    let path = format!(
        "/twins/{}/modules/target/methods?api-version=2020-09-30",
        common::DEVICE
    );
    let headers = |auth: &str| {
        vec![
            ("x-ms-edge-moduleId".to_string(), caller.clone()),
            ("authorization".to_string(), auth.to_string()),
        ]
    };
    let call = |auth: String, body: Value| {
        let (ca, path, headers) = (ca.clone(), path.clone(), headers(&auth));
        tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post(https, &ca, &path, &headers, &body.to_string()).await
        })
    };

    // Not connected yet → 404.
    let answer = call(auth.clone(), json!({"methodName": "reset"}))
        .await
        .unwrap();
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"message": format!("Client {}/target not found", common::DEVICE)})
    );

    // Connected and subscribed: a full round trip.
    let (mut target, _) = hub.connect("target", true).await;
    target
        .subscribe(&[("$iothub/methods/POST/#", QoS::AtLeastOnce)])
        .await;
    let pending = call(
        auth.clone(),
        json!({"methodName": "reset", "payload": {"hard": true}, "responseTimeoutInSeconds": 10}),
    );
    let (method, payload) = answer_one(&mut target, 202).await;
    assert_eq!((method.as_str(), payload), ("reset", json!({"hard": true})));
    let answer = pending.await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json; charset=utf-8");
    assert_eq!(
        answer.json(),
        json!({"status": 202, "payload": {"got": {"hard": true}}})
    );

    // Wrong token (another module's) → 401, and nothing reaches the module.
    let wrong = hub.creds("target").password;
    let answer = call(wrong, json!({"methodName": "reset"})).await.unwrap();
    assert_eq!(answer.status, 401);
    assert!(target.next_publish(common::QUIET).await.is_none());

    // A module that never answers: 504 (hub API with a short timeout).
    let err = hub
        .hub
        .invoke_method("target", "slow", json!(null), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Timeout(_)), "{err:?}");
    hub.stop().await;
}

#[tokio::test]
async fn connect_timeout_waits_for_the_module_to_subscribe() {
    let hub = TestHub::start(&common::deployment(&["caller", "target"], &[], None)).await;
    let https = hub.hub.https_addr();
    let ca = hub.hub.trust_bundle_pem().to_string();
    let auth = hub.creds("caller").password;
    let caller = format!("{}/caller", common::DEVICE);
    let path = format!("/twins/{}/modules/target/methods", common::DEVICE);
    let body = json!({"methodName": "hello", "payload": 7, "connectTimeoutInSeconds": 10, "responseTimeoutInSeconds": 10}).to_string();
    let pending = tokio::spawn(async move {
        let headers = [
            ("x-ms-edge-moduleId", caller.as_str()),
            ("authorization", auth.as_str()),
        ];
        post(https, &ca, &path, &headers, &body).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut target, _) = hub.connect("target", true).await;
    target
        .subscribe(&[("$iothub/methods/POST/#", QoS::AtMostOnce)])
        .await;
    let (method, payload) = answer_one(&mut target, 200).await;
    assert_eq!((method.as_str(), payload), ("hello", json!(7)));
    let answer = pending.await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": 200, "payload": {"got": 7}}));
    hub.stop().await;
}

/// A module connected but not subscribed to `$iothub/methods/POST/#` gets no method
/// calls: edgeHub answers 404 at once (connectTimeoutInSeconds 0), not 504 after the
/// response timeout. Checked on the HTTPS API, `RunningHub::invoke_method` and the admin
/// API through `edgemodule-hub invoke`; the subscription is tracked per connection.
#[tokio::test]
async fn a_module_without_a_methods_subscription_gets_404_at_once() {
    let hub = TestHub::start(&common::deployment(&["caller", "target"], &[], None)).await;
    let (mut target, _) = hub.connect("target", false).await;
    target.subscribe_inputs("target").await;
    target
        .subscribe(&[(topics::TWIN_RESPONSE_FILTER, QoS::AtMostOnce)])
        .await;

    let https = hub.hub.https_addr();
    let ca = hub.hub.trust_bundle_pem().to_string();
    let auth = hub.creds("caller").password;
    let caller = format!("{}/caller", common::DEVICE);
    let path = format!("/twins/{}/modules/target/methods", common::DEVICE);
    let https_call = || {
        let body = json!({"methodName": "reset", "responseTimeoutInSeconds": 30}).to_string();
        let (ca, path, caller, auth) = (ca.clone(), path.clone(), caller.clone(), auth.clone());
        async move {
            let headers = [
                ("x-ms-edge-moduleId", caller.as_str()),
                ("authorization", auth.as_str()),
            ];
            post(https, &ca, &path, &headers, &body).await
        }
    };
    let admin = hub.hub.admin_addr().to_string();
    let state = hub.dir.path().to_path_buf();
    let cli_call = || {
        let (admin, state) = (admin.clone(), state.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_edgemodule-hub"))
                .args(["invoke", "target", "reset", "--timeout", "30"])
                .args(["--admin", &admin])
                .env("EDGEMODULE_HUB_STATE", &state)
                .output()
                .expect("edgemodule-hub invoke runs")
        })
    };

    let started = Instant::now();
    let answer = https_call().await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let err = hub
        .hub
        .invoke_method("target", "reset", json!(null), Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::NotFound(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let out = cli_call().await.unwrap();
    let took = started.elapsed();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("404"), "{stderr}");
    // A process start included; still far from the 30 s response timeout.
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(
        target.next_publish(common::QUIET).await.is_none(),
        "no request reached it"
    );

    // Subscribed: the call reaches it. Unsubscribed again: 404 at once again.
    target
        .subscribe(&[(topics::METHODS_FILTER, QoS::AtMostOnce)])
        .await;
    assert!(hub
        .hub
        .inspect("target")
        .unwrap()
        .subscriptions
        .contains(&topics::METHODS_FILTER.to_string()));
    let pending = tokio::spawn(https_call());
    answer_one(&mut target, 200).await;
    assert_eq!(pending.await.unwrap().status, 200);
    let mut unsubscribe = rumqttc::Unsubscribe::new(topics::METHODS_FILTER);
    unsubscribe.pkid = target.pkid();
    target.send(rumqttc::Packet::Unsubscribe(unsubscribe)).await;
    assert!(matches!(
        target.recv(common::WAIT).await,
        common::Event::Packet(rumqttc::Packet::UnsubAck(_))
    ));
    let started = Instant::now();
    assert_eq!(https_call().await.status, 404);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    hub.stop().await;
}
