//! Command-line arguments of the module runtime (`serve --run-modules`, `up`, `ps`,
//! `logs`), of `build` and of `new`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::args::AdminAddr;
use crate::runtime::policy::BackoffSettings;
use crate::runtime::{RunMode, RuntimeSettings};

/// `serve` options of the module runtime.
#[derive(Debug, Args)]
pub struct RuntimeArgs {
    /// Start the deployment's modules as edgeAgent does: `auto` (a podman container when
    /// settings.image is in local storage, else the module's x-edgemodule command),
    /// `containers` or `processes`. `up` implies `auto`.
    #[arg(long, value_enum, value_name = "FORM", num_args = 0..=1, default_missing_value = "auto")]
    pub run_modules: Option<RunModulesArg>,
    /// Unit of the restart cool-off, doubled per restart up to 300 s (edgeAgent's
    /// CoolOffTimeUnitInSeconds).
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub cool_off_unit_secs: u64,
    /// Restarts before a module is left failed (edgeAgent's MaxRestartCount).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_restart_count: u32,
    /// Seconds a module gets to stop (SIGTERM, `podman stop`) before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub stop_timeout_secs: u64,
}

/// `--run-modules` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunModulesArg {
    /// A container when the image is local and podman works, else the host command.
    Auto,
    /// Containers only.
    Containers,
    /// Host commands only.
    Processes,
}

impl RuntimeArgs {
    /// The runtime settings, if modules are to run.
    pub fn settings(&self, base_dir: PathBuf) -> Option<RuntimeSettings> {
        let mode = match self.run_modules? {
            RunModulesArg::Auto => RunMode::Auto,
            RunModulesArg::Containers => RunMode::Containers,
            RunModulesArg::Processes => RunMode::Processes,
        };
        let mut settings = RuntimeSettings::new(mode, base_dir);
        settings.backoff = BackoffSettings {
            max_restart_count: self.max_restart_count,
            cool_off_unit: Duration::from_secs(self.cool_off_unit_secs),
            ..BackoffSettings::default()
        };
        settings.stop_grace = Duration::from_secs(self.stop_timeout_secs);
        Some(settings)
    }
}

/// `ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Print the `$edgeAgent` reported properties as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Module name from the manifest.
    pub module: String,
    /// Only the last N lines.
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    /// Keep printing new output.
    #[arg(short, long)]
    pub follow: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub admin: AdminAddr,
}

/// `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Module directory (with module.json).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Platform key of module.json's `image.tag.platforms` (amd64, arm64v8, arm32v7, …).
    #[arg(long, default_value = "amd64")]
    pub platform: String,
    /// Directory with the edgemodule packages (`make dist` output), given to the build as
    /// the `packages` context [default: the nearest `dist/` above the module with
    /// edgemodule packages in it, or $EDGEMODULE_PACKAGES].
    #[arg(long, value_name = "DIR")]
    pub packages: Option<PathBuf>,
    /// Image tag [default: REPOSITORY:VERSION-PLATFORM from module.json].
    #[arg(long)]
    pub tag: Option<String>,
}

/// Languages `new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// C (libedgemodule, pkg-config).
    C,
    /// C# (.NET, the EdgeModule package).
    Csharp,
    /// Java (Maven).
    Java,
    /// Node.js.
    Node,
    /// Python (asyncio).
    Python,
    /// Rust.
    Rust,
}

/// `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Language of the module.
    #[arg(value_enum)]
    pub lang: Lang,
    /// Module name (letters, digits, '-' and '_'; starts with a letter).
    pub name: String,
    /// Deployment manifest to add the module and a route to (created when missing).
    #[arg(long, value_name = "FILE", default_value = "deployment.json")]
    pub manifest: PathBuf,
    /// Directory the module directory is created in.
    #[arg(long, value_name = "DIR", default_value = "modules")]
    pub modules_dir: PathBuf,
    /// Image repository [default: localhost/NAME].
    #[arg(long)]
    pub repository: Option<String>,
}
