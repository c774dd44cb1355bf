#!/usr/bin/env bash
# Runs Microsoft's official module clients against edgemodule-hub (serially: they need
# port 8883 and the workload socket). Filled in by the local-hub work.
set -euo pipefail
echo "interop: no suites yet"
