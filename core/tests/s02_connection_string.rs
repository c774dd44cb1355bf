//! S02: connect from `EdgeHubConnectionString` + `EdgeModuleCACertificateFile`, and from a
//! connection string given directly.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use edgemodule::{ErrorKind, Message, MethodInvokeRequest, ModuleClient};

fn ports(hub: &TestHub) -> (String, String) {
    (
        hub.hub().mqtt_addr().port().to_string(),
        hub.hub().https_addr().port().to_string(),
    )
}

#[tokio::test]
async fn s02_connects_with_the_simulator_variables() {
    let hub = TestHub::start().await;
    let cs = hub
        .hub()
        .connection_string("sender")
        .expect("connection string");
    let ca = hub.dir.path().join("module-ca.pem");
    std::fs::write(&ca, hub.hub().trust_bundle_pem()).unwrap();
    let (mqtt, https) = ports(&hub);
    let vars = [
        ("EdgeHubConnectionString".to_string(), cs),
        (
            "EdgeModuleCACertificateFile".to_string(),
            ca.display().to_string(),
        ),
        ("EDGEMODULE_MQTT_PORT".to_string(), mqtt),
        ("EDGEMODULE_HTTPS_PORT".to_string(), https),
    ];
    let client = ModuleClient::builder()
        .from_environment_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .operation_timeout(Duration::from_secs(10))
        .build()
        .await
        .unwrap();
    within(15, "connect", client.connect()).await.unwrap();
    assert_eq!(client.module_id(), "sender");
    within(10, "send", client.send_output("up", Message::new("hello")))
        .await
        .unwrap();
    common::wait_until(5, "the message reaches $upstream", || {
        hub.hub()
            .upstream_messages()
            .iter()
            .any(|m| m.body == b"hello")
    })
    .await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn s02_connects_with_a_connection_string_and_explicit_trust_bundle() {
    let hub = TestHub::start().await;
    let cs = hub.hub().connection_string("receiver").unwrap();
    let client = ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub().trust_bundle_pem())
        .mqtt_port(hub.hub().mqtt_addr().port())
        .https_port(hub.hub().https_addr().port())
        .build()
        .await
        .unwrap();
    within(15, "connect", client.connect()).await.unwrap();
    let twin = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert_eq!(twin.desired["nested"]["unit"], "C");
    client.close().await.unwrap();
}

#[tokio::test]
async fn s02_a_connection_string_uses_the_ca_file_and_port_overrides_from_the_environment() {
    let hub = TestHub::start().await;
    let cs = hub.hub().connection_string("sender").unwrap();
    let ca = hub.dir.path().join("module-ca.pem");
    std::fs::write(&ca, hub.hub().trust_bundle_pem()).unwrap();
    let (mqtt, https) = ports(&hub);
    let vars = [
        (
            "EdgeModuleCACertificateFile".to_string(),
            ca.display().to_string(),
        ),
        ("EDGEMODULE_MQTT_PORT".to_string(), mqtt),
        ("EDGEMODULE_HTTPS_PORT".to_string(), https),
    ];
    // No trust bundle and no ports given: both come from the environment.
    let client = ModuleClient::builder()
        .connection_string(cs)
        .env_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .operation_timeout(Duration::from_secs(10))
        .build()
        .await
        .unwrap();
    within(15, "connect", client.connect()).await.unwrap();
    within(
        10,
        "send",
        client.send_output("up", Message::new("via env")),
    )
    .await
    .unwrap();
    // The HTTPS port override reaches the hub: an unconnected target is its 404.
    let e = within(
        15,
        "invoke",
        client.invoke_method(
            common::DEVICE,
            Some("caller"),
            MethodInvokeRequest::new("ping", serde_json::json!({})),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.status(), Some(404), "{e}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn s02_a_malformed_port_override_is_config_for_connection_strings_too() {
    let hub = TestHub::start().await;
    let cs = hub.hub().connection_string("sender").unwrap();
    let e = ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub().trust_bundle_pem())
        .env_lookup(|name| (name == "EDGEMODULE_MQTT_PORT").then(|| "eighty".to_string()))
        .build()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.message().contains("EDGEMODULE_MQTT_PORT"), "{e}");
}

#[tokio::test]
async fn s02_a_foreign_ca_is_rejected_by_tls_not_ignored() {
    let hub = TestHub::start().await;
    let other = TestHub::start().await;
    let cs = hub.hub().connection_string("receiver").unwrap();
    let client = ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(other.hub().trust_bundle_pem())
        .mqtt_port(hub.hub().mqtt_addr().port())
        .operation_timeout(Duration::from_secs(3))
        .retry_policy(common::fast_retry())
        .build()
        .await
        .unwrap();
    let e = within(10, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.message().contains("TLS"), "{e}");
    assert!(!hub.hub().is_connected("receiver"));
    client.close().await.unwrap();
}
