#!/usr/bin/env bash
# ELF checks of the release artifacts in dist/ (`make test-dist-elf`): every ELF file in every
# package has the machine type of the platform it is packed for, and the newest glibc symbol
# version it needs is printed (the glibc floor docs/install.md states; the build fails if it
# rises above DIST_GLIBC_FLOOR, default 2.34). It also checks that every npm tarball carries
# the licence files.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORK="$ROOT/target/dist-tests/elf"
FLOOR="${DIST_GLIBC_FLOOR:-2.34}"
rm -rf "$WORK"
mkdir -p "$WORK"
checked=0 failed=0

# check FILE ARCH: the machine type, and the glibc versions FILE needs.
check() {
  local file=$1 arch=$2 machine glibc
  arch_vars "$arch"
  machine="$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')"
  glibc="$( (readelf --dyn-syms -W "$file" | grep -o 'GLIBC_[0-9.]*' || true) | sed 's/GLIBC_//' | sort -V | tail -n 1)"
  checked=$((checked + 1))
  if [ "$machine" != "$ELF_MACHINE" ]; then
    printf 'FAIL  %-8s %s: machine %s, expected %s\n' "$arch" "${file#"$WORK"/}" "$machine" "$ELF_MACHINE"
    failed=$((failed + 1))
  elif [ "$(printf '%s\n%s\n' "$glibc" "$FLOOR" | sort -V | tail -n 1)" != "$FLOOR" ]; then
    printf 'FAIL  %-8s %s: needs glibc %s, above the floor %s\n' "$arch" "${file#"$WORK"/}" "$glibc" "$FLOOR"
    failed=$((failed + 1))
  else
    printf 'ok    %-8s %-70s %s, glibc >= %s\n' "$arch" "${file#"$WORK"/}" "$machine" "${glibc:-(none: an object file)}"
  fi
}
# check_tree DIR ARCH: every ELF file under DIR.
check_tree() {
  local f found=0
  while IFS= read -r -d '' f; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then check "$f" "$2"; found=1; fi
  done < <(find "$1" -type f -print0)
  [ "$found" = 1 ] || { echo "FAIL  $2: no ELF file in ${1#"$WORK"/}"; failed=$((failed + 1)); }
}

unzip -q "$DIST/edgemodule-$VERSION.jar" 'native/*' -d "$WORK/jar"
unzip -q "$DIST/EdgeModule.$VERSION.nupkg" 'runtimes/*' -d "$WORK/nupkg"
# The architectures dist/ was built for (all three unless DIST_ARCHES narrowed `make dist`).
arches=()
for arch in $DIST_ALL_ARCHES; do
  [ ! -f "$DIST/edgemodule-$VERSION-linux-$arch.tar.gz" ] || arches+=("$arch")
done
[ ${#arches[@]} -gt 0 ] || { echo "elf: no C tarball in $DIST: run make dist first" >&2; exit 1; }
echo "elf: checking ${arches[*]} (of $DIST_ALL_ARCHES)"
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  d="$WORK/$arch"
  mkdir -p "$d/c" "$d/hub" "$d/wheel" "$d/node"
  tar -xzf "$DIST/edgemodule-$VERSION-linux-$arch.tar.gz" -C "$d/c"
  tar -xzf "$DIST/edgemodule-hub-$VERSION-linux-$arch.tar.gz" -C "$d/hub"
  unzip -q "$DIST"/edgemodule-"$VERSION"-cp39-abi3-manylinux_*_"$WHEEL_ARCH".whl -d "$d/wheel"
  tar -xzf "$DIST/edgemodule-$NODE_PLATFORM-$VERSION.tgz" -C "$d/node"
  # The static library is an archive, not an ELF file: its objects are checked.
  mkdir -p "$d/c-static" && (cd "$d/c-static" && ar x "$d/c/edgemodule-$VERSION-linux-$arch/lib/libedgemodule.a" \
    "$(ar t "$d/c/edgemodule-$VERSION-linux-$arch/lib/libedgemodule.a" | grep -m 1 '\.o$')")
  for tree in c c-static hub wheel node; do check_tree "$d/$tree" "$arch"; done
  check_tree "$WORK/jar/native/linux-$JAVA_ARCH" "$arch"
  check_tree "$WORK/nupkg/runtimes/$DOTNET_RID/native" "$arch"
done
# Every npm package carries both licence files (npm adds only a file named LICENSE by itself).
for tgz in "$DIST"/*.tgz; do
  listing="$(tar -tzf "$tgz")"
  for licence in LICENSE-APACHE LICENSE-MIT; do
    checked=$((checked + 1))
    if grep -qx "package/$licence" <<<"$listing"; then
      printf 'ok    %-8s %-70s has %s\n' npm "$(basename "$tgz")" "$licence"
    else
      printf 'FAIL  %-8s %s: no package/%s\n' npm "$(basename "$tgz")" "$licence"
      failed=$((failed + 1))
    fi
  done
done
echo "elf: $checked checks (ELF files and npm licences), $failed failed"
[ "$failed" = 0 ]
