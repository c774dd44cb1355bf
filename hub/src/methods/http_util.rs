//! Small HTTP/1.1 server helpers shared by the HTTPS methods API, the admin API and the
//! workload API: an accept loop (plain or TLS) with a connection cap, header-read and idle
//! timeouts, response builders, body reading with a size cap and a deadline, a streamed body
//! fed from a channel, and path/query decoding.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

/// Response body type of both servers.
pub type ResponseBody = BoxBody<Bytes, Infallible>;

/// How long a client may take to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may take to arrive completely.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What one HTTP server allows a client, so that no client can hold its sockets, file
/// descriptors or memory for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections at most; further ones are accepted and closed at once.
    pub max_connections: usize,
    /// Time a client gets to send a request's complete header block. The same timer runs
    /// while a kept-alive connection waits for its next request, so it is also the idle
    /// time between requests.
    pub header_read_timeout: Duration,
    /// A connection with no byte read or written for this long, and no request being
    /// handled, is closed (a client that stops reading a response, or sending a body).
    /// `None` for servers with long-lived streams.
    pub idle_timeout: Option<Duration>,
    /// Largest read buffer (request line plus headers) per connection.
    pub max_header_bytes: usize,
}

impl ServerLimits {
    /// The module-to-module methods API (HTTPS).
    pub const HTTPS: ServerLimits = ServerLimits {
        max_connections: 256,
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Some(Duration::from_secs(30)),
        max_header_bytes: 16 * 1024,
    };
    /// The admin API (loopback, token required; `follow` streams stay open).
    pub const ADMIN: ServerLimits = ServerLimits {
        max_connections: 64,
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: None,
        max_header_bytes: 16 * 1024,
    };
    /// One module's workload socket.
    pub const WORKLOAD: ServerLimits = ServerLimits {
        max_connections: 32,
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Some(Duration::from_secs(30)),
        max_header_bytes: 16 * 1024,
    };

    /// An HTTP/1.1 connection builder applying the header-read timeout and buffer limit.
    pub fn http1(&self) -> hyper::server::conn::http1::Builder {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            // hyper refuses buffers under 8 KiB.
            .max_buf_size(self.max_header_bytes.max(8192));
        http
    }
}

/// Counts open connections against `ServerLimits::max_connections`.
#[derive(Clone)]
pub struct ConnectionCap {
    permits: Arc<Semaphore>,
    what: &'static str,
    saturated: Arc<AtomicBool>,
}

impl ConnectionCap {
    /// A cap of `limits.max_connections` for the server named `what` (for logs).
    pub fn new(limits: &ServerLimits, what: &'static str) -> ConnectionCap {
        ConnectionCap {
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            what,
            saturated: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A slot for a new connection (held until dropped), or `None` when all are taken.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                self.saturated.store(false, Ordering::Relaxed);
                Some(permit)
            }
            Err(_) => {
                if !self.saturated.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        server = self.what,
                        "connection limit reached; refusing new connections until some close"
                    );
                }
                None
            }
        }
    }
}

/// Serves one accepted connection with `limits`: HTTP/1.1, the header-read timeout, and
/// the idle watchdog. When `stop` resolves, requests in flight finish and the connection
/// closes. Returns when the connection ends.
pub async fn serve_limited<IO, S, B>(
    io: IO,
    service: S,
    limits: ServerLimits,
    stop: impl Future<Output = ()>,
) -> Result<(), String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let activity = Activity::new();
    let io = TokioIo::new(ActivityIo {
        inner: io,
        activity: activity.clone(),
    });
    let service = BusyService {
        inner: service,
        activity: activity.clone(),
    };
    let conn = limits.http1().serve_connection(io, service);
    tokio::pin!(conn);
    let idle = async {
        match limits.idle_timeout {
            Some(idle) => activity.idle_for(idle).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = conn.as_mut() => result.map_err(|e| e.to_string()),
        () = idle => Err(format!(
            "closed after {} s without traffic",
            limits.idle_timeout.unwrap_or_default().as_secs()
        )),
        () = stop => {
            conn.as_mut().graceful_shutdown();
            conn.await.map_err(|e| e.to_string())
        }
    }
}

/// Binds `bind` and serves every connection with `handler` until the returned task is
/// aborted (aborting it also ends every open connection).
pub async fn spawn_server<H, F>(
    bind: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    handler: H,
) -> io::Result<(SocketAddr, JoinHandle<()>)>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let listener = TcpListener::bind(bind).await?;
    let local = listener.local_addr()?;
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let cap = ConnectionCap::new(&limits, if acceptor.is_some() { "https" } else { "admin" });
    let task = tokio::spawn(async move {
        // Dropping the set (when this task is aborted) aborts every connection task.
        let mut connections = JoinSet::new();
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                // Reap finished connections so the set does not grow without bound.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            // Over the cap: closing at once frees the descriptor for everyone else.
            let Some(slot) = cap.admit() else {
                drop(stream);
                continue;
            };
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            connections.spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(move |req| {
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let result = match acceptor {
                    Some(acceptor) => {
                        let tls =
                            tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await;
                        match tls {
                            Ok(Ok(stream)) => {
                                serve_limited(stream, service, limits, std::future::pending()).await
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        }
                    }
                    None => serve_limited(stream, service, limits, std::future::pending()).await,
                };
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
                }
            });
        }
    });
    Ok((local, task))
}

/// When a connection last moved a byte, and how many of its requests are being handled.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing moved for `idle` while no request was being handled.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = last.elapsed();
            if quiet >= idle && self.busy.load(Ordering::Relaxed) == 0 {
                return;
            }
            let wait = idle.saturating_sub(quiet).max(Duration::from_millis(250));
            tokio::time::sleep(wait).await;
        }
    }
}

/// An I/O stream that records progress in an [`Activity`].
struct ActivityIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for ActivityIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ActivityIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A service that marks its connection busy while a request is being handled (a method
/// call may wait minutes for its module without a byte on the wire).
struct BusyService<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, R> hyper::service::Service<R> for BusyService<S>
where
    S: hyper::service::Service<R>,
    S::Future: Send + 'static,
    S::Response: 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn call(&self, req: R) -> Self::Future {
        let guard = BusyGuard::new(self.activity.clone());
        let future = self.inner.call(req);
        Box::pin(async move {
            let response = future.await;
            drop(guard);
            response
        })
    }
}

/// Marks a request as being handled until dropped (also when the connection is dropped
/// mid-request).
struct BusyGuard(Arc<Activity>);

impl BusyGuard {
    fn new(activity: Arc<Activity>) -> BusyGuard {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard(activity)
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into()).boxed()
}

/// A response with a body and content type.
pub fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response (`application/json; charset=utf-8`).
pub fn json_response(status: StatusCode, value: &Value) -> Response<ResponseBody> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    response(status, "application/json; charset=utf-8", body)
}

/// An error response shaped as edgeHub's: `{"message": …}`.
pub fn message_response(status: StatusCode, message: &str) -> Response<ResponseBody> {
    json_response(status, &serde_json::json!({ "message": message }))
}

/// A plain-text response.
pub fn text_response(status: StatusCode, text: &str) -> Response<ResponseBody> {
    response(status, "text/plain; charset=utf-8", text.to_string())
}

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (bytes).
    TooLarge(usize),
    /// Not complete within [`BODY_READ_TIMEOUT`].
    TimedOut,
    /// The connection broke or sent something that is not HTTP.
    Broken(String),
}

impl BodyError {
    /// The HTTP status for this error: 413, 408 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => {
                write!(f, "the request body is longer than {limit} bytes")
            }
            BodyError::TimedOut => write!(
                f,
                "the request body did not arrive within {} s",
                BODY_READ_TIMEOUT.as_secs()
            ),
            BodyError::Broken(e) => write!(f, "cannot read the request body: {e}"),
        }
    }
}

/// Reads the whole request body: at most `limit` bytes, within [`BODY_READ_TIMEOUT`].
pub async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let collected = tokio::time::timeout(BODY_READ_TIMEOUT, Limited::new(body, limit).collect());
    match collected.await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(limit)),
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

/// Reads and discards up to `limit` bytes of a body (within [`BODY_READ_TIMEOUT`]), so that
/// a client that writes its body after the headers sees the answer instead of a reset
/// connection. Nothing is kept in memory.
pub async fn drain_body<B>(body: B, limit: usize)
where
    B: Body + Unpin,
{
    let drain = async {
        let mut body = body;
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return };
            if let Some(data) = frame.data_ref() {
                seen += data.remaining();
                if seen > limit {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(BODY_READ_TIMEOUT, drain).await;
}

/// A body streamed from a channel: each received chunk is sent as it arrives; the body
/// ends when every sender is dropped.
pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A body and the sender that feeds it.
    pub fn new(buffer: usize) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (tx, rx) = mpsc::channel(buffer);
        (tx, ChannelBody { rx })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// Percent-decodes a path segment or query value as .NET's `WebUtility.UrlDecode` does
/// (`+` becomes a space; malformed escapes are kept as they are).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The decoded value of query parameter `name` (first occurrence), if present.
pub fn query_param(uri: &hyper::Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(key) == name).then(|| url_decode(value))
    })
}

/// The path split into its decoded segments (the leading `/` and a trailing `/` ignored).
pub fn path_segments(uri: &hyper::Uri) -> Vec<String> {
    let path = uri.path().trim_start_matches('/');
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return Vec::new();
    }
    path.split('/').map(url_decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_webutility() {
        assert_eq!(url_decode("a%2Fb+c"), "a/b c");
        assert_eq!(url_decode("%24edgeHub"), "$edgeHub");
        assert_eq!(url_decode("bad%2"), "bad%2");
        assert_eq!(url_decode("bad%zz"), "bad%zz");
        assert_eq!(url_decode("%"), "%");
    }

    #[test]
    fn query_and_path() {
        let uri: hyper::Uri = "/twins/d%201/modules/m/methods/?api-version=1&x=a+b"
            .parse()
            .unwrap();
        assert_eq!(
            path_segments(&uri),
            ["twins", "d 1", "modules", "m", "methods"]
        );
        assert_eq!(query_param(&uri, "x").as_deref(), Some("a b"));
        assert_eq!(query_param(&uri, "api-version").as_deref(), Some("1"));
        assert_eq!(query_param(&uri, "y"), None);
        let root: hyper::Uri = "/".parse().unwrap();
        assert!(path_segments(&root).is_empty());
    }
}
