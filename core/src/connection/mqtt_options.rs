//! rumqttc options for an edgeHub connection (protocol.md §3.2).

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};

use crate::identity::ModuleIdentity;
use crate::options::ClientOptions;
use crate::protocol::{mqtt_identity, MAX_MESSAGE_SIZE};

/// Extra packet-id room above the application's in-flight limit, for answers sent without
/// waiting (method responses from `Drop`, the catch-up twin read). rumqttc can then take
/// every re-sent publish after a reconnect without a packet-id collision.
pub(crate) const INFLIGHT_RESERVE: u16 = 64;

/// Largest packet in either direction: a full-size message plus its topic and properties.
const MAX_PACKET_SIZE: usize = 4 * MAX_MESSAGE_SIZE;

/// Capacity of rumqttc's request queue. Publishes are bounded by the in-flight permits;
/// the rest of the room is for acknowledgements, which must never be refused.
pub(crate) const REQUEST_QUEUE_CAPACITY: usize = 65_536;

/// `DeviceClientType`: our SDK name, plus the application's product info.
pub(crate) fn client_type(options: &ClientOptions) -> String {
    let base = format!("edgemodule-rust/{}", env!("CARGO_PKG_VERSION"));
    match options.product_info.as_deref().map(str::trim) {
        Some(extra) if !extra.is_empty() => format!("{base} {extra}"),
        _ => base,
    }
}

/// The CONNECT username.
pub(crate) fn username(identity: &ModuleIdentity, options: &ClientOptions) -> String {
    mqtt_identity::username(
        &identity.iothub_host,
        &identity.device_id,
        identity.module_id.as_deref(),
        &client_type(options),
        options.model_id.as_deref(),
    )
}

/// Connection options: client id `{d}/{m}`, clean session off, manual acknowledgements,
/// TLS with the trust bundle. The password is set before every connect.
pub(crate) fn build(
    identity: &ModuleIdentity,
    options: &ClientOptions,
    tls: Arc<rustls::ClientConfig>,
) -> MqttOptions {
    let mut mqtt = MqttOptions::new(
        identity.client_id(),
        identity.gateway_host.clone(),
        identity.mqtt_port,
    );
    let keep_alive = Duration::from_secs(options.keep_alive.as_secs().clamp(1, 1767));
    mqtt.set_keep_alive(keep_alive)
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_inflight(options.max_inflight.clamp(1, u16::MAX - INFLIGHT_RESERVE) + INFLIGHT_RESERVE)
        .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
        .set_request_channel_capacity(REQUEST_QUEUE_CAPACITY)
        .set_credentials(username(identity, options), "")
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
    mqtt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_info_is_appended() {
        let mut options = ClientOptions::default();
        assert!(client_type(&options).starts_with("edgemodule-rust/"));
        options.product_info = Some("filter/1.2".into());
        assert!(client_type(&options).ends_with(" filter/1.2"));
    }
}
