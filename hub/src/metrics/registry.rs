//! The hub's metrics registry: one Prometheus recorder per hub (not a global one, so that
//! several hubs can run in one process), its families described once, and handles for
//! label sets. Handles are resolved once per label set and then kept by the code that
//! counts (see `handles`), so counting a message costs an atomic add, not a lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use super::handles::UpstreamMetrics;
use super::names::{self, Family};
use super::snapshot::HubSnapshot;
use crate::message::HubMessage;

/// Registration metadata (the Prometheus recorder ignores it).
static METADATA: Metadata<'static> = Metadata::new("edgemodule_hub", Level::INFO, None);

/// Width of one bucket of the rolling summaries; with [`SUMMARY_BUCKETS`] of them the
/// quantiles cover the last 10 minutes, the `MaxAge` edgeHub documents for its summaries.
const SUMMARY_BUCKET: Duration = Duration::from_secs(120);
/// Buckets of the rolling summaries.
const SUMMARY_BUCKETS: u32 = 5;
/// Distinct client ids counted in `edgehub_client_connect_failed_total`; refusals of further
/// unknown ids share the id [`OTHER_CLIENTS`], so that a stranger trying random ids cannot
/// grow the hub's memory without bound.
const MAX_FAILED_IDS: usize = 256;
/// The `id` of refusals once 256 distinct client ids have been counted.
pub const OTHER_CLIENTS: &str = "(other)";

/// The hub's metrics. Cheap to share (`Arc`); a disabled registry hands out no-op handles.
pub struct HubMetrics {
    device_id: String,
    inner: Option<Inner>,
}

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// `edgehub_client_connect_failed_total` by client id (bounded).
    connect_failed: Mutex<HashMap<String, Counter>>,
    /// Messages handed to `$upstream`.
    upstream: UpstreamMetrics,
    /// Queue-length series set so far: a queue that empties must read 0, not its last length.
    queues: Mutex<std::collections::BTreeSet<(String, u32)>>,
}

impl std::fmt::Debug for HubMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubMetrics")
            .field("enabled", &self.inner.is_some())
            .finish_non_exhaustive()
    }
}

impl HubMetrics {
    /// A registry whose every series carries `iothub`, `edge_device` and a fresh
    /// `instance_number`, as edgeHub's do.
    pub fn new(iothub_host_name: &str, device_id: &str) -> Arc<HubMetrics> {
        let builder = PrometheusBuilder::new()
            .add_global_label(names::IOTHUB, iothub_host_name)
            .add_global_label(names::EDGE_DEVICE, device_id)
            .add_global_label(names::INSTANCE_NUMBER, uuid::Uuid::new_v4().to_string())
            .set_bucket_count(
                std::num::NonZeroU32::new(SUMMARY_BUCKETS).unwrap_or(std::num::NonZeroU32::MIN),
            );
        // Both only fail for empty input / a zero duration, which these constants are not.
        let builder = match builder.set_quantiles(names::QUANTILES) {
            Ok(b) => b,
            Err(e) => unreachable_config(e),
        };
        let builder = match builder.set_bucket_duration(SUMMARY_BUCKET) {
            Ok(b) => b,
            Err(e) => unreachable_config(e),
        };
        let recorder = builder.build_recorder();
        for f in names::COUNTERS {
            // The recorder matches descriptions by the rendered name.
            recorder.describe_counter(f.name.into(), None, f.help.into());
        }
        for f in names::GAUGES {
            recorder.describe_gauge(f.name.into(), None, f.help.into());
        }
        for f in names::SUMMARIES {
            recorder.describe_histogram(f.name.into(), None, f.help.into());
        }
        let handle = recorder.handle();
        Arc::new(HubMetrics {
            device_id: device_id.to_string(),
            inner: Some(Inner {
                recorder,
                handle,
                connect_failed: Mutex::new(HashMap::new()),
                upstream: UpstreamMetrics::default(),
                queues: Mutex::new(std::collections::BTreeSet::new()),
            }),
        })
    }

    /// A registry that records nothing (metrics switched off).
    pub fn disabled(device_id: &str) -> Arc<HubMetrics> {
        Arc::new(HubMetrics {
            device_id: device_id.to_string(),
            inner: None,
        })
    }

    /// False when metrics are switched off.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The edge device id (module ids become `{device}/{module}`, edgeHub's identity ids).
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The counter of `family` for `labels` (in edgeHub's order; `ms_telemetry` is added by
    /// the caller where edgeHub has it).
    pub fn counter(&self, family: Family, labels: &[(&'static str, &str)]) -> Counter {
        match &self.inner {
            Some(i) => i.recorder.register_counter(&key(family, labels), &METADATA),
            None => Counter::noop(),
        }
    }

    /// The gauge of `family` for `labels`.
    pub fn gauge(&self, family: Family, labels: &[(&'static str, &str)]) -> Gauge {
        match &self.inner {
            Some(i) => i.recorder.register_gauge(&key(family, labels), &METADATA),
            None => Gauge::noop(),
        }
    }

    /// The summary of `family` for `labels`.
    pub fn summary(&self, family: Family, labels: &[(&'static str, &str)]) -> Histogram {
        match &self.inner {
            Some(i) => i
                .recorder
                .register_histogram(&key(family, labels), &METADATA),
            None => Histogram::noop(),
        }
    }

    /// `edgehub_client_connect_failed_total{id, reason="not_authenticated"}`: a CONNECT
    /// refused for its credentials (edgeHub counts initial authentication only).
    pub fn connect_failed(&self, client_id: &str) {
        let Some(inner) = &self.inner else { return };
        let mut ids = inner
            .connect_failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = ids.get(client_id) {
            counter.increment(1);
            return;
        }
        let id = if ids.len() < MAX_FAILED_IDS {
            client_id
        } else {
            OTHER_CLIENTS
        };
        let counter = self.counter(
            names::CLIENT_CONNECT_FAILED,
            &[
                ("id", id),
                ("reason", names::REASON_NOT_AUTHENTICATED),
                (names::MS_TELEMETRY, names::MS_TELEMETRY_VALUE),
            ],
        );
        counter.increment(1);
        ids.insert(id.to_string(), counter);
    }

    /// `edgehub_gettwin_total{source="edge_hub", id}`: a twin GET answered 200.
    pub fn get_twin(&self, module_id: &str) {
        self.identity_counter(names::GET_TWIN, "source", module_id);
    }

    /// `edgehub_reported_properties_total{target="edge_hub", id}`: a reported-properties
    /// patch answered 204.
    pub fn reported_properties(&self, module_id: &str) {
        self.identity_counter(names::REPORTED_PROPERTIES, "target", module_id);
    }

    fn identity_counter(&self, family: Family, first: &'static str, module_id: &str) {
        if self.inner.is_none() {
            return;
        }
        let id = format!("{}/{module_id}", self.device_id);
        self.counter(
            family,
            &[
                (first, names::EDGE_HUB_SOURCE),
                ("id", &id),
                (names::MS_TELEMETRY, names::MS_TELEMETRY_VALUE),
            ],
        )
        .increment(1);
    }

    /// `edgehub_direct_methods_total{from, to}`: a direct-method call, counted when it is
    /// made (whatever its outcome), as edgeHub does. `from` is the calling module's
    /// identity id, or `upstream` for calls from the cloud (here: the operator).
    pub fn direct_method(&self, from: &str, to_module: &str) {
        if self.inner.is_none() {
            return;
        }
        let to = format!("{}/{to_module}", self.device_id);
        self.counter(
            names::DIRECT_METHODS,
            &[
                ("from", from),
                ("to", &to),
                (names::MS_TELEMETRY, names::MS_TELEMETRY_VALUE),
            ],
        )
        .increment(1);
    }

    /// `edgehub_client_connect_success_total{id}` for a module's accepted CONNECT; returns
    /// the `edgehub_client_disconnect_total{id}` counter for when it ends.
    pub fn client_connected(&self, client_id: &str) -> Counter {
        self.counter(names::CLIENT_CONNECT_SUCCESS, &[("id", client_id)])
            .increment(1);
        self.counter(names::CLIENT_DISCONNECT, &[("id", client_id)])
    }

    /// `edgehub_messages_dropped_total{reason="ttl_expiry", from, from_route_output}`.
    pub fn ttl_expired(&self, from: &str, output: &str, count: u64) {
        self.counter(
            names::MESSAGES_DROPPED,
            &[
                ("reason", names::REASON_TTL_EXPIRY),
                ("from", from),
                ("from_route_output", output),
                (names::MS_TELEMETRY, names::MS_TELEMETRY_VALUE),
            ],
        )
        .increment(count);
    }

    /// `edgehub_messages_sent_total{to="upstream"}`: a message stored for `$upstream`.
    pub fn upstream_sent(&self, message: &HubMessage, priority: u32) {
        if let Some(inner) = &self.inner {
            inner.upstream.sent(self, message, priority);
        }
    }

    /// Moves recorded summary samples into their rolling windows. Run periodically: samples
    /// are otherwise kept until the next scrape.
    pub fn run_upkeep(&self) {
        if let Some(inner) = &self.inner {
            inner.handle.run_upkeep();
        }
    }

    /// The Prometheus text of every series; `None` when metrics are off.
    pub fn render(&self) -> Option<String> {
        self.inner.as_ref().map(|i| i.handle.render())
    }

    /// Sets the series read from the hub's state at scrape time (queue lengths, store
    /// size, connections, per-module delivery counters), then renders every series.
    pub fn render_with(&self, snapshot: &HubSnapshot) -> Option<String> {
        let inner = self.inner.as_ref()?;
        self.set_queue_lengths(inner, snapshot);
        self.gauge(names::STORE_SIZE, &[])
            .set(snapshot.store_size_bytes as f64);
        self.counter(names::USER_TOPIC_DROPS, &[])
            .absolute(snapshot.user_topic_drops);
        self.gauge(names::CONNECTED_CLIENTS, &[])
            .set(snapshot.connected_clients as f64);
        for m in &snapshot.modules {
            let labels = [("module", m.module.as_str())];
            self.gauge(names::MODULE_CONNECTED, &labels)
                .set(if m.connected { 1.0 } else { 0.0 });
            self.counter(names::MODULE_CONNECTIONS, &labels)
                .absolute(m.connections);
            self.counter(names::MODULE_REDELIVERIES, &labels)
                .absolute(m.redelivered);
            self.counter(names::MODULE_ACKS_OUT_OF_ORDER, &labels)
                .absolute(m.acks_out_of_order);
            self.gauge(names::MODULE_IN_FLIGHT, &labels)
                .set(m.in_flight as f64);
        }
        Some(inner.handle.render())
    }

    fn set_queue_lengths(&self, inner: &Inner, snapshot: &HubSnapshot) {
        let mut known = inner.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let mut lengths: std::collections::BTreeMap<(String, u32), u64> =
            known.iter().map(|k| (k.clone(), 0)).collect();
        for q in &snapshot.queue_lengths {
            *lengths.entry((q.endpoint.clone(), q.priority)).or_default() += q.length;
        }
        for ((endpoint, priority), length) in &lengths {
            self.gauge(
                names::QUEUE_LENGTH,
                &[
                    ("endpoint", endpoint),
                    ("priority", &priority.to_string()),
                    (names::MS_TELEMETRY, names::MS_TELEMETRY_VALUE),
                ],
            )
            .set(*length as f64);
        }
        known.extend(lengths.into_keys());
    }
}

fn key(family: Family, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::new(*k, (*v).to_string()))
        .collect();
    Key::from_parts(family.name, labels)
}

fn unreachable_config(e: metrics_exporter_prometheus::BuildError) -> ! {
    // The arguments are constants checked by the tests of this module.
    panic!("metrics configuration rejected: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_edgehub_labels_and_help() {
        let m = HubMetrics::new("hub.example", "dev");
        m.get_twin("filter");
        m.get_twin("filter");
        let text = m.render().unwrap();
        assert!(text.contains("# HELP edgehub_gettwin_total Get twin calls"));
        assert!(text.contains("# TYPE edgehub_gettwin_total counter"));
        let line = text
            .lines()
            .find(|l| l.starts_with("edgehub_gettwin_total{"))
            .unwrap();
        assert!(line.starts_with(
            "edgehub_gettwin_total{iothub=\"hub.example\",edge_device=\"dev\",instance_number=\""
        ));
        assert!(line.ends_with(",source=\"edge_hub\",id=\"dev/filter\",ms_telemetry=\"True\"} 2"));
    }

    #[test]
    fn failed_ids_are_bounded() {
        let m = HubMetrics::new("h", "d");
        for i in 0..MAX_FAILED_IDS + 10 {
            m.connect_failed(&format!("d/x{i}"));
        }
        let text = m.render().unwrap();
        let series = text
            .lines()
            .filter(|l| l.starts_with("edgehub_client_connect_failed_total{"))
            .count();
        assert_eq!(series, MAX_FAILED_IDS + 1);
        assert!(text.contains(&format!(
            "id=\"{OTHER_CLIENTS}\",reason=\"not_authenticated\",ms_telemetry=\"True\"}} 10"
        )));
    }

    #[test]
    fn disabled_records_nothing() {
        let m = HubMetrics::disabled("d");
        m.get_twin("x");
        m.counter(names::MESSAGES_SENT, &[]).increment(1);
        assert!(m.render().is_none());
        assert!(!m.is_enabled());
    }
}
