//! One task per module: start it, wait for it to end, apply the restart policy with
//! edgeAgent's back-off, and stop it when the hub shuts down.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{oneshot, watch};

use super::logs::ModuleLog;
use super::podman::{Podman, RunRequest};
use super::policy::{next_step, BackoffSettings, NextStep, RuntimeStatus};
use super::process::{self, Started};
use super::spec::{DesiredStatus, RunSpec};
use super::state::{ModuleState, RunAs};

/// How long output copiers may outlive the module's process (a grandchild can hold the
/// pipes open).
const COPIER_GRACE: Duration = Duration::from_secs(2);
/// How long to look for a container's pid after `podman run` started.
const PID_LOOKUP: Duration = Duration::from_secs(30);

/// A module under supervision: what it is, how it runs, where its output goes, and its
/// state (read by the admin API).
pub struct Supervised {
    /// From the manifest.
    pub spec: RunSpec,
    /// Container, process, or not runnable.
    pub run_as: RunAs,
    /// Its output.
    pub log: ModuleLog,
    /// Its state.
    pub state: Mutex<ModuleState>,
}

impl Supervised {
    /// A copy of the state.
    pub fn snapshot(&self) -> ModuleState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut ModuleState)) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
        }
    }
}

/// What every supervisor shares.
pub struct Context {
    /// podman, when containers can run.
    pub podman: Option<Podman>,
    /// edgeAgent's restart numbers.
    pub backoff: BackoffSettings,
    /// Time a module gets to stop before it is killed.
    pub stop_grace: Duration,
    /// The hub's state directory.
    pub state_dir: PathBuf,
}

/// What one start needs.
pub struct Launch {
    /// The module's environment (`IOTEDGE_*`, its `env`, port overrides). For containers,
    /// `IOTEDGE_WORKLOADURI` is already the in-container path.
    pub env: Vec<(String, String)>,
    /// The module's workload socket on the host.
    pub workload_socket: PathBuf,
}

/// Runs `module` until `stop` turns true. `first_start` fires once the first start was
/// attempted (or the module will not start at all), so modules start in `startupOrder`.
pub async fn supervise(
    module: Arc<Supervised>,
    context: Arc<Context>,
    launch: Launch,
    mut stop: watch::Receiver<bool>,
    first_start: oneshot::Sender<()>,
) {
    let mut first_start = Some(first_start);
    let name = module.spec.name.clone();
    if module.spec.desired == DesiredStatus::Stopped {
        module.update(|s| {
            s.status = RuntimeStatus::Stopped;
            s.description = "not started: its desired status is stopped".into();
        });
        fire(&mut first_start);
        return;
    }
    if let RunAs::NotRunnable(reason) = &module.run_as {
        tracing::error!(module = %name, reason = %reason, "module cannot run");
        module.update(|s| {
            s.status = RuntimeStatus::Failed;
            s.description = reason.clone();
        });
        fire(&mut first_start);
        return;
    }
    loop {
        let outcome = run_once(&module, &context, &launch, &mut stop, &mut first_start).await;
        let Some(exit_code) = outcome else {
            return; // stopped by the hub
        };
        let (status, restart_count) = {
            let state = module.snapshot();
            (
                RuntimeStatus::from_exit_code(exit_code),
                state.restart_count,
            )
        };
        let policy = module.spec.restart_policy;
        let computed = context.backoff.status_after(status, policy, restart_count);
        let step = next_step(&context.backoff, computed, policy, restart_count);
        let max = context.backoff.max_restart_count;
        tracing::info!(module = %name, exit_code, status = computed.as_str(), ?step, "module exited");
        let delay = match step {
            NextStep::RestartAfter(delay) => {
                module.update(|s| {
                    s.status = RuntimeStatus::Backoff;
                    s.description = format!(
                        "exited with code {exit_code}; restart {} of {max} in {} s",
                        restart_count + 1,
                        delay.as_secs_f64()
                    );
                });
                delay
            }
            NextStep::StartAgainAfter(delay) => {
                module.update(|s| {
                    s.status = RuntimeStatus::Stopped;
                    s.description = format!(
                        "exited with code {exit_code}; started again in {} s (restart policy {})",
                        delay.as_secs_f64(),
                        policy.as_str()
                    );
                });
                delay
            }
            NextStep::Stay => {
                module.update(|s| {
                    s.status = computed;
                    s.description = if computed == RuntimeStatus::Failed && restart_count >= max {
                        format!("exited with code {exit_code}; not restarted after {max} restarts")
                    } else {
                        format!(
                            "exited with code {exit_code}; not restarted (restart policy {})",
                            policy.as_str()
                        )
                    };
                });
                return;
            }
        };
        if stopped_within(&mut stop, delay).await {
            return;
        }
        if let NextStep::RestartAfter(_) = step {
            module.update(|s| {
                s.restart_count += 1;
                s.last_restart = Some(OffsetDateTime::now_utc());
            });
        }
    }
}

/// Starts the module once and waits for its end. `Some(exit code)` when it ended by
/// itself, `None` when the hub stopped it.
async fn run_once(
    module: &Arc<Supervised>,
    context: &Arc<Context>,
    launch: &Launch,
    stop: &mut watch::Receiver<bool>,
    first_start: &mut Option<oneshot::Sender<()>>,
) -> Option<i64> {
    let name = &module.spec.name;
    if *stop.borrow() {
        return None;
    }
    let command = match (&module.run_as, &context.podman) {
        (
            RunAs::Container {
                container, image, ..
            },
            Some(podman),
        ) => {
            podman.remove(container).await;
            Ok(podman.run_command(&RunRequest {
                container,
                image,
                env: &launch.env,
                workload_socket: &launch.workload_socket,
                state_dir: &context.state_dir,
                options: &module.spec.create_options,
            }))
        }
        (RunAs::Process { command }, _) => {
            let working_dir = module
                .spec
                .process
                .as_ref()
                .map(|p| p.working_dir.clone())
                .unwrap_or_else(|| context.state_dir.clone());
            Ok(process::host_command(command, &working_dir, &launch.env))
        }
        _ => Err(std::io::Error::other(
            "a container module, but podman is not available",
        )),
    };
    let now = OffsetDateTime::now_utc();
    let spawned = command.and_then(|command| process::spawn(command, &module.log));
    fire(first_start);
    let mut started = match spawned {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(module = %name, error = %e, "starting the module failed");
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            module
                .log
                .append(format!("edgemodule-hub: cannot start: {e}\n").as_bytes());
            module.update(|s| {
                s.exit_code = code;
                s.last_exit = Some(now);
            });
            return Some(code);
        }
    };
    let direct_pid = started.child.id();
    module.update(|s| {
        s.status = RuntimeStatus::Running;
        s.description = "running".into();
        s.last_start = Some(now);
        s.starts += 1;
        s.pid = match module.run_as {
            RunAs::Process { .. } => direct_pid,
            _ => None,
        };
    });
    tracing::info!(module = %name, how = module.run_as.kind(), pid = ?direct_pid, "module started");
    let pid_task = match (&module.run_as, &context.podman) {
        (RunAs::Container { container, .. }, Some(podman)) => Some(tokio::spawn(find_pid(
            module.clone(),
            podman.clone(),
            container.clone(),
        ))),
        _ => None,
    };
    let intensive_care = tokio::time::sleep(context.backoff.intensive_care);
    tokio::pin!(intensive_care);
    let mut cared = false;
    let exit = loop {
        tokio::select! {
            status = started.child.wait() => break Some(status),
            _ = stop.changed() => break None,
            () = &mut intensive_care, if !cared => {
                // Up long enough: edgeAgent clears the restart statistics.
                cared = true;
                module.update(|s| s.restart_count = 0);
            }
        }
    };
    if let Some(task) = pid_task {
        task.abort();
    }
    let code = match exit {
        Some(status) => status.as_ref().map(process::exit_code).unwrap_or(-1),
        None => {
            let code = stop_module(module, context, &mut started).await;
            finish(module, &mut started, code).await;
            module.update(|s| {
                s.status = RuntimeStatus::Stopped;
                s.description = format!("stopped by the hub (exit code {code})");
            });
            return None;
        }
    };
    finish(module, &mut started, code).await;
    Some(code)
}

/// Records the end of a run once its output is copied.
async fn finish(module: &Supervised, started: &mut Started, code: i64) {
    for copier in started.copiers.drain(..) {
        let _ = tokio::time::timeout(COPIER_GRACE, copier).await;
    }
    module.update(|s| {
        s.exit_code = code;
        s.last_exit = Some(OffsetDateTime::now_utc());
        s.pid = None;
    });
}

/// Stops a running module: `podman stop` for containers, SIGTERM then SIGKILL to the
/// process group for processes. Returns its exit code.
async fn stop_module(module: &Supervised, context: &Context, started: &mut Started) -> i64 {
    let grace = context.stop_grace;
    match (&module.run_as, &context.podman) {
        (RunAs::Container { container, .. }, Some(podman)) => {
            podman.stop(container, grace).await;
            let waited =
                tokio::time::timeout(grace + Duration::from_secs(10), started.child.wait());
            match waited.await {
                Ok(Ok(status)) => process::exit_code(&status),
                _ => {
                    let _ = started.child.start_kill();
                    podman.remove(container).await;
                    started
                        .child
                        .wait()
                        .await
                        .map(|s| process::exit_code(&s))
                        .unwrap_or(-1)
                }
            }
        }
        _ => process::stop_process(started, grace)
            .await
            .map(|s| process::exit_code(&s))
            .unwrap_or(-1),
    }
}

/// Fills in a container's host pid once podman reports it.
async fn find_pid(module: Arc<Supervised>, podman: Podman, container: String) {
    let deadline = tokio::time::Instant::now() + PID_LOOKUP;
    while tokio::time::Instant::now() < deadline {
        if let Some(pid) = podman.container_pid(&container).await {
            module.update(|s| {
                if s.status == RuntimeStatus::Running {
                    s.pid = Some(pid);
                }
            });
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits `delay`; true when the hub asked to stop meanwhile.
async fn stopped_within(stop: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

fn fire(signal: &mut Option<oneshot::Sender<()>>) {
    if let Some(signal) = signal.take() {
        let _ = signal.send(());
    }
}
