//! `GET /metrics` over plain HTTP, as edgeHub serves it on its port 9600: no
//! authentication (docs/security.md says why that is acceptable and what it discloses).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::task::JoinHandle;

use crate::methods::http_util::{
    drain_body, response, spawn_server, text_response, ResponseBody, ServerLimits,
};

/// edgeHub's metrics port.
pub const DEFAULT_METRICS_PORT: u16 = 9600;
/// The exposition format's content type (text format 0.0.4).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// A scraper sends no body; anything beyond this is read and dropped.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Renders the exposition text (blocking: it reads queue lengths from the store).
pub type RenderFn = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Few scrapers, short requests.
const LIMITS: ServerLimits = ServerLimits {
    max_connections: 32,
    header_read_timeout: Duration::from_secs(10),
    idle_timeout: Some(Duration::from_secs(30)),
    max_header_bytes: 16 * 1024,
};

/// Serves `GET /metrics` on `bind` until the returned task is aborted. With
/// `fallback_to_ephemeral`, a port already in use (another hub on the default port) is
/// replaced by a free one, with a warning; the bound address is returned either way.
pub async fn serve_metrics(
    bind: SocketAddr,
    fallback_to_ephemeral: bool,
    render: RenderFn,
) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let handler = move |req: Request<Incoming>| {
        let render = render.clone();
        async move { handle(render, req).await }
    };
    match spawn_server(bind, None, LIMITS, handler.clone()).await {
        Err(e) if fallback_to_ephemeral && e.kind() == io::ErrorKind::AddrInUse => {
            let other = SocketAddr::new(bind.ip(), 0);
            let bound = spawn_server(other, None, LIMITS, handler).await?;
            tracing::warn!(
                wanted = %bind,
                metrics = %bound.0,
                "metrics port in use (another hub?); serving metrics on a free port instead (see metrics= in the ready line)"
            );
            Ok(bound)
        }
        other => other,
    }
}

async fn handle(render: RenderFn, req: Request<Incoming>) -> Response<ResponseBody> {
    let is_metrics = req.uri().path() == "/metrics";
    let method = req.method().clone();
    drain_body(req.into_body(), MAX_BODY_BYTES).await;
    match (is_metrics, method) {
        (true, Method::GET | Method::HEAD) => {
            match tokio::task::spawn_blocking(move || render()).await {
                Ok(Some(text)) => response(StatusCode::OK, CONTENT_TYPE, text),
                Ok(None) => text_response(StatusCode::NOT_FOUND, "metrics are switched off\n"),
                Err(e) => text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("rendering the metrics failed: {e}\n"),
                ),
            }
        }
        (true, _) => text_response(StatusCode::METHOD_NOT_ALLOWED, "only GET /metrics\n"),
        (false, _) => text_response(StatusCode::NOT_FOUND, "the metrics are at /metrics\n"),
    }
}
