//! S23: with the hub gone and a short give-up time, the client stops with CONNECTION (status
//! reason RETRY_EXPIRED) and every pending operation fails once.

mod common;

use std::time::Duration;

use common::{wait_status, within, TestHub};
use edgemodule::{ConnectionState, ErrorKind, Message, RetryPolicy, StatusReason};

fn give_up_fast() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(200),
        multiplier: 1.5,
        jitter: 0.0,
        give_up_after: Some(Duration::from_secs(1)),
    }
}

#[tokio::test]
async fn s23_giving_up_is_reported_as_retry_expired() {
    let mut hub = TestHub::start().await;
    let client = within(
        10,
        "build",
        hub.builder("sender").retry_policy(give_up_fast()).build(),
    )
    .await
    .unwrap();
    let _config = hub.stop().await;
    let e = within(20, "connect", client.connect()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.kind().is_transient());
    let mut status = client.status();
    let last = wait_status(&mut status, 10, |s| s.state == ConnectionState::Disconnected).await;
    assert_eq!(last.reason, StatusReason::RetryExpired);
}

#[tokio::test]
async fn s23_pending_operations_fail_once_with_connection() {
    let mut hub = TestHub::start().await;
    let sender = within(
        10,
        "build",
        hub.builder("sender").retry_policy(give_up_fast()).build(),
    )
    .await
    .unwrap();
    within(10, "connect", sender.connect()).await.unwrap();
    let mut status = sender.status();
    let _config = hub.stop().await;
    wait_status(&mut status, 15, |s| s.state != ConnectionState::Connected).await;

    let sends: Vec<_> = (0..3)
        .map(|i| {
            let sender = sender.clone();
            tokio::spawn(async move { sender.send_output("up", Message::new(format!("m{i}"))).await })
        })
        .collect();
    for send in sends {
        let outcome = within(20, "pending send", send).await.expect("task");
        let e = outcome.expect_err("the client gave up");
        assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    }
    let last = wait_status(&mut status, 10, |s| s.state == ConnectionState::Disconnected).await;
    assert_eq!(last.reason, StatusReason::RetryExpired);
    let later = sender.send_output("up", Message::new("later")).await;
    assert_eq!(later.unwrap_err().kind(), ErrorKind::Connection);
}
