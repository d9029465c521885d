#!/usr/bin/env bash
# Runs the Linux Test Project's syscall tests natively and under `jmck run`, and prints the pass counts and
# the failures by cause. The tests are built once from LTP's source, statically (jmck runs static programs),
# into .ltp/ (ignored by git); native results are kept there too, since they only change with the host.
#
#   scripts/ltp.sh                      build if needed, run every entry of runtest/syscalls
#   scripts/ltp.sh --ci                 the subset in scripts/ltp-ci.txt (not written yet), failing if one fails
#   scripts/ltp.sh write01 mmap01 ...   just these entries
#   scripts/ltp.sh --list FILE          the entries named in FILE (one a line, # comments)
#   scripts/ltp.sh --build              build only
#   scripts/ltp.sh --native             run only the native side (its results are kept for later runs)
#   scripts/ltp.sh --report [DIR]       print the summary of a finished run again (default: the latest)
# Options: --timeout SECONDS (per test and run, default 120), --renative (run the native side again),
#          --markdown (the failure table as markdown, for docs/ltp.md).
#
# Each test runs as LTP's runner (kirk) runs it: LTPROOT set, the test binaries first on PATH, a fresh
# TMPDIR, output not colored, standard input from /dev/null; natively as the user running this script
# (root, as LTP expects), and under jmck with the same environment. KCONFIG_PATH names the running kernel's
# configuration, unpacked from /proc/config.gz once (LTP's library would otherwise run zcat through
# /bin/sh, a dynamically linked program). A test counts for jmck when it passes
# natively (exit status 0); TCONF natively (32: the host lacks something) does not count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ltp_commit=695827725
work="$root/.ltp"
src="$work/src"
prefix="$work/install"
bin="$prefix/testcases/bin"
tarball="${LTP_TARBALL:-$root/../shared/deps/ltp-$ltp_commit.tar.xz}"

mode=run timeout=120 renative=0 markdown=0 list="" report_dir="" ci=0
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) mode=build ;;
    --native) mode=native ;;
    --ci) ci=1; list="$root/scripts/ltp-ci.txt" ;;
    --list) list=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --renative) renative=1 ;;
    --markdown) markdown=1 ;;
    --report) mode=report; if [ $# -gt 1 ] && [ "${2#-}" = "$2" ]; then report_dir=$2; shift; fi ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ltp: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
[ -z "$list" ] || [ -r "$list" ] || { echo "ltp: no list $list" >&2; exit 2; }

# ---- build ----

fetch_source() {
  [ -e "$src/configure.ac" ] && return
  rm -rf "$src" && mkdir -p "$src"
  if [ -e "$tarball" ]; then
    echo "ltp: unpacking $(basename "$tarball")"
    tar -xJf "$tarball" -C "$src"
  elif git clone -q https://github.com/linux-test-project/ltp.git "$src" 2>/dev/null \
      && git -C "$src" checkout -q "$ltp_commit"; then
    echo "ltp: cloned LTP at $ltp_commit"
  else
    rm -rf "$src"
    echo "ltp: no LTP source: $tarball is missing and github.com/linux-test-project/ltp cannot be cloned" >&2
    exit 1
  fi
}

# Builds what the run needs, once: every syscall test, or only the programs of the entries asked for (the
# CI subset builds in a few minutes, not half an hour).
build() {
  local stamp="$prefix/.jmck-built-$ltp_commit" log="$work/build.log"
  [ -e "$stamp" ] && return
  for tool in autoconf automake make gcc; do
    command -v $tool > /dev/null || { echo "ltp: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
  done
  fetch_source
  mkdir -p "$prefix/runtest" "$bin"
  (
    cd "$src"
    [ -e configure ] || make autotools
    [ -e include/mk/config.mk ] || ./configure --prefix="$prefix" LDFLAGS=-static
    [ -e lib/libltp.a ] || nice make -j2 -C lib
    cp runtest/syscalls "$prefix/runtest/"
  ) >> "$log" 2>&1 || { echo "ltp: configuring LTP failed; see $log" >&2; exit 1; }
  if [ ${#names[@]} -gt 0 ] || [ -n "$list" ]; then
    # just the programs asked for, each by its own make target (a directory's other programs, fcntl's
    # eighty among them, would triple the time), with its directory's helpers: the programs that are no
    # entry of runtest/syscalls (execve01_child). A directory that installs more (scripts) is built whole.
    local prog dir n=0 start=$SECONDS helpers
    local runtest_progs
    runtest_progs=$(grep -v '^#' "$prefix/runtest/syscalls" | awk 'NF { print $2 }' | sort -u)
    for prog in $(entries | awk '{ print $2 }' | sort -u); do
      [ -x "$bin/$prog" ] && continue
      dir=$(find "$src/testcases/kernel/syscalls" \( -name "$prog.c" -o -name "${prog%_64}.c" -o -name "${prog%_16}.c" \) \
        -printf '%h\n' | head -1)
      [ -n "$dir" ] || continue
      [ $n = 0 ] && echo "ltp: building the tests asked for statically into .ltp/"
      n=$((n + 1))
      helpers=$(cd "$dir" && ls -- *.c 2>/dev/null | sed 's/\.c$//' | grep -vxF "$runtest_progs" || true)
      # shellcheck disable=SC2086
      if grep -qs '^INSTALL_TARGETS' "$dir/Makefile" || ! (nice make -j2 -C "$dir" "$prog" $helpers >> "$log" 2>&1); then
        (nice make -k -j2 -C "$dir" && nice make -k -C "$dir" install) >> "$log" 2>&1 || true
      fi
      for p in "$prog" $helpers; do
        [ -x "$dir/$p" ] && install -m 755 "$dir/$p" "$bin/"
      done
    done
    [ $n = 0 ] || echo "ltp: built $n test programs in $((SECONDS - start)) s (log: $log)"
    return
  fi
  echo "ltp: building the syscall tests statically into .ltp/ (about half an hour on 2 cores; once)"
  (
    cd "$src"
    # -k: a test that needs a library this machine lacks is left out, the others still build
    nice make -k -j2 -C testcases/kernel/syscalls || true
    nice make -k -C testcases/kernel/syscalls install || true
  ) >> "$log" 2>&1
  echo "ltp: built $(find "$bin" -maxdepth 1 -type f -perm -u+x | wc -l) test programs (log: $log)"
  touch "$stamp"
}

# ---- run ----

# The entries to run, as "name command args" lines.
entries() {
  local all
  all=$(grep -v '^#' "$prefix/runtest/syscalls" | awk 'NF')
  if [ ${#names[@]} -gt 0 ]; then
    printf '%s\n' "${names[@]}" | awk 'NR == FNR { want[$1] = 1; next } ($1 in want)' - <(echo "$all")
  elif [ -n "$list" ]; then
    sed 's/#.*//' "$list" | awk 'NF { print $1 }' | awk 'NR == FNR { want[$1] = 1; next } ($1 in want)' - <(echo "$all")
  else
    echo "$all"
  fi
}

# Runs one test: where (native or jmck), name, then the command; writes DIR/NAME.log and NAME.rc.
run_one() {
  local where=$1 dir=$2 name=$3; shift 3
  local tmp="$work/tmp/$where.$$" # one per run: runs side by side do not share it
  rm -rf "$tmp" && mkdir -p "$tmp" && chmod 1777 "$tmp"
  local cmd=("$bin/$1" "${@:2}")
  if [ "$where" = jmck ]; then
    cmd=("$jmck" run --timeout "$timeout" "${cmd[@]}")
    # LTP names its shared memory after the pid, and a guest's first pid is always the same: a file a
    # killed run left there would be in the way
    rm -f /dev/shm/ltp_"$1"_[0-9]*
  fi
  local start=$SECONDS rc=0 kconfig=()
  [ -s "$work/kernel-config" ] && kconfig=(KCONFIG_PATH="$work/kernel-config")
  (cd "$bin" && env LTPROOT="$prefix" TMPDIR="$tmp" LTP_COLORIZE_OUTPUT=0 PATH="$bin:$PATH" "${kconfig[@]}" \
      timeout -k 10 $((timeout + 30)) "${cmd[@]}") < /dev/null > "$dir/$name.log" 2>&1 || rc=$?
  echo "$rc $((SECONDS - start))" > "$dir/$name.rc"
  # A test killed before its cleanup leaves its mounts behind (mount is delegated: they are the host's, as
  # they would stay on Linux): unmount them, deepest first, so that the run goes on with a clean directory
  local mnt
  while read -r mnt; do umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf "$tmp" || echo "ltp: could not remove $tmp; going on" >&2
}

# The one-line cause of a failure under jmck, from its status and output.
cause() {
  local rc=$1 log=$2 enosys line
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "timeout (${timeout}s)"; return
  fi
  enosys=$(grep -o 'jmck: syscall [a-z0-9_]* ([0-9]*) is not implemented' "$log" | awk '{print $3}' | sort -u | paste -sd, || true)
  if [ -n "$enosys" ]; then
    echo "ENOSYS: $enosys"; return
  fi
  line=$(grep -m1 '^jmck: ' "$log" || true)
  if [ -z "$line" ]; then
    line=$(grep -m1 -E 'TBROK' "$log" || grep -m1 -E 'TFAIL' "$log" || grep -m1 -E 'TCONF' "$log" || true)
  fi
  if [ -z "$line" ]; then
    echo "exit status $rc"; return
  fi
  # file.c:123: prefixes, numbers and temporary names vary from run to run; the cause does not
  echo "$line" | sed -E 's/^[a-zA-Z0-9_./-]+\.[ch]:[0-9]+: //; s/0x[0-9a-f]+/0xN/g; s/[0-9]+/N/g; s/  +/ /g' | cut -c1-110
}

# The running kernel's configuration, for KCONFIG_PATH.
kernel_config() {
  [ -r /proc/config.gz ] && [ ! -s "$work/kernel-config" ] && { zcat /proc/config.gz > "$work/kernel-config" || true; }
  return 0
}

# A copy of the built jmck for this run (launcher, jar, native hook library; .deps linked), so that
# rebuilding during a long run does not change what runs.
jmck=""
snapshot() {
  local snap="$work/jmck-run.$$"
  rm -rf "$snap" && mkdir -p "$snap/proxy" "$snap/emulator/target"
  cp "$root/jmck" "$snap/"
  cp -rp "$root/proxy/target" "$snap/proxy/"
  cp -r "$root/emulator/target/native" "$snap/emulator/target/"
  ln -s "$root/.deps" "$snap/.deps"
  trap "rm -rf '$snap'" EXIT
  jmck="$snap/jmck"
}

run_all() {
  kernel_config
  snapshot
  local out="$work/results/$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$out/jmck" "$work/native"
  ln -sfn "$out" "$work/results/latest"
  local n=0 total
  total=$(entries | wc -l)
  [ "$total" -gt 0 ] || { echo "ltp: no such entries in runtest/syscalls" >&2; exit 2; }
  [ -x "$root/proxy/target/jmck.jar" ] || [ -e "$root/proxy/target/jmck.jar" ] \
    || { echo "ltp: jmck is not built: run scripts/setup.sh" >&2; exit 1; }
  echo "ltp: running $total entries, natively and under jmck (results in .ltp/results/$(basename "$out"))"
  while read -r name prog args; do
    n=$((n + 1))
    if [ ! -x "$bin/$prog" ]; then
      echo "$name - - - not built" >> "$out/results.txt"; continue
    fi
    # shellcheck disable=SC2086
    { [ "$renative" = 0 ] && [ -e "$work/native/$name.rc" ]; } || run_one native "$work/native" "$name" $prog $args
    local nrc jrc secs
    nrc=$(cut -d' ' -f1 "$work/native/$name.rc")
    # shellcheck disable=SC2086
    run_one jmck "$out/jmck" "$name" $prog $args
    read -r jrc secs < "$out/jmck/$name.rc"
    local why="-"
    [ "$nrc" = 0 ] && [ "$jrc" != 0 ] && why=$(cause "$jrc" "$out/jmck/$name.log")
    echo "$name $nrc $jrc $secs $why" >> "$out/results.txt"
    printf '\r  %d/%d %-30s' "$n" "$total" "$name" >&2
  done < <(entries)
  printf '\r%60s\r' '' >&2
  report "$out"
}

run_native() {
  kernel_config
  mkdir -p "$work/native"
  local n=0 total
  total=$(entries | wc -l)
  while read -r name prog args; do
    n=$((n + 1))
    [ -x "$bin/$prog" ] || continue
    # shellcheck disable=SC2086
    { [ "$renative" = 0 ] && [ -e "$work/native/$name.rc" ]; } || run_one native "$work/native" "$name" $prog $args
    printf '\r  %d/%d %-30s' "$n" "$total" "$name" >&2
  done < <(entries)
  printf '\r%60s\r' '' >&2
  awk '{ n[$1 == 0 ? "pass" : $1 == 32 ? "TCONF" : "fail"]++ }
       END { printf "natively: %d pass, %d TCONF, %d fail or break\n", n["pass"], n["TCONF"], n["fail"] }' "$work"/native/*.rc
}

# ---- report ----

report() {
  local out=$1
  [ -e "$out/results.txt" ] || { echo "ltp: no results in $out" >&2; exit 1; }
  awk -v markdown="$markdown" -v commit="$ltp_commit" '
    { name = $1; nrc = $2; jrc = $3; why = $5; for (i = 6; i <= NF; i++) why = why " " $i
      total++
      if (nrc == "-") { unbuilt++; next }
      if (nrc == 0) { npass++; if (jrc == 0) jpass++; else { count[why]++; tests[why] = tests[why] " " name } }
      else if (nrc == 32) nconf++
      else nfail++
      if (nrc != 0 && jrc == 0) extra++
    }
    END {
      ran = total - unbuilt
      printf "LTP %s, runtest/syscalls: %d entries, %d built\n", commit, total, ran
      printf "natively: %d pass, %d TCONF (the host lacks something), %d fail or break\n", npass, nconf, nfail
      printf "under jmck: %d of the %d that pass natively (%.1f%%)", jpass, npass, npass ? 100 * jpass / npass : 0
      if (extra) printf "; %d more pass under jmck only", extra
      printf "\n"
      if (npass == jpass) exit
      n = 0
      for (w in count) order[++n] = w
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (count[order[j]] > count[order[i]] || count[order[j]] == count[order[i]] && order[j] < order[i]) {
          t = order[i]; order[i] = order[j]; order[j] = t }
      if (markdown) print "\n| count | cause | tests |\n|---:|---|---|"
      else print "\nfailures under jmck by cause:"
      for (i = 1; i <= n; i++) {
        w = order[i]
        if (markdown) { c = w; gsub(/\|/, "\\|", c); printf "| %d | %s |%s |\n", count[w], c, tests[w] }
        else printf "%5d  %s\n       %s\n", count[w], w, substr(tests[w], 2)
      }
    }' "$out/results.txt"
  if [ "$ci" = 1 ]; then
    awk '$2 == 0 && $3 != 0 { bad = 1 } END { exit bad }' "$out/results.txt"
  fi
}

case "$mode" in
  build) build ;;
  report) report "${report_dir:-$work/results/latest}" ;;
  run) build; run_all ;;
  native) build; run_native ;;
esac
