#!/usr/bin/env bash
# Sets up a fresh Debian machine for jmck, then builds it. Safe to re-run: each step is skipped when done.
#   1. system packages the build and tests use (apt-get update once, only if one is missing)
#   2. Unicorn 2.1.1 and Capstone 5 from Debian trixie, unpacked into .deps/ with a private apt
#      configuration: the system's apt sources are left alone (bookworm's Unicorn 2.0.1 has no x86 paging)
#   3. Unicorn 2.1.1 built with jmck's patches into .deps/unicorn-smp/ (emulator/unicorn/build.sh): the engine
#      that runs each emulated core on its own host thread; without it the cores share one host thread
#   4. the Maven build (guest programs, the native hook library, the jmck jar), tests skipped
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"

# chromium: the web view's tests drive it headless through the DevTools protocol; chromium-driver (WebDriver)
# is there for driving the page from Selenium or by hand, as the web view's issue asks.
# cmake, make, patch, curl: building jmck's Unicorn (emulator/unicorn/build.sh).
# The dynamically linked host programs the tests run on the LWK are Debian's: python3 (with its standard
# library: json, hashlib), perl, and the essential coreutils, findutils and dash.
# autoconf, automake, m4, pkg-config, xz-utils, git, e2fsprogs: building LTP's syscall tests from its source
# and what they run (scripts/ltp.sh; mkfs for the tests on a loop device).
system_packages=(gcc libc6-dev musl-tools busybox-static qemu-user gdb maven default-jdk-headless file chromium
                 chromium-driver cmake make patch curl
                 python3 perl coreutils findutils dash
                 autoconf automake m4 pkg-config xz-utils git e2fsprogs)
missing=()
for p in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Pinned: trixie's Unicorn 2.1.1 is the measured build (sid's 2.1.4 is 20x slower on stores).
unicorn_version=2.1.1-2+b2
stamp="$deps/root/.jmck-deps-$unicorn_version"
if [ ! -e "$stamp" ]; then
  echo "setup: fetching Unicorn $unicorn_version and Capstone 5 from Debian trixie into .deps/"
  apt=$(mktemp -d); trap 'rm -rf "$apt"' EXIT
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /debian/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  echo "deb $mirror trixie main" > "$apt/sources.list"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial"
  O=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$apt/lists"
     -o Dir::Cache::archives="$apt/archives" -o APT::Sandbox::User=root -o Acquire::Languages=none)
  apt-get "${O[@]}" update -qq
  (cd "$apt" && apt-get "${O[@]}" download -qq \
      "libunicorn2t64=$unicorn_version" "libunicorn-dev=$unicorn_version" libcapstone5 libcapstone-dev)
  rm -rf "$deps/root"; mkdir -p "$deps/root"
  for d in "$apt"/*.deb; do dpkg-deb -x "$d" "$deps/root"; done
  touch "$stamp"
fi

# About a minute once (skipped when built): x86 only, Release.
"$root/emulator/unicorn/build.sh" "$deps/unicorn-smp" || true

if [ "${JMCK_SKIP_BUILD:-0}" != 1 ]; then
  echo "setup: building (mvn package, tests skipped)"
  (cd "$root" && mvn -q -B -DskipTests package)
  "$root/scripts/startup-cache.sh" # JNA unpacked and an AppCDS archive, for the ./jmck launcher
fi
