//! S08: module-to-module `invoke_method` over the gateway's HTTPS API.

mod common;

use std::time::Duration;

use common::{within, TestHub, DEVICE};
use edgemodule::{ErrorKind, MethodInvokeRequest};
use serde_json::json;

#[tokio::test]
async fn s08_invokes_another_module() {
    let hub = TestHub::start().await;
    let target = hub.client("receiver").await;
    let mut echo = target.method("echo");
    within(10, "subscribed", target.connect()).await.unwrap();
    tokio::spawn(async move {
        while let Some(request) = echo.next().await {
            let payload = request.payload.clone();
            let _ = request.respond(201, json!({"got": payload})).await;
        }
    });
    let caller = hub.client("caller").await;
    let response = within(
        20,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new("echo", json!({"n": [1, 2, 3]})),
        ),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.payload, json!({"got": {"n": [1, 2, 3]}}));
}

#[tokio::test]
async fn s08_not_connected_target_is_not_found() {
    let hub = TestHub::start().await;
    let caller = hub.client("caller").await;
    let e = within(
        20,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new("echo", json!(null)),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.status(), Some(404));
}

#[tokio::test]
async fn s08_silent_target_times_out_after_the_response_timeout() {
    let hub = TestHub::start().await;
    let target = hub.client("receiver").await;
    // Keep the requests without answering them.
    let mut stuck = target.method("slow");
    within(10, "subscribed", target.connect()).await.unwrap();
    let keeper = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Some(request) = stuck.next().await {
            kept.push(request);
        }
    });
    let caller = hub.client("caller").await;
    let started = std::time::Instant::now();
    let e = within(
        30,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new("slow", json!(null))
                .with_response_timeout(Duration::from_secs(5)),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "honours the 5 s timeout"
    );
    keeper.abort();
}

#[tokio::test]
async fn s08_a_token_the_hub_rejects_is_unauthorized() {
    let hub = TestHub::start().await;
    let target = hub.client("receiver").await;
    let _methods = target.default_methods();
    within(10, "subscribed", target.connect()).await.unwrap();
    // A well-formed token for the caller with a signature that is not the hub's.
    let resource = "localhub.azure-devices.net/devices/edge-device/modules/caller";
    let expiry = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let token = edgemodule::protocol::sas::format_token(
        resource,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        expiry,
    );
    let cs = format!(
        "HostName=localhub.azure-devices.net;GatewayHostName=localhost;DeviceId={DEVICE};\
         ModuleId=caller;SharedAccessSignature={token}"
    );
    let caller = edgemodule::ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub().trust_bundle_pem())
        .https_port(hub.hub().https_addr().port())
        .build()
        .await
        .unwrap();
    let e = within(
        20,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new("echo", json!(null)),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.status(), Some(401));
}
