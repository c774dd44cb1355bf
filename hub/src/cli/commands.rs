//! The client subcommands: `env`, `monitor`, `invoke`, `twin` (all through the admin API).

use std::io::Write;

use http_body_util::BodyExt;
use hyper::Method;
use serde_json::Value;

use super::args::{EnvArgs, EnvForm, EnvFormat, InspectArgs, InvokeArgs, MonitorArgs, TwinArgs};
use super::client::{encode_segment, AdminClient, CliError};

/// `env`: the module's environment as shell or dotenv lines.
pub async fn env(args: EnvArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let path = format!("/modules/{}/env", encode_segment(&args.module));
    let answer = client.json(Method::GET, &path, None).await?;
    let pairs = |key: &str| -> Vec<(String, String)> {
        answer[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p["name"].as_str()?.to_string(),
                            p["value"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = String::new();
    if args.form != EnvForm::ConnectionString {
        out.push_str("# IoT Edge runtime form (workload API socket)\n");
        for (name, value) in pairs("workload") {
            out.push_str(&env_line(args.format, &name, &value));
        }
    }
    if args.form != EnvForm::Workload {
        out.push_str("# Simulator form (connection string with the module key)\n");
        for (name, value) in pairs("connectionString") {
            // Port overrides were already printed with the workload form.
            if args.form == EnvForm::Both && name.starts_with("EDGEMODULE_") {
                continue;
            }
            out.push_str(&env_line(args.format, &name, &value));
        }
    }
    print_flush(&out)
}

/// One variable in the chosen syntax, newline included.
pub fn env_line(format: EnvFormat, name: &str, value: &str) -> String {
    match format {
        EnvFormat::Shell => format!("export {name}='{}'\n", value.replace('\'', r"'\''")),
        EnvFormat::Dotenv => {
            let plain = !value.is_empty()
                && value.chars().all(|c| {
                    !c.is_whitespace() && !matches!(c, '"' | '\'' | '#' | '\\' | '$' | '`')
                });
            if plain {
                format!("{name}={value}\n")
            } else {
                let escaped = value
                    .replace('\\', r"\\")
                    .replace('"', "\\\"")
                    .replace('$', r"\$")
                    .replace('`', "\\`");
                format!("{name}=\"{escaped}\"\n")
            }
        }
    }
}

/// `monitor`: copies the admin API's JSON lines to stdout as they arrive.
pub async fn monitor(args: MonitorArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let path = format!(
        "/upstream?follow={}&history={}",
        !args.no_follow, !args.new_only
    );
    let response = client.send(Method::GET, &path, None).await?;
    if !response.status().is_success() {
        return Err(CliError(format!(
            "hub answered {} to {path}",
            response.status().as_u16()
        )));
    }
    let mut body = response.into_body();
    let stdout = std::io::stdout();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            CliError(format!(
                "monitor stream ended: the hub closed the connection ({e})"
            ))
        })?;
        if let Ok(data) = frame.into_data() {
            let mut out = stdout.lock();
            out.write_all(&data)
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(())
}

/// `invoke`: calls a method and prints `{"status":…,"payload":…}`.
pub async fn invoke(args: InvokeArgs) -> Result<(), CliError> {
    let payload = match &args.payload {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).map_err(|e| {
            CliError(format!(
                "the payload is not valid JSON ({e}); quote strings like '\"text\"'"
            ))
        })?,
    };
    let client = AdminClient::new(&args.admin);
    let path = format!(
        "/modules/{}/methods/{}?timeout={}&connectTimeout={}",
        encode_segment(&args.module),
        encode_segment(&args.method),
        args.timeout,
        args.connect_timeout
    );
    let answer = client.json(Method::POST, &path, Some(&payload)).await?;
    print_json(&answer)
}

/// `twin`: prints the twin, or applies a desired patch and prints the new twin.
pub async fn twin(args: TwinArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let module = encode_segment(&args.module);
    if let Some(text) = &args.desired {
        let patch: Value = serde_json::from_str(text)
            .map_err(|e| CliError(format!("--desired is not valid JSON: {e}")))?;
        if !patch.is_object() {
            return Err(CliError("--desired must be a JSON object".to_string()));
        }
        let path = format!("/modules/{module}/twin/desired");
        client.json(Method::PATCH, &path, Some(&patch)).await?;
    }
    let twin = client
        .json(Method::GET, &format!("/modules/{module}/twin"), None)
        .await?;
    print_json(&twin)
}

/// `inspect`: prints the module's delivery inspection (one JSON object).
pub async fn inspect(args: InspectArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let path = format!("/modules/{}/inspect", encode_segment(&args.module));
    let answer = client.json(Method::GET, &path, None).await?;
    print_json(&answer)
}

fn print_json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    print_flush(&format!("{text}\n"))
}

fn print_flush(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError(format!("cannot write to stdout: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_lines_are_quoted() {
        assert_eq!(
            env_line(EnvFormat::Shell, "A", "x;y=z"),
            "export A='x;y=z'\n"
        );
        assert_eq!(
            env_line(EnvFormat::Shell, "A", "it's"),
            "export A='it'\\''s'\n"
        );
    }

    #[test]
    fn dotenv_lines_quote_only_when_needed() {
        assert_eq!(
            env_line(
                EnvFormat::Dotenv,
                "CS",
                "HostName=h;DeviceId=d;SharedAccessKey=k+/="
            ),
            "CS=HostName=h;DeviceId=d;SharedAccessKey=k+/=\n"
        );
        assert_eq!(
            env_line(EnvFormat::Dotenv, "P", "/a b/c\"$"),
            "P=\"/a b/c\\\"\\$\"\n"
        );
        assert_eq!(env_line(EnvFormat::Dotenv, "E", ""), "E=\"\"\n");
    }
}
