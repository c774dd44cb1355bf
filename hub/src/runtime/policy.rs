//! edgeAgent's restart policy and back-off, as pure functions (docs/hub.md, "Module
//! runtime": every number and rule here is cited there from Azure/iotedge edge-agent).
//!
//! A module that is not running gets a status from how it ended (`stopped` after exit
//! code 0, `failed` otherwise); the restart policy then turns that into `backoff` (restart
//! after a cool-off period), or leaves it. The cool-off doubles with every restart, capped
//! at five minutes; after `max_restart_count` restarts the module is `failed` for good. A
//! module that stays up for the intensive-care time gets its restart count cleared.

use std::time::Duration;

/// `restartPolicy` of a module (edgeAgent's `RestartPolicy`, ordered as its enum is:
/// `never` < `on-failure` < `on-unhealthy` < `always`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RestartPolicy {
    /// Never restart.
    Never,
    /// Restart when the module failed (non-zero exit code).
    OnFailure,
    /// Restart when failed or unhealthy (no health probes exist, as in edgeAgent).
    OnUnhealthy,
    /// Restart whenever the module is not running.
    Always,
}

impl RestartPolicy {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Never => "never",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::OnUnhealthy => "on-unhealthy",
            RestartPolicy::Always => "always",
        }
    }

    /// Parses the manifest spelling.
    pub fn parse(text: &str) -> Option<RestartPolicy> {
        match text {
            "never" => Some(RestartPolicy::Never),
            "on-failure" => Some(RestartPolicy::OnFailure),
            "on-unhealthy" => Some(RestartPolicy::OnUnhealthy),
            "always" => Some(RestartPolicy::Always),
            _ => None,
        }
    }
}

/// A module's runtime status (edgeAgent's `ModuleStatus`, reported as `runtimeStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeStatus {
    /// Not known (e.g. before the runtime looked at it).
    Unknown,
    /// Waiting for its cool-off period before a restart.
    Backoff,
    /// Running.
    Running,
    /// A health probe failed (never produced here: no health probes, as in edgeAgent).
    Unhealthy,
    /// Exited with code 0, or not started because its desired status is `stopped`.
    Stopped,
    /// Exited with a non-zero code, or given up on.
    Failed,
}

impl RuntimeStatus {
    /// The reported spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeStatus::Unknown => "unknown",
            RuntimeStatus::Backoff => "backoff",
            RuntimeStatus::Running => "running",
            RuntimeStatus::Unhealthy => "unhealthy",
            RuntimeStatus::Stopped => "stopped",
            RuntimeStatus::Failed => "failed",
        }
    }

    /// The status of a module that exited with `exit_code` (edgelet: 0 is `stopped`,
    /// anything else `failed`).
    pub fn from_exit_code(exit_code: i64) -> RuntimeStatus {
        if exit_code == 0 {
            RuntimeStatus::Stopped
        } else {
            RuntimeStatus::Failed
        }
    }
}

/// The numbers of edgeAgent's restart policy manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffSettings {
    /// Restarts before a module is `failed` for good (edgeAgent `MaxRestartCount`: 20).
    pub max_restart_count: u32,
    /// Unit of the cool-off period (edgeAgent `CoolOffTimeUnitInSeconds`: 10 s).
    pub cool_off_unit: Duration,
    /// Time a module must stay up before its restart count is cleared (edgeAgent
    /// `IntensiveCareTimeInMinutes`: 10 min).
    pub intensive_care: Duration,
    /// How soon a `stopped` module whose policy is not `never` is started again: edgeAgent
    /// starts it on its next reconcile, 5 s after the last one.
    pub reconcile_period: Duration,
}

/// edgeAgent's longest cool-off period (`MaxCoolOffPeriodSecs`: 300 s).
pub const MAX_COOL_OFF: Duration = Duration::from_secs(300);

impl Default for BackoffSettings {
    fn default() -> Self {
        BackoffSettings {
            max_restart_count: 20,
            cool_off_unit: Duration::from_secs(10),
            intensive_care: Duration::from_secs(600),
            reconcile_period: Duration::from_secs(5),
        }
    }
}

impl BackoffSettings {
    /// The cool-off before restart number `restart_count + 1`:
    /// `min(unit × 2^restart_count, 300 s)`.
    pub fn cool_off(&self, restart_count: u32) -> Duration {
        let factor = 2u32.checked_pow(restart_count).unwrap_or(u32::MAX);
        self.cool_off_unit
            .checked_mul(factor)
            .map_or(MAX_COOL_OFF, |d| d.min(MAX_COOL_OFF))
    }

    /// edgeAgent's `ComputeModuleStatusFromRestartPolicy` for a module whose desired
    /// status is `running`: `backoff` when the policy asks for a restart and restarts are
    /// left, `failed` when none are left, otherwise the status as it is.
    pub fn status_after(
        &self,
        status: RuntimeStatus,
        policy: RestartPolicy,
        restart_count: u32,
    ) -> RuntimeStatus {
        let wants_restart = status != RuntimeStatus::Running
            && policy > RestartPolicy::Never
            && (policy == RestartPolicy::Always
                || matches!(status, RuntimeStatus::Failed | RuntimeStatus::Unhealthy));
        if !wants_restart {
            status
        } else if restart_count >= self.max_restart_count {
            RuntimeStatus::Failed
        } else {
            RuntimeStatus::Backoff
        }
    }
}

/// What the supervisor does after a module exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Wait this long (`backoff`), then restart and count the restart.
    RestartAfter(Duration),
    /// Start it again after this delay without counting a restart: a `stopped` module whose
    /// policy is not `never` (edgeAgent's planner starts those on its next reconcile).
    StartAgainAfter(Duration),
    /// Leave it as it is.
    Stay,
}

/// Decides what follows an exit, from the status edgeAgent computes.
pub fn next_step(
    settings: &BackoffSettings,
    computed: RuntimeStatus,
    policy: RestartPolicy,
    restart_count: u32,
) -> NextStep {
    match computed {
        RuntimeStatus::Backoff => NextStep::RestartAfter(settings.cool_off(restart_count)),
        RuntimeStatus::Stopped if policy > RestartPolicy::Never => {
            NextStep::StartAgainAfter(settings.reconcile_period)
        }
        _ => NextStep::Stay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cool_off_doubles_from_the_unit_and_stops_at_five_minutes() {
        let s = BackoffSettings::default();
        let secs: Vec<u64> = (0..7).map(|n| s.cool_off(n).as_secs()).collect();
        assert_eq!(secs, vec![10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(s.cool_off(40), MAX_COOL_OFF);
        let fast = BackoffSettings {
            cool_off_unit: Duration::from_millis(100),
            ..s
        };
        assert_eq!(fast.cool_off(3), Duration::from_millis(800));
    }

    #[test]
    fn status_follows_edge_agents_table() {
        use RestartPolicy::*;
        use RuntimeStatus::*;
        let s = BackoffSettings::default();
        // (status, policy, restart count) -> computed status
        let table = [
            (Failed, Never, 0, Failed),
            (Stopped, Never, 0, Stopped),
            (Failed, OnFailure, 0, Backoff),
            (Stopped, OnFailure, 0, Stopped),
            (Unhealthy, OnFailure, 0, Backoff),
            (Failed, OnUnhealthy, 3, Backoff),
            (Stopped, OnUnhealthy, 3, Stopped),
            (Stopped, Always, 0, Backoff),
            (Failed, Always, 19, Backoff),
            (Failed, Always, 20, Failed),
            (Stopped, Always, 20, Failed),
            (Running, Always, 0, Running),
        ];
        for (status, policy, count, want) in table {
            assert_eq!(
                s.status_after(status, policy, count),
                want,
                "{status:?} {policy:?} {count}"
            );
        }
    }

    #[test]
    fn next_step_restarts_backoff_and_starts_stopped_modules_again() {
        use RestartPolicy::*;
        use RuntimeStatus::*;
        let s = BackoffSettings::default();
        assert_eq!(
            next_step(&s, Backoff, Always, 2),
            NextStep::RestartAfter(Duration::from_secs(40))
        );
        assert_eq!(
            next_step(&s, Stopped, OnFailure, 0),
            NextStep::StartAgainAfter(Duration::from_secs(5))
        );
        assert_eq!(next_step(&s, Stopped, Never, 0), NextStep::Stay);
        assert_eq!(next_step(&s, Failed, Always, 20), NextStep::Stay);
    }

    #[test]
    fn policies_parse_and_print_as_in_the_manifest() {
        for text in ["never", "on-failure", "on-unhealthy", "always"] {
            assert_eq!(RestartPolicy::parse(text).map(|p| p.as_str()), Some(text));
        }
        assert_eq!(RestartPolicy::parse("sometimes"), None);
        assert!(RestartPolicy::Never < RestartPolicy::OnFailure);
        assert!(RestartPolicy::OnUnhealthy < RestartPolicy::Always);
    }
}
