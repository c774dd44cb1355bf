#!/usr/bin/env bash
# Installs what `make test` / `make demo` need on a fresh machine of this kind. Idempotent:
# each step checks first, so a second run costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi
if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi
if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi

# Official SDKs for the interop suite (tests/interop), in a private venv / node_modules.
if [ -f tests/interop/requirements.txt ]; then
  if [ ! -x tests/interop/.venv/bin/python ]; then
    python3 -m venv tests/interop/.venv
  fi
  if ! tests/interop/.venv/bin/python -c 'import azure.iot.device, pytest' 2>/dev/null; then
    tests/interop/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  fi
fi
if [ -f tests/interop/node/package.json ] && [ ! -d tests/interop/node/node_modules ]; then
  (cd tests/interop/node && npm install --no-audit --no-fund --loglevel=error)
fi

# --- fuzzing (hub/fuzz, `make test-fuzz`): a nightly toolchain and cargo-fuzz ---------------
# Self-contained: cargo-fuzz needs nightly (`cargo +nightly fuzz`), whatever toolchain the
# repository pins for everything else.
install_fuzz_tools() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install --locked cargo-fuzz
  fi
}
install_fuzz_tools
