//! S20: a method handler that fails (returns an error or panics) is answered with the core's
//! one failure reply — status 500 and exactly `METHOD_FAILURE_PAYLOAD`, the same bytes in
//! every language — while its own error goes to the background-error stream only.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use edgemodule::delivery::{HandlerFamily, METHOD_FAILURE_PAYLOAD, METHOD_FAILURE_STATUS};
use edgemodule::{BackgroundErrorKind, ErrorKind, HandlerError, MethodResponse};
use serde_json::json;

#[tokio::test]
async fn s20_a_failing_method_handler_gets_the_one_failure_reply() {
    let hub = TestHub::start().await;
    let target = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    let mut errors = target.background_errors();
    target
        .set_method_handler(Some("fails"), |_request| async {
            Err::<MethodResponse, _>(HandlerError::new("secret internal detail"))
        })
        .await
        .unwrap();
    target
        .set_method_handler(Some("panics"), |_request| async {
            if true {
                panic!("boom");
            }
            Ok(MethodResponse::new(200, json!(null)))
        })
        .await
        .unwrap();
    target
        .set_method_handler(None, |request| async move {
            // A handler's request is answered by its return value, not by `respond`.
            let name = request.name.clone();
            let e = request.respond(200, json!(null)).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            Ok(MethodResponse::new(200, json!({"default": name})))
        })
        .await
        .unwrap();
    within(10, "connect", target.connect()).await.unwrap();

    for method in ["fails", "panics"] {
        let (status, payload) = within(
            15,
            "invoke",
            hub.hub()
                .invoke_method("receiver", method, json!(null), Duration::from_secs(10)),
        )
        .await
        .unwrap();
        assert_eq!(status, METHOD_FAILURE_STATUS, "{method}");
        assert_eq!(payload.to_string(), METHOD_FAILURE_PAYLOAD, "{method}");
        assert!(!payload.to_string().contains("secret"));
        let error = within(10, "background error", errors.next()).await.unwrap();
        assert_eq!(error.kind, BackgroundErrorKind::HandlerFailed);
        assert_eq!(
            (error.family, error.name.as_str()),
            (HandlerFamily::Method, method)
        );
    }
    let error_text = METHOD_FAILURE_PAYLOAD;
    assert_eq!(
        error_text, r#"{"error":"HANDLER_FAILED","message":"the method handler failed"}"#,
        "the documented bytes"
    );

    // The client keeps answering.
    let (status, payload) = within(
        15,
        "invoke default",
        hub.hub()
            .invoke_method("receiver", "other", json!(null), Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!((status, payload), (200, json!({"default": "other"})));
}
