# edgemodule — two commands matter on a fresh machine: `make demo` and `make test`.
# Each part has its own target; `make test` runs every part. Everything they need is installed
# by scripts/install-deps.sh (`make deps`), the only place that installs anything.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
DEPS := bash scripts/install-deps.sh
LINT_VENV := scripts/lint/.venv/bin

.PHONY: demo test deps lint lint-docs lint-rust lint-python lint-node lint-java lint-c lint-dotnet lint-versions \
        test-rust test-c test-python test-node test-java test-dotnet test-interop test-fuzz conformance \
        bench clean demo-containers test-containers test-containers-arm64 \
        dist test-dist test-dist-install test-dist-qemu test-dist-elf test-dist-rootfs test-arm64

# Installs what each language needs just before building it, so the first result shows early.
demo:
	bash examples/demo.sh

test: deps lint test-rust test-c test-python test-node test-java test-dotnet test-interop test-fuzz conformance test-containers test-arm64

deps:
	$(DEPS)

lint: lint-versions lint-docs lint-rust lint-python lint-node lint-java lint-c lint-dotnet

lint-versions:
	python3 scripts/check-versions.py

# Relative links in the Markdown resolve; the README links every page in docs/.
lint-docs:
	python3 scripts/lint/docs.py

lint-rust:
	$(DEPS) rust
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

# The shipped Python package (it ships py.typed): ruff lint + format check, mypy --strict.
# Settings: [tool.ruff] and [tool.mypy] in bindings-python/pyproject.toml.
lint-python:
	$(DEPS) lint
	cd bindings-python && ../$(LINT_VENV)/ruff check python/edgemodule
	cd bindings-python && ../$(LINT_VENV)/ruff format --check python/edgemodule
	cd bindings-python && ../$(LINT_VENV)/mypy

# The Node package's JavaScript, type-checked by tsc (bindings-node/tsconfig.lint.json).
lint-node:
	$(DEPS) lint
	cd bindings-node && npm run --silent lint

lint-java:
	$(DEPS) lint
	bash scripts/lint/java.sh

lint-c:
	$(DEPS) lint
	bash scripts/lint/c.sh

# Every C# file (library, tests, example) with warnings as errors.
lint-dotnet:
	$(DEPS) rust dotnet
	$(MAKE) -C bindings-dotnet lint

# Every suite leaves machine-readable results in target/conformance/<language>/ (see
# tests/conformance/README.md); `make conformance` prints the scenario matrix from them.
test-rust:
	rm -rf target/conformance/rust && mkdir -p target/conformance/rust
	bash -o pipefail -c '$(CARGO) test --workspace --no-fail-fast 2>&1 | tee target/conformance/rust/cargo-test.log'

test-c:
	$(MAKE) -C bindings-c test

test-python:
	$(MAKE) -C bindings-python test

test-node:
	$(MAKE) -C bindings-node test

test-java:
	$(MAKE) -C bindings-java test

test-dotnet:
	$(MAKE) -C bindings-dotnet test

test-interop:
	bash tests/interop/run.sh

# The scenario matrix (6 languages x tests/conformance/scenarios.json); fails when a required
# cell is not a pass. S14-S25 are still being written: only S01-S13 are required for now.
CONFORMANCE_REQUIRE ?= all
conformance:
	python3 tests/conformance/test_matrix.py
	python3 tests/conformance/matrix.py --require $(CONFORMANCE_REQUIRE)

# cargo-fuzz targets of the hub, FUZZ_SECONDS (default 30) each; see scripts/fuzz.sh.
test-fuzz:
	bash scripts/fuzz.sh

# Modules as container images (docs/containers.md): the Python and C filter images built from
# local base images, run by `edgemodule-hub up`. Installs podman & co when missing; the
# process form runs instead, loudly, where containers cannot run.
demo-containers:
	$(DEPS) rust containers
	$(CARGO) build --release -p edgemodule-hub -p edgemodule-example-filter
	bash examples/demo-containers.sh

test-containers:
	bash tests/containers/run.sh
	bash tests/containers/scaffolds.sh

# The same with arm64 images too, built and run under qemu (cross toolchain, an arm64 rootfs:
# about 20 minutes the first time here, then about 2).
test-containers-arm64:
	PLATFORMS="amd64 arm64v8" bash tests/containers/run.sh

# Release artifacts (docs/install.md): C and hub tarballs, Python wheels + sdist, npm packages,
# Java jars + pom, .NET nupkg, for linux-x64, linux-arm64 and linux-arm (armv7), into dist/
# with SHA256SUMS. DIST_ARCHES="x64" builds only x64.
dist:
	bash scripts/dist/build.sh

# Every test of dist/: ELF machine types, install tests on x64 without Rust, the core's
# conformance suite and the C example under qemu for arm64 and armv7, the arm64 wheel in
# an arm64 Debian rootfs.
test-dist: test-dist-elf test-dist-install test-dist-qemu test-dist-rootfs

test-dist-elf:
	bash tests/dist/elf.sh

test-dist-install:
	bash tests/dist/install.sh

test-dist-qemu:
	$(DEPS) arm
	bash tests/dist/qemu.sh arm64 arm

test-dist-rootfs:
	$(DEPS) arm containers
	bash tests/dist/rootfs.sh arm64

# The part of the ARM tests `make test` runs: a subset of the core's conformance suite and
# the C example, cross-compiled for arm64 and run under qemu against the x64 hub (no `make
# dist` needed).
test-arm64:
	$(DEPS) arm
	bash tests/dist/qemu.sh --subset arm64

bench: deps
	bash bench/run.sh

clean:
	$(CARGO) clean
