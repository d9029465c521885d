package jmck.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The processes a test starts and drives itself (a guest that spins until a signal ends it), killed after
 * the test: one a failed test left running would spin on through the rest of the suite. A test class holds
 * one in a field marked {@code @RegisterExtension}.
 */
final class Launched implements AfterEachCallback {
    private final List<Process> processes = new ArrayList<>();

    Process start(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        processes.forEach(Process::destroyForcibly);
        processes.clear();
    }
}
