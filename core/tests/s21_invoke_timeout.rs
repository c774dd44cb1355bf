//! S21: `invoke_method` with a short response timeout on a module that never answers fails
//! with TIMEOUT (the hub's 504) within the timeout plus a small margin, and the target's other
//! methods keep answering meanwhile.

mod common;

use std::time::{Duration, Instant};

use common::{within, TestHub, DEVICE};
use edgemodule::{ErrorKind, HandlerError, MethodInvokeRequest, MethodResponse};
use serde_json::json;

#[tokio::test]
async fn s21_the_invoke_response_timeout_is_honoured() {
    let hub = TestHub::start().await;
    let mute = within(10, "build", hub.builder("mute").build())
        .await
        .unwrap();
    mute.set_method_handler(Some("hang"), |_request| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Err::<MethodResponse, _>(HandlerError::new("never answers in time"))
    })
    .await
    .unwrap();
    mute.set_method_handler(Some("ping"), |_request| async {
        Ok(MethodResponse::new(200, json!("pong")))
    })
    .await
    .unwrap();
    within(10, "connect", mute.connect()).await.unwrap();
    let caller = hub.client("caller").await;

    let started = Instant::now();
    let e = within(
        30,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("mute"),
            MethodInvokeRequest::new("hang", json!(null))
                .with_response_timeout(Duration::from_secs(5)),
        ),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.status(), Some(504), "{e}");
    assert!(e.kind().is_transient());
    assert!(
        took >= Duration::from_millis(4500) && took < Duration::from_secs(8),
        "failed after {took:?}, not after the 5 s response timeout"
    );

    let pong = within(
        20,
        "invoke ping",
        caller.invoke_method(
            DEVICE,
            Some("mute"),
            MethodInvokeRequest::new("ping", json!(null)),
        ),
    )
    .await
    .unwrap();
    assert_eq!((pong.status, pong.payload), (200, json!("pong")));
}
