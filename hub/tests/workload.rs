//! The workload API over real Unix sockets (protocol.md §2): one socket per module, which
//! fixes the caller's identity.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use edgemodule_hub::certs::HubCertificates;
use edgemodule_hub::identity::Identities;
use edgemodule_hub::workload::WorkloadServer;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EXAMPLE_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const EXAMPLE_DATA: &str =
    "bXlodWIuYXp1cmUtZGV2aWNlcy5uZXQlMkZkZXZpY2VzJTJGZWRnZTElMkZtb2R1bGVzJTJGZmlsdGVyCjE3MDAwMDAwMDA=";
const EXAMPLE_DIGEST: &str = "Z9MVA5MQLovKhLgVFsqEK/W9dcjHkN+SRB85b1SL0yY=";

struct Fixture {
    _dir: tempfile::TempDir,
    /// The filter module's socket.
    socket: PathBuf,
    server: WorkloadServer,
    certs: Arc<HubCertificates>,
}

impl Fixture {
    /// The socket of another module.
    fn socket_of(&self, module: &str) -> PathBuf {
        self.socket.with_file_name(format!("{module}.sock"))
    }
}

const MODULES: [&str; 3] = ["filter", "sensor", "$edgeHub"];

async fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Identities::load_or_create(
        dir.path(),
        "edge1",
        "myhub.azure-devices.net",
        "localhost",
        &[
            "filter".to_string(),
            "sensor".to_string(),
            "$edgeHub".to_string(),
        ],
    )
    .unwrap();
    ids.insert_for_tests(
        "filter",
        EXAMPLE_KEY,
        "c2Vjb25kYXJ5LWtleS0wMTIzNDU2Nzg5YWJjZGVm",
        "637000000000000001",
    );
    let certs = Arc::new(HubCertificates::load_or_create(dir.path(), "localhost").unwrap());
    let run = dir.path().join("run");
    let modules: Vec<String> = MODULES.iter().map(|m| m.to_string()).collect();
    let server = WorkloadServer::start_per_module(
        &run,
        &modules,
        &Default::default(),
        Arc::new(ids),
        certs.clone(),
    )
    .await
    .unwrap();
    let socket = run.join("filter.sock");
    Fixture {
        _dir: dir,
        socket,
        server,
        certs,
    }
}

/// One request with hyper's HTTP/1.1 client over the Unix socket.
async fn call(socket: &Path, method: &str, uri: &str, body: Option<&str>) -> (StatusCode, Value) {
    tokio::time::timeout(Duration::from_secs(10), async {
        let stream = tokio::net::UnixStream::connect(socket).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "%2Ftmp%2Fworkload.sock")
            .body(Full::new(Bytes::from(body.unwrap_or("").to_string())))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let status = resp.status();
        let content_type = resp.headers().get("content-type").cloned();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(content_type.unwrap(), "application/json");
        (status, serde_json::from_slice(&bytes).unwrap())
    })
    .await
    .expect("request timed out")
}

fn sign_body(data: &str) -> String {
    json!({"keyId": "primary", "algo": "HMACSHA256", "data": data}).to_string()
}

#[tokio::test]
async fn sign_gives_the_worked_example_digest() {
    let f = start().await;
    let (status, body) = call(
        &f.socket,
        "POST",
        "/modules/filter/genid/637000000000000001/sign?api-version=2019-01-30",
        Some(&sign_body(EXAMPLE_DATA)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"digest": EXAMPLE_DIGEST}));
    f.server.shutdown().await;
}

#[tokio::test]
async fn sign_matches_the_core_sas_signer_for_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    let ids =
        Identities::load_or_create(dir.path(), "edge1", "hub", "gw", &["m1".to_string()]).unwrap();
    let key = ids.primary_key("m1").unwrap().to_string();
    let genid = ids.generation_id("m1").unwrap().to_string();
    let certs = Arc::new(HubCertificates::load_or_create(dir.path(), "gw").unwrap());
    let server = WorkloadServer::start_per_module(
        dir.path(),
        &["m1".to_string()],
        &Default::default(),
        Arc::new(ids),
        certs,
    )
    .await
    .unwrap();
    let socket = dir.path().join("m1.sock");
    let data = b"hub%2Fdevices%2Fedge1%2Fmodules%2Fm1\n1800000000";
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let (status, body) = call(
        &socket,
        "POST",
        &format!("/modules/m1/genid/{genid}/sign?api-version=2018-06-28"),
        Some(&sign_body(&b64)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expected = edgemodule::protocol::sas::sign(&key, data).unwrap();
    assert_eq!(body["digest"], expected.as_str());
    server.shutdown().await;
}

#[tokio::test]
async fn python_style_raw_request_without_content_type_works() {
    let f = start().await;
    let body = sign_body(EXAMPLE_DATA);
    let raw = format!(
        "POST /modules/filter/genid/637000000000000001/sign?api-version=2021-12-07 HTTP/1.1\r\n\
         Host: %2Fvar%2Frun%2Fiotedge%2Fworkload.sock\r\n\
         User-Agent: azure-iot-device-iothub-py%2F2.14.0\r\n\
         Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::UnixStream::connect(&f.socket).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with(&json!({"digest": EXAMPLE_DIGEST}).to_string()),
        "{response}"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn trust_bundles() {
    let f = start().await;
    let (status, body) = call(
        &f.socket,
        "GET",
        "/trust-bundle?api-version=2018-06-28",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["certificate"], f.certs.ca_pem.as_str());
    assert!(body["certificate"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let (status, body) = call(
        &f.socket,
        "GET",
        "/manifest-trust-bundle?api-version=2022-08-03",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"certificate": ""}));
    // Any api-version value is accepted, even an unknown one.
    let (status, _) = call(
        &f.socket,
        "GET",
        "/trust-bundle?api-version=9999-01-01",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    f.server.shutdown().await;
}

#[tokio::test]
async fn request_errors() {
    let f = start().await;
    let sign = "/modules/filter/genid/637000000000000001/sign?api-version=2019-01-30";
    let cases: Vec<(&str, String, Option<String>, StatusCode, &str)> = vec![
        (
            "POST",
            sign.into(),
            Some(sign_body("not base64!")),
            StatusCode::BAD_REQUEST,
            "base64",
        ),
        (
            "POST",
            sign.into(),
            Some("{not json".into()),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            "POST",
            sign.into(),
            None,
            StatusCode::BAD_REQUEST,
            "body is required",
        ),
        (
            "POST",
            sign.into(),
            Some(json!({"keyId": "primary"}).to_string()),
            StatusCode::BAD_REQUEST,
            "data",
        ),
        (
            "POST",
            sign.into(),
            Some(json!({"data": "", "algo": "MD5"}).to_string()),
            StatusCode::BAD_REQUEST,
            "algo",
        ),
        (
            "POST",
            "/modules/ghost/genid/1/sign?api-version=2019-01-30".into(),
            Some(sign_body(EXAMPLE_DATA)),
            StatusCode::FORBIDDEN,
            "belongs to module 'filter'",
        ),
        (
            "POST",
            "/modules/filter/genid/999/sign?api-version=2019-01-30".into(),
            Some(sign_body(EXAMPLE_DATA)),
            StatusCode::NOT_FOUND,
            "generation",
        ),
        (
            "POST",
            "/modules/filter/genid/637000000000000001/sign".into(),
            Some(sign_body(EXAMPLE_DATA)),
            StatusCode::BAD_REQUEST,
            "api-version",
        ),
        (
            "GET",
            "/trust-bundle".into(),
            None,
            StatusCode::BAD_REQUEST,
            "api-version",
        ),
        (
            "GET",
            "/trust-bundle?api-version=".into(),
            None,
            StatusCode::BAD_REQUEST,
            "api-version",
        ),
        (
            "POST",
            "/trust-bundle?api-version=2019-01-30".into(),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "GET",
        ),
        (
            "GET",
            "/nothing?api-version=2019-01-30".into(),
            None,
            StatusCode::NOT_FOUND,
            "/nothing",
        ),
    ];
    for (method, uri, body, status, needle) in cases {
        let (got, reply) = call(&f.socket, method, &uri, body.as_deref()).await;
        assert_eq!(got, status, "{method} {uri}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{method} {uri}: '{message}' lacks '{needle}'"
        );
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn identity_and_server_certificates() {
    let f = start().await;
    let (status, body) = call(
        &f.socket,
        "POST",
        "/modules/filter/certificate/identity?api-version=2019-01-30",
        Some(r#"{"expiration":"2099-01-01T00:00:00Z"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["privateKey"]["type"], "key");
    assert!(body["privateKey"]["bytes"]
        .as_str()
        .unwrap()
        .contains("BEGIN PRIVATE KEY"));
    let chain = body["certificate"].as_str().unwrap();
    assert!(chain.ends_with(&f.certs.ca_pem));
    let leaf = rustls::pki_types::CertificateDer::pem_slice_iter(chain.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    let uri = b"azureiot://myhub.azure-devices.net/devices/edge1/modules/filter";
    assert!(leaf.as_ref().windows(uri.len()).any(|w| w == uri));
    let expiration = time::OffsetDateTime::parse(
        body["expiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        expiration > time::OffsetDateTime::now_utc(),
        "capped, but in the future"
    );

    // No body at all is fine for identity certificates.
    let (status, _) = call(
        &f.socket_of("sensor"),
        "POST",
        "/modules/sensor/certificate/identity?api-version=2019-01-30",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Server certificate for $edgeHub (URL-encoded module name).
    let ids_genid = {
        let dir = f.socket.parent().unwrap().parent().unwrap();
        let ids =
            Identities::load_or_create(dir, "edge1", "myhub.azure-devices.net", "localhost", &[])
                .unwrap();
        ids.generation_id("$edgeHub").unwrap().to_string()
    };
    let (status, body) = call(
        &f.socket_of("$edgeHub"),
        "POST",
        &format!("/modules/%24edgeHub/genid/{ids_genid}/certificate/server?api-version=2019-01-30"),
        Some(r#"{"commonName":"edge.local"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["certificate"]
        .as_str()
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    let (status, body) = call(
        &f.socket_of("$edgeHub"),
        "POST",
        &format!("/modules/%24edgeHub/genid/{ids_genid}/certificate/server?api-version=2019-01-30"),
        Some("{}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("commonName"));
    let (status, _) = call(
        &f.socket,
        "POST",
        "/modules/filter/certificate/identity?api-version=2019-01-30",
        Some(r#"{"expiration":"yesterday"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    f.server.shutdown().await;
}

#[tokio::test]
async fn socket_mode_stale_file_and_shutdown() {
    let f = start().await;
    for module in MODULES {
        let meta = std::fs::symlink_metadata(f.socket_of(module)).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{module}");
    }
    let dir = f.socket.parent().unwrap();
    let dir_mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);

    // A second server on a live socket is refused.
    let ids = Arc::new(Identities::load_or_create(f._dir.path(), "edge1", "h", "g", &[]).unwrap());
    let err = WorkloadServer::start_shared_insecure(&f.socket, ids.clone(), f.certs.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);

    // Shutdown removes the sockets; the next connect fails.
    let socket = f.socket.clone();
    f.server.shutdown().await;
    assert!(!socket.exists());

    // A stale socket file (no listener) is replaced.
    let stale = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    drop(stale);
    assert!(socket.exists());
    let server = WorkloadServer::start_shared_insecure(&socket, ids, f.certs.clone())
        .await
        .unwrap();
    let (status, _) = call(&socket, "GET", "/trust-bundle?api-version=1", None).await;
    assert_eq!(status, StatusCode::OK);
    server.shutdown().await;

    // A regular file is never deleted.
    std::fs::write(&socket, "not a socket").unwrap();
    let ids = Arc::new(Identities::load_or_create(f._dir.path(), "edge1", "h", "g", &[]).unwrap());
    let err = WorkloadServer::start_shared_insecure(&socket, ids, f.certs.clone())
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
}

#[tokio::test]
async fn a_module_socket_acts_only_for_its_module() {
    let f = start().await;
    let sensor = f.socket_of("sensor");
    let genid = "637000000000000001";
    let forbidden = [
        (
            format!("/modules/filter/genid/{genid}/sign?api-version=1"),
            Some(sign_body(EXAMPLE_DATA)),
        ),
        (
            "/modules/filter/certificate/identity?api-version=1".to_string(),
            None,
        ),
        (
            format!("/modules/filter/genid/{genid}/certificate/server?api-version=1"),
            Some(r#"{"commonName":"x"}"#.to_string()),
        ),
        // Case or encoding tricks name another module too.
        (
            format!("/modules/Filter/genid/{genid}/sign?api-version=1"),
            Some(sign_body(EXAMPLE_DATA)),
        ),
        (
            format!("/modules/%66ilter/genid/{genid}/sign?api-version=1"),
            Some(sign_body(EXAMPLE_DATA)),
        ),
    ];
    for (uri, body) in forbidden {
        let (status, reply) = call(&sensor, "POST", &uri, body.as_deref()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(message.contains("belongs to module 'sensor'"), "{message}");
    }
    // The trust bundle is for everyone; the module's own requests work.
    let (status, _) = call(&sensor, "GET", "/trust-bundle?api-version=1", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &sensor,
        "POST",
        "/modules/sensor/certificate/identity?api-version=1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    f.server.shutdown().await;
}

#[tokio::test]
async fn the_insecure_shared_socket_serves_every_module() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Identities::load_or_create(
        dir.path(),
        "edge1",
        "myhub.azure-devices.net",
        "localhost",
        &["filter".to_string()],
    )
    .unwrap();
    ids.insert_for_tests(
        "filter",
        EXAMPLE_KEY,
        "c2Vjb25kYXJ5LWtleS0wMTIzNDU2Nzg5YWJjZGVm",
        "637000000000000001",
    );
    let certs = Arc::new(HubCertificates::load_or_create(dir.path(), "localhost").unwrap());
    let socket = dir.path().join("workload.sock");
    let server = WorkloadServer::start_shared_insecure(&socket, Arc::new(ids), certs)
        .await
        .unwrap();
    let mode = std::fs::symlink_metadata(&socket)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o666);
    let (status, body) = call(
        &socket,
        "POST",
        "/modules/filter/genid/637000000000000001/sign?api-version=1",
        Some(&sign_body(EXAMPLE_DATA)),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"digest": EXAMPLE_DIGEST}))
    );
    let (status, body) = call(
        &socket,
        "POST",
        "/modules/ghost/genid/1/sign?api-version=1",
        Some(&sign_body(EXAMPLE_DATA)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    server.shutdown().await;
}

/// Writes the headers, waits, then the body; returns the whole response.
async fn headers_then_body(socket: &Path, request_line: &str, body: &str) -> String {
    let mut stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    let head = format!(
        "{request_line}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The body must be accepted even when the request is refused.
    stream
        .write_all(body.as_bytes())
        .await
        .expect("body written, not EPIPE");
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .unwrap()
    .unwrap();
    response
}

#[tokio::test]
async fn errors_are_answered_after_the_body_was_read() {
    let f = start().await;
    let body = sign_body(EXAMPLE_DATA);
    for (line, status) in [
        (
            "POST /modules/sensor/genid/1/sign?api-version=1 HTTP/1.1",
            "403",
        ),
        ("POST /nothing?api-version=1 HTTP/1.1", "404"),
        (
            "POST /modules/filter/genid/637000000000000001/sign HTTP/1.1",
            "400",
        ),
        ("PUT /trust-bundle?api-version=1 HTTP/1.1", "405"),
    ] {
        for _ in 0..5 {
            let response = headers_then_body(&f.socket, line, &body).await;
            assert!(
                response.starts_with(&format!("HTTP/1.1 {status}")),
                "{line}: {response}"
            );
            assert!(response.contains("{\"message\":"), "{line}: {response}");
        }
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_with_an_idle_keep_alive_connection_open() {
    let f = start().await;
    // A keep-alive connection that stays open and idle must not block shutdown.
    let stream = tokio::net::UnixStream::connect(&f.socket).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::builder()
        .uri("/trust-bundle?api-version=1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        sender.send_request(req).await.unwrap().status(),
        StatusCode::OK
    );
    tokio::time::timeout(Duration::from_secs(3), f.server.shutdown())
        .await
        .expect("shutdown hung");
}
