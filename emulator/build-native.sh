#!/usr/bin/env bash
# Compiles the native hook library (src/main/c/jmck_uc.c, host_cpus.c, and jmck_uc_jni.c: the JNI binding of it
# and of libunicorn) against the project-local Unicorn 2.1.1, and the host system call library
# (src/main/c/jmck_host.c), which needs only the JDK's jni.h.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deps="$here/../.deps/root"
lib="$deps/usr/lib/x86_64-linux-gnu"
if [ ! -e "$deps/usr/include/unicorn/unicorn.h" ]; then
  echo "emulator: Unicorn 2.1.1 headers missing in .deps/: run scripts/setup.sh first" >&2
  exit 1
fi
out="$here/target/native"
mkdir -p "$out"
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
src=("$here"/src/main/c/jmck_uc.c "$here"/src/main/c/host_cpus.c "$here"/src/main/c/jmck_uc_jni.c)
newer=$(find "${src[@]}" "$here"/src/main/c/*.h "$0" -newer "$out/libjmckuc.so" 2>/dev/null || true)
if [ ! -e "$out/libjmckuc.so" ] || [ -n "$newer" ]; then
  gcc -O2 -g -Wall -Wextra -Wno-unused-parameter -shared -fPIC -I"$deps/usr/include" \
      -I"$jdk/include" -I"$jdk/include/linux" "${src[@]}" \
      -L"$lib" -lunicorn -Wl,-rpath,"$lib" -o "$out/libjmckuc.so"
fi
host="$here/src/main/c/jmck_host.c"
if [ ! -e "$out/libjmckhost.so" ] || [ "$host" -nt "$out/libjmckhost.so" ] || [ "$0" -nt "$out/libjmckhost.so" ]; then
  gcc -O2 -g -Wall -Wextra -Wno-unused-parameter -shared -fPIC -I"$jdk/include" -I"$jdk/include/linux" "$host" -o "$out/libjmckhost.so"
fi
