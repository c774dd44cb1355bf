//! Wiring into a starting hub: the metrics listener (whose render reads the broker's state)
//! and the task that keeps the summaries' sample buffers drained.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{serve_metrics, HubMetrics, RenderFn};
use crate::config::{HubConfig, MetricsBind};
use crate::error::HubError;
use crate::mqtt::Broker;

/// How often recorded summary samples are moved into their rolling windows (a hub nobody
/// scrapes must not keep every sample).
const UPKEEP_PERIOD: Duration = Duration::from_secs(5);

/// Starts the listener and the upkeep task (pushed onto `tasks`) as `config.metrics` says;
/// returns the bound address, `None` when metrics are off.
pub async fn start(
    config: &HubConfig,
    broker: &Broker,
    metrics: &Arc<HubMetrics>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Option<SocketAddr>, HubError> {
    let (bind, fallback) = match config.metrics {
        MetricsBind::Off => return Ok(None),
        MetricsBind::Exact(addr) => (addr, false),
        MetricsBind::Preferred(addr) => (addr, true),
    };
    let (broker_for_render, device) = (broker.clone(), config.device_id.clone());
    let render: RenderFn = Arc::new(move || render(&broker_for_render, &device));
    let (addr, task) = serve_metrics(bind, fallback, render)
        .await
        .map_err(|e| HubError::Other(format!("binding the metrics port {bind}: {e}")))?;
    tasks.push(task);
    let upkeep = metrics.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_PERIOD);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    }));
    tracing::info!(%addr, "metrics at http://{addr}/metrics");
    Ok(Some(addr))
}

/// The exposition text with the broker's current state (blocking: reads the store).
pub fn render(broker: &Broker, device_id: &str) -> Option<String> {
    let metrics = broker.metrics();
    if !metrics.is_enabled() {
        return None;
    }
    metrics.render_with(&broker.metrics_snapshot(device_id))
}
