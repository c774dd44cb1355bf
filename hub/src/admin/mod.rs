//! The admin API: plain HTTP/1.1 with JSON on a local address (`config.admin_bind`), used by
//! the `edgemodule-hub` CLI and handy with curl.
//!
//! Every request needs `Authorization: Bearer <token>`, the token in `{state}/admin.token`
//! (mode 0600); without it the answer is 401. The API hands out module keys and drives
//! modules, so it is as secret as the keys themselves.
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /health` | `{"status":"ok","deviceId":…,"userTopicDrops":n, …info}` |
//! | `GET /modules` | `{"deviceId":…,"modules":[{"moduleId":…,"connected":bool}]}` |
//! | `GET /modules/{m}/env` | `{"moduleId":…,"workload":[{"name","value"}…],"connectionString":[{"name","value"}…]}` |
//! | `GET /modules/{m}/twin` | `{"desired":{…,"$version":n},"reported":{…,"$version":m}}` |
//! | `PATCH /modules/{m}/twin/desired` (body: JSON merge patch) | `{"version":n}` |
//! | `POST /modules/{m}/methods/{name}?timeout=s&connectTimeout=s` (body: payload JSON) | `{"status":n,"payload":…}` |
//! | `GET /modules/{m}/inspect` | `{"module":…,"connected":…,"delivered":…,…}` (contract 5; `RunningHub::inspect`) |
//! | `GET /upstream[?follow=true][&history=false]` | one JSON object per line per `$upstream` message (`follow` keeps streaming new ones; `history=false` skips earlier ones) |
//! | `GET /runtime`, `GET /modules/{m}/logs[?tail=n][&follow=true]` | the module runtime ([`crate::runtime::admin`]) |
//!
//! Errors are `{"message": …}` with 400, 401, 404, 405, 408, 500 or 504.

mod handlers;
mod token;
mod upstream;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinHandle;

use crate::identity::Identities;
use crate::methods::MethodDispatcher;
use crate::mqtt::ModuleInspection;
use crate::twins::{ClientPublisher, TwinService};

pub use token::{AdminToken, TOKEN_FILE};
pub use upstream::{message_json, UpstreamFeed};

/// Live counters merged into `GET /health` (e.g. `{"userTopicDrops": 3}`).
pub type CountersFn = Arc<dyn Fn() -> Value + Send + Sync>;

/// Computes a module's `IOTEDGE_*` environment (plus `EDGEMODULE_*` port overrides).
pub type ModuleEnvFn = Arc<dyn Fn(&str) -> Option<Vec<(String, String)>> + Send + Sync>;
/// A module's delivery inspection (`RunningHub::inspect`); `None` for unknown modules.
pub type InspectFn = Arc<dyn Fn(&str) -> Option<ModuleInspection> + Send + Sync>;

/// Everything the admin API reads or drives. Cheap to clone.
#[derive(Clone)]
pub struct AdminState {
    /// Module identities (module list, connection strings).
    pub identities: Arc<Identities>,
    /// Twins, for `GET …/twin` and `PATCH …/twin/desired`.
    pub twins: TwinService,
    /// Direct methods, for `POST …/methods/{name}`.
    pub methods: MethodDispatcher,
    /// The broker, for the `connected` flag of `GET /modules`.
    pub broker: Arc<dyn ClientPublisher>,
    /// The workload-style environment of a module (`RunningHub::module_env`).
    pub module_env: ModuleEnvFn,
    /// Delivery inspection of a module (`RunningHub::inspect`).
    pub inspect: InspectFn,
    /// Path of the hub CA certificate (PEM), for `EdgeModuleCACertificateFile`.
    pub ca_certificate_file: PathBuf,
    /// Messages routed to `$upstream`.
    pub upstream: UpstreamFeed,
    /// Extra facts merged into `GET /health` (e.g. `{"mqtt": "127.0.0.1:8883"}`).
    pub info: Value,
    /// The module runtime, once `serve --run-modules` started it (`GET /runtime`, logs).
    pub runtime: crate::runtime::RuntimeSlot,
    /// Counters read at each `GET /health`.
    pub counters: CountersFn,
    /// The bearer token every request must carry.
    pub token: AdminToken,
}

/// Serves the admin API on `bind` until the returned task is aborted (which also ends open
/// `follow` streams). Returns the bound address.
pub async fn serve_admin(
    state: AdminState,
    bind: SocketAddr,
) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let state = Arc::new(state);
    let limits = crate::methods::http_util::ServerLimits::ADMIN;
    crate::methods::http_util::spawn_server(bind, None, limits, move |req| {
        let state = state.clone();
        async move { handlers::handle(&state, req).await }
    })
    .await
}
