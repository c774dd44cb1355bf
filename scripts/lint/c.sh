#!/usr/bin/env bash
# `make lint-c`: every C source of the tests and examples compiled (syntax and semantics, no
# linking) with -Wall -Wextra -Werror, in the language standard each is built with.
set -euo pipefail
cd "$(dirname "$0")/../.."
CC="${CC:-cc}"
CXX="${CXX:-c++}"
inc="-Ibindings-c/include"
warn="-Wall -Wextra -Werror"
n=0
check() { # check COMPILER FLAGS... FILE
  "$@" -fsyntax-only
  n=$((n + 1))
}
# bindings-c/CMakeLists.txt: C11 with GNU extensions (CMake's default).
for f in bindings-c/tests/*.c; do check "$CC" -std=gnu11 $warn $inc -Ibindings-c/tests "$f"; done
check "$CC" -std=c99 $warn -pedantic $inc bindings-c/tests/header_check.c
check "$CXX" -std=c++11 $warn -pedantic $inc bindings-c/tests/header_check.cpp
# Consumer projects and the examples: C99.
for f in bindings-c/tests/consumer/*.c examples/c/filter/*.c bindings-dotnet/tests/abi/*.c; do
  check "$CC" -std=c99 $warn $inc "$f"
done
check "$CC" -std=c11 $warn $inc bench/c/bench.c
echo "lint-c: $n files clean with $warn"
