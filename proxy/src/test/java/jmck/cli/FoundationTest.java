package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Issue 3: real static binaries on the LWK, compared with the same binaries run natively. */
class FoundationTest {
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void helloPrintsHelloLikeNative(String flavor) {
        String prog = Guests.guest(flavor, "hello").toString();
        Guests.Result r = Guests.jmck("run", prog);
        assertEquals("hello\n", r.stdout());
        r.assertSameAs(Guests.host(prog));
    }

    @Test
    void busyboxEchoes() {
        Guests.Result r = Guests.jmck("run", "/bin/busybox", "echo", "hi");
        assertEquals("hi\n", r.stdout());
        assertEquals(0, r.status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "42", "255"})
    void exitStatusPassesThrough(String code) {
        for (String flavor : Guests.FLAVORS) {
            String prog = Guests.guest(flavor, "exit_with").toString();
            Guests.Result r = Guests.jmck("run", prog, code);
            assertEquals(Integer.parseInt(code), r.status(), flavor);
            r.assertSameAs(Guests.host(prog, code));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void nullDereferenceEndsWithSigsegvLikeLinux(String flavor) {
        String prog = Guests.guest(flavor, "null_deref").toString();
        Guests.Result r = Guests.jmck("run", prog);
        assertEquals(139, r.status());
        assertTrue(r.stderr().contains("SIGSEGV") && r.stderr().contains("address 0x0"), r.stderr());
        r.assertSameAs(Guests.host(prog));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void argumentsEnvironmentAndAuxvMatchLinux(String flavor) {
        String prog = Guests.guest(flavor, "args").toString();
        Map<String, String> env = Map.of("JMCK_TEST_A", "one", "JMCK_TEST_B", "two words");
        Guests.Result r = Guests.jmck(env, null, "run", prog, "first", "second arg", "");
        r.assertSameAs(Guests.host(env, null, prog, "first", "second arg", ""));
        assertTrue(r.stdout().contains("env JMCK_TEST_B=two words"), r.stdout());
    }

    @Test
    void unimplementedSyscallIsEnosysAndLoggedOnceByName() {
        for (String flavor : Guests.FLAVORS) {
            String prog = Guests.guest(flavor, "enosys").toString();
            Guests.Result r = Guests.jmck("run", prog);
            r.assertSameAs(Guests.host(prog));
            assertTrue(r.stdout().contains("Function not implemented"), r.stdout());
            assertEquals(1, r.stderr().split("not implemented", -1).length - 1, r.stderr());
        }
    }

    @Test
    void syscallTraceShowsArgumentsResultsAndWhereEachRan() {
        Guests.Result r = Guests.jmck("run", "--trace", "syscalls", Guests.guest("gcc", "hello").toString());
        assertEquals("hello\n", r.stdout());
        // a delegated call the core waited for, or one whose thread blocked and was resumed later
        assertTrue(r.stderr().contains("] write(1, \"hello\\n\", 6) = 6 <host>")
                || r.stderr().contains("] write(1, \"hello\\n\", 6) <unfinished ...> <host>")
                && r.stderr().contains("] <... write resumed> = 6"), r.stderr());
        assertTrue(r.stderr().contains("] brk(NULL) = 0x"), r.stderr());
        assertTrue(r.stderr().lines().anyMatch(l -> l.contains("arch_prctl(") && !l.contains("<host>")), r.stderr());
        assertTrue(r.stderr().contains("] exit_group(0) = ?"), r.stderr());
    }

    @Test
    void plainRunInstallsNoBlockHook() {
        Guests.Result r = Guests.jmck("run", "--verbose", Guests.guest("gcc", "hello").toString());
        assertEquals(0, r.status());
        assertTrue(r.stderr().contains("booted"), r.stderr());
        assertFalse(r.stderr().contains("block hook"), r.stderr());
    }
}
