//! Prometheus metrics: edgeHub's families with edgeHub's names, types and labels (so that
//! IoT Edge dashboards and Microsoft's metrics-collector read the hub as they read
//! edgeHub), plus the hub's own, served as `GET /metrics` on the metrics port.
//!
//! `names` lists the families and where edgeHub defines each, `registry` owns one
//! recorder per hub, `handles` keeps resolved label sets for the per-message paths,
//! `snapshot` is what is read from the hub's state at scrape time, `server` answers HTTP,
//! and `text` parses the exposition format again (for `edgemodule-hub stats` and tests).

mod handles;
pub mod names;
mod registry;
pub mod serve;
mod server;
mod snapshot;
pub mod text;

pub use handles::{InputMetrics, SenderMetrics, SentHandles};
pub use registry::{HubMetrics, OTHER_CLIENTS};
pub use server::{serve_metrics, RenderFn, DEFAULT_METRICS_PORT};
pub use snapshot::{HubSnapshot, QueueLength};
