#!/usr/bin/env bash
# Builds every guest program in src/ three ways, as the tests run them:
#   out/gcc/NAME      gcc -static -O2          (glibc, ET_EXEC)
#   out/gcc-pie/NAME  gcc -static-pie -O2      (glibc, ET_DYN without an interpreter)
#   out/musl/NAME     musl-gcc -static -O2     (musl)
#   out/gcc-dynamic/NAME  gcc -O2, dynamically linked (PIE, glibc's ld-linux-x86-64.so.2), for the
#                     programs listed in $dynamic below, plus two that cannot start: no_interp names an
#                     interpreter that does not exist, no_lib needs a shared library that is gone.
#   out/musl-dynamic/NAME musl-gcc -O2, dynamically linked (musl's loader, /lib/ld-musl-x86_64.so.1)
# A program that needs libc features musl lacks can opt out with a "// guest: glibc-only" line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
mkdir -p "$out/gcc" "$out/gcc-pie" "$out/musl" "$out/gcc-dynamic" "$out/musl-dynamic"

header=$(ls -t "$here"/src/*.h | head -n 1) # the newest shared header: a program is rebuilt when it changes
build() { # build OUT SRC COMPILER FLAGS...
  local dst=$1 src=$2; shift 2
  if [ ! -e "$dst" ] || [ "$src" -nt "$dst" ] || [ "$0" -nt "$dst" ] || [ "$header" -nt "$dst" ]; then
    "$@" -o "$dst" "$src" $(sed -n 's#^// guest-ldflags: ##p' "$src")
  fi
}
for src in "$here"/src/*.c; do
  name=$(basename "$src" .c)
  build "$out/gcc/$name" "$src" gcc -static -O2 -g -Wall
  build "$out/gcc-pie/$name" "$src" gcc -static-pie -fPIE -O2 -g -Wall
  if ! grep -q '^// guest: glibc-only' "$src"; then
    build "$out/musl/$name" "$src" musl-gcc -static -O2 -g -Wall
  fi
done
dynamic=(hello threads procs signals popen maps)
for name in "${dynamic[@]}"; do
  build "$out/gcc-dynamic/$name" "$here/src/$name.c" gcc -O2 -g -Wall
  if ! grep -q '^// guest: glibc-only' "$here/src/$name.c"; then
    build "$out/musl-dynamic/$name" "$here/src/$name.c" musl-gcc -O2 -g -Wall
  fi
done
build "$out/gcc-dynamic/no_interp" "$here/src/hello.c" gcc -O2 -Wl,--dynamic-linker=/nonexistent/ld-linux-x86-64.so.2
if [ ! -e "$out/gcc-dynamic/no_lib" ] || [ "$0" -nt "$out/gcc-dynamic/no_lib" ]; then
  lib=$(mktemp -d)
  echo 'int jmck_gone(void) { return 3; }' > "$lib/gone.c"
  echo 'int jmck_gone(void); int main(void) { return jmck_gone(); }' > "$lib/main.c"
  gcc -shared -fPIC -o "$lib/libjmckgone.so" "$lib/gone.c"
  gcc -O2 -o "$out/gcc-dynamic/no_lib" "$lib/main.c" -L"$lib" -ljmckgone # the library stays behind in $lib
  rm -rf "$lib"
fi
