//! `serve`: run the hub in the foreground until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use super::args::{DeliveryArg, ServeArgs, StoreCheckpointArg};
use super::client::CliError;
use crate::config::{HubConfig, MetricsBind, StoreCheckpoint};
use crate::hub::Hub;
use crate::mqtt::{DeliveryMode, DeliveryPolicy};
use crate::upstream::ParentConfig;

/// Builds the configuration, starts the hub, prints one `ready` line on stdout, waits for a
/// shutdown signal and shuts down gracefully.
pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let manifest_dir = absolute(args.manifest.clone())?
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let runtime = args.runtime.settings(manifest_dir);
    let mut config = config_from_args(args)?;
    // Decided before the hub starts: a container module's workload socket goes to the
    // user its image runs as (an explicit --workload-owner wins).
    let plan = match runtime {
        Some(settings) => Some(super::runtime_cmds::plan(&config, settings).await?),
        None => None,
    };
    if let Some(plan) = &plan {
        for (module, uid) in plan.socket_owners().await {
            config.workload_owners.entry(module).or_insert(uid);
        }
    }
    let hub = Hub::start(config)
        .await
        .map_err(|e| CliError(format!("cannot start the hub: {e}")))?;
    let agent = match plan {
        Some(plan) => match crate::runtime::Agent::start(plan, &hub).await {
            Ok(agent) => Some(agent),
            Err(e) => {
                hub.shutdown().await;
                return Err(CliError(format!("cannot start the modules: {e}")));
            }
        },
        None => None,
    };
    let mut ready = format!(
        "edgemodule-hub ready: device={} mqtt={} https={} admin={} workload={} state={} delivery={}",
        hub.config().device_id,
        hub.mqtt_addr(),
        hub.https_addr(),
        hub.admin_addr(),
        hub.workload_location().display(),
        hub.config().state_dir.display(),
        hub.config().delivery.mode.as_str()
    );
    if let Some(parent) = &hub.config().parent {
        ready.push_str(&format!(" parent={}", parent.address()));
    }
    if let Some(metrics) = hub.metrics_addr() {
        ready.push_str(&format!(" metrics={metrics}"));
    }
    if let Some(agent) = &agent {
        ready.push_str(&format!(" modules={}", agent.view().mode().as_str()));
    }
    tracing::info!(
        mqtt = %hub.mqtt_addr(),
        https = %hub.https_addr(),
        admin = %hub.admin_addr(),
        "hub running"
    );
    {
        let mut out = std::io::stdout().lock();
        // Scripts wait for this line; a closed stdout must not stop the hub.
        let _ = writeln!(out, "{ready}").and_then(|()| out.flush());
    }
    let signal = shutdown_signal().await;
    tracing::info!(signal, "shutting down");
    if let Some(agent) = agent {
        agent.shutdown().await;
    }
    hub.shutdown().await;
    Ok(())
}

fn config_from_args(args: ServeArgs) -> Result<HubConfig, CliError> {
    let manifest = crate::manifest::load(&args.manifest).map_err(|e| {
        CliError(format!(
            "cannot load the manifest {}: {e}",
            args.manifest.display()
        ))
    })?;
    // Modules run from other directories: every path the hub hands out must be absolute.
    let state = absolute(args.state)?;
    let mut config = HubConfig::new(manifest, state);
    if let Some(device_id) = args.device_id {
        config.device_id = device_id;
    }
    if let Some(host) = args.iothub_hostname {
        config.iothub_host_name = host;
    }
    if let Some(host) = args.gateway_hostname {
        config.gateway_host_name = host;
    }
    config.mqtt_bind = SocketAddr::new(args.bind_address, args.mqtt_port);
    config.https_bind = SocketAddr::new(args.bind_address, args.https_port);
    config.admin_bind = SocketAddr::from((Ipv4Addr::LOCALHOST, args.admin_port));
    config.metrics = match (args.no_metrics, args.metrics_port) {
        (true, _) => MetricsBind::Off,
        (false, Some(port)) => MetricsBind::Exact(SocketAddr::new(args.metrics_address, port)),
        (false, None) => MetricsBind::Preferred(SocketAddr::new(
            args.metrics_address,
            crate::metrics::DEFAULT_METRICS_PORT,
        )),
    };
    config.delivery = DeliveryPolicy {
        mode: match args.delivery {
            DeliveryArg::Strict => DeliveryMode::Strict,
            DeliveryArg::Permissive => DeliveryMode::Permissive,
        },
        ack_timeout: std::time::Duration::from_secs(args.ack_timeout_secs),
    };
    config.reauth_interval = std::time::Duration::from_millis(args.reauth_interval_ms);
    config.store_checkpoint = match args.store_checkpoint {
        StoreCheckpointArg::Background => StoreCheckpoint::Background,
        StoreCheckpointArg::Writer => StoreCheckpoint::Writer,
    };
    if let Some(dir) = args.workload_dir {
        config.workload_dir = absolute(dir)?;
    }
    config.workload_owners = args.workload_owners.into_iter().collect();
    if args.insecure_shared_workload {
        let socket = match args.workload_socket {
            Some(socket) => absolute(socket)?,
            None => config.state_dir.join("workload.sock"),
        };
        config.insecure_shared_workload = Some(socket);
    }
    config.parent = parent_from_args(
        args.parent.as_deref(),
        args.parent_ca.as_deref(),
        args.parent_key.as_deref(),
        args.parent_connection_string.as_deref(),
        &config.device_id,
    )?;
    Ok(config)
}

/// `--parent`, `--parent-ca` and the credential, as a [`ParentConfig`].
fn parent_from_args(
    address: Option<&str>,
    ca: Option<&std::path::Path>,
    key: Option<&str>,
    connection_string: Option<&str>,
    device_id: &str,
) -> Result<Option<ParentConfig>, CliError> {
    let Some(address) = address else {
        return Ok(None);
    };
    let ca = ca.ok_or_else(|| CliError("--parent needs --parent-ca PEM".into()))?;
    let ca_pem = std::fs::read_to_string(ca).map_err(|e| {
        CliError(format!(
            "cannot read the parent CA {} (--parent-ca): {e}",
            ca.display()
        ))
    })?;
    let parent = match (key, connection_string) {
        (Some(key), _) => ParentConfig::from_key(address, device_id, key, ca_pem),
        (None, Some(cs)) => ParentConfig::from_connection_string(cs, Some(address), ca_pem),
        (None, None) => {
            return Err(CliError(
                "--parent needs a credential: --parent-key (EDGEMODULE_HUB_PARENT_KEY) or \
                 --parent-connection-string (EDGEMODULE_HUB_PARENT_CONNECTION_STRING)"
                    .into(),
            ))
        }
    };
    parent
        .map(Some)
        .map_err(|e| CliError(format!("--parent: {e}")))
}

fn absolute(path: std::path::PathBuf) -> Result<std::path::PathBuf, CliError> {
    std::path::absolute(&path)
        .map_err(|e| CliError(format!("cannot resolve the path {}: {e}", path.display())))
}

/// Resolves on Ctrl-C or SIGTERM; returns the signal's name.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "SIGINT",
            // Without a handler only SIGTERM can stop us.
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                name = ctrl_c => name,
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c.await
    }
}
