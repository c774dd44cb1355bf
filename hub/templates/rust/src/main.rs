//! {{name}}: an IoT Edge module on edgemodule (Rust). Forwards messages from `input1` to
//! `output1` while the desired property `Enabled` is true, reports `Enabled`, and answers
//! the direct method `status`. It connects with the environment IoT Edge gives a module
//! (`edgemodule-hub env {{name}}` prints it).

mod state;

use std::process::ExitCode;

use edgemodule::ModuleClient;
use serde_json::Value;

use state::ModuleState;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{{name}}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> edgemodule::Result<()> {
    let client = ModuleClient::from_environment().await?;
    // Streams before connecting, so nothing waits for a consumer.
    let mut input = client.input("input1");
    let mut status = client.method("status");
    let mut desired = client.desired_patches();
    client.connect().await?;

    let mut state = ModuleState::default();
    let twin = client.get_twin().await?;
    report(&client, state.apply_desired(&twin.desired)).await?;
    println!("{{name}}: connected");

    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| edgemodule::Error::config(format!("cannot watch SIGTERM: {e}")))?;
    loop {
        tokio::select! {
            Some(message) = input.next() => {
                if !state.should_forward() {
                    let _ = message.ack();
                    continue;
                }
                match client.send_output("output1", message.message().clone()).await {
                    Ok(()) => {
                        state.count_forwarded();
                        let _ = message.ack();
                    }
                    // Not acknowledged: the message comes back.
                    Err(e) => {
                        eprintln!("{{name}}: forwarding failed, will retry: {e}");
                        message.abandon();
                    }
                }
            }
            Some(patch) = desired.next() => report(&client, state.apply_desired(&patch.patch)).await?,
            Some(request) = status.next() => {
                if let Err(e) = request.respond(200, state.status()).await {
                    eprintln!("{{name}}: could not answer status: {e}");
                }
            }
            _ = &mut stop => break,
            _ = term.recv() => break,
            else => break,
        }
    }
    println!("{{name}}: stopping");
    client.close().await
}

async fn report(client: &ModuleClient, reported: Option<Value>) -> edgemodule::Result<()> {
    if let Some(reported) = reported {
        client.patch_reported(reported.clone()).await?;
        println!("{{name}}: reported {reported}");
    }
    Ok(())
}
