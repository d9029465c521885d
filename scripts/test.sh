#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh), then builds jmck and runs every test: unit tests, the
# instruction-level tests on real Unicorn, and guest programs compared with the same binaries run natively.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
JMCK_SKIP_BUILD=1 "$root/scripts/setup.sh"
cd "$root"
mvn -B verify "$@"
# The benchmark command on tiny sizes: a smoke run that it still works, not a measurement.
bench/run.sh --quick --reps 1
# The leak soak, likewise: one round of its mix (LeaksAndLimitsTest runs 30).
soak=$(bench/soak.sh 7) || { echo "$soak"; exit 1; } # its tables say what did not come back
