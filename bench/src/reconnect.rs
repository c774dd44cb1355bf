//! Reconnect: sends one message at a time to an output and prints the wall-clock time of
//! every acknowledgement (`ack <epoch ms>`) or failed send (`fail <epoch ms>`), after a
//! `ready` line, until killed. The driver restarts the hub meanwhile and takes the first
//! acknowledgement after the hub was back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use edgemodule::Message;

use crate::module;

/// Runs until the process is killed.
pub async fn run() -> Result<(), String> {
    let client = module::connect("sender", 100).await?;
    println!("ready");
    loop {
        let sent = tokio::time::timeout(
            Duration::from_secs(60),
            client.send_output("upstream", Message::new(vec![b'x'; 256])),
        )
        .await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?;
        let what = if let Ok(Ok(())) = sent { "ack" } else { "fail" };
        println!("{what} {:.1}", now.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
