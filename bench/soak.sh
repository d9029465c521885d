#!/usr/bin/env bash
# Leak soak: bench/soak.sh [N]   (N runs, default 10000)
# Boots one instance (2 cores, 256 MiB) in a fresh runtime directory and runs N guests through
# `jmck mcexec`, one after the other, in a fixed mix so that two soaks of the same N do the same work:
# hello, fileio, procs, threads, null_deref (SIGSEGV), kill_self 15 (SIGTERM) and wait_stdin, whose
# mcexec is killed with SIGKILL while the guest waits in a delegated read. After one round of the mix
# (the daemon opens what it keeps open) and again after the N runs it reads the instance's counters
# (`jmck ihk status -v`), and prints a markdown table of both. Exits 1 if a counter did not come back,
# a run ended with the wrong status, an mcexec was left or a run left a file in /dev/shm.
set -Eeuo pipefail
trap 'echo "soak: line $LINENO: $BASH_COMMAND failed (status $?)" >&2' ERR
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-10000}
[ -e proxy/target/jmck.jar ] || scripts/setup.sh
# Its time per run is printed: with the launcher's start-up cache, as users run it (a test run before
# rebuilt the jar, and the cache is used only while it is newer)
[ proxy/target/jmck.jsa -nt proxy/target/jmck.jar ] || scripts/startup-cache.sh
g=guest-images/out/gcc
for p in hello fileio procs threads null_deref kill_self wait_stdin; do
  [ -x "$g/$p" ] || { echo "soak: $g/$p is missing: build the guests (mvn package)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/jmck-soak.XXXXXX)
export JMCK_RUNTIME_DIR="$work/runtime"
mkfifo "$work/stdin"
exec 3<>"$work/stdin" # wait_stdin's stdin: open for writing here, so its read never ends
cleanup() {
  local st=$?
  if [ "$st" != 0 ] && [ -e "$JMCK_RUNTIME_DIR/os0.log" ]; then
    echo "soak: stopped (status $st); the instance's log ends:" >&2
    tail -20 "$JMCK_RUNTIME_DIR/os0.log" >&2
  fi
  ./jmck ihk stop >/dev/null 2>&1 || true
  exec 3>&-
  rm -rf "$work"
}
trap cleanup EXIT

./jmck ihk reboot --cpus 1-2 --mem 256M >/dev/null
mix=("hello" "fileio" "procs" "threads" "null_deref" "kill_self 15" "wait_stdin")
expected=(0 0 0 0 139 143 137)
bad=0 left=0
run() { # run I: guest I mod 7
  local i=$(( $1 % ${#mix[@]} )) args pid st
  read -r -a args <<< "${mix[$i]}"
  if [ "${args[0]}" = fileio ]; then
    rm -rf "$work/files" && mkdir "$work/files" && args+=("$work/files")
  fi
  if [ "${args[0]}" = wait_stdin ]; then
    : > "$work/out"
    ./jmck mcexec "$g/${args[0]}" <&3 >"$work/out" 2>/dev/null &
    pid=$!
    until grep -q ready "$work/out" 2>/dev/null; do sleep 0.01; done
    kill -KILL "$pid" 2>/dev/null || true # (gone already: its status says how)
  else
    ./jmck mcexec "$g/${args[0]}" "${args[@]:1}" </dev/null >/dev/null 2>&1 &
    pid=$!
  fi
  st=0; { wait "$pid"; } 2>/dev/null || st=$? # (no "Killed" line from bash)
  if [ "$st" != "${expected[$i]}" ]; then
    echo "soak: run $1 (${mix[$i]}) ended with $st, not ${expected[$i]}" >&2
    bad=$((bad + 1))
  fi
  if compgen -G "/dev/shm/jmck-$pid-*" >/dev/null; then
    echo "soak: run $1 (${mix[$i]}) left $(compgen -G "/dev/shm/jmck-$pid-*")" >&2
    left=$((left + 1))
  fi
}
counters() { # the counters as "name value" lines, after the daemon has reclaimed what it will (up to 5 s)
  local want=${1:-} now
  for _ in $(seq 20); do
    now=$(./jmck ihk status -v | sed -n 's/^\([a-z_]*\): \([0-9]*\)$/\1 \2/p')
    [ -z "$want" ] || [ "$(grep -v -e threads -e daemon_pid <<< "$now")" = "$(grep -v -e threads -e daemon_pid <<< "$want")" ] && break
    sleep 0.25
  done
  echo "$now"
}

for i in $(seq 0 $(( ${#mix[@]} - 1 ))); do run "$i"; done
before=$(counters)
start=$(date +%s%N)
for i in $(seq 0 $((n - 1))); do
  run "$i"
  if [ $(( (i + 1) % 1000 )) = 0 ]; then echo "soak: $((i + 1)) runs" >&2; fi
done
end=$(date +%s%N)
after=$(counters "$before")
mcexecs=$(pgrep -P $$ -f mcexec | wc -l || true)

ms=$(( (end - start) / 1000000 ))
get() { sed -n "s/^$1 //p" <<< "$2"; }
echo "| runs | time | per run | unexpected statuses | mcexec left | /dev/shm files left |"
echo "|---|---|---|---|---|---|"
printf '| %d | %d.%03d s | %d ms | %d | %d | %d |\n' "$n" $((ms / 1000)) $((ms % 1000)) $((ms / n)) "$bad" "$mcexecs" "$left"
echo
echo "| counter | before | after |"
echo "|---|---|---|"
ok=1
for k in frames_free tasks processes ikc_channels ikc_files ikc_mappings daemon_fds daemon_threads; do
  b=$(get "$k" "$before") a=$(get "$k" "$after")
  echo "| $k | $b | $a |"
  [ "$k" = daemon_threads ] || [ "$b" = "$a" ] || ok=0
done
[ "$ok" = 1 ] && [ "$bad" = 0 ] && [ "$mcexecs" = 0 ] && [ "$left" = 0 ]
