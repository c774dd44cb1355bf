//! S17: a module that never registered a method handler is not subscribed to methods, so a
//! call to it is answered 404 at once; with handlers for other methods only, a call of an
//! unhandled method gets the core's no-handler reply (501) and a background error.

mod common;

use std::time::{Duration, Instant};

use common::{inspect, within, TestHub, DEVICE};
use edgemodule::delivery::{HandlerFamily, METHOD_NO_HANDLER_PAYLOAD, METHOD_NO_HANDLER_STATUS};
use edgemodule::{BackgroundErrorKind, ErrorKind, MethodInvokeRequest, MethodResponse};
use serde_json::json;

#[tokio::test]
async fn s17_no_method_handler_means_404_at_once() {
    let hub = TestHub::start().await;
    let target = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    // Handles inputs and desired patches, but no method.
    target
        .set_input_handler(None, |_message| async { Ok(()) })
        .await
        .unwrap();
    target
        .set_desired_handler(|_patch| async { Ok(()) })
        .await
        .unwrap();
    within(10, "connect", target.connect()).await.unwrap();
    let subscriptions = inspect(&hub, "receiver")["subscriptions"].clone();
    assert!(
        !subscriptions.to_string().contains("$iothub/methods"),
        "not subscribed to methods: {subscriptions}"
    );

    let caller = hub.client("caller").await;
    let started = Instant::now();
    let e = within(
        10,
        "invoke",
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new("reset", json!(null))
                .with_response_timeout(Duration::from_secs(20)),
        ),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.status(), Some(404));
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
}

#[tokio::test]
async fn s17_a_method_nothing_handles_gets_the_no_handler_reply() {
    let hub = TestHub::start().await;
    let target = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    let mut errors = target.background_errors();
    within(
        10,
        "method handler",
        target.set_method_handler(Some("reset"), |_request| async {
            Ok(MethodResponse::new(200, json!("reset")))
        }),
    )
    .await
    .unwrap();
    within(10, "connect", target.connect()).await.unwrap();

    let caller = hub.client("caller").await;
    let call = |method: &'static str| {
        caller.invoke_method(
            DEVICE,
            Some("receiver"),
            MethodInvokeRequest::new(method, json!(null)),
        )
    };
    let answer = within(10, "unhandled", call("reboot")).await.unwrap();
    assert_eq!(answer.status, METHOD_NO_HANDLER_STATUS);
    assert_eq!(answer.payload.to_string(), METHOD_NO_HANDLER_PAYLOAD);
    let error = within(10, "background error", errors.next()).await.unwrap();
    assert_eq!(
        (error.kind, error.family, error.name.as_str()),
        (
            BackgroundErrorKind::NoHandler,
            HandlerFamily::Method,
            "reboot"
        )
    );

    let answer = within(10, "handled", call("reset")).await.unwrap();
    assert_eq!((answer.status, answer.payload), (200, json!("reset")));
}
