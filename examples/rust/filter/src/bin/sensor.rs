//! Tiny sensor module: sends `--count N` temperature readings (`{"temperature": t}`, 20.0,
//! 22.5, 25.0, …) to output `temperatureOutput`, then exits.

use std::process::ExitCode;
use std::time::Duration;

use edgemodule::{Message, ModuleClient};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    let (count, interval) = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sensor: {e}\nusage: sensor [--count N] [--interval-ms MS]");
            return ExitCode::from(2);
        }
    };
    match run(count, interval).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sensor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The reading number `i`.
fn reading(i: u32) -> f64 {
    20.0 + 2.5 * f64::from(i)
}

async fn run(count: u32, interval: Duration) -> edgemodule::Result<()> {
    let client = ModuleClient::from_environment().await?;
    client.connect().await?;
    for i in 0..count {
        let mut message = Message::json(&json!({"temperature": reading(i), "seq": i}));
        message.message_id = Some(format!("reading-{i}"));
        client.send_output("temperatureOutput", message).await?;
        println!("sensor: sent temperature {}", reading(i));
        tokio::time::sleep(interval).await;
    }
    client.close().await
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(u32, Duration), String> {
    let mut count = 10;
    let mut interval = Duration::from_millis(100);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} {value:?} is not a number"))?;
        match flag.as_str() {
            "--count" => count = u32::try_from(number).map_err(|_| "--count is too large")?,
            "--interval-ms" => interval = Duration::from_millis(number),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((count, interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_and_arguments() {
        assert_eq!(reading(0), 20.0);
        assert_eq!(reading(3), 27.5);
        let args = ["--count", "4", "--interval-ms", "5"].map(String::from);
        assert_eq!(
            parse_args(args.into_iter()).unwrap(),
            (4, Duration::from_millis(5))
        );
        assert!(parse_args(["--count".to_string()].into_iter()).is_err());
        assert!(parse_args(["--what".to_string(), "1".to_string()].into_iter()).is_err());
    }
}
