//! Parsing `deployment.json` into a [`Manifest`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::json::{join, kind, At};
use super::{
    Manifest, ManifestError, ModuleSpec, DEFAULT_STORE_TTL_SECS, SUPPORTED_SCHEMA_VERSIONS,
};
use crate::routes::{self, Route, Sink};

const DESIRED: &str = "properties.desired";

/// Parses a deployment manifest (`{"modulesContent": …}`, or the `{"content":
/// {"modulesContent": …}}` form the Azure CLI writes).
pub fn parse(json: &str) -> Result<Manifest, ManifestError> {
    let root: Value = serde_json::from_str(json)
        .map_err(|e| ManifestError::new("", format!("not valid JSON: {e}")))?;
    let root = At {
        value: &root,
        path: "",
    };
    let (content, prefix) = match root.object()?.get("content") {
        Some(content) => (content, "content"),
        None => (root.value, ""),
    };
    let content = At {
        value: content,
        path: prefix,
    };
    let mc_path = join(prefix, "modulesContent");
    let modules_content = At {
        value: required(content, "modulesContent")?,
        path: &mc_path,
    };
    let mc = modules_content.object()?;

    let modules = parse_modules(modules_content, mc)?;

    let hub_path = join(&mc_path, "$edgeHub");
    let hub = At {
        value: required(modules_content, "$edgeHub")?,
        path: &hub_path,
    };
    let desired_path = join(&hub_path, DESIRED);
    let desired = At {
        value: required(hub, DESIRED)?,
        path: &desired_path,
    };
    let desired_obj = desired.object()?;

    let schema_version = parse_schema_version(desired)?;
    let routes = parse_routes(desired, desired_obj, &schema_version, &modules)?;
    let (store_ttl_secs, store_max_size_bytes) = parse_store_and_forward(desired, desired_obj)?;
    let authorization = parse_broker(desired, desired_obj, &schema_version)?;

    Ok(Manifest {
        schema_version,
        modules,
        routes,
        store_ttl_secs,
        store_max_size_bytes,
        authorization,
    })
}

/// `parent[key]`, or an error naming `parent.key`.
fn required<'a>(parent: At<'a, '_>, key: &str) -> Result<&'a Value, ManifestError> {
    parent
        .object()?
        .get(key)
        .ok_or_else(|| ManifestError::new(join(parent.path, key), "is required but missing"))
}

fn parse_modules(
    modules_content: At<'_, '_>,
    mc: &Map<String, Value>,
) -> Result<Vec<ModuleSpec>, ManifestError> {
    let agent_path = join(modules_content.path, "$edgeAgent");
    let agent = At {
        value: required(modules_content, "$edgeAgent")?,
        path: &agent_path,
    };
    let desired_path = join(&agent_path, DESIRED);
    let desired = At {
        value: required(agent, DESIRED)?,
        path: &desired_path,
    };
    let modules_path = join(&desired_path, "modules");
    let Some(modules) = desired.object()?.get("modules") else {
        return Ok(Vec::new());
    };
    let modules = At {
        value: modules,
        path: &modules_path,
    };
    let mut specs = Vec::new();
    for (name, module) in modules.object()? {
        let path = join(&modules_path, name);
        check_module_name(name).map_err(|m| ManifestError::new(&path, m))?;
        let module = At {
            value: module,
            path: &path,
        };
        let env = parse_env(module)?;
        let desired = match mc.get(name) {
            None => Value::Object(Map::new()),
            Some(content) => {
                let content_path = join(modules_content.path, name);
                let content = At {
                    value: content,
                    path: &content_path,
                };
                match content.object()?.get(DESIRED) {
                    None => Value::Object(Map::new()),
                    Some(d) => {
                        let d_path = join(&content_path, DESIRED);
                        let mut d = At {
                            value: d,
                            path: &d_path,
                        }
                        .object()?
                        .clone();
                        d.remove("$version");
                        let d = Value::Object(d);
                        // The same rules (32 KiB, names, depth) as a desired patch through
                        // the admin API or the CLI.
                        crate::twins::validate_patch(&d)
                            .map_err(|m| ManifestError::new(&d_path, m))?;
                        d
                    }
                }
            }
        };
        specs.push(ModuleSpec {
            name: name.clone(),
            desired,
            env,
            agent: module.value.clone(),
        });
    }
    Ok(specs)
}

/// Module ids end up in MQTT topics and client ids: no `/`, wildcards or whitespace, and
/// `$` names are reserved for system modules.
fn check_module_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("module names must not be empty".into());
    }
    if name.starts_with('$') {
        return Err(format!(
            "'{name}': names starting with '$' are reserved for system modules"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '#' | '+') || c.is_whitespace() || c.is_control())
    {
        return Err(format!("'{name}': module names must not contain {c:?}"));
    }
    if name.len() > 128 {
        return Err(format!("'{name}': module names are at most 128 characters"));
    }
    Ok(())
}

/// `env: {"KEY": {"value": …}}`; scalar values are turned into strings.
fn parse_env(module: At<'_, '_>) -> Result<BTreeMap<String, String>, ManifestError> {
    let mut env = BTreeMap::new();
    let Some(value) = module.object()?.get("env") else {
        return Ok(env);
    };
    let env_path = join(module.path, "env");
    for (key, entry) in (At {
        value,
        path: &env_path,
    })
    .object()?
    {
        let path = join(&env_path, key);
        let entry = At {
            value: entry,
            path: &path,
        };
        let v = entry
            .object()?
            .get("value")
            .ok_or_else(|| ManifestError::new(join(&path, "value"), "is required but missing"))?;
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(ManifestError::new(
                    join(&path, "value"),
                    format!("must be a string, number or boolean, found {}", kind(other)),
                ))
            }
        };
        env.insert(key.clone(), text);
    }
    Ok(env)
}

fn parse_schema_version(desired: At<'_, '_>) -> Result<String, ManifestError> {
    let path = join(desired.path, "schemaVersion");
    let version = At {
        value: required(desired, "schemaVersion")?,
        path: &path,
    }
    .str()?;
    if !SUPPORTED_SCHEMA_VERSIONS.contains(&version) {
        return Err(ManifestError::new(
            path,
            format!(
                "unsupported schemaVersion '{version}' (supported: {})",
                SUPPORTED_SCHEMA_VERSIONS.join(", ")
            ),
        ));
    }
    Ok(version.to_string())
}

fn parse_routes(
    desired: At<'_, '_>,
    obj: &Map<String, Value>,
    schema_version: &str,
    modules: &[ModuleSpec],
) -> Result<Vec<Route>, ManifestError> {
    let Some(routes) = obj.get("routes") else {
        return Ok(Vec::new());
    };
    let routes_path = join(desired.path, "routes");
    let routes = At {
        value: routes,
        path: &routes_path,
    };
    let mut parsed = Vec::new();
    for (name, value) in routes.object()? {
        let path = join(&routes_path, name);
        let at = At { value, path: &path };
        if name.is_empty() || name.contains(['.', '$', '#', ' ']) {
            return Err(at.error(format!(
                "invalid route name '{name}': must be non-empty without '.', '$', '#' or spaces"
            )));
        }
        let (text, priority, ttl) = match value {
            Value::String(text) => (text.as_str(), routes::DEFAULT_PRIORITY, 0),
            Value::Object(spec) if schema_version != "1.0" => route_object(at, spec)?,
            Value::Object(_) => {
                return Err(at.error("schemaVersion 1.0 allows only string routes; use 1.1 or later for priority and timeToLiveSecs"));
            }
            other => {
                return Err(at.error(format!(
                    "a route must be a string or an object, found {}",
                    kind(other)
                )))
            }
        };
        let route = routes::parse_route(name, text, priority, ttl)
            .map_err(|e| at.error(format!("invalid route '{text}': {e}")))?;
        if let Sink::Module { module_id, input } = &route.sink {
            if !modules.iter().any(|m| &m.name == module_id) {
                return Err(at.error(format!(
                    "routes to module '{module_id}' (input '{input}'), which is not among the $edgeAgent modules"
                )));
            }
        }
        parsed.push(route);
    }
    Ok(parsed)
}

/// `{"route": …, "priority": 0-9, "timeToLiveSecs": uint}`.
fn route_object<'a>(
    at: At<'_, '_>,
    spec: &'a Map<String, Value>,
) -> Result<(&'a str, u32, u32), ManifestError> {
    let route_path = join(at.path, "route");
    let text = match spec.get("route") {
        Some(v) => At {
            value: v,
            path: &route_path,
        }
        .str()?,
        None => return Err(ManifestError::new(route_path, "is required but missing")),
    };
    let priority = match spec.get("priority") {
        None | Some(Value::Null) => routes::DEFAULT_PRIORITY,
        Some(v) => {
            let path = join(at.path, "priority");
            let p = At {
                value: v,
                path: &path,
            }
            .i64()?;
            if !(0..=9).contains(&p) {
                return Err(ManifestError::new(
                    path,
                    format!("must be 0 to 9, found {p}"),
                ));
            }
            p as u32
        }
    };
    let ttl = match spec.get("timeToLiveSecs") {
        None | Some(Value::Null) => 0,
        Some(v) => {
            let path = join(at.path, "timeToLiveSecs");
            let t = At {
                value: v,
                path: &path,
            }
            .i64()?;
            u32::try_from(t).map_err(|_| {
                ManifestError::new(path, format!("must be 0 to {}, found {t}", u32::MAX))
            })?
        }
    };
    Ok((text, priority, ttl))
}

fn parse_store_and_forward(
    desired: At<'_, '_>,
    obj: &Map<String, Value>,
) -> Result<(i64, Option<u64>), ManifestError> {
    let Some(saf) = obj.get("storeAndForwardConfiguration") else {
        return Ok((DEFAULT_STORE_TTL_SECS, None));
    };
    let saf_path = join(desired.path, "storeAndForwardConfiguration");
    let saf = At {
        value: saf,
        path: &saf_path,
    };
    let saf_obj = saf.object()?;
    let ttl = match saf_obj.get("timeToLiveSecs") {
        None | Some(Value::Null) => DEFAULT_STORE_TTL_SECS,
        Some(v) => {
            let path = join(&saf_path, "timeToLiveSecs");
            At {
                value: v,
                path: &path,
            }
            .i64()?
        }
    };
    let max_size = match saf_obj.get("storeLimits") {
        None | Some(Value::Null) => None,
        Some(limits) => {
            let limits_path = join(&saf_path, "storeLimits");
            let limits = At {
                value: limits,
                path: &limits_path,
            };
            match limits.object()?.get("maxSizeBytes") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    let path = join(&limits_path, "maxSizeBytes");
                    let n = At {
                        value: v,
                        path: &path,
                    }
                    .i64()?;
                    if n <= 0 {
                        return Err(ManifestError::new(
                            path,
                            format!("must be positive, found {n}"),
                        ));
                    }
                    Some(n as u64)
                }
            }
        }
    };
    Ok((ttl, max_size))
}

fn parse_broker(
    desired: At<'_, '_>,
    obj: &Map<String, Value>,
    schema_version: &str,
) -> Result<crate::authz::Policy, ManifestError> {
    let Some(broker) = obj.get("mqttBroker") else {
        return Ok(crate::authz::Policy::default());
    };
    let broker_path = join(desired.path, "mqttBroker");
    let broker = At {
        value: broker,
        path: &broker_path,
    };
    if matches!(schema_version, "1.0" | "1.1") {
        return Err(broker.error(format!(
            "mqttBroker requires schemaVersion 1.2 or later (found {schema_version})"
        )));
    }
    match broker.object()?.get("authorizations") {
        None | Some(Value::Null) => Ok(crate::authz::Policy::default()),
        Some(v) => crate::authz::Policy::from_json(v).map_err(|e| broker.error(e)),
    }
}
