package jmck.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Which /dev/shm names are a run's directories (jmck-PID-N), whose PID tells whether the run is gone. */
class LocalRunNamesTest {
    @Test
    void ownerPidIsReadFromRunDirectoriesOnly() {
        assertEquals("1234", LocalRun.ownerPid("jmck-1234-0"));
        assertEquals("7", LocalRun.ownerPid("jmck-7-12"));
        for (String other : new String[] {"jmck-1234-1.ram", "jmck-1234", "jmck--1", "jmck-12-", "jmck-x-1", "jmck-1-x",
                "other-1-2", "jmck-1234-1-2", "jmck-"})
            assertNull(LocalRun.ownerPid(other), other);
    }
}
