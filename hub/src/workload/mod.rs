//! The IoT Edge workload API (protocol.md §2, §11.2): HTTP/1.1 on Unix sockets.
//!
//! Modules use it to sign SAS tokens with their key (which never leaves the hub), to fetch
//! the trust bundle, and to get certificates. Like the real daemon it accepts any
//! `api-version` (the parameter must be present), needs no `Content-Type` and ignores `Host`.
//!
//! As aziot-edged does, every module gets its own socket, `{dir}/{module}.sock`: the socket
//! a request arrives on says which module is calling, and a request naming another module is
//! answered 403. A socket is mode 0600, owned by the hub's user or by the uid the module
//! runs as (`workload_owners`), and the peer's uid is checked again on every connection. An
//! explicitly insecure shared socket (mode 0666, any caller may act as any module) exists
//! for setups that cannot give each module its own socket.

mod handlers;
mod http;

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::certs::HubCertificates;
use crate::identity::Identities;
use crate::methods::http_util::{serve_limited, ConnectionCap, ServerLimits};

/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Who may be named in the requests arriving on a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The socket of this module: requests for any other module are refused (403).
    Module(String),
    /// The insecure shared socket: any module.
    AnyModule,
}

/// What the handlers need.
pub(crate) struct State {
    pub identities: Arc<Identities>,
    pub certs: Arc<HubCertificates>,
    pub caller: Caller,
}

/// One socket to serve.
#[derive(Debug, Clone)]
pub struct WorkloadSocket {
    /// Socket path.
    pub path: PathBuf,
    /// Whose socket it is.
    pub caller: Caller,
    /// Uid the socket is handed to (its module's process runs as this user); `None` keeps
    /// the hub's user. Changing the owner needs the privilege to chown.
    pub owner: Option<u32>,
}

/// The running workload API servers. Dropping it stops accepting connections; call
/// [`shutdown`](Self::shutdown) to also finish in-flight requests and remove the sockets.
pub struct WorkloadServer {
    sockets: Vec<PathBuf>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WorkloadServer {
    /// One socket per module in `dir` (`{dir}/{module}.sock`, mode 0600, owner from
    /// `owners`); `dir` is created with mode 0700, or 0711 when some socket belongs to
    /// another user (who must be able to reach it, but not list the directory).
    pub async fn start_per_module(
        dir: &Path,
        modules: &[String],
        owners: &BTreeMap<String, u32>,
        identities: Arc<Identities>,
        certs: Arc<HubCertificates>,
    ) -> io::Result<WorkloadServer> {
        std::fs::create_dir_all(dir)?;
        let dir_mode = if owners.is_empty() {
            crate::state_dir::PRIVATE_DIR
        } else {
            crate::state_dir::TRAVERSE_ONLY_DIR
        };
        crate::state_dir::set_mode(dir, dir_mode)?;
        let sockets = modules
            .iter()
            .map(|m| WorkloadSocket {
                path: dir.join(format!("{m}.sock")),
                caller: Caller::Module(m.clone()),
                owner: owners.get(m).copied(),
            })
            .collect();
        WorkloadServer::start(sockets, identities, certs).await
    }

    /// The insecure shared socket at `socket` (mode 0666): any local process can sign for,
    /// and fetch certificates of, any module. Only for setups that cannot mount one socket
    /// per module.
    pub async fn start_shared_insecure(
        socket: &Path,
        identities: Arc<Identities>,
        certs: Arc<HubCertificates>,
    ) -> io::Result<WorkloadServer> {
        let socket = WorkloadSocket {
            path: socket.to_path_buf(),
            caller: Caller::AnyModule,
            owner: None,
        };
        WorkloadServer::start(vec![socket], identities, certs).await
    }

    /// Binds every socket (removing stale files) and serves until shutdown. Routes:
    /// POST /modules/{name}/genid/{genid}/sign, GET /trust-bundle, GET /manifest-trust-bundle,
    /// POST /modules/{name}/certificate/identity, POST /modules/{name}/genid/{genid}/certificate/server.
    /// Any api-version (required present), no Content-Type requirement, ignores Host.
    /// Errors JSON {"message": …}.
    ///
    /// Fails with `AddrInUse` if another server is listening on a socket, and refuses to
    /// replace a file that is not a socket.
    pub async fn start(
        sockets: Vec<WorkloadSocket>,
        identities: Arc<Identities>,
        certs: Arc<HubCertificates>,
    ) -> io::Result<WorkloadServer> {
        let (stop, stopped) = watch::channel(false);
        let mut server = WorkloadServer {
            sockets: Vec::new(),
            stop,
            tasks: Vec::new(),
        };
        for socket in sockets {
            match bind(&socket).await {
                Ok((listener, allowed)) => {
                    server.sockets.push(socket.path.clone());
                    let state = Arc::new(State {
                        identities: identities.clone(),
                        certs: certs.clone(),
                        caller: socket.caller.clone(),
                    });
                    server.tasks.push(tokio::spawn(accept_loop(
                        listener,
                        state,
                        allowed,
                        stopped.clone(),
                    )));
                }
                Err(e) => {
                    server.shutdown().await;
                    return Err(e);
                }
            }
        }
        Ok(server)
    }

    /// The socket paths.
    pub fn socket_paths(&self) -> &[PathBuf] {
        &self.sockets
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), removes the sockets.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        for socket in &self.sockets {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// Which peer uids a socket serves (`None`: anyone, the insecure shared socket).
type AllowedUids = Option<Vec<u32>>;

/// Binds one socket with its mode and owner; returns the listener and who may use it.
async fn bind(socket: &WorkloadSocket) -> io::Result<(UnixListener, AllowedUids)> {
    let path = &socket.path;
    remove_stale_socket(path).await?;
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let listener = UnixListener::bind(path)?;
    // The file belongs to whoever created it: the hub's effective user.
    let hub_uid = std::fs::symlink_metadata(path)?.uid();
    let allowed = match socket.caller {
        Caller::AnyModule => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
            None
        }
        Caller::Module(ref module) => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            let mut allowed = vec![hub_uid, 0];
            if let Some(owner) = socket.owner {
                std::os::unix::fs::chown(path, Some(owner), None).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "cannot give the workload socket of module '{module}' ({}) to uid {owner}: {e} (changing a file's owner needs root or CAP_CHOWN)",
                            path.display()
                        ),
                    )
                })?;
                allowed.push(owner);
            }
            Some(allowed)
        }
    };
    Ok((listener, allowed))
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
    allowed: AllowedUids,
    mut stopped: watch::Receiver<bool>,
) {
    let limits = ServerLimits::WORKLOAD;
    let cap = ConnectionCap::new(&limits, "workload");
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if !peer_allowed(&stream, allowed.as_deref(), &state.caller) {
                        continue;
                    }
                    let Some(slot) = cap.admit() else { continue };
                    connections.spawn(serve_connection(stream, state.clone(), limits, slot, stopped.clone()));
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

/// The socket's mode already keeps other users out; the peer's uid is checked as well, in
/// case the file's mode or owner was changed behind the hub's back.
fn peer_allowed(stream: &UnixStream, allowed: Option<&[u32]>, caller: &Caller) -> bool {
    let Some(allowed) = allowed else { return true };
    match stream.peer_cred() {
        Ok(cred) if allowed.contains(&cred.uid()) => true,
        Ok(cred) => {
            tracing::warn!(uid = cred.uid(), socket = ?caller, "workload socket connection from a user that does not own it refused");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the workload peer's credentials; connection refused");
            false
        }
    }
}

async fn serve_connection(
    stream: UnixStream,
    state: Arc<State>,
    limits: ServerLimits,
    _slot: tokio::sync::OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req| handlers::handle(state.clone(), req));
    let stop = async move { stop_requested(&mut stopped).await };
    if let Err(e) = serve_limited(stream, service, limits, stop).await {
        tracing::debug!("workload API connection ended: {e}");
    }
}
