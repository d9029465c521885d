package jmck.ihk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host kernel's view of a host thread (a proxy worker): whether it sleeps, from /proc/PID/task/TID/stat. */
final class HostThreadState {
    private HostThreadState() {}

    /** Whether thread tid of process pid sleeps (S) or waits uninterruptibly (D); false if it is gone. */
    static boolean sleeping(long pid, int tid) {
        try {
            String stat = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/task/" + tid + "/stat")), StandardCharsets.US_ASCII);
            int paren = stat.lastIndexOf(')'); // the name before it may hold spaces and parentheses
            char state = paren >= 0 && paren + 2 < stat.length() ? stat.charAt(paren + 2) : '?';
            return state == 'S' || state == 'D';
        } catch (IOException e) {
            return false;
        }
    }
}
