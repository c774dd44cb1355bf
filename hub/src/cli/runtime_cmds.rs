//! `ps` and `logs` (through the admin API), and planning the module runtime for `serve`.

use std::io::Write;

use http_body_util::BodyExt;
use hyper::Method;
use serde_json::Value;

use super::client::{encode_segment, AdminClient, CliError};
use super::runtime_args::{LogsArgs, PsArgs};
use crate::config::HubConfig;
use crate::runtime::{Plan, RuntimeSettings};

/// Decides how each module runs and logs it.
pub async fn plan(config: &HubConfig, settings: RuntimeSettings) -> Result<Plan, CliError> {
    let mode = settings.mode;
    let plan = Plan::prepare(&config.manifest, settings, &config.state_dir)
        .await
        .map_err(|e| CliError(format!("cannot run the deployment's modules: {e}")))?;
    for (module, how, detail) in plan.summary() {
        tracing::info!(module = %module, runs_as = how, detail = %detail, mode = mode.as_str(), "module planned");
    }
    Ok(plan)
}

/// `ps`: a table of the modules (or the `$edgeAgent` reported properties with `--json`).
pub async fn ps(args: PsArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let reported = client.json(Method::GET, "/runtime", None).await?;
    let text = if args.json {
        let mut text = serde_json::to_string_pretty(&reported).unwrap_or_default();
        text.push('\n');
        text
    } else {
        table(&reported)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError(format!("cannot write to stdout: {e}")))
}

/// One line per module: name, how it runs, status, restarts, exit code, pid, description,
/// image or command.
pub fn table(reported: &Value) -> String {
    let mut rows = vec![[
        "NAME",
        "RUNS AS",
        "STATUS",
        "RESTARTS",
        "EXIT",
        "PID",
        "DESCRIPTION",
        "IMAGE / COMMAND",
    ]
    .map(str::to_string)];
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    for (group, runs_as) in [("systemModules", "hub"), ("modules", "")] {
        let Some(modules) = reported[group].as_object() else {
            continue;
        };
        for (name, m) in modules {
            let local = &m["x-edgemodule"];
            let config = match local["command"].as_array() {
                Some(command) => command.iter().map(text).collect::<Vec<_>>().join(" "),
                None => text(&m["settings"]["image"]),
            };
            rows.push([
                name.clone(),
                if runs_as.is_empty() {
                    text(&local["runAs"])
                } else {
                    runs_as.to_string()
                },
                text(&m["runtimeStatus"]),
                if m["restartCount"].is_null() {
                    "-".into()
                } else {
                    text(&m["restartCount"])
                },
                text(&m["exitCode"]),
                text(&local["pid"]),
                text(&m["statusDescription"]),
                config,
            ]);
        }
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `logs`: the module's output, optionally followed.
pub async fn logs(args: LogsArgs) -> Result<(), CliError> {
    let client = AdminClient::new(&args.admin);
    let mut path = format!(
        "/modules/{}/logs?follow={}",
        encode_segment(&args.module),
        args.follow
    );
    if let Some(tail) = args.tail {
        path.push_str(&format!("&tail={tail}"));
    }
    let response = client.send(Method::GET, &path, None).await?;
    let status = response.status();
    if !status.is_success() {
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        return Err(CliError(format!(
            "hub answered {}: {message}",
            status.as_u16()
        )));
    }
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| CliError(format!("the hub closed the log stream ({e})")))?;
        if let Ok(data) = frame.into_data() {
            let mut out = std::io::stdout().lock();
            out.write_all(&data)
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_module_with_its_state() {
        let reported = serde_json::json!({
            "systemModules": {"edgeHub": {"runtimeStatus": "running", "exitCode": 0,
                "restartCount": 0, "statusDescription": "running in edgemodule-hub",
                "settings": {"image": "edgemodule-hub:0.1.0"}}},
            "modules": {"filter": {"runtimeStatus": "backoff", "exitCode": 137, "restartCount": 1,
                "statusDescription": "exited with code 137; restart 2 of 20 in 20 s",
                "settings": {"image": "localhost/f:1"},
                "x-edgemodule": {"runAs": "container", "pid": null}}}
        });
        let text = table(&reported);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("NAME"));
        assert!(lines[1].starts_with("edgeHub") && lines[1].contains("hub"));
        let filter: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            &filter[..6],
            &["filter", "container", "backoff", "1", "137", "-"]
        );
        assert!(lines[2].ends_with("localhost/f:1"));
    }
}
