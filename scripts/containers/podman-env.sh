# Sourced by the container scripts: points podman at a containers.conf that works on these
# machines unless CONTAINERS_CONF is already set — runc when installed (crun refuses hybrid
# cgroup layouts) and default ulimits within the hard limits (nproc also within pid_max,
# which runc enforces). The hub writes the same file for its own podman calls
# (hub/src/runtime/podman.rs); keep the two in step.
if [[ -z "${CONTAINERS_CONF:-}" ]]; then
    _nofile="$(ulimit -Hn)"
    [[ "$_nofile" == unlimited || "$_nofile" -gt 1048576 ]] && _nofile=1048576
    _nproc="$(ulimit -Hu)"
    [[ "$_nproc" == unlimited || "$_nproc" -gt 4194304 ]] && _nproc=4194304
    _pid_max="$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$_nproc")"
    ((_nproc > _pid_max)) && _nproc="$_pid_max"
    CONTAINERS_CONF="${TMPDIR:-/tmp}/edgemodule-scripts-containers-$(id -u).conf"
    {
        echo "[containers]"
        echo "default_ulimits = [\"nofile=$_nofile:$_nofile\", \"nproc=$_nproc:$_nproc\"]"
        if command -v runc >/dev/null 2>&1; then
            echo "[engine]"
            echo 'runtime = "runc"'
        fi
    } >"$CONTAINERS_CONF"
    export CONTAINERS_CONF
    unset _nofile _nproc _pid_max
fi
