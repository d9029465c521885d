#!/usr/bin/env bash
# Builds every guest program in src/ three ways, as the tests run them:
#   out/gcc/NAME      gcc -static -O2          (glibc, ET_EXEC)
#   out/gcc-pie/NAME  gcc -static-pie -O2      (glibc, ET_DYN without an interpreter)
#   out/musl/NAME     musl-gcc -static -O2     (musl)
# plus out/gcc-dynamic/hello, a dynamically linked ELF that jmck must refuse.
# A program that needs libc features musl lacks can opt out with a "// guest: glibc-only" line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
mkdir -p "$out/gcc" "$out/gcc-pie" "$out/musl" "$out/gcc-dynamic"

build() { # build OUT SRC COMPILER FLAGS...
  local dst=$1 src=$2; shift 2
  if [ ! -e "$dst" ] || [ "$src" -nt "$dst" ] || [ "$0" -nt "$dst" ] || [ "$here/src/errname.h" -nt "$dst" ]; then
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
build "$out/gcc-dynamic/hello" "$here/src/hello.c" gcc -O2
