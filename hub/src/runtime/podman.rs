//! Driving podman from the hub: the configuration it needs on these machines, image
//! look-ups, and the `podman run` command line of a module container.
//!
//! Two settings make rootful podman work on hosts like the project's CI machines, and the
//! hub applies them unless `CONTAINERS_CONF` is already set (then the user's file wins):
//! the `runc` OCI runtime when it is installed (crun refuses hybrid cgroup layouts), and
//! default ulimits no higher than the hub's own hard limits (podman's defaults exceed them,
//! and `nproc` above the kernel's `pid_max` is refused too). They go into a generated
//! containers.conf passed through `CONTAINERS_CONF` (`podman build` ignores `--ulimit` for
//! its `RUN` steps' `nproc`, the file is honoured by both).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// The podman program (`EDGEMODULE_PODMAN` overrides it).
fn program() -> String {
    std::env::var("EDGEMODULE_PODMAN").unwrap_or_else(|_| "podman".into())
}

/// Where module containers find their workload socket (edgeAgent mounts the module's
/// socket at the path of `IOTEDGE_WORKLOADURI`, which IoT Edge sets to this).
pub const CONTAINER_WORKLOAD_SOCKET: &str = "/var/run/iotedge/workload.sock";

/// Label on every container the hub starts (edgeAgent labels its containers with an
/// owner too), naming the hub's state directory.
pub const OWNER_LABEL: &str = "net.azure-devices.edge.owner=edgemodule-hub";

/// A usable podman.
#[derive(Debug, Clone)]
pub struct Podman {
    program: String,
    /// `CONTAINERS_CONF` for every call (`None`: the user's setting stays).
    conf: Option<PathBuf>,
    /// `podman --version`.
    pub version: String,
}

/// An image found in local storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// `sha256:…`.
    pub id: String,
    /// The image's `USER` (empty: root).
    pub user: String,
    /// Its architecture (`amd64`, `arm64`, …).
    pub architecture: String,
}

impl Podman {
    /// Finds podman and prepares its configuration; `Err` says why containers cannot run.
    pub async fn detect() -> Result<Podman, String> {
        let program = program();
        let output = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("podman is not available ({program}: {e})"))?;
        if !output.status.success() {
            return Err(format!(
                "'{program} --version' failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let conf = if std::env::var_os("CONTAINERS_CONF").is_some() {
            None
        } else {
            Some(write_conf().map_err(|e| format!("cannot write a containers.conf: {e}"))?)
        };
        Ok(Podman {
            program,
            conf,
            version,
        })
    }

    /// A podman command with the configuration applied.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        if let Some(conf) = &self.conf {
            command.env("CONTAINERS_CONF", conf);
        }
        command.stdin(Stdio::null());
        command
    }

    /// The generated containers.conf, if the hub made one.
    pub fn conf_path(&self) -> Option<&Path> {
        self.conf.as_deref()
    }

    /// Looks `image` up in local storage (never pulls).
    pub async fn image(&self, image: &str) -> Result<Option<ImageInfo>, String> {
        let output = self
            .command()
            .args([
                "image",
                "inspect",
                "--format",
                "{{.Id}}|{{.Config.User}}|{{.Architecture}}",
                image,
            ])
            .output()
            .await
            .map_err(|e| format!("running podman: {e}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("image not known") || stderr.contains("no such image") {
                return Ok(None);
            }
            return Err(format!("podman image inspect {image}: {}", stderr.trim()));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut parts = text.trim().splitn(3, '|');
        let id = parts.next().unwrap_or_default();
        Ok(Some(ImageInfo {
            id: if id.starts_with("sha256:") {
                id.to_string()
            } else {
                format!("sha256:{id}")
            },
            user: parts.next().unwrap_or_default().to_string(),
            architecture: parts.next().unwrap_or_default().to_string(),
        }))
    }

    /// The uid the image's `USER` runs as: numeric users directly, names by asking the
    /// image (`id -u` in a throw-away container). `None` when that fails.
    pub async fn image_uid(&self, image: &str, user: &str) -> Option<u32> {
        let name = user.split(':').next().unwrap_or_default();
        if name.is_empty() || name == "root" {
            return Some(0);
        }
        if let Ok(uid) = name.parse() {
            return Some(uid);
        }
        let output = self
            .command()
            .args(["run", "--rm", "--pull=never", "--network=none"])
            .args(["--entrypoint", "id", image, "-u"])
            .output()
            .await
            .ok()?;
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    }

    /// Removes a container if it exists (a leftover of an earlier run).
    pub async fn remove(&self, container: &str) {
        let _ = self
            .command()
            .args(["rm", "--force", "--ignore", container])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }

    /// Stops a container, killing it after `grace`.
    pub async fn stop(&self, container: &str, grace: Duration) {
        let _ = self
            .command()
            .args([
                "stop",
                "--ignore",
                "--time",
                &grace.as_secs().to_string(),
                container,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }

    /// The host pid of a running container's init process, once it has one.
    pub async fn container_pid(&self, container: &str) -> Option<u32> {
        let output = self
            .command()
            .args(["inspect", "--format", "{{.State.Pid}}", container])
            .stderr(Stdio::null())
            .output()
            .await
            .ok()?;
        let pid: u32 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .ok()?;
        (pid > 0).then_some(pid)
    }
}

/// Everything `podman run` needs for one module.
#[derive(Debug, Clone)]
pub struct RunRequest<'a> {
    /// Container name.
    pub container: &'a str,
    /// Image reference.
    pub image: &'a str,
    /// Environment, in order (later entries win); values travel in podman's environment,
    /// not on its command line.
    pub env: &'a [(String, String)],
    /// The module's workload socket on the host.
    pub workload_socket: &'a Path,
    /// The hub's state directory (a label, to find the hub's containers).
    pub state_dir: &'a Path,
    /// The applicable `createOptions`.
    pub options: &'a super::create_options::CreateOptions,
}

impl Podman {
    /// `podman run --rm …` in the foreground: its exit code is the container's.
    pub fn run_command(&self, request: &RunRequest<'_>) -> Command {
        let mut command = self.command();
        command.args(["run", "--rm", "--pull=never", "--network=host"]);
        command.args(["--name", request.container]);
        command.args(["--label", OWNER_LABEL]);
        command.arg("--label").arg(format!(
            "io.edgemodule.hub.state={}",
            request.state_dir.display()
        ));
        command.arg("--volume").arg(format!(
            "{}:{CONTAINER_WORKLOAD_SOCKET}",
            request.workload_socket.display()
        ));
        let options = request.options;
        for bind in &options.binds {
            command.args(["--volume", bind]);
        }
        for mount in &options.mounts {
            command.args(["--mount", mount]);
        }
        for device in &options.devices {
            command.args(["--device", device]);
        }
        if options.privileged {
            command.arg("--privileged");
        }
        for (name, value) in &options.labels {
            command.arg("--label").arg(format!("{name}={value}"));
        }
        if let Some(user) = &options.user {
            command.args(["--user", user]);
        }
        if let Some(dir) = &options.working_dir {
            command.args(["--workdir", dir]);
        }
        if let Some(entrypoint) = &options.entrypoint {
            // A JSON array keeps arguments apart.
            let json = serde_json::to_string(entrypoint).unwrap_or_default();
            command.args(["--entrypoint", &json]);
        }
        // createOptions' Env first: the module's environment (IoT Edge's variables, its
        // `env`) wins over it, as edgelet merges them.
        let env: Vec<&(String, String)> = options.env.iter().chain(request.env).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in env.into_iter().rev() {
            if seen.insert(name.as_str()) {
                command.args(["--env", name]);
                command.env(name, value);
            }
        }
        command.arg(request.image);
        if let Some(cmd) = &options.cmd {
            command.args(cmd);
        }
        command
    }
}

/// A container name for `module`, unique per hub state directory: podman names allow
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, so other characters become `_`.
pub fn container_name(module: &str, state_dir: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in state_dir.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let safe: String = module
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-{:08x}", hash as u32)
}

/// Writes the generated containers.conf (same content for every caller, replaced
/// atomically) and returns its path.
fn write_conf() -> std::io::Result<PathBuf> {
    let nofile = hard_limit("Max open files").map_or(1_048_576, |h| h.min(1_048_576));
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    let nproc = [hard_limit("Max processes"), pid_max, Some(4_194_304)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(4096);
    let mut text = format!(
        "# Written by edgemodule-hub for podman (see hub/src/runtime/podman.rs).\n\
         [containers]\ndefault_ulimits = [\"nofile={nofile}:{nofile}\", \"nproc={nproc}:{nproc}\"]\n"
    );
    if find_on_path("runc").is_some() {
        text.push_str("[engine]\nruntime = \"runc\"\n");
    }
    let uid = unsafe_free_uid();
    let path = std::env::temp_dir().join(format!("edgemodule-hub-containers-{uid}.conf"));
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(path);
    }
    let tmp = path.with_extension(format!("conf.{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The hard limit named `row` in `/proc/self/limits` (`None` when unlimited or unknown).
fn hard_limit(row: &str) -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with(row))?;
    let fields: Vec<&str> = line[row.len()..].split_whitespace().collect();
    fields.get(1)?.parse().ok()
}

/// The real uid, from `/proc/self/status` (keeps this file free of `unsafe`).
fn unsafe_free_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|uid| uid.parse().ok())
        })
        .unwrap_or(0)
}

/// `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names_are_safe_and_differ_per_state_directory() {
        let a = container_name("filter", Path::new("/tmp/a"));
        let b = container_name("filter", Path::new("/tmp/b"));
        assert!(
            a.starts_with("filter-") && a.len() == "filter-".len() + 8,
            "{a}"
        );
        assert_ne!(a, b);
        assert!(container_name("ä b", Path::new("/")).starts_with("__b-"));
    }

    #[test]
    fn the_run_command_mounts_the_socket_and_keeps_values_off_the_command_line() {
        let podman = Podman {
            program: "podman".into(),
            conf: None,
            version: String::new(),
        };
        let options = super::super::create_options::parse(
            r#"{"Cmd":["--fast"],"Env":["SECRET=from-options","OPT=1"],"HostConfig":{"Binds":["/d:/d"]}}"#,
        )
        .unwrap();
        let env = vec![
            ("SECRET".to_string(), "value-one".to_string()),
            ("SECRET".to_string(), "value-two".to_string()),
        ];
        let command = podman.run_command(&RunRequest {
            container: "m-1",
            image: "localhost/m:1",
            env: &env,
            workload_socket: Path::new("/s/workload/m.sock"),
            state_dir: Path::new("/s"),
            options: &options,
        });
        let std = command.as_std();
        let args: Vec<String> = std
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(
            line.starts_with("run --rm --pull=never --network=host --name m-1"),
            "{line}"
        );
        assert!(line.contains("--volume /s/workload/m.sock:/var/run/iotedge/workload.sock"));
        assert!(line.contains("--volume /d:/d"));
        assert!(
            line.ends_with("--env SECRET --env OPT localhost/m:1 --fast"),
            "{line}"
        );
        assert!(!line.contains("value-"), "{line}");
        let value = std
            .get_envs()
            .find(|(k, _)| *k == "SECRET")
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()));
        assert_eq!(value.as_deref(), Some("value-two"));
    }

    #[tokio::test]
    async fn numeric_and_root_users_need_no_container_to_resolve() {
        let podman = Podman {
            program: "podman-that-is-never-run".into(),
            conf: None,
            version: String::new(),
        };
        assert_eq!(podman.image_uid("i", "").await, Some(0));
        assert_eq!(podman.image_uid("i", "root").await, Some(0));
        assert_eq!(podman.image_uid("i", "1001:1001").await, Some(1001));
        assert_eq!(podman.image_uid("i", "moduleuser").await, None);
    }

    #[test]
    fn limits_are_read_from_proc() {
        assert!(hard_limit("Max open files").is_some_and(|n| n > 0));
    }
}
