package jmck.proxy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Keeps a guest away from emulated physical memory by way of the host's files. Every instance's memory is
 * a file in /dev/shm (jmck-*.ram) that the instance's daemon, and each mcexec, maps; a guest reaches host
 * files with its proxy's rights, so without this check it could open another instance's memory (or its
 * own, behind the LWK's back) and read or write it. The check looks at what a new descriptor really is,
 * after the host opened it, so that symbolic links, hard links and /proc/self/fd paths do not get around
 * it. The processes' memory files in /proc (mem, map_files) are refused for the same reason.
 */
final class MachineMemoryFiles {
    private static final Path SHM = Paths.get("/dev/shm");

    private MachineMemoryFiles() {}

    /**
     * Whether target is /proc/PID/mem or /proc/PID/map_files[/...], or the same under task/TID/. (By hand:
     * as a regular expression it was the run's first, 3-7 ms at the first file a program opened.)
     */
    static boolean isProcessMemory(String target) {
        if (!target.startsWith("/proc/"))
            return false;
        int at = afterDigitsAndSlash(target, 6);
        if (at < 0)
            return false;
        if (target.startsWith("task/", at) && (at = afterDigitsAndSlash(target, at + 5)) < 0)
            return false;
        String rest = target.substring(at);
        return rest.equals("mem") || rest.equals("map_files") || rest.startsWith("map_files/");
    }

    /** The index after one or more digits at from and the slash after them, or -1. */
    private static int afterDigitsAndSlash(String s, int from) {
        int i = from;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9')
            i++;
        return i > from && i < s.length() && s.charAt(i) == '/' ? i + 1 : -1;
    }

    /** Whether the host descriptor (just opened for a guest) is emulated memory or a process's memory. */
    static boolean isMemory(int hostFd) {
        Path fd = Paths.get("/proc/self/fd", Integer.toString(hostFd));
        String target;
        try {
            target = Files.readSymbolicLink(fd).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return false; // not a file with a name (a pipe or socket has one too, so this is rare)
        }
        if (isProcessMemory(target))
            return true;
        if (!target.startsWith("/dev/shm/"))
            return false; // a hard link lives on the same file system, and /dev/shm is one
        try {
            Map<String, Object> opened = Files.readAttributes(fd, "unix:dev,ino");
            try (DirectoryStream<Path> ram = Files.newDirectoryStream(SHM, "jmck-*.ram")) {
                for (Path f : ram) {
                    Map<String, Object> a = Files.readAttributes(f, "unix:dev,ino");
                    if (a.get("ino").equals(opened.get("ino")) && a.get("dev").equals(opened.get("dev")))
                        return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
