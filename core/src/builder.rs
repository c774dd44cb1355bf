//! `ClientBuilder`: where the identity comes from (the IoT Edge environment or a connection
//! string) plus the options.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{tls, Signer, TokenSource, WorkloadClient};
use crate::client::ModuleClient;
use crate::error::{Error, Result};
use crate::identity::ModuleIdentity;
use crate::options::{
    ClientOptions, RetryPolicy, DEFAULT_HTTPS_PORT, DEFAULT_MQTT_PORT, HTTPS_PORT_VAR,
    MQTT_PORT_VAR,
};
use crate::protocol::connection_string::{self, ConnectionString};
use crate::protocol::environment::{self, EdgeEnvironment};

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

enum Source {
    Environment(Lookup),
    ConnectionString(String),
}

/// Configures and creates a [`ModuleClient`].
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
    options: ClientOptions,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Environment(_) => "environment",
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
            source: Source::Environment(Arc::new(|name| std::env::var(name).ok())),
            options: ClientOptions::default(),
        }
    }

    /// Reads the IoT Edge environment through `lookup` instead of the process environment:
    /// `IOTEDGE_*` (signing and trust through the workload API), or `EdgeHubConnectionString`
    /// + `EdgeModuleCACertificateFile`; plus `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT`.
    pub fn from_environment_lookup<F>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.source = Source::Environment(Arc::new(lookup));
        self
    }

    /// Uses a module connection string
    /// (`HostName=…;GatewayHostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`). The trust
    /// bundle must then be given with [`trust_bundle_pem`](ClientBuilder::trust_bundle_pem).
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

    /// MQTT keep-alive (default 60 s).
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

    /// SAS token lifetime (default 3600 s); renewed at 80 %.
    pub fn sas_ttl(mut self, ttl: Duration) -> Self {
        self.options.sas_ttl = ttl;
        self
    }

    /// PEM trust bundle to use instead of the workload API's or the CA file.
    pub fn trust_bundle_pem(mut self, pem: impl Into<String>) -> Self {
        self.options.trust_bundle_pem = Some(pem.into());
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

    /// Most QoS 1 publishes awaiting PUBACK at once (default 100).
    pub fn max_inflight(mut self, max: u16) -> Self {
        self.options.max_inflight = max.max(1);
        self
    }

    /// Delay before an abandoned input message is delivered again (default 500 ms).
    pub fn redelivery_delay(mut self, delay: Duration) -> Self {
        self.options.redelivery_delay = delay;
        self
    }

    /// Resolves the identity (fetching the trust bundle from the workload API if needed) and
    /// creates the client. Nothing connects until [`ModuleClient::connect`] or the first
    /// operation. A missing or malformed setting → `CONFIG` naming it.
    pub async fn build(self) -> Result<ModuleClient> {
        let options = self.options;
        let resolved = match self.source {
            Source::Environment(lookup) => from_environment(lookup.as_ref(), &options).await?,
            Source::ConnectionString(text) => {
                let cs = connection_string::parse(&text)?;
                from_connection_string(cs, None, &options, None)?
            }
        };
        let tls = tls::client_config(&resolved.trust_pem, &resolved.trust_source)?;
        let tokens = TokenSource::new(
            resolved.identity.resource_uri(),
            resolved.signer,
            options.sas_ttl,
        );
        Ok(ModuleClient::start(resolved.identity, options, tokens, tls))
    }
}

struct Resolved {
    identity: ModuleIdentity,
    signer: Signer,
    trust_pem: String,
    trust_source: String,
}

async fn from_environment(
    lookup: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    options: &ClientOptions,
) -> Result<Resolved> {
    let mqtt_port = port(options.mqtt_port, lookup, MQTT_PORT_VAR, DEFAULT_MQTT_PORT)?;
    let https_port = port(
        options.https_port,
        lookup,
        HTTPS_PORT_VAR,
        DEFAULT_HTTPS_PORT,
    )?;
    match environment::from_lookup(&|name| lookup(name))? {
        EdgeEnvironment::Workload(env) => {
            let workload = WorkloadClient::new(
                &env.workload_uri,
                &env.module_id,
                &env.generation_id,
                &env.api_version,
            )?;
            let (trust_pem, trust_source) = match &options.trust_bundle_pem {
                Some(pem) => (pem.clone(), "ClientOptions::trust_bundle_pem".to_string()),
                None => (
                    workload.trust_bundle().await?,
                    format!("trust bundle from {}", env.workload_uri),
                ),
            };
            Ok(Resolved {
                identity: ModuleIdentity {
                    iothub_host: env.iothub_host_name,
                    gateway_host: env.gateway_host_name,
                    device_id: env.device_id,
                    module_id: env.module_id,
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
            Some((mqtt_port, https_port)),
        ),
    }
}

fn from_connection_string(
    cs: ConnectionString,
    ca_file: Option<String>,
    options: &ClientOptions,
    ports: Option<(u16, u16)>,
) -> Result<Resolved> {
    let module_id = cs
        .module_id
        .clone()
        .ok_or_else(|| Error::config("the connection string has no ModuleId"))?;
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
    let (trust_pem, trust_source) = match (&options.trust_bundle_pem, ca_file) {
        (Some(pem), _) => (pem.clone(), "ClientOptions::trust_bundle_pem".to_string()),
        (None, Some(path)) => {
            let pem = std::fs::read_to_string(&path).map_err(|e| {
                Error::config(format!(
                    "EdgeModuleCACertificateFile {path:?} cannot be read: {e}"
                ))
            })?;
            (pem, format!("EdgeModuleCACertificateFile {path:?}"))
        }
        (None, None) => return Err(Error::config(
            "no trust bundle: set EdgeModuleCACertificateFile or ClientBuilder::trust_bundle_pem",
        )),
    };
    let (mqtt_port, https_port) = ports.unwrap_or((
        options.mqtt_port.unwrap_or(DEFAULT_MQTT_PORT),
        options.https_port.unwrap_or(DEFAULT_HTTPS_PORT),
    ));
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

/// An explicit option, else the environment variable, else the default.
fn port(
    explicit: Option<u16>,
    lookup: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    var: &str,
    default: u16,
) -> Result<u16> {
    if let Some(p) = explicit {
        return Ok(p);
    }
    match lookup(var).map(|v| v.trim().to_string()) {
        Some(v) if !v.is_empty() => match v.parse::<u16>() {
            Ok(p) if p != 0 => Ok(p),
            _ => Err(Error::config(format!("{var} {v:?} is not a port number"))),
        },
        _ => Ok(default),
    }
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

    #[test]
    fn ports_come_from_options_then_environment_then_defaults() {
        let env = lookup(&[("EDGEMODULE_MQTT_PORT", "18883")]);
        assert_eq!(port(Some(1), &env, MQTT_PORT_VAR, 8883).unwrap(), 1);
        assert_eq!(port(None, &env, MQTT_PORT_VAR, 8883).unwrap(), 18883);
        assert_eq!(port(None, &env, HTTPS_PORT_VAR, 443).unwrap(), 443);
        let bad = lookup(&[("EDGEMODULE_HTTPS_PORT", "https")]);
        let e = port(None, &bad, HTTPS_PORT_VAR, 443).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("EDGEMODULE_HTTPS_PORT"));
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
