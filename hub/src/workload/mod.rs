//! The IoT Edge workload API (protocol.md §2, §11.2): HTTP/1.1 on a Unix socket.
//!
//! Modules use it to sign SAS tokens with their key (which never leaves the hub), to fetch
//! the trust bundle, and to get certificates. Like the real daemon it accepts any
//! `api-version` (the parameter must be present), needs no `Content-Type` and ignores `Host`.

mod handlers;
mod http;

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::certs::HubCertificates;
use crate::identity::Identities;

/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the handlers need.
pub(crate) struct State {
    pub identities: Arc<Identities>,
    pub certs: Arc<HubCertificates>,
}

/// A running workload API server. Dropping it stops accepting connections; call
/// [`shutdown`](Self::shutdown) to also finish in-flight requests and remove the socket.
pub struct WorkloadServer {
    socket: PathBuf,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkloadServer {
    /// Binds the socket (removing a stale file), serves until shutdown. Routes:
    /// POST /modules/{name}/genid/{genid}/sign, GET /trust-bundle, GET /manifest-trust-bundle,
    /// POST /modules/{name}/certificate/identity, POST /modules/{name}/genid/{genid}/certificate/server.
    /// Any api-version (required present), no Content-Type requirement, ignores Host. Errors JSON {"message": …}.
    ///
    /// The socket gets mode 0666 (module processes may run as other users). Fails with
    /// `AddrInUse` if another server is listening on it, and refuses to replace a file that
    /// is not a socket.
    pub async fn start(
        socket: &Path,
        identities: Arc<Identities>,
        certs: Arc<HubCertificates>,
    ) -> io::Result<WorkloadServer> {
        remove_stale_socket(socket).await?;
        if let Some(parent) = socket.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let listener = UnixListener::bind(socket)?;
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o666))?;
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(State { identities, certs });
        let task = tokio::spawn(accept_loop(listener, state, stopped));
        Ok(WorkloadServer {
            socket: socket.to_path_buf(),
            stop,
            task,
        })
    }

    /// The socket path.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), removes the socket.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// A leftover socket from a previous run is removed; a live one is an error.
async fn remove_stale_socket(socket: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(socket) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", socket.display()),
        ));
    }
    if UnixStream::connect(socket).await.is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another server is listening on {}", socket.display()),
        ));
    }
    std::fs::remove_file(socket)
}

/// Resolves when shutdown was requested or the server handle was dropped.
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: UnixListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, state.clone(), stopped.clone()));
                }
                Err(e) => {
                    // E.g. EMFILE: back off instead of spinning.
                    tracing::warn!("workload API accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection(
    stream: UnixStream,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req| handlers::handle(state.clone(), req));
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("workload API connection ended: {e}");
            }
        }
        _ = stop_requested(&mut stopped) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
