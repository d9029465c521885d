#!/usr/bin/env bash
# Makes the start-up cache that the ./jmck launcher uses while it is newer than the jar (scripts/setup.sh
# runs this after building; bench/run.sh when the jar is newer): JNA's native library unpacked once (JNA
# otherwise unpacks it from the jar at every start), and a class-data archive (AppCDS) of the classes a
# training run loads: a busybox shell that reads a file (the LWK's direct reads), forks, execs and pipes,
# starts a dynamically linked program (the first file mmap of every such program paid 6-9 ms for classes
# loaded from the jar otherwise) and reads /proc files, run with --timings as bench/run.sh runs hello. A
# static archive, made from the training run's class list, that holds the JDK's classes too and replaces the
# JDK's own at run time: one archive instead of the JDK's plus a dynamic one (-XX:ArchiveClassesAtExit)
# saved hello 6 ms of wall and 8 of CPU time (30 alternated runs each, twice).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target="$root/proxy/target"
rm -rf "$target/jna" "$target/jmck.jsa"
mkdir -p "$target/jna"
(cd "$target/jna" && jar xf ../jmck.jar com/sun/jna/linux-x86-64/libjnidispatch.so \
   && mv com/sun/jna/linux-x86-64/libjnidispatch.so . && rm -rf com)
list="$target/jmck.classlist"
java -XX:DumpLoadedClassList="$list" -Xlog:all=off -XX:+UseG1GC -XX:TieredStopAtLevel=1 \
  -Djna.boot.library.path="$target/jna" -Djmck.root="$root" -cp "$target/jmck.jar" jmck.cli.Main \
  run --timings /bin/busybox sh -c "md5sum '$target/jmck.jar'; echo hello | cat; /bin/true; cat /proc/self/status /proc/self/maps > /dev/null" > /dev/null 2>&1 \
  && java -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$target/jmck.jsa" -XX:+UseG1GC \
       -Xlog:all=off -cp "$target/jmck.jar" > /dev/null 2>&1 \
  || echo "startup-cache: no class-data archive (jmck starts slower)"
rm -f "$list"
