//! S01: connect from the IoT Edge environment (IOTEDGE_* + the workload API socket).

mod common;

use common::{connected, wait_status, within, TestHub};
use edgemodule::{ErrorKind, ModuleClient, StatusReason};

#[tokio::test]
async fn s01_connects_with_the_workload_api_and_signs_through_it() {
    let hub = TestHub::start().await;
    let env = hub.env("receiver");
    let workload = env
        .iter()
        .find(|(k, _)| k == "IOTEDGE_WORKLOADURI")
        .map(|(_, v)| v.clone())
        .expect("IOTEDGE_WORKLOADURI");
    assert!(workload.starts_with("unix://"), "{workload}");
    assert!(
        env.iter().all(|(k, _)| k != "EdgeHubConnectionString"),
        "the workload path must be the one tested"
    );

    let client = hub.client("receiver").await;
    assert_eq!(client.device_id(), common::DEVICE);
    assert_eq!(client.module_id(), "receiver");
    let mut status = client.status();
    let now = wait_status(&mut status, 5, connected).await;
    assert_eq!(now.reason, StatusReason::Ok);
    assert!(hub.hub().is_connected("receiver"));

    // The connection is usable: a twin read round-trips through the hub.
    let twin = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert_eq!(twin.desired["threshold"], 30);
    client.close().await.unwrap();
}

#[tokio::test]
async fn s01_missing_or_malformed_variables_are_config_errors_naming_them() {
    let hub = TestHub::start().await;
    let env = hub.env("receiver");

    let without_module = env.clone();
    let e = ModuleClient::builder()
        .from_environment_lookup(move |name| {
            (name != "IOTEDGE_MODULEID")
                .then(|| {
                    without_module
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                })
                .flatten()
        })
        .build()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("IOTEDGE_MODULEID"), "{e}");

    let bad_port = env.clone();
    let e = ModuleClient::builder()
        .from_environment_lookup(move |name| match name {
            "EDGEMODULE_MQTT_PORT" => Some("not-a-port".into()),
            _ => bad_port
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        })
        .build()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("EDGEMODULE_MQTT_PORT"), "{e}");
}

#[tokio::test]
async fn s01_an_unreachable_workload_socket_fails_creation_clearly() {
    let hub = TestHub::start().await;
    let env = hub.env("receiver");
    let e = within(
        15,
        "build",
        ModuleClient::builder()
            .from_environment_lookup(move |name| match name {
                "IOTEDGE_WORKLOADURI" => Some("unix:///nonexistent/workload.sock".into()),
                _ => env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            })
            .build(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    assert!(e.message().contains("/nonexistent/workload.sock"), "{e}");
}
