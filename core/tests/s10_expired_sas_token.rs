//! S10 (expired tokens): a SAS token the hub refuses because it expired is reported with
//! status reason EXPIRED_SAS_TOKEN (not BAD_CREDENTIAL), and a fixed
//! `SharedAccessSignature` that expired is never retried — also when it expires while
//! connected and the hub drops the connection.

mod common;

use std::time::{Duration, Instant};

use common::{wait_status, within, TestHub, MANIFEST};
use edgemodule::protocol::{connection_string, sas};
use edgemodule::{ConnectionState, ErrorKind, Message, ModuleClient, StatusReason};

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// `module`'s connection string with its key replaced by a token expiring at `expiry`,
/// signed with `key` (the module's own when `None`).
fn with_signature(hub: &TestHub, module: &str, expiry: u64, key: Option<&str>) -> String {
    let cs = hub.hub().connection_string(module).expect("module");
    let parsed = connection_string::parse(&cs).expect("hub connection string");
    let key = key.map_or_else(
        || parsed.shared_access_key.clone().expect("key"),
        str::to_string,
    );
    let uri = sas::resource_uri(
        &parsed.host_name,
        &parsed.device_id,
        parsed.module_id.as_deref(),
    );
    let signature = sas::sign(&key, sas::string_to_sign(&uri, expiry).as_bytes()).expect("sign");
    format!(
        "HostName={};GatewayHostName={};DeviceId={};ModuleId={};SharedAccessSignature={}",
        parsed.host_name,
        parsed.gateway_host_name.as_deref().unwrap_or("localhost"),
        parsed.device_id,
        module,
        sas::format_token(&uri, &signature, expiry)
    )
}

async fn client_for(hub: &TestHub, connection_string: String) -> ModuleClient {
    ModuleClient::builder()
        .connection_string(connection_string)
        .trust_bundle_pem(hub.hub().trust_bundle_pem())
        .mqtt_port(hub.hub().mqtt_addr().port())
        .operation_timeout(Duration::from_secs(20))
        .retry_policy(common::fast_retry())
        .build()
        .await
        .expect("client builds")
}

#[tokio::test]
async fn s10_an_expired_signature_is_expired_sas_token() {
    let hub = TestHub::start().await;
    // Ten minutes ago: past the hub's five minutes of clock skew.
    let cs = with_signature(&hub, "receiver", unix_now() - 600, None);
    let client = client_for(&hub, cs).await;
    let started = Instant::now();
    let e = within(10, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.message().contains("expired"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "no retry loop");
    let status = *client.status().borrow();
    assert_eq!(status.state, ConnectionState::Disconnected);
    assert_eq!(status.reason, StatusReason::ExpiredSasToken);
    assert!(!hub.hub().is_connected("receiver"));
    client.close().await.unwrap();
}

#[tokio::test]
async fn s10_an_unexpired_signature_the_hub_refuses_is_bad_credential() {
    let hub = TestHub::start().await;
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ==";
    let cs = with_signature(&hub, "receiver", unix_now() + 3600, Some(wrong_key));
    let client = client_for(&hub, cs).await;
    let e = within(10, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    let status = *client.status().borrow();
    assert_eq!(status.state, ConnectionState::Disconnected);
    assert_eq!(status.reason, StatusReason::BadCredential);
    client.close().await.unwrap();
}

#[tokio::test]
async fn s10_a_signature_expiring_while_connected_stops_with_expired_sas_token() {
    // The hub drops connections whose token expired more than 5 minutes ago; check often.
    let hub = TestHub::start_configured(MANIFEST, |config| {
        config.reauth_interval = Duration::from_millis(200);
    })
    .await;
    // Still inside the hub's skew for a few seconds: accepted now, dropped soon.
    let cs = with_signature(&hub, "receiver", unix_now() - 300 + 4, None);
    let client = client_for(&hub, cs).await;
    within(10, "connect", client.connect()).await.unwrap();
    let mut status = client.status();
    let stopped = wait_status(&mut status, 30, |s| {
        s.state == ConnectionState::Disconnected
    })
    .await;
    assert_eq!(stopped.reason, StatusReason::ExpiredSasToken, "{stopped:?}");
    // Terminal: nothing retries a token that cannot be renewed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        client.status().borrow().state,
        ConnectionState::Disconnected
    );
    assert!(!hub.hub().is_connected("receiver"));
    let e = within(5, "send", client.send_event(Message::new("x")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.message().contains("expired"), "{e}");
    client.close().await.unwrap();
}
