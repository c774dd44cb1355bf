//! S10: bad credentials fail fast with UNAUTHORIZED instead of retrying forever.

mod common;

use std::time::{Duration, Instant};

use common::{within, TestHub};
use edgemodule::{ConnectionState, ErrorKind, Message, ModuleClient, StatusReason};

fn with_key(connection_string: &str, key: &str) -> String {
    connection_string
        .split(';')
        .map(|part| {
            if part.starts_with("SharedAccessKey=") {
                format!("SharedAccessKey={key}")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(";")
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
        .unwrap()
}

#[tokio::test]
async fn s10_wrong_key_is_unauthorized_quickly() {
    let hub = TestHub::start().await;
    let cs = hub.hub().connection_string("receiver").unwrap();
    // A well-formed key that is not the module's.
    let client = client_for(
        &hub,
        with_key(&cs, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ=="),
    )
    .await;
    let started = Instant::now();
    let e = within(10, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "no retry loop");
    let status = *client.status().borrow();
    assert_eq!(status.state, ConnectionState::Disconnected);
    assert_eq!(status.reason, StatusReason::BadCredential);

    // Later operations report the same cause at once.
    let e = within(5, "send", client.send_event(Message::new("x")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(!hub.hub().is_connected("receiver"));
}

#[tokio::test]
async fn s10_unknown_module_is_unauthorized() {
    let hub = TestHub::start().await;
    let cs = hub
        .hub()
        .connection_string("receiver")
        .unwrap()
        .replace("ModuleId=receiver", "ModuleId=ghost");
    let client = client_for(&hub, cs).await;
    let e = within(10, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
}

#[tokio::test]
async fn s10_a_key_that_is_not_base64_is_a_config_error_before_connecting() {
    let hub = TestHub::start().await;
    let cs = hub.hub().connection_string("receiver").unwrap();
    let e = ModuleClient::builder()
        .connection_string(with_key(&cs, "not base64 !!"))
        .trust_bundle_pem(hub.hub().trust_bundle_pem())
        .build()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.message().contains("SharedAccessKey"), "{e}");
}
