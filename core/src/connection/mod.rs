//! The MQTT connection: one task owns the rumqttc event loop (connect, subscribe,
//! reconnect with backoff and jitter, SAS renewal, re-sending unacknowledged publishes,
//! twin catch-up); the client's handles talk to it through the shared outbox.

pub(crate) mod dispatch;
pub(crate) mod event_loop;
pub(crate) mod failure;
pub(crate) mod fast_retry;
pub(crate) mod families;
pub(crate) mod mqtt_options;
pub(crate) mod renewal;
pub(crate) mod shared;
pub(crate) mod subscriptions;
pub(crate) mod tracker;

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, EventLoop, NetworkOptions};

use crate::auth::TokenSource;
use crate::identity::ModuleIdentity;
use crate::options::ClientOptions;
use shared::{Shared, SharedParts};

/// A configured but not yet started connection.
pub(crate) struct Prepared {
    pub shared: Arc<Shared>,
    pub eventloop: EventLoop,
}

/// Builds the shared state and the (idle) event loop.
pub(crate) fn prepare(
    identity: ModuleIdentity,
    options: ClientOptions,
    tokens: TokenSource,
    tls: Arc<rustls::ClientConfig>,
) -> Prepared {
    let mqtt_options = mqtt_options::build(&identity, &options, Arc::clone(&tls));
    let (mqtt, mut eventloop) =
        AsyncClient::new(mqtt_options, mqtt_options::REQUEST_QUEUE_CAPACITY);
    let mut network = NetworkOptions::new();
    network.set_connection_timeout(connect_timeout(&options).as_secs());
    eventloop.set_network_options(network);
    let username = mqtt_options::username(&identity, &options);
    let shared = Arc::new(Shared::new(SharedParts {
        identity,
        options,
        username,
        tokens,
        tls,
        mqtt,
    }));
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        shared.set_runtime(runtime);
    }
    Prepared { shared, eventloop }
}

/// TCP + TLS + CONNACK limit per attempt: the operation timeout, between 1 s and 30 s.
fn connect_timeout(options: &ClientOptions) -> Duration {
    Duration::from_secs(options.operation_timeout.as_secs().clamp(1, 30))
}
