//! Defect 8: a token that expires while its connection is open. The hub accepts tokens up
//! to 5 minutes past expiry (clock skew, as edgeHub); once that has passed, the connection
//! must close within 30 s.

use std::time::{Duration, Instant};

use crate::common::{Event, Raw};
use crate::harness::Tally;
use crate::hubproc::HubProc;

const GROUP: &str = "expiry";
/// Seconds the token has left inside the skew when it connects.
const LEFT_IN_SKEW: i64 = 4;

/// Connects mallory with a token that leaves the skew window in a few seconds; the task
/// returns how long after that the hub closed the connection.
pub fn start(hub: &HubProc) -> tokio::task::JoinHandle<Result<Duration, String>> {
    let creds = hub.creds("expiring", -(300 - LEFT_IN_SKEW));
    let (addr, ca) = (hub.mqtt, hub.ca_pem.clone());
    tokio::spawn(async move {
        let (mut raw, ack) = Raw::connect(addr, &ca, &creds, true, 0).await;
        if ack.code != rumqttc::ConnectReturnCode::Success {
            return Err(format!("a token inside the skew was refused: {ack:?}"));
        }
        let expired_at = Instant::now() + Duration::from_secs(LEFT_IN_SKEW as u64);
        loop {
            match raw.recv(Duration::from_secs(60)).await {
                Event::Closed if Instant::now() + Duration::from_secs(1) < expired_at => {
                    return Err("closed before the token expired".into())
                }
                Event::Closed => return Ok(Instant::now().saturating_duration_since(expired_at)),
                Event::Timeout => return Err("still connected 60 s later".into()),
                Event::Packet(_) => {}
            }
        }
    })
}

pub async fn finish(
    task: tokio::task::JoinHandle<Result<Duration, String>>,
    hub: &HubProc,
    t: &mut Tally,
) {
    println!("[{GROUP}]");
    match task.await.unwrap_or_else(|e| Err(e.to_string())) {
        Ok(after) => {
            println!(
                "  [{GROUP}] closed {:.1} s after expiry + skew",
                after.as_secs_f64()
            );
            t.attack(
                GROUP,
                "stay connected after the token expired (plus skew)",
                after <= Duration::from_secs(30),
                format!(
                    "closed {:.1} s after expiry + skew (limit 30 s)",
                    after.as_secs_f64()
                ),
            )
        }
        Err(e) => t.check(GROUP, "expiring connection", false, e),
    }
    t.still_serves(GROUP, hub).await;
}
