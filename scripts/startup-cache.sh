#!/usr/bin/env bash
# Makes the start-up cache that the ./jmck launcher uses while it is newer than the jar (scripts/setup.sh
# runs this after building; bench/run.sh when the jar is newer): JNA's native library unpacked once (JNA
# otherwise unpacks it from the jar at every start), and a class-data archive (AppCDS) of the classes a
# training run loads: a busybox shell that reads a file (the LWK's direct reads), forks, execs and pipes,
# starts a dynamically linked program (the first file mmap of every such program paid 6-9 ms for classes
# loaded from the jar otherwise) and reads /proc files, run with --timings as bench/run.sh runs hello; then
# an OpenMP program on two cores, for what parallel mode loads (its core threads' classes, and the
# method-handle forms of its lambdas: without them the JVM generated four such classes and three lambda
# classes while OpenMP CG started and ended, a millisecond or more each). A static archive, made from the
# training runs' class lists, that holds the JDK's classes too and replaces the JDK's own at run time: one
# archive instead of the JDK's plus a dynamic one (-XX:ArchiveClassesAtExit) saved hello 6 ms of wall and
# 8 of CPU time (30 alternated runs each, twice).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/proxy/target"
rm -rf "$target/jna" "$target/jmck.jsa"
mkdir -p "$target/jna"
(cd "$target/jna" && jar xf ../jmck.jar com/sun/jna/linux-x86-64/libjnidispatch.so \
   && mv com/sun/jna/linux-x86-64/libjnidispatch.so . && rm -rf com)
list="$target/jmck.classlist"
train() { # class list file, then jmck's arguments
  local out=$1
  shift
  java -XX:DumpLoadedClassList="$out" -Xlog:all=off -XX:+UseG1GC -XX:TieredStopAtLevel=1 \
    -Djna.boot.library.path="$target/jna" -Djmck.root="$root" -cp "$target/jmck.jar" jmck.cli.Main "$@" > /dev/null 2>&1
}
# One list from two: the second run's classes and lines that the first lacks (each class once; its id
# moved out of the first list's range, as ids must differ).
merge() {
  awk 'FNR == NR { print; if ($2 == "id:") seen[$1] = 1; else seen[$0] = 1; next }
       /^#/ || / super: / { next }
       $2 == "id:" { if (!($1 in seen)) { seen[$1] = 1; sub(/ id: [0-9]+/, " id: " ($3 + 1000000)); print }; next }
       !($0 in seen) { seen[$0] = 1; print }' "$1" "$2"
}
omp="$root/guest-images/out/gcc/omp"
if train "$list" run --timings /bin/busybox sh -c "md5sum '$target/jmck.jar'; echo hello | cat; /bin/true; date > /dev/null; cat /proc/self/status /proc/self/maps > /dev/null"; then
  if [ -x "$omp" ] && OMP_NUM_THREADS=2 train "$list.2" run --cores 2 "$omp" 200000; then
    merge "$list" "$list.2" > "$list.both" && mv "$list.both" "$list"
  fi
  java -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$target/jmck.jsa" -XX:+UseG1GC \
       -Xlog:all=off -cp "$target/jmck.jar" > /dev/null 2>&1 \
    || echo "startup-cache: no class-data archive (jmck starts slower)"
else
  echo "startup-cache: no class-data archive (jmck starts slower)"
fi
rm -f "$list" "$list.2" "$list.both"
