#!/usr/bin/env bash
# Everything the module images need, on a fresh machine of this kind: the container tools,
# the local base images, the edgemodule packages in dist/ (`make dist`, rebuilt when stale)
# and the Python and C filter images, built with `edgemodule-hub build`.
#
#   scripts/containers/prepare.sh HUB_BINARY [PLATFORM...]     (default platform: amd64)
#
# Prints `image=<name>` lines for the images it built. Exit 3 (and the reason on stderr)
# when containers cannot be built or run here; callers then test the process form.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HUB="${1:?usage: prepare.sh HUB_BINARY [PLATFORM...]}"
shift
PLATFORMS=("${@:-amd64}")

sections=(containers)
for p in "${PLATFORMS[@]}"; do [[ "$p" == amd64 ]] || sections=(containers arm); done
if ! bash "$ROOT/scripts/install-deps.sh" "${sections[@]}" >&2; then
    echo "prepare: the container tools are not available (scripts/install-deps.sh ${sections[*]} failed)" >&2
    exit 3
fi
# shellcheck source=podman-env.sh
. "$HERE/podman-env.sh"
for p in "${PLATFORMS[@]}"; do
    bash "$HERE/base-images.sh" "$p" >&2
done
if ! err="$(podman run --rm --pull=never --network=host amd64/debian:bookworm-slim true 2>&1)"; then
    echo "prepare: podman cannot run a container here: $err" >&2
    exit 3
fi

# The packages the images install, from `make dist` (rebuilt only when stale).
dist_arches=()
for p in "${PLATFORMS[@]}"; do
    case "$p" in
        amd64) dist_arches+=(x64) ;;
        arm64v8) dist_arches+=(arm64) ;;
        arm32v7) dist_arches+=(arm) ;;
        *) echo "prepare: no packages for $p" >&2; exit 1 ;;
    esac
done
bash "$ROOT/scripts/dist/ensure.sh" "${dist_arches[@]}" >&2

for p in "${PLATFORMS[@]}"; do
    for lang in python c; do
        start=$SECONDS
        image="$("$HUB" build "$ROOT/examples/$lang/filter" --platform "$p" --packages "$ROOT/dist" 2>"$ROOT/target/containers/build-$lang-$p.log" | tail -n 1)" || {
            tail -n 30 "$ROOT/target/containers/build-$lang-$p.log" >&2
            echo "prepare: building the $lang filter image for $p failed" >&2
            exit 1
        }
        echo "prepare: built $image in $((SECONDS - start)) s" >&2
        echo "image=$image"
    done
done
