#!/usr/bin/env bash
# Issue 7's check that debugging costs nothing when off: bench/debug-off.sh [BASELINE_COMMIT] [--reps N] [--quick]
# Builds the baseline commit (default: the one before the debugger's hooks) into bench/out/baseline from
# `git archive`, then runs the CPU-bound rows on it and on this tree, alternately.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
base=${1:-1176dd0}
[ $# -gt 0 ] && shift
[ -e proxy/target/jmck.jar ] || scripts/setup.sh
mkdir -p bench/out
for src in bench/src/*.c; do
  out="bench/out/$(basename "$src" .c)"
  [ -e "$out" ] && [ "$out" -nt "$src" ] || gcc -static -O2 -o "$out" "$src" -lm
done
dir=bench/out/baseline
if [ ! -e "$dir/.commit-$base" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  git archive "$base" | tar -x -C "$dir"
  ln -s "$(readlink -f "$root/.deps")" "$dir/.deps"
  (cd "$dir" && mvn -q -o -B -DskipTests package >/dev/null)
  touch "$dir/.commit-$base"
fi
exec java bench/Bench.java --baseline "$dir" "$@"
