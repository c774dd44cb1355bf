//! Starting a module (a `podman run` in the foreground, or a host command), copying its
//! output into its log, waiting for its exit and stopping it.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::logs::ModuleLog;

/// A started module.
pub struct Started {
    /// The child: `podman run` or the module's own process (leader of its own process
    /// group).
    pub child: Child,
    /// Output copiers; they end when the child's pipes close.
    pub copiers: Vec<tokio::task::JoinHandle<()>>,
}

/// Spawns `command` with its output going to `log`. The child leads a new process group,
/// so a stop reaches everything it started.
pub fn spawn(mut command: Command, log: &ModuleLog) -> std::io::Result<Started> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    let mut copiers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        copiers.push(tokio::spawn(copy(stdout, log.clone())));
    }
    if let Some(stderr) = child.stderr.take() {
        copiers.push(tokio::spawn(copy(stderr, log.clone())));
    }
    Ok(Started { child, copiers })
}

async fn copy(mut from: impl AsyncReadExt + Unpin, log: ModuleLog) {
    let mut buffer = vec![0u8; 8192];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => log.append(&buffer[..n]),
        }
    }
}

/// The command of a host-process module: the program (resolved against `working_dir`
/// when it is a relative path with a `/`), its arguments, the working directory, and the
/// hub's environment plus `env`.
pub fn host_command(command: &[String], working_dir: &Path, env: &[(String, String)]) -> Command {
    let program = resolve_program(&command[0], working_dir);
    let mut cmd = Command::new(program);
    cmd.args(&command[1..]).current_dir(working_dir);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

fn resolve_program(program: &str, working_dir: &Path) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && program.contains('/') {
        working_dir.join(path)
    } else {
        path.to_path_buf()
    }
}

/// The exit code as Docker reports it: the process's code, or 128 + the signal that
/// ended it (137 for SIGKILL).
pub fn exit_code(status: &ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => 128 + i64::from(signal),
        (None, None) => -1,
    }
}

/// Sends `signal` to the process group led by `pid`.
pub fn signal_group(pid: u32, signal: i32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    if pid > 0 {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

/// Stops a host process: SIGTERM to its group, SIGKILL after `grace`.
pub async fn stop_process(started: &mut Started, grace: Duration) -> Option<ExitStatus> {
    if let Some(pid) = started.child.id() {
        signal_group(pid, libc::SIGTERM);
    }
    match tokio::time::timeout(grace, started.child.wait()).await {
        Ok(status) => status.ok(),
        Err(_) => {
            if let Some(pid) = started.child.id() {
                signal_group(pid, libc::SIGKILL);
            }
            let _ = started.child.start_kill();
            started.child.wait().await.ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_with_a_slash_resolve_against_the_working_directory() {
        assert_eq!(
            resolve_program("python3", Path::new("/w")),
            PathBuf::from("python3")
        );
        assert_eq!(
            resolve_program("bin/f", Path::new("/w")),
            PathBuf::from("/w/bin/f")
        );
        assert_eq!(
            resolve_program("/usr/bin/f", Path::new("/w")),
            PathBuf::from("/usr/bin/f")
        );
    }

    #[tokio::test]
    async fn output_reaches_the_log_and_a_stop_ends_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = ModuleLog::open(dir.path().join("m.log")).unwrap();
        let command = host_command(
            &[
                "sh".into(),
                "-c".into(),
                "echo out; echo err >&2; sleep 30 & wait".into(),
            ],
            dir.path(),
            &[],
        );
        let mut started = spawn(command, &log).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(log.path()).unwrap_or_default();
            if text.contains("out") && text.contains("err") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no output: {text:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let status = stop_process(&mut started, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(exit_code(&status), 128 + i64::from(libc::SIGTERM));
    }
}
