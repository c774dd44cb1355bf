//! `ClientBuilder`: where the identity comes from (the IoT Edge environment or a connection
//! string) plus the options; `build` makes a module client, `build_device` a device client.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{tls, Signer, TokenSource, WorkloadClient};
use crate::client::ModuleClient;
use crate::device_client::DeviceClient;
use crate::error::{Error, Result};
use crate::identity::ModuleIdentity;
use crate::options::resolve::{self, TrustSource};
use crate::options::{ClientOptions, RetryPolicy, CA_FILE_VAR};
use crate::protocol::connection_string::{self, ConnectionString};
use crate::protocol::environment::{self, EdgeEnvironment};

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

enum Source {
    Environment,
    ConnectionString(String),
}

/// Configures and creates a [`ModuleClient`].
///
/// Every creation path follows the same rules (see [`crate::options`]): options are
/// validated ([`ClientOptions::validate`]), unset options take their `EDGEMODULE_*`
/// environment override, and a connection-string client falls back to the
/// `EdgeModuleCACertificateFile` trust bundle.
///
/// ```no_run
/// # async fn demo() -> edgemodule::Result<()> {
/// use std::time::Duration;
/// let client = edgemodule::ModuleClient::builder()
///     .operation_timeout(Duration::from_secs(10))
///     .product_info("filter/1.0")
///     .build()
///     .await?;
/// client.connect().await?;
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    source: Source,
    lookup: Lookup,
    options: ClientOptions,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Environment => "environment",
            Source::ConnectionString(_) => "connection string",
        };
        f.debug_struct("ClientBuilder")
            .field("source", &source)
            .field("options", &self.options)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// A builder reading the process environment (as `ModuleClient::from_environment`).
    pub fn new() -> Self {
        ClientBuilder {
            source: Source::Environment,
            lookup: Arc::new(|name| std::env::var(name).ok()),
            options: ClientOptions::default(),
        }
    }

    /// Reads the IoT Edge environment through `lookup` instead of the process environment:
    /// `IOTEDGE_*` (signing and trust through the workload API), or `EdgeHubConnectionString`
    /// + `EdgeModuleCACertificateFile`; plus the `EDGEMODULE_*` overrides.
    pub fn from_environment_lookup<F>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.source = Source::Environment;
        self.lookup = Arc::new(lookup);
        self
    }

    /// Reads environment variables (the `EDGEMODULE_*` overrides,
    /// `EdgeModuleCACertificateFile`, and with [`ClientBuilder::new`] the IoT Edge
    /// variables) through `lookup` instead of the process environment, keeping the source.
    pub fn env_lookup<F>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.lookup = Arc::new(lookup);
        self
    }

    /// Uses a module connection string
    /// (`HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`). The trust
    /// bundle comes from [`trust_bundle_pem`](ClientBuilder::trust_bundle_pem), else
    /// [`trust_bundle_file`](ClientBuilder::trust_bundle_file), else the file named by
    /// `EdgeModuleCACertificateFile`; the `EDGEMODULE_*` overrides apply.
    pub fn connection_string(mut self, connection_string: impl Into<String>) -> Self {
        self.source = Source::ConnectionString(connection_string.into());
        self
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The gateway's MQTT port (default: `EDGEMODULE_MQTT_PORT`, else 8883).
    pub fn mqtt_port(mut self, port: u16) -> Self {
        self.options.mqtt_port = Some(port);
        self
    }

    /// The gateway's HTTPS port for `invoke_method` (default: `EDGEMODULE_HTTPS_PORT`,
    /// else 443).
    pub fn https_port(mut self, port: u16) -> Self {
        self.options.https_port = Some(port);
        self
    }

    /// MQTT keep-alive (default 60 s, 1–1767 s).
    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.options.keep_alive = keep_alive;
        self
    }

    /// Timeout of every operation (default 30 s).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.options.operation_timeout = timeout;
        self
    }

    /// Reconnect policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = policy;
        self
    }

    /// SAS token lifetime (default 3600 s); renewed at `sas_renewal_percent` of it.
    pub fn sas_ttl(mut self, ttl: Duration) -> Self {
        self.options.sas_ttl = ttl;
        self
    }

    /// When to renew a SAS token, in percent of its lifetime (default 80, 50–95).
    pub fn sas_renewal_percent(mut self, percent: u8) -> Self {
        self.options.sas_renewal_percent = percent;
        self
    }

    /// PEM trust bundle to use instead of the workload API's or the CA file.
    pub fn trust_bundle_pem(mut self, pem: impl Into<String>) -> Self {
        self.options.trust_bundle_pem = Some(pem.into());
        self
    }

    /// A PEM file to trust (read by [`build`](ClientBuilder::build)) when no
    /// [`trust_bundle_pem`](ClientBuilder::trust_bundle_pem) is given.
    pub fn trust_bundle_file(mut self, path: impl Into<String>) -> Self {
        self.options.trust_bundle_file = Some(path.into());
        self
    }

    /// Appended to the `DeviceClientType` in the MQTT username.
    pub fn product_info(mut self, info: impl Into<String>) -> Self {
        self.options.product_info = Some(info.into());
        self
    }

    /// Digital-twin model id (`dtmi:…`).
    pub fn model_id(mut self, model_id: impl Into<String>) -> Self {
        self.options.model_id = Some(model_id.into());
        self
    }

    /// Most QoS 1 publishes awaiting PUBACK at once (default 100; 0 is refused by
    /// [`build`](ClientBuilder::build)).
    pub fn max_inflight(mut self, max: u16) -> Self {
        self.options.max_inflight = max;
        self
    }

    /// The wait before a failed handler is called again (or an abandoned stream message is
    /// delivered again); it doubles per retry (default 500 ms).
    pub fn redelivery_delay(mut self, delay: Duration) -> Self {
        self.options.redelivery_delay = delay;
        self
    }

    /// Calls of a handler per item before it is dropped and reported (1–10, default 4).
    pub fn handler_attempts(mut self, attempts: u32) -> Self {
        self.options.handler_attempts = attempts;
        self
    }

    /// Validates the options, applies the environment overrides, resolves the identity and
    /// the trust bundle (fetching it from the workload API if needed) and creates the
    /// client. Nothing connects until [`ModuleClient::connect`] or the first operation.
    /// An invalid option → `INVALID_ARGUMENT`; a missing or malformed setting → `CONFIG`
    /// naming it.
    pub async fn build(self) -> Result<ModuleClient> {
        let (identity, options, tokens, tls) = self.resolve(Kind::Module).await?;
        Ok(ModuleClient::start(identity, options, tokens, tls))
    }

    /// Creates a [`DeviceClient`] from a **device** connection string
    /// (`HostName=…;DeviceId=…;SharedAccessKey=…`, optionally `GatewayHostName=…`; see
    /// [`connection_string`](ClientBuilder::connection_string)): client id `{d}`, username
    /// `{hub}/{d}/?api-version=…`, SAS audience `{hub}/devices/{d}`, telemetry on
    /// `devices/{d}/messages/events/`. It connects to `GatewayHostName` when the string has
    /// one, else to `HostName`. The options and trust-bundle rules are those of
    /// [`build`](ClientBuilder::build). A module connection string, or no connection string
    /// (the IoT Edge environment describes a module) → `CONFIG`.
    pub async fn build_device(self) -> Result<DeviceClient> {
        let (identity, options, tokens, tls) = self.resolve(Kind::Device).await?;
        Ok(DeviceClient::from_module_client(ModuleClient::start(
            identity, options, tokens, tls,
        )))
    }

    /// Options, identity, token source and TLS configuration of the client to create.
    async fn resolve(
        self,
        kind: Kind,
    ) -> Result<(
        ModuleIdentity,
        ClientOptions,
        TokenSource,
        Arc<rustls::ClientConfig>,
    )> {
        self.options.validate()?;
        let lookup = self.lookup.as_ref();
        let options = resolve::with_environment(&self.options, lookup)?;
        let resolved = match (self.source, kind) {
            (Source::Environment, Kind::Module) => from_environment(lookup, &options).await?,
            (Source::Environment, Kind::Device) => {
                return Err(Error::config(
                    "a device client needs a device connection string \
                     (ClientBuilder::connection_string); the IoT Edge environment describes a module",
                ))
            }
            (Source::ConnectionString(text), kind) => {
                let cs = connection_string::parse(&text)?;
                from_connection_string(cs, lookup(CA_FILE_VAR), &options, kind)?
            }
        };
        let tls = tls::client_config(&resolved.trust_pem, &resolved.trust_source)?;
        let tokens = TokenSource::new(
            resolved.identity.resource_uri(),
            resolved.signer,
            options.sas_ttl,
        );
        Ok((resolved.identity, options, tokens, tls))
    }
}

/// Which identity a connection string must describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Device,
}

struct Resolved {
    identity: ModuleIdentity,
    signer: Signer,
    trust_pem: String,
    trust_source: String,
}

/// The PEM of a non-workload trust source and a description of where it came from.
fn read_trust(source: TrustSource) -> Result<(String, String)> {
    match source {
        TrustSource::Pem(pem) => Ok((pem, "the trust_bundle_pem option".to_string())),
        TrustSource::File { path, what } => Ok((resolve::read_file(&path, &what)?, what)),
        TrustSource::Workload => Err(Error::new(
            crate::ErrorKind::Internal,
            "the workload trust bundle was chosen without a workload client",
        )),
    }
}

async fn from_environment(
    lookup: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    options: &ClientOptions,
) -> Result<Resolved> {
    let (mqtt_port, https_port) = resolve::ports(options);
    match environment::from_lookup(&|name| lookup(name))? {
        EdgeEnvironment::Workload(env) => {
            let workload = WorkloadClient::new(
                &env.workload_uri,
                &env.module_id,
                &env.generation_id,
                &env.api_version,
            )?;
            let (trust_pem, trust_source) = match resolve::trust_source(options, true, None)? {
                TrustSource::Workload => (
                    workload.trust_bundle().await?,
                    format!("trust bundle from {}", env.workload_uri),
                ),
                other => read_trust(other)?,
            };
            Ok(Resolved {
                identity: ModuleIdentity {
                    iothub_host: env.iothub_host_name,
                    gateway_host: env.gateway_host_name,
                    device_id: env.device_id,
                    module_id: Some(env.module_id),
                    mqtt_port,
                    https_port,
                },
                signer: Signer::Workload(workload),
                trust_pem,
                trust_source,
            })
        }
        EdgeEnvironment::ConnectionString {
            connection_string,
            ca_certificate_file,
        } => from_connection_string(
            connection_string,
            ca_certificate_file,
            options,
            Kind::Module,
        ),
    }
}

fn from_connection_string(
    cs: ConnectionString,
    ca_file: Option<String>,
    options: &ClientOptions,
    kind: Kind,
) -> Result<Resolved> {
    let module_id = match (kind, cs.module_id.clone()) {
        (Kind::Module, Some(module_id)) => Some(module_id),
        (Kind::Module, None) => return Err(Error::config("the connection string has no ModuleId")),
        (Kind::Device, None) => None,
        (Kind::Device, Some(module_id)) => {
            return Err(Error::config(format!(
                "the connection string names module '{module_id}' (ModuleId); a device client \
                 needs a device connection string (use ModuleClient for a module)"
            )))
        }
    };
    if cs.x509 {
        return Err(Error::config(
            "x509=true connection strings are not supported; use SharedAccessKey",
        ));
    }
    let signer = match (&cs.shared_access_key, &cs.shared_access_signature) {
        (Some(key), _) => Signer::Key(key.clone()),
        (None, Some(token)) => Signer::Fixed(token.clone()),
        (None, None) => {
            return Err(Error::config(
                "the connection string has neither SharedAccessKey nor SharedAccessSignature",
            ))
        }
    };
    let (trust_pem, trust_source) = read_trust(resolve::trust_source(options, false, ca_file)?)?;
    let (mqtt_port, https_port) = resolve::ports(options);
    Ok(Resolved {
        identity: ModuleIdentity {
            gateway_host: cs
                .gateway_host_name
                .clone()
                .unwrap_or_else(|| cs.host_name.clone()),
            iothub_host: cs.host_name,
            device_id: cs.device_id,
            module_id,
            mqtt_port,
            https_port,
        },
        signer,
        trust_pem,
        trust_source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn lookup(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[tokio::test]
    async fn invalid_options_are_refused_before_anything_else() {
        let e = ClientBuilder::new()
            .from_environment_lookup(lookup(&[]))
            .max_inflight(0)
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("max_inflight"), "{e}");
    }

    #[tokio::test]
    async fn a_malformed_override_is_config_on_the_connection_string_path_too() {
        let e = ClientBuilder::new()
            .connection_string("HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5")
            .env_lookup(lookup(&[("EDGEMODULE_MQTT_PORT", "mqtt")]))
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("EDGEMODULE_MQTT_PORT"), "{e}");
    }

    #[tokio::test]
    async fn module_and_device_strings_go_to_their_own_client_kind() {
        let device = "HostName=h;DeviceId=d;SharedAccessKey=a2V5";
        let module = "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5";
        let e = ClientBuilder::new()
            .connection_string(module)
            .build_device()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("ModuleId"), "{e}");
        let e = ClientBuilder::new()
            .connection_string(device)
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("no ModuleId"), "{e}");
        let e = ClientBuilder::new()
            .from_environment_lookup(lookup(&[]))
            .build_device()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("device connection string"), "{e}");
    }

    #[tokio::test]
    async fn missing_environment_is_a_config_error_naming_variables() {
        let e = ClientBuilder::new()
            .from_environment_lookup(lookup(&[("IOTEDGE_DEVICEID", "d")]))
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("IOTEDGE_MODULEID"), "{e}");
    }

    #[tokio::test]
    async fn connection_string_needs_a_trust_bundle_and_a_readable_ca_file() {
        let cs = "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5";
        let e = ModuleClient::builder()
            .connection_string(cs)
            .env_lookup(lookup(&[]))
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("EdgeModuleCACertificateFile"), "{e}");
        let e = ClientBuilder::new()
            .from_environment_lookup(lookup(&[
                (
                    "EdgeHubConnectionString",
                    "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5",
                ),
                ("EdgeModuleCACertificateFile", "/nonexistent/ca.pem"),
            ]))
            .build()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("/nonexistent/ca.pem"), "{e}");
    }
}
