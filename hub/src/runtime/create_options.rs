//! A module's `settings.createOptions` (Docker's container-create JSON, as edgeAgent reads
//! it) reduced to what applies to a local podman container. Everything else is listed in
//! `ignored`, so the runtime can say what it left out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The parts of `createOptions` the local runtime applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateOptions {
    /// `Env` (`["NAME=value", …]`), in order.
    pub env: Vec<(String, String)>,
    /// `Cmd`: replaces the image's command.
    pub cmd: Option<Vec<String>>,
    /// `Entrypoint`: replaces the image's entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `HostConfig.Binds` (`host:container[:options]`).
    pub binds: Vec<String>,
    /// `HostConfig.Mounts` of type `bind` or `volume`, as `--mount` values.
    pub mounts: Vec<String>,
    /// `HostConfig.Devices`, as `--device` values.
    pub devices: Vec<String>,
    /// `HostConfig.Privileged`.
    pub privileged: bool,
    /// `HostConfig.NetworkMode` as written (the runtime always uses the host network).
    pub network_mode: Option<String>,
    /// JSON paths of options that are not applied locally.
    pub ignored: Vec<String>,
}

/// Parses the (joined) `createOptions` text. Empty text or `null` is no options.
pub fn parse(text: &str) -> Result<CreateOptions, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("null") {
        return Ok(CreateOptions::default());
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("createOptions is not JSON: {e}"))?;
    let Value::Object(root) = value else {
        return Err("createOptions must be a JSON object".into());
    };
    let mut options = CreateOptions::default();
    for (key, value) in &root {
        match key.as_str() {
            "Env" => {
                for entry in strings(value, "Env")? {
                    let (name, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
                    options.env.push((name.to_string(), value.to_string()));
                }
            }
            "Cmd" => options.cmd = Some(command(value, "Cmd")?),
            "Entrypoint" => options.entrypoint = Some(command(value, "Entrypoint")?),
            "WorkingDir" => options.working_dir = Some(string(value, "WorkingDir")?),
            "User" => options.user = Some(string(value, "User")?).filter(|u| !u.is_empty()),
            "Labels" => {
                for (name, label) in object(value, "Labels")? {
                    options
                        .labels
                        .insert(name.clone(), string(label, "Labels")?);
                }
            }
            "HostConfig" => host_config(object(value, "HostConfig")?, &mut options)?,
            // Docker's own echo of the image and host name; the runtime sets both.
            "Image" | "Hostname" => options.ignored.push(key.clone()),
            _ => options.ignored.push(key.clone()),
        }
    }
    Ok(options)
}

fn host_config(host: &Map<String, Value>, options: &mut CreateOptions) -> Result<(), String> {
    for (key, value) in host {
        let path = format!("HostConfig.{key}");
        match key.as_str() {
            "Binds" => options.binds.extend(strings(value, &path)?),
            "Mounts" => {
                let Value::Array(mounts) = value else {
                    return Err(format!("{path} must be an array"));
                };
                for mount in mounts {
                    options.mounts.push(mount_flag(mount, &path)?);
                }
            }
            "Devices" => {
                let Value::Array(devices) = value else {
                    return Err(format!("{path} must be an array"));
                };
                for device in devices {
                    let device = object(device, &path)?;
                    let host_path = device
                        .get("PathOnHost")
                        .map(|v| string(v, &path))
                        .transpose()?
                        .ok_or_else(|| format!("{path}: a device needs PathOnHost"))?;
                    let container = device
                        .get("PathInContainer")
                        .map(|v| string(v, &path))
                        .transpose()?
                        .unwrap_or_else(|| host_path.clone());
                    let permissions = device
                        .get("CgroupPermissions")
                        .map(|v| string(v, &path))
                        .transpose()?
                        .unwrap_or_else(|| "rwm".into());
                    options
                        .devices
                        .push(format!("{host_path}:{container}:{permissions}"));
                }
            }
            "Privileged" => {
                options.privileged = value
                    .as_bool()
                    .ok_or_else(|| format!("{path} must be true or false"))?;
            }
            "NetworkMode" => options.network_mode = Some(string(value, &path)?),
            // Port bindings are moot on the host network: the module's ports are the host's.
            _ => options.ignored.push(path),
        }
    }
    Ok(())
}

/// `{"Type":"bind"|"volume","Source":…,"Target":…,"ReadOnly":bool}` → `--mount` value.
fn mount_flag(mount: &Value, path: &str) -> Result<String, String> {
    let mount = object(mount, path)?;
    let field = |name: &str| -> Result<Option<String>, String> {
        mount.get(name).map(|v| string(v, path)).transpose()
    };
    let kind = field("Type")?.unwrap_or_else(|| "volume".into());
    if kind != "bind" && kind != "volume" {
        return Err(format!(
            "{path}: mount type '{kind}' is not supported locally (bind or volume)"
        ));
    }
    let target = field("Target")?.ok_or_else(|| format!("{path}: a mount needs Target"))?;
    let mut flag = format!("type={kind},destination={target}");
    if let Some(source) = field("Source")? {
        flag = format!("{flag},source={source}");
    }
    if mount.get("ReadOnly").and_then(Value::as_bool) == Some(true) {
        flag.push_str(",ro=true");
    }
    Ok(flag)
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{path} must be an object"))
}

fn string(value: &Value, path: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{path} must be a string"))
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(|item| string(item, path)).collect(),
        _ => Err(format!("{path} must be an array of strings")),
    }
}

/// Docker accepts a command as an array or as one string (run by `/bin/sh -c`).
fn command(value: &Value, path: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(line) => Ok(vec!["/bin/sh".into(), "-c".into(), line.clone()]),
        _ => strings(value, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_null_are_no_options() {
        assert_eq!(parse("").unwrap(), CreateOptions::default());
        assert_eq!(parse(" null ").unwrap(), CreateOptions::default());
        assert_eq!(parse("{}").unwrap(), CreateOptions::default());
    }

    #[test]
    fn applies_env_binds_mounts_and_notes_the_rest() {
        let options = parse(
            r#"{"Env":["A=1","B=x=y","C"],"Cmd":["--verbose"],"User":"1001",
                "Labels":{"team":"edge"},
                "HostConfig":{"Binds":["/data:/data:ro"],"NetworkMode":"azure-iot-edge",
                  "PortBindings":{"80/tcp":[{"HostPort":"8080"}]},
                  "Mounts":[{"Type":"volume","Source":"cache","Target":"/cache","ReadOnly":true}],
                  "Devices":[{"PathOnHost":"/dev/ttyUSB0"}],"Privileged":false},
                "ExposedPorts":{"80/tcp":{}}}"#,
        )
        .unwrap();
        assert_eq!(
            options.env,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), String::new())
            ]
        );
        assert_eq!(options.cmd, Some(vec!["--verbose".to_string()]));
        assert_eq!(options.user.as_deref(), Some("1001"));
        assert_eq!(options.labels.get("team").map(String::as_str), Some("edge"));
        assert_eq!(options.binds, vec!["/data:/data:ro".to_string()]);
        assert_eq!(
            options.mounts,
            vec!["type=volume,destination=/cache,source=cache,ro=true".to_string()]
        );
        assert_eq!(
            options.devices,
            vec!["/dev/ttyUSB0:/dev/ttyUSB0:rwm".to_string()]
        );
        assert_eq!(options.network_mode.as_deref(), Some("azure-iot-edge"));
        assert_eq!(
            options.ignored,
            vec![
                "ExposedPorts".to_string(),
                "HostConfig.PortBindings".to_string()
            ]
        );
    }

    #[test]
    fn a_string_command_runs_through_the_shell() {
        let options = parse(r#"{"Entrypoint":"exec ./main --fast"}"#).unwrap();
        assert_eq!(
            options.entrypoint,
            Some(vec![
                "/bin/sh".to_string(),
                "-c".to_string(),
                "exec ./main --fast".to_string()
            ])
        );
    }

    #[test]
    fn bad_options_are_typed_errors() {
        assert!(parse("{").unwrap_err().contains("not JSON"));
        assert!(parse("[]").unwrap_err().contains("object"));
        assert!(parse(r#"{"Env":"A=1"}"#).unwrap_err().contains("Env"));
        assert!(parse(r#"{"HostConfig":{"Binds":[1]}}"#)
            .unwrap_err()
            .contains("HostConfig.Binds"));
        assert!(
            parse(r#"{"HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/t"}]}}"#)
                .unwrap_err()
                .contains("tmpfs")
        );
    }
}
