//! Sample filter module: reads `input1`, forwards readings whose JSON `temperature` exceeds
//! the desired property `TemperatureThreshold` (default 25) to `output1`, reports the
//! threshold in use, and answers the `reset` direct method with the number of messages
//! forwarded since the last reset.
//!
//! Run it with the environment IoT Edge (or `edgemodule-hub env filter`) provides.

use std::process::ExitCode;

use edgemodule::{InputMessage, MethodRequest, ModuleClient};
use serde_json::{json, Value};

/// Threshold used until the twin says otherwise.
const DEFAULT_THRESHOLD: f64 = 25.0;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("filter: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The module's state.
struct Filter {
    client: ModuleClient,
    threshold: f64,
    reported: Option<f64>,
    forwarded: u64,
}

async fn run() -> edgemodule::Result<()> {
    let client = ModuleClient::from_environment().await?;
    // Register the streams before connecting so nothing waits for a consumer.
    let mut input = client.input("input1");
    let mut reset = client.method("reset");
    let mut desired = client.desired_patches();
    client.connect().await?;

    let twin = client.get_twin().await?;
    let mut filter = Filter {
        client: client.clone(),
        threshold: threshold_in(&twin.desired).unwrap_or(DEFAULT_THRESHOLD),
        reported: threshold_in(&twin.reported),
        forwarded: 0,
    };
    filter.report_threshold().await?;
    println!(
        "filter: connected as {}/{}, threshold {}",
        client.device_id(),
        client.module_id(),
        filter.threshold
    );

    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            Some(message) = input.next() => filter.on_message(message).await,
            Some(patch) = desired.next() => {
                if let Some(threshold) = threshold_in(&patch.patch) {
                    filter.threshold = threshold;
                    println!("filter: threshold now {threshold} (desired $version {})", patch.version);
                    filter.report_threshold().await?;
                }
            }
            Some(request) = reset.next() => filter.on_reset(request).await,
            () = &mut stop => break,
            else => break,
        }
    }
    println!("filter: stopping");
    client.close().await
}

impl Filter {
    /// Forwards a hot reading, then acknowledges. If forwarding fails the message is left
    /// un-acknowledged and comes back.
    async fn on_message(&mut self, message: InputMessage) {
        let temperature = serde_json::from_slice::<Value>(&message.body)
            .ok()
            .and_then(|v| v.get("temperature").and_then(Value::as_f64));
        let Some(temperature) = temperature else {
            eprintln!("filter: skipping a message without a numeric temperature");
            let _ = message.ack();
            return;
        };
        if temperature <= self.threshold {
            let _ = message.ack();
            return;
        }
        match self
            .client
            .send_output("output1", message.message().clone())
            .await
        {
            Ok(()) => {
                self.forwarded += 1;
                println!(
                    "filter: forwarded {temperature} (> {}), {} since reset",
                    self.threshold, self.forwarded
                );
                if let Err(e) = message.ack() {
                    eprintln!("filter: ack failed: {e}");
                }
            }
            Err(e) => {
                eprintln!("filter: forwarding failed, will retry: {e}");
                message.abandon();
            }
        }
    }

    async fn on_reset(&mut self, request: MethodRequest) {
        let forwarded = std::mem::take(&mut self.forwarded);
        println!("filter: reset after {forwarded} forwarded messages");
        let answer = json!({"reset": true, "forwarded": forwarded});
        if let Err(e) = request.respond(200, answer).await {
            eprintln!("filter: could not answer reset: {e}");
        }
    }

    /// Reports the threshold when it differs from what the twin shows.
    async fn report_threshold(&mut self) -> edgemodule::Result<()> {
        if self.reported == Some(self.threshold) {
            return Ok(());
        }
        self.client
            .patch_reported(json!({"TemperatureThreshold": self.threshold}))
            .await?;
        self.reported = Some(self.threshold);
        Ok(())
    }
}

/// `TemperatureThreshold` from a desired/reported section or patch.
fn threshold_in(section: &Value) -> Option<f64> {
    section.get("TemperatureThreshold").and_then(Value::as_f64)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_read_from_numbers_only() {
        assert_eq!(
            threshold_in(&json!({"TemperatureThreshold": 30})),
            Some(30.0)
        );
        assert_eq!(
            threshold_in(&json!({"TemperatureThreshold": 27.5})),
            Some(27.5)
        );
        assert_eq!(threshold_in(&json!({"TemperatureThreshold": "hot"})), None);
        assert_eq!(threshold_in(&json!({})), None);
    }
}
