#!/usr/bin/env bash
# Builds Unicorn 2.1.1 for x86 only (Release) with jmck's patches (patches/, applied in order) into
# OUT/libunicorn.so.2: the engine that lets each emulated core run on its own host thread (docs/scheduling.md).
#   01  TCG emits host atomics for lock-prefixed instructions (curr_cflags returns CF_PARALLEL)
#   02  the softmmu xchg helpers exchange atomically
#   03  an atomic write to a page holding translated code no longer dereferences a NULL memory region
#   04  a lock op TCG cannot do atomically (misaligned, page-crossing) runs alone, the other cores stopped
#   05  a hook at each x86 pause, so that a guest's spin-wait can give the host CPU away
#   06  a kick: another thread makes the engine leave translated code at its next block start and call a
#       hook there (QEMU's cpu_exit), so a core on its own host thread needs no hook call in every block;
#       such an engine has no exit check after each load and store, where an exit would replay the block
#   07  marking a translated block's page not-dirty in the TLB looks at that page's entry, not all of them
#       (with a 16384-entry TLB, every translated block cost some 50,000 entry checks: docs/performance.md)
#   08  a flush zeroes the translation buffer by dropping its pages (madvise) instead of writing them: an
#       engine's first flush wrote and faulted in all 16 MiB at every start (docs/performance.md)
#   09  uc_jmck_tlb_grow: the TLB that user mode uses grows to a given size at once, where the kernel had to
#       touch thousands of pages before each program to make QEMU grow it (some 10 ms of every start);
#       uc_jmck_tlb_reserve makes such a TLB ahead on another thread (getting its memory took 1-10 ms)
# The source is the 2.1.1 release: $JMCK_UNICORN_TARBALL if set, else ../shared/deps/unicorn-2.1.1.tar.gz
# beside the repository when present, else the release download; its extracted contents must match the
# SHA-256 recorded below. Usage: build.sh OUT. Exits 0 when the library is there (built now or before), 2
# with one line saying why when it cannot be built (jmck then runs its cores on one host thread).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
# sha256sum of "sha256sum" lines of every file in the tree (sorted by path), so it does not depend on how the
# tarball was packed: GitHub's tag archive and a copy of it repacked elsewhere give the same value.
contents_sha=970448bb349ce542fe4ddde1ceebcb7a4edbbaeccedb47a00f49d94eff981d3d
release_url=https://github.com/unicorn-engine/unicorn/archive/refs/tags/2.1.1.tar.gz

# Skipped when the library was built from these patches and this script already.
stamp=$(cat "$here"/patches/*.patch "$0" | sha256sum | cut -c1-16)
if [ -e "$out/libunicorn.so.2" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tarball=${JMCK_UNICORN_TARBALL:-}
if [ -z "$tarball" ] && [ -e "$repo/../shared/deps/unicorn-2.1.1.tar.gz" ]; then
  tarball="$repo/../shared/deps/unicorn-2.1.1.tar.gz"
fi
if [ -z "$tarball" ]; then
  tarball="$work/unicorn-2.1.1.tar.gz"
  if ! curl -fsSL --max-time 120 -o "$tarball" "$release_url" 2>/dev/null; then
    echo "setup: no Unicorn 2.1.1 source (download failed; set JMCK_UNICORN_TARBALL to its release tarball):" \
         "jmck runs its cores on one host thread"
    exit 2
  fi
fi
mkdir "$work/src"
if ! tar -xzf "$tarball" -C "$work/src" --strip-components=1 2>/dev/null; then
  echo "setup: $tarball is not a readable tarball: jmck runs its cores on one host thread"
  exit 2
fi
got=$(cd "$work/src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$got" != "$contents_sha" ]; then
  echo "setup: $tarball is not Unicorn 2.1.1's release (contents SHA-256 $got): jmck runs its cores on one host thread"
  exit 2
fi
for p in "$here"/patches/*.patch; do patch -d "$work/src" -p1 -s < "$p"; done
mkdir "$work/build"
(cd "$work/build" && cmake "$work/src" -DUNICORN_ARCH=x86 -DCMAKE_BUILD_TYPE=Release -DUNICORN_BUILD_TESTS=OFF >/dev/null \
  && grep -q 'CONFIG_CMPXCHG128=y' config-host.mak && make -j"$(nproc)" unicorn >/dev/null 2>"$work/make.log") || {
  tail -20 "$work/make.log" >&2 || true
  echo "setup: building Unicorn 2.1.1 with jmck's patches failed (see above): jmck runs its cores on one host thread"
  exit 2
}
cp "$work/build/libunicorn.so.2" "$out/libunicorn.so.2.tmp" && mv "$out/libunicorn.so.2.tmp" "$out/libunicorn.so.2"
echo "$stamp" > "$out/.stamp.tmp" && mv "$out/.stamp.tmp" "$out/.stamp" # a new file: .deps/ copied with cp -al keep theirs
echo "setup: built Unicorn 2.1.1 with jmck's patches into ${out#$repo/}"
