#!/usr/bin/env bash
# The long tier, run by hand (CI runs scripts/test.sh and the LTP subset, not this; it would take well
# over half an hour on a 2-core machine). It repeats scripts/test.sh's tests, it does not replace them:
#   - every multi-core thread, process, signal, futex and OpenMP test 20 times in a row, in both modes
#     (parallel and exact), the IPI stress at 1,000 rounds (issue 14: -Djmck.repeat=20);
#   - the leak soak, 1,000 guests through one instance (bench/soak.sh), in parallel mode.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
JMCK_SKIP_BUILD=1 "$root/scripts/setup.sh"
cd "$root"
mvn -B verify -Djmck.repeat=20 -Dtest='ProcessesTest,ParallelCoresTest' -Dsurefire.failIfNoSpecifiedTests=false "$@"
bench/soak.sh 1000
