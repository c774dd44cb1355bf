//! Raw MQTT peers for the routed benchmark: a module connected to edgemodule-hub (TLS + SAS),
//! or a plain client of mosquitto on loopback.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use edgemodule::protocol::{connection_string, mqtt_identity, sas, topics};
use rumqttc::{AsyncClient, EventLoop, MqttOptions, TlsConfiguration, Transport};

/// Where a peer connects and which topics it uses.
pub struct PeerSpec {
    pub options: MqttOptions,
    /// The topic the sender publishes to.
    pub publish_topic: String,
    /// The filter the receiver subscribes to.
    pub subscribe_filter: String,
}

fn tls_config(ca_pem: &[u8]) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| format!("bad CA PEM: {e}"))?;
        roots.add(cert).map_err(|e| format!("bad CA cert: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A module of edgemodule-hub, from its connection string and the hub CA.
pub fn hub_module(cs: &str, port: u16, ca_pem: &[u8], output: &str) -> Result<PeerSpec, String> {
    let cs = connection_string::parse(cs).map_err(|e| e.to_string())?;
    let module = cs
        .module_id
        .clone()
        .ok_or("connection string has no ModuleId")?;
    let key = cs
        .shared_access_key
        .clone()
        .ok_or("connection string has no key")?;
    let host = cs
        .gateway_host_name
        .clone()
        .unwrap_or_else(|| cs.host_name.clone());
    let expiry = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs()
        + 3600;
    let uri = sas::resource_uri(&cs.host_name, &cs.device_id, Some(&module));
    let sig =
        sas::sign(&key, sas::string_to_sign(&uri, expiry).as_bytes()).map_err(|e| e.to_string())?;
    let token = sas::format_token(&uri, &sig, expiry);
    let client_id = mqtt_identity::client_id(&cs.device_id, Some(&module));
    let username = mqtt_identity::username(
        &cs.host_name,
        &cs.device_id,
        Some(&module),
        "edgemodule-bench",
        None,
    );
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_credentials(username, token)
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(60))
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            tls_config(ca_pem)?,
        )));
    let bag = edgemodule::protocol::property_bag::encode([("$.on", Some(output))]);
    Ok(PeerSpec {
        options,
        publish_topic: topics::telemetry_topic(&cs.device_id, Some(&module), &bag),
        subscribe_filter: topics::inputs_filter(&cs.device_id, &module),
    })
}

/// A plain client of a broker on 127.0.0.1 (mosquitto).
pub fn plain(client_id: &str, port: u16, topic: &str) -> PeerSpec {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
    options
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(60));
    PeerSpec {
        options,
        publish_topic: topic.to_string(),
        subscribe_filter: topic.to_string(),
    }
}

/// Connects with the given in-flight window; the caller polls the event loop.
pub fn connect(mut spec: MqttOptions, window: u16) -> (AsyncClient, EventLoop) {
    spec.set_inflight(window)
        .set_max_packet_size(512 * 1024, 512 * 1024);
    AsyncClient::new(spec, usize::from(window).max(10))
}
