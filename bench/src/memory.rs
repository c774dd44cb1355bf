//! Memory of the Rust `ModuleClient`: RSS of the bare process, of a connected idle client,
//! and after sending a number of messages.

use std::time::Duration;

use serde_json::{json, Value};

use crate::module::{self, peak_rss_kib, rss_kib};
use crate::send::{self, Shape};

/// Connects, idles for `idle`, sends `messages` messages with `window` in flight.
pub async fn run(idle: Duration, messages: u64, size: usize, window: u16) -> Result<Value, String> {
    let bare = rss_kib()?;
    let client = module::connect("sender", window).await?;
    tokio::time::sleep(idle).await;
    let idle_rss = rss_kib()?;
    let shape = Shape {
        output: "upstream".into(),
        size,
        window,
        batch: 1,
    };
    send::count(&client, &shape, messages).await?;
    let after = rss_kib()?;
    let peak = peak_rss_kib()?;
    client.close().await.map_err(|e| e.to_string())?;
    Ok(json!({
        "bare_rss_kib": bare, "idle_rss_kib": idle_rss,
        "after_rss_kib": after, "peak_rss_kib": peak, "messages": messages,
    }))
}
