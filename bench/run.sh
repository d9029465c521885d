#!/usr/bin/env bash
# Runs jmck's benchmarks and prints a markdown table: bench/run.sh [--quick] [--reps N] [--only SECTION,...]
# Builds what it needs first: jmck (scripts/setup.sh) and the benchmark programs in bench/src.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -e proxy/target/jmck.jar ] || scripts/setup.sh
# Measure what users run after scripts/setup.sh: the launcher with its start-up cache.
[ proxy/target/jmck.jsa -nt proxy/target/jmck.jar ] || scripts/startup-cache.sh
mkdir -p bench/out
for src in bench/src/*.c; do
  out="bench/out/$(basename "$src" .c)"
  if [ ! -e "$out" ] || [ "$src" -nt "$out" ]; then
    # a program may ask for more flags with a "// bench-cflags: ..." line (cg.c: -fopenmp)
    gcc -static -O2 -pthread $(sed -n 's#^// bench-cflags: ##p' "$src") -o "$out" "$src" -lm 2>&1 \
      | { grep -v "dlopen\|libgomp.a\|^(.text" || true; } >&2
  fi
done
exec java bench/Bench.java "$@"
