//! Command-line arguments of `edgemodule-hub`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default address of the admin API.
pub const DEFAULT_ADMIN: &str = "127.0.0.1:15580";
/// Default state directory (relative to the working directory).
pub const DEFAULT_STATE: &str = "./.edgemodule-hub";
/// Environment variable naming the state directory, for `serve` and for the subcommands
/// that read the admin token from it.
pub const STATE_ENV: &str = "EDGEMODULE_HUB_STATE";

/// A local, Docker-free hub that speaks edgeHub's protocol (MQTT, twins, direct methods,
/// routes, store-and-forward) plus the IoT Edge workload API, driven by a standard
/// deployment.json.
#[derive(Debug, Parser)]
#[command(name = "edgemodule-hub", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Print the environment a module needs to connect to the running hub.
    Env(EnvArgs),
    /// Print messages routed to $upstream as JSON lines, live.
    Monitor(MonitorArgs),
    /// Call a direct method on a connected module and print its answer.
    Invoke(InvokeArgs),
    /// Show a module twin, or change its desired properties.
    Twin(TwinArgs),
    /// Print what the hub observed about a module's delivery traffic, as JSON.
    Inspect(InspectArgs),
    /// Show the hub's key figures live (messages in/out per second, queue lengths,
    /// connected modules), read from its metrics endpoint.
    Stats(StatsArgs),
    /// Run the hub and the deployment's modules (`serve --run-modules`).
    Up(ServeArgs),
    /// Show the modules the hub runs: runtime status, exit code, restarts.
    Ps(super::runtime_args::PsArgs),
    /// Show a module's output.
    Logs(super::runtime_args::LogsArgs),
    /// Build a module's image from its module.json with podman.
    Build(super::runtime_args::BuildArgs),
    /// Create a module (code, module.json, Dockerfiles, a test) and add it to the manifest.
    New(super::runtime_args::NewArgs),
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Deployment manifest (deployment.json) with modules, routes and desired properties.
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Directory for keys, certificates, the message store, twins, the admin token and the
    /// workload sockets (created if missing, mode 0700).
    #[arg(long, value_name = "DIR", env = STATE_ENV, default_value = DEFAULT_STATE)]
    pub state: PathBuf,
    /// Edge device id of this hub [default: edge-device].
    #[arg(long)]
    pub device_id: Option<String>,
    /// IoT Hub host name modules put in their tokens [default: localhub.azure-devices.net].
    #[arg(long = "iothub-hostname")]
    pub iothub_hostname: Option<String>,
    /// Host name modules connect to; also a name in the server certificate [default: localhost].
    #[arg(long = "gateway-hostname")]
    pub gateway_hostname: Option<String>,
    /// Address the MQTT and HTTPS listeners bind to. The default accepts local clients only;
    /// give 0.0.0.0 (or a container network's address) when modules run in containers or on
    /// other hosts.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind_address: IpAddr,
    /// MQTT over TLS port (0 picks a free port).
    #[arg(long, default_value_t = 8883)]
    pub mqtt_port: u16,
    /// HTTPS port of the module-to-module methods API (0 picks a free port).
    #[arg(long, default_value_t = 443)]
    pub https_port: u16,
    /// Port of the admin API on 127.0.0.1, used by the other subcommands (0 picks a free port).
    #[arg(long, default_value_t = 15580)]
    pub admin_port: u16,
    /// Port of the Prometheus metrics, `GET /metrics` (0 picks a free port). Without it the
    /// hub takes 9600, edgeHub's port, or a free port when another hub has 9600.
    #[arg(long, conflicts_with = "no_metrics")]
    pub metrics_port: Option<u16>,
    /// Address the metrics port binds to. It needs no token (as edgeHub's): give a
    /// non-loopback address only on networks allowed to see the hub's traffic figures.
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        conflicts_with = "no_metrics"
    )]
    pub metrics_address: IpAddr,
    /// Serve no metrics and count nothing.
    #[arg(long)]
    pub no_metrics: bool,
    /// Directory of the per-module workload sockets, `DIR/<module>.sock` [default:
    /// STATE/workload].
    #[arg(long, value_name = "DIR")]
    pub workload_dir: Option<PathBuf>,
    /// Give a module's workload socket to the user its process runs as, e.g.
    /// `--workload-owner filter=1001` (repeatable; needs root or CAP_CHOWN). Without it a
    /// socket is usable only by the hub's own user.
    #[arg(
        long = "workload-owner",
        value_name = "MODULE=UID",
        value_parser = parse_owner,
        conflicts_with = "insecure_shared_workload"
    )]
    pub workload_owners: Vec<(String, u32)>,
    /// INSECURE: one workload socket for every module (mode 0666), which signs for any
    /// module: every local process can act as every module. Only for setups that cannot give
    /// each module its own socket.
    #[arg(long)]
    pub insecure_shared_workload: bool,
    /// Path of the shared socket of --insecure-shared-workload [default: STATE/workload.sock].
    #[arg(long, value_name = "PATH", requires = "insecure_shared_workload")]
    pub workload_socket: Option<PathBuf>,
    /// How routed messages are delivered to module inputs: `strict` as edgeHub does (one
    /// message in flight per module, redelivery after the ack timeout, out-of-order PUBACKs
    /// ignored), or `permissive` (1,000 in flight, any PUBACK order) for experiments.
    #[arg(long, value_enum, default_value_t = DeliveryArg::Strict)]
    pub delivery: DeliveryArg,
    /// Strict delivery: seconds to wait for a PUBACK before an input message is sent again
    /// with DUP (edgeHub's MessageAckTimeoutSecs).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub ack_timeout_secs: u64,
    /// Nested edge: forward what the routes send to `$upstream` to this parent hub (or IoT
    /// Hub), `HOST[:PORT]` (port 8883 by default). HOST is also the name checked in the
    /// parent's TLS certificate. Needs --parent-ca and a credential (--parent-key or
    /// --parent-connection-string).
    #[arg(long, value_name = "HOST[:PORT]", requires = "parent_ca")]
    pub parent: Option<String>,
    /// PEM file of the CA that signs the parent's server certificate (for an edgemodule-hub
    /// parent: its STATE/certs/ca.pem).
    #[arg(long, value_name = "PEM", requires = "parent")]
    pub parent_ca: Option<PathBuf>,
    /// The symmetric key the parent's manifest declares for this hub's --device-id
    /// (`edgemodule.childDevices.<id>.primaryKey`). Prefer the environment variable: command
    /// lines are visible to other local users.
    #[arg(
        long,
        value_name = "BASE64",
        env = "EDGEMODULE_HUB_PARENT_KEY",
        hide_env_values = true,
        requires = "parent",
        conflicts_with = "parent_connection_string"
    )]
    pub parent_key: Option<String>,
    /// A device connection string for the upstream identity (`HostName=…;DeviceId=…;
    /// SharedAccessKey=…`), e.g. the device's own string when the parent is IoT Hub.
    #[arg(
        long,
        value_name = "STRING",
        env = "EDGEMODULE_HUB_PARENT_CONNECTION_STRING",
        hide_env_values = true,
        requires = "parent"
    )]
    pub parent_connection_string: Option<String>,
    /// Milliseconds between two checks of connected clients' token expiry (a client whose
    /// token expired beyond the allowed skew is disconnected). Shorter only for tests.
    #[arg(long, value_name = "MS", default_value_t = crate::config::DEFAULT_REAUTH_INTERVAL.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub reauth_interval_ms: u64,
    /// Who copies the message store's log into its database file: `background` (a thread
    /// beside the writer; a new file gets 16 KiB pages) or `writer` (SQLite's defaults: inside
    /// a commit every 1000 pages, 4 KiB pages in a new file; the store before the hub's own
    /// tuning, kept as the benchmark's reference).
    #[arg(long, value_enum, default_value_t = StoreCheckpointArg::Background)]
    pub store_checkpoint: StoreCheckpointArg,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `edgemodule_hub=debug` (RUST_LOG, when set, wins).
    #[arg(long, value_name = "FILTER", default_value = "info")]
    pub log_level: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub runtime: super::runtime_args::RuntimeArgs,
}

/// `serve --delivery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeliveryArg {
    /// edgeHub's behaviour (default).
    Strict,
    /// The relaxed behaviour, for experiments.
    Permissive,
}

/// `serve --store-checkpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreCheckpointArg {
    /// A background thread (default).
    Background,
    /// The writer, inside a commit (the previous policy).
    Writer,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the running hub's admin API is, and the state directory holding its token.
#[derive(Debug, Args)]
pub struct AdminAddr {
    /// Address of the hub's admin API (`serve --admin-port`).
    #[arg(long = "admin", value_name = "ADDR", default_value = DEFAULT_ADMIN)]
    pub addr: String,
    /// The hub's state directory (`serve --state`); the admin token is read from
    /// DIR/admin.token.
    #[arg(long = "state", value_name = "DIR", env = STATE_ENV, default_value = DEFAULT_STATE)]
    pub state: PathBuf,
}

/// `MODULE=UID`.
fn parse_owner(text: &str) -> Result<(String, u32), String> {
    let (module, uid) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not MODULE=UID"))?;
    if module.is_empty() {
        return Err(format!("'{text}' names no module"));
    }
    let uid = uid
        .parse::<u32>()
        .map_err(|_| format!("'{uid}' is not a numeric uid"))?;
    Ok((module.to_string(), uid))
}

/// `env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Module name from the manifest.
    pub module: String,
    /// Output syntax.
    #[arg(long, value_enum, default_value_t = EnvFormat::Shell)]
    pub format: EnvFormat,
    /// Which variables: the IoT Edge runtime's (IOTEDGE_*, via the workload socket), the
    /// simulator's (EdgeHubConnectionString + EdgeModuleCACertificateFile), or both.
    #[arg(long, value_enum, default_value_t = EnvForm::Both)]
    pub form: EnvForm,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `env` output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    /// `export NAME='value'` lines, for `eval "$(edgemodule-hub env m)"`.
    Shell,
    /// `NAME=value` lines, for .env files and `docker run --env-file`.
    Dotenv,
}

/// Which environment form `env` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvForm {
    /// IOTEDGE_* variables (workload API).
    Workload,
    /// EdgeHubConnectionString and EdgeModuleCACertificateFile.
    ConnectionString,
    /// Both; SDKs pick one of them.
    Both,
}

/// `monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Skip messages that reached $upstream before the monitor started.
    #[arg(long)]
    pub new_only: bool,
    /// Print what is there and exit instead of following.
    #[arg(long)]
    pub no_follow: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// Target module.
    pub module: String,
    /// Method name.
    pub method: String,
    /// Payload as JSON (default: null).
    pub payload: Option<String>,
    /// Seconds the module has to answer.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Seconds to wait for the module to connect and subscribe to methods.
    #[arg(long, default_value_t = 0)]
    pub connect_timeout: u64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Module name from the manifest.
    pub module: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `twin`.
#[derive(Debug, Args)]
pub struct TwinArgs {
    /// Module whose twin to show or change.
    pub module: String,
    /// JSON merge patch for the desired properties (null deletes); pushed to the module.
    #[arg(long, value_name = "JSON")]
    pub desired: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// Default address `stats` reads the metrics from (`serve`'s default metrics port).
pub const DEFAULT_METRICS: &str = "127.0.0.1:9600";

/// `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Address of the hub's metrics (the `metrics=` of its ready line).
    #[arg(long = "metrics", value_name = "ADDR", default_value = DEFAULT_METRICS)]
    pub addr: String,
    /// Seconds between refreshes (and, with --once, between the two reads the rates come
    /// from).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub interval: f64,
    /// Print one report and exit.
    #[arg(long)]
    pub once: bool,
    /// Print JSON (one object per report) instead of the table.
    #[arg(long)]
    pub json: bool,
}
