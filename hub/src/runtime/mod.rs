//! The module runtime: the hub starts the deployment's modules the way edgeAgent does
//! (`serve --run-modules`, `up`).
//!
//! Each module of `$edgeAgent` runs as a podman container when `settings.image` names an
//! image in local storage, or as a host process when it declares a command with the
//! `x-edgemodule` extension field ([`spec`]). Either way it gets its `IOTEDGE_*`
//! environment and its own workload socket (mounted at `/var/run/iotedge/workload.sock`
//! in containers, as edgeAgent mounts it), its output goes to `{state}/logs/{module}.log`
//! ([`logs`]), and it is restarted by its `restartPolicy` with edgeAgent's back-off
//! ([`policy`]). Its state is reported in the shape of the `$edgeAgent` reported
//! properties ([`state`]) through the admin API (`GET /runtime`, `GET
//! /modules/{m}/logs`) and `edgemodule-hub ps` / `logs`.

pub mod admin;
pub mod create_options;
pub mod logs;
pub mod podman;
pub mod policy;
pub mod process;
pub mod spec;
pub mod state;
pub mod supervisor;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::hub::RunningHub;
use crate::manifest::Manifest;
use podman::{Podman, CONTAINER_WORKLOAD_SOCKET};
use policy::BackoffSettings;
use spec::{DesiredStatus, RunSpec};
use state::{ModuleState, RunAs};
use supervisor::{Context, Launch, Supervised};

/// Which form modules may run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// A container when the image is in local storage and podman works, else the declared
    /// host command.
    Auto,
    /// Containers only.
    Containers,
    /// Host commands only.
    Processes,
}

impl RunMode {
    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Auto => "auto",
            RunMode::Containers => "containers",
            RunMode::Processes => "processes",
        }
    }
}

/// How the runtime behaves.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Container, process, or either.
    pub mode: RunMode,
    /// edgeAgent's restart numbers.
    pub backoff: BackoffSettings,
    /// Time a module gets to stop (SIGTERM / `podman stop`) before it is killed.
    pub stop_grace: Duration,
    /// The manifest's directory: `x-edgemodule.workingDir` is relative to it.
    pub base_dir: PathBuf,
}

impl RuntimeSettings {
    /// Defaults: edgeAgent's numbers, 10 s to stop (Docker's default).
    pub fn new(mode: RunMode, base_dir: PathBuf) -> RuntimeSettings {
        RuntimeSettings {
            mode,
            backoff: BackoffSettings::default(),
            stop_grace: Duration::from_secs(10),
            base_dir,
        }
    }
}

/// What will run, and how; made before the hub starts.
pub struct Plan {
    modules: Vec<(RunSpec, RunAs)>,
    podman: Option<Podman>,
    settings: RuntimeSettings,
}

impl Plan {
    /// Reads the modules' runtime fields and decides how each runs (looking images up in
    /// local storage). Errors are manifest errors.
    pub async fn prepare(
        manifest: &Manifest,
        settings: RuntimeSettings,
        state_dir: &std::path::Path,
    ) -> Result<Plan, String> {
        let specs = spec::run_specs(manifest, &settings.base_dir).map_err(|e| e.to_string())?;
        let wants_containers = settings.mode != RunMode::Processes
            && specs
                .iter()
                .any(|s| s.image.is_some() && s.desired == DesiredStatus::Running);
        let podman = if wants_containers {
            Podman::detect().await
        } else {
            Err("not needed".to_string())
        };
        if let Err(e) = &podman {
            if wants_containers {
                tracing::warn!(reason = %e, "containers cannot run");
            }
        }
        let mut modules = Vec::new();
        for spec in specs {
            let run_as = decide(&spec, settings.mode, podman.as_ref(), state_dir).await;
            if let RunAs::Container { image, .. } = &run_as {
                if !spec.create_options.ignored.is_empty() {
                    tracing::info!(module = %spec.name, ignored = ?spec.create_options.ignored, "createOptions not applied locally");
                }
                if let Some(mode) = spec
                    .create_options
                    .network_mode
                    .as_deref()
                    .filter(|m| *m != "host")
                {
                    tracing::info!(module = %spec.name, network = mode, image = %image, "runs on the host network instead (the hub listens on the host)");
                }
            }
            modules.push((spec, run_as));
        }
        Ok(Plan {
            modules,
            podman: podman.ok(),
            settings,
        })
    }

    /// How each module will run: `(name, "container" | "process" | "none", detail)`.
    pub fn summary(&self) -> Vec<(String, &'static str, String)> {
        self.modules
            .iter()
            .map(|(spec, run_as)| {
                let detail = match run_as {
                    RunAs::Container { image, .. } => image.clone(),
                    RunAs::Process { command } => command.join(" "),
                    RunAs::NotRunnable(reason) => reason.clone(),
                };
                (spec.name.clone(), run_as.kind(), detail)
            })
            .collect()
    }

    /// The uid each container module runs as (its image's `USER`), for per-module workload
    /// sockets that only their owner may open. Modules run as root and host processes
    /// (the hub's own user) are left out.
    pub async fn socket_owners(&self) -> BTreeMap<String, u32> {
        let mut owners = BTreeMap::new();
        let Some(podman) = &self.podman else {
            return owners;
        };
        for (spec, run_as) in &self.modules {
            if let RunAs::Container { image, .. } = run_as {
                let user = match &spec.create_options.user {
                    Some(user) => user.clone(),
                    None => podman
                        .image(image)
                        .await
                        .ok()
                        .flatten()
                        .map(|info| info.user)
                        .unwrap_or_default(),
                };
                match podman.image_uid(image, &user).await {
                    Some(0) => {}
                    Some(uid) => {
                        owners.insert(spec.name.clone(), uid);
                    }
                    None => {
                        tracing::warn!(module = %spec.name, user = %user, "cannot tell the uid of the image's user")
                    }
                }
            }
        }
        owners
    }
}

async fn decide(
    spec: &RunSpec,
    mode: RunMode,
    podman: Result<&Podman, &String>,
    state_dir: &std::path::Path,
) -> RunAs {
    let process = || {
        spec.process.as_ref().map(|p| RunAs::Process {
            command: p.command.clone(),
        })
    };
    if mode == RunMode::Processes {
        return process().unwrap_or_else(|| {
            RunAs::NotRunnable(format!(
                "--run-modules=processes, and the module declares no host command ({}.command)",
                spec::EXTENSION
            ))
        });
    }
    if spec.desired == DesiredStatus::Stopped {
        // Never started: no need to look anything up.
        return process().unwrap_or_else(|| RunAs::NotRunnable("desired status stopped".into()));
    }
    let container = match (&spec.image, podman) {
        (None, _) => Err("no settings.image".to_string()),
        (Some(_), Err(e)) => Err(e.clone()),
        (Some(image), Ok(podman)) => match podman.image(image).await {
            Ok(Some(info)) => Ok(RunAs::Container {
                image: image.clone(),
                image_id: info.id,
                container: podman::container_name(&spec.name, state_dir),
            }),
            Ok(None) => Err(format!(
                "image {image} is not in local storage (the hub never pulls; build it with \
                 'edgemodule-hub build')"
            )),
            Err(e) => Err(e),
        },
    };
    match (container, mode) {
        (Ok(run_as), _) => run_as,
        (Err(reason), RunMode::Containers) => RunAs::NotRunnable(reason),
        (Err(reason), _) => match process() {
            Some(run_as) => {
                if spec.image.is_some() {
                    tracing::info!(module = %spec.name, reason = %reason, "runs as a host process");
                }
                run_as
            }
            None => RunAs::NotRunnable(format!(
                "{reason}, and no host command is declared ({}.command)",
                spec::EXTENSION
            )),
        },
    }
}

/// Where the admin API finds the runtime of a hub that runs modules (empty otherwise).
#[derive(Clone, Default)]
pub struct RuntimeSlot(Arc<OnceLock<Arc<AgentView>>>);

impl RuntimeSlot {
    /// The running runtime, if any.
    pub fn get(&self) -> Option<&Arc<AgentView>> {
        self.0.get()
    }
}

/// What the admin API reads: every module's spec and state.
pub struct AgentView {
    modules: Vec<Arc<Supervised>>,
    started: OffsetDateTime,
    mode: RunMode,
}

impl AgentView {
    /// The `$edgeAgent` reported properties: runtime, system modules and modules.
    pub fn reported(&self) -> Value {
        let mut modules = Map::new();
        let mut not_runnable = Vec::new();
        for module in &self.modules {
            let state = module.snapshot();
            let log = module.log.path().display().to_string();
            modules.insert(
                module.spec.name.clone(),
                state::reported(&module.spec, &module.run_as, &state, &log),
            );
            if let RunAs::NotRunnable(reason) = &module.run_as {
                if module.spec.desired == DesiredStatus::Running {
                    not_runnable.push(format!("{}: {reason}", module.spec.name));
                }
            }
        }
        let (code, description) = if not_runnable.is_empty() {
            (200, String::new())
        } else {
            (500, not_runnable.join("; "))
        };
        let started = state::utc_text(Some(self.started));
        let system = |restart: bool| {
            let mut module = json!({
                "type": "docker",
                "runtimeStatus": "running",
                "statusDescription": "running in edgemodule-hub",
                "exitCode": 0,
                "lastStartTimeUtc": started,
                "lastExitTimeUtc": state::utc_text(None),
                "settings": { "image": format!("edgemodule-hub:{}", env!("CARGO_PKG_VERSION")), "createOptions": "{}" },
            });
            if restart {
                module["status"] = json!("running");
                module["restartPolicy"] = json!("always");
                module["restartCount"] = json!(0);
                module["lastRestartTimeUtc"] = json!(state::utc_text(None));
            }
            module
        };
        json!({
            "schemaVersion": "1.1",
            "version": { "version": env!("CARGO_PKG_VERSION") },
            "lastDesiredStatus": { "code": code, "description": description },
            "runtime": {
                "type": "docker",
                "platform": {
                    "os": std::env::consts::OS,
                    "architecture": std::env::consts::ARCH,
                    "version": env!("CARGO_PKG_VERSION"),
                },
                "settings": { "runModules": self.mode.as_str() },
            },
            "systemModules": { "edgeAgent": system(false), "edgeHub": system(true) },
            "modules": modules,
        })
    }

    /// The log file of `module`, if the runtime knows it.
    pub fn log_path(&self, module: &str) -> Option<PathBuf> {
        self.modules
            .iter()
            .find(|m| m.spec.name == module)
            .map(|m| m.log.path().to_path_buf())
    }

    /// How modules may run.
    pub fn mode(&self) -> RunMode {
        self.mode
    }

    /// The state of `module`.
    pub fn module_state(&self, module: &str) -> Option<ModuleState> {
        self.modules
            .iter()
            .find(|m| m.spec.name == module)
            .map(|m| m.snapshot())
    }
}

/// The running module runtime.
pub struct Agent {
    view: Arc<AgentView>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Agent {
    /// Starts every module of `plan` in `startupOrder` (a group starts once the previous
    /// one was started), each with its environment from `hub`, and makes the runtime
    /// visible to the hub's admin API.
    pub async fn start(plan: Plan, hub: &RunningHub) -> Result<Agent, String> {
        let state_dir = hub.config().state_dir.clone();
        let context = Arc::new(Context {
            podman: plan.podman,
            backoff: plan.settings.backoff,
            stop_grace: plan.settings.stop_grace,
            state_dir: state_dir.clone(),
        });
        let (stop, stopped) = watch::channel(false);
        let mut modules = Vec::new();
        let mut tasks = Vec::new();
        let mut previous_order = None;
        let mut pending: Vec<oneshot::Receiver<()>> = Vec::new();
        for (spec, run_as) in plan.modules {
            let env = hub
                .module_env(&spec.name)
                .ok_or_else(|| format!("the hub has no identity for module '{}'", spec.name))?;
            let launch = launch_for(&run_as, env)?;
            let log_path = state_dir.join("logs").join(format!("{}.log", spec.name));
            let log = logs::ModuleLog::open(log_path.clone())
                .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
            if previous_order.is_some_and(|order| order != spec.startup_order) {
                for started in pending.drain(..) {
                    let _ = started.await;
                }
            }
            previous_order = Some(spec.startup_order);
            let module = Arc::new(Supervised {
                spec,
                run_as,
                log,
                state: Mutex::new(ModuleState::default()),
            });
            let (first_start, started) = oneshot::channel();
            pending.push(started);
            tasks.push(tokio::spawn(supervisor::supervise(
                module.clone(),
                context.clone(),
                launch,
                stopped.clone(),
                first_start,
            )));
            modules.push(module);
        }
        let view = Arc::new(AgentView {
            modules,
            started: OffsetDateTime::now_utc(),
            mode: plan.settings.mode,
        });
        if hub.runtime_slot().0.set(view.clone()).is_err() {
            return Err("the hub already runs modules".into());
        }
        Ok(Agent { view, stop, tasks })
    }

    /// The `$edgeAgent` reported properties.
    pub fn reported(&self) -> Value {
        self.view.reported()
    }

    /// What the admin API reads.
    pub fn view(&self) -> &Arc<AgentView> {
        &self.view
    }

    /// Stops every module (in parallel, as edgeAgent's shutdown plan does) and waits for
    /// them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        tracing::info!("modules stopped");
    }
}

/// The environment and socket of one module. Containers see the socket at IoT Edge's
/// path; processes use the hub's path as is.
fn launch_for(run_as: &RunAs, mut env: Vec<(String, String)>) -> Result<Launch, String> {
    let uri = env
        .iter()
        .find(|(name, _)| name == "IOTEDGE_WORKLOADURI")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let workload_socket = PathBuf::from(uri.strip_prefix("unix://").unwrap_or(&uri));
    if let RunAs::Container { .. } = run_as {
        for (name, value) in env.iter_mut() {
            if name == "IOTEDGE_WORKLOADURI" {
                *value = format!("unix://{CONTAINER_WORKLOAD_SOCKET}");
            }
        }
    }
    Ok(Launch {
        env,
        workload_socket,
    })
}
