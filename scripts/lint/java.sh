#!/usr/bin/env bash
# `make lint-java`: the Java binding's main sources, then the example and the consumer smoke
# test against them, compiled by javac with every lint warning turned into an error.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/lint/java
rm -rf "$out"
mkdir -p "$out/main" "$out/examples"
javac -Xlint:all -Werror --release 17 -d "$out/main" $(find bindings-java/src/main/java -name '*.java' | sort)
javac -Xlint:all -Werror --release 17 -cp "$out/main" -d "$out/examples" \
  $(find examples/java bindings-java/consumer-test -name '*.java' | sort)
echo "lint-java: javac -Xlint:all -Werror clean"
