#!/usr/bin/env bash
# `make dist`: every release artifact, for linux-x64 and (cross-compiled) linux-arm64 and
# linux-arm (armv7 hard-float), into dist/ with a SHA256SUMS file. docs/install.md lists them.
#
#   scripts/dist/build.sh                      all architectures
#   DIST_ARCHES="x64" scripts/dist/build.sh    only those (x64 is always built: the jar, the
#                                              nupkg and the Python sdist are assembled on it)
#
# One release cargo build per architecture (C library, JNI and Node libraries, hub) plus
# maturin's wheel build; the packages are then assembled from those files. Install steps
# (cross toolchains, Rust targets, auditwheel) live in scripts/install-deps.sh (section dist).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/dist/arches.sh
. "$ROOT/scripts/dist/arches.sh"
DIST="$ROOT/dist"
STAGE="$ROOT/target/dist-stage"
VERSION="$(dist_version)"
read -r -a ARCHES <<<"${DIST_ARCHES:-$DIST_ALL_ARCHES}"
[[ " ${ARCHES[*]} " == *" x64 "* ]] || ARCHES=(x64 "${ARCHES[@]}")
VPY="$ROOT/bindings-python/.venv/bin/python"
MATURIN="$ROOT/bindings-python/.venv/bin/maturin"
AUDITWHEEL="$ROOT/scripts/dist/.venv/bin/auditwheel"
start=$SECONDS

say() { printf '\n== dist: %s (%d s)\n' "$*" "$((SECONDS - start))"; }
elapsed() { echo "$((SECONDS - start))"; }

bash "$ROOT/scripts/install-deps.sh" rust python node java dotnet dist
rm -rf "$DIST" "$STAGE"
mkdir -p "$DIST" "$STAGE"

# The release libraries and the hub for one architecture.
build_native() {
  local arch=$1 args=(build --release -p edgemodule-c -p edgemodule-hub -p edgemodule-jni -p edgemodule-node)
  [ -z "$CROSS" ] || args+=(--target "$TRIPLE")
  say "cargo ${args[*]}"
  (cd "$ROOT" && cargo "${args[@]}")
}

# edgemodule-<ver>-linux-<arch>.tar.gz: lib/ (so, a, pkgconfig, cmake), include/, licences.
c_tarball() {
  local arch=$1 top="edgemodule-$VERSION-linux-$1" target_dir="$ROOT/target"
  [ -z "$CROSS" ] || target_dir="$ROOT/target/$TRIPLE"
  say "C tarball for $arch"
  rm -rf "$STAGE/c-$arch"
  # CARGO=true: the library is built (build_native); cargo with another package set would
  # unify features differently and compile the dependencies again.
  make -s -C "$ROOT/bindings-c" install CARGO=true PREFIX=/usr/local DESTDIR="$STAGE/c-$arch" PROFILE=release \
    TARGET_DIR="$target_dir" >/dev/null
  mv "$STAGE/c-$arch/usr/local" "$STAGE/c-$arch/$top"
  # Relocatable: pkg-config finds the prefix from the .pc file's own place.
  # shellcheck disable=SC2016
  sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$STAGE/c-$arch/$top/lib/pkgconfig/edgemodule.pc"
  cp "$ROOT"/LICENSE-* "$STAGE/c-$arch/$top/"
  tar -C "$STAGE/c-$arch" --owner=0 --group=0 --sort=name -czf "$DIST/$top.tar.gz" "$top"
}

# edgemodule-hub-<ver>-linux-<arch>.tar.gz: bin/edgemodule-hub and the licences.
hub_tarball() {
  local arch=$1 top="edgemodule-hub-$VERSION-linux-$1"
  say "hub tarball for $arch"
  mkdir -p "$STAGE/hub-$arch/$top/bin"
  install -m 755 "$TARGET_OUT/edgemodule-hub" "$STAGE/hub-$arch/$top/bin/"
  cp "$ROOT"/LICENSE-* "$STAGE/hub-$arch/$top/"
  tar -C "$STAGE/hub-$arch" --owner=0 --group=0 --sort=name -czf "$DIST/$top.tar.gz" "$top"
}

# The abi3 wheel; maturin picks the manylinux tag from the symbols the library uses, and
# auditwheel confirms the tag is true.
wheel() {
  local arch=$1
  local args=(build --release --quiet --out "$STAGE/wheel-$arch")
  if [ -z "$CROSS" ]; then args+=(--interpreter "$VPY"); else args+=(--target "$TRIPLE"); fi
  say "Python wheel for $arch"
  (cd "$ROOT/bindings-python" && "$MATURIN" "${args[@]}")
  local whl
  whl="$(ls "$STAGE/wheel-$arch"/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_"$WHEEL_ARCH".whl)"
  "$AUDITWHEEL" show "$whl" | tee "$STAGE/wheel-$arch/auditwheel.txt"
  local tag
  tag="$(basename "$whl" .whl | sed 's/.*-cp39-abi3-//')"
  # (auditwheel wraps its lines)
  tr -s ' \n' ' ' <"$STAGE/wheel-$arch/auditwheel.txt" | grep -q "consistent with the following platform tag: \"$tag\"" || {
    echo "dist: auditwheel does not confirm the tag $tag of $(basename "$whl")" >&2
    exit 1
  }
  cp "$whl" "$DIST/"
}

# @edgemodule/<platform>: the prebuilt addon alone (napi-rs layout), picked by npm by os/cpu/libc.
node_platform_package() {
  local arch=$1 dir="$STAGE/node-$NODE_PLATFORM"
  say "Node package @edgemodule/$NODE_PLATFORM"
  mkdir -p "$dir"
  cp "$TARGET_OUT/libedgemodule_node.so" "$dir/edgemodule.$NODE_PLATFORM.node"
  cp "$ROOT"/LICENSE-* "$dir/"
  node "$ROOT/scripts/dist/node-manifest.js" platform "$ROOT/bindings-node/package.json" "$NODE_PLATFORM" \
    "$NODE_CPU" >"$dir/package.json"
  printf '# @edgemodule/%s\n\nThe prebuilt native addon of the `edgemodule` package for %s. Install `edgemodule`; npm picks this package.\n' \
    "$NODE_PLATFORM" "$NODE_PLATFORM" >"$dir/README.md"
  (cd "$dir" && npm pack --silent --pack-destination "$DIST" >/dev/null)
}

# The JNI and C libraries wait here for the jar and the nupkg, which carry every architecture.
stash_libraries() {
  local arch=$1
  mkdir -p "$STAGE/java/native/linux-$JAVA_ARCH" "$STAGE/dotnet-pack/runtimes/$DOTNET_RID/native"
  cp "$TARGET_OUT/libedgemodule_jni.so" "$STAGE/java/native/linux-$JAVA_ARCH/"
  cp "$TARGET_OUT/libedgemodule.so" "$STAGE/dotnet-pack/runtimes/$DOTNET_RID/native/"
}

for arch in "${ARCHES[@]}"; do
  (
    cross_env "$arch"
    build_native "$arch"
    c_tarball "$arch"
    hub_tarball "$arch"
    wheel "$arch"
    node_platform_package "$arch"
    stash_libraries "$arch"
  )
  echo "dist: $arch built at $(elapsed) s"
done
arch_vars x64

say "Python sdist"
(cd "$ROOT/bindings-python" && "$MATURIN" sdist --out "$DIST" >/dev/null)

say "Node package edgemodule (optionalDependencies on the platform packages)"
main="$STAGE/node-main"
mkdir -p "$main"
(cd "$ROOT/bindings-node" && cp -r index.js index.d.ts compat.js compat.d.ts native.d.ts lib README.md "$main/")
cp "$ROOT"/LICENSE-* "$main/"
platforms=()
for arch in "${ARCHES[@]}"; do (arch_vars "$arch" && echo "$NODE_PLATFORM"); done >"$STAGE/node-platforms"
mapfile -t platforms <"$STAGE/node-platforms"
node "$ROOT/scripts/dist/node-manifest.js" main "$ROOT/bindings-node/package.json" "${platforms[@]}" >"$main/package.json"
(cd "$main" && npm pack --silent --pack-destination "$DIST" >/dev/null)

say "Java jar (native/linux-*/), sources and javadoc jars, pom"
# The jar's classes come from the binding's own Maven build; its cargo step is not needed
# here (`true` instead of cargo): the release libraries of every architecture are added after.
mvn -B -q -Dstyle.color=never -f "$ROOT/bindings-java/pom.xml" -DskipTests -Dedgemodule.release \
  -Dedgemodule.cargo=true package
cp "$ROOT/bindings-java/target/edgemodule-$VERSION.jar" "$DIST/"
jar --update --file "$DIST/edgemodule-$VERSION.jar" -C "$STAGE/java" native
jar --create --file "$DIST/edgemodule-$VERSION-sources.jar" -C "$ROOT/bindings-java/src/main/java" .
javadoc -quiet -Xdoclint:none -d "$STAGE/javadoc" -sourcepath "$ROOT/bindings-java/src/main/java" \
  -subpackages dev.edgemodule >"$STAGE/javadoc.log" 2>&1 || { cat "$STAGE/javadoc.log"; exit 1; }
jar --create --file "$DIST/edgemodule-$VERSION-javadoc.jar" -C "$STAGE/javadoc" .
sed "s/@VERSION@/$VERSION/g" "$ROOT/scripts/dist/edgemodule.pom.in" >"$DIST/edgemodule-$VERSION.pom"

say ".NET nupkg (runtimes/linux-*/native)"
make -s -C "$ROOT/bindings-dotnet" OUT="$STAGE/dotnet" NATIVE="$ROOT/target/release/libedgemodule.so" \
  "$STAGE/dotnet/lib/EdgeModule.dll" >/dev/null
pack="$STAGE/dotnet-pack"
mkdir -p "$pack/lib/netstandard2.0"
cp "$STAGE/dotnet/lib/EdgeModule.dll" "$STAGE/dotnet/lib/EdgeModule.xml" "$pack/lib/netstandard2.0/"
cp "$ROOT/bindings-dotnet/README.md" "$pack/"
runtimes=""
for arch in "${ARCHES[@]}"; do
  rid="$(arch_vars "$arch" && echo "$DOTNET_RID")"
  runtimes+="    <file src=\"runtimes/$rid/native/libedgemodule.so\" target=\"runtimes/$rid/native/libedgemodule.so\" />"$'\n'
done
awk -v runtimes="$runtimes" '/<file src="runtimes\// { if (!done) printf "%s", runtimes; done = 1; next } { print }' \
  "$ROOT/bindings-dotnet/EdgeModule.nuspec" >"$pack/EdgeModule.nuspec"
(cd "$pack" && HOME="$STAGE/nuget-home" nuget pack EdgeModule.nuspec -Version "$VERSION" -OutputDirectory "$DIST" \
  -NonInteractive >/dev/null)

say "SHA256SUMS"
(cd "$DIST" && rm -f SHA256SUMS && sha256sum -- * >"$STAGE/SHA256SUMS" && mv "$STAGE/SHA256SUMS" SHA256SUMS)
ls -l "$DIST"
echo "dist: done in $(elapsed) s (${ARCHES[*]})"
