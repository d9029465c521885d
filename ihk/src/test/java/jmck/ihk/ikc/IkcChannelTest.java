package jmck.ihk.ikc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channel's slot protocol under contention, as several LWK cores and several proxy workers will use it:
 * every request is reserved by one poster, claimed by one worker, and its answer taken by exactly one of
 * the parties that race for it; nothing is lost or answered twice.
 */
class IkcChannelTest {
    @Test
    void everyRequestIsAnsweredOnceWithManyPostersWorkersAndTakers(@TempDir Path dir) throws Exception {
        int slots = 8, posters = 4, workers = 3, perPoster = 3000;
        IkcChannel lwk = IkcChannel.create(dir.resolve("ikc.1"), slots);
        IkcChannel proxy = IkcChannel.open(dir.resolve("ikc.1"));
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentHashMap<Long, Long> answers = new ConcurrentHashMap<>();
        AtomicInteger doubleAnswers = new AtomicInteger(), claims = new AtomicInteger();
        long[] tagOfSlot = new long[slots]; // written by the poster that reserved the slot, before publishing
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++)
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    int i = proxy.claim();
                    if (i < 0) {
                        Thread.onSpinWait();
                        continue;
                    }
                    claims.incrementAndGet();
                    proxy.respond(i, proxy.arg(i, 0) * 2 + proxy.number(i));
                }
            }));
        // A core that polls every slot, racing the posters for their answers (as the tick does).
        Runnable take = () -> {
            for (int i = 0; i < slots; i++)
                if (lwk.state(i) == IkcChannel.RESPONSE && lwk.takeResponse(i)) {
                    long tag = tagOfSlot[i];
                    if (answers.put(tag, lwk.result(i)) != null)
                        doubleAnswers.incrementAndGet();
                    lwk.free(i);
                }
        };
        Thread poller = new Thread(() -> {
            while (!stop.get())
                take.run();
        });
        List<Thread> posting = new ArrayList<>();
        for (int p = 0; p < posters; p++) {
            int poster = p;
            posting.add(new Thread(() -> {
                for (int n = 0; n < perPoster; n++) {
                    long tag = (long) poster << 32 | n;
                    int i;
                    while ((i = lwk.reserve()) < 0)
                        take.run(); // all busy: help take answers, as a blocked core would tick
                    tagOfSlot[i] = tag;
                    lwk.publish(i, poster, tag, 7, new long[] {tag, 0, 0, 0, 0, 0}, 022, 1024, 0, 0);
                    while (!answers.containsKey(tag))
                        take.run();
                }
            }));
        }
        threads.forEach(Thread::start);
        poller.start();
        posting.forEach(Thread::start);
        for (Thread t : posting)
            t.join(120_000);
        stop.set(true);
        for (Thread t : threads)
            t.join(10_000);
        poller.join(10_000);
        assertEquals(posters * perPoster, answers.size());
        assertEquals(0, doubleAnswers.get());
        assertEquals(posters * perPoster, claims.get(), "each request claimed once");
        answers.forEach((tag, r) -> assertEquals(tag * 2 + 7, (long) r, "answer of " + tag));
        for (int i = 0; i < slots; i++)
            assertEquals(IkcChannel.FREE, lwk.state(i));
    }

    @Test
    void aCallBackIsServedByOneCore(@TempDir Path dir) throws Exception {
        IkcChannel lwk = IkcChannel.create(dir.resolve("ikc.2"), 4);
        Doorbell bell = Doorbell.create(dir.resolve("bell"));
        IkcChannel proxy = IkcChannel.open(dir.resolve("ikc.2"));
        int i = lwk.reserve();
        lwk.publish(i, 1, 1, 0, new long[6], 0, 0, 0, 0);
        assertEquals(i, proxy.claim());
        AtomicInteger served = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> cores = new ArrayList<>();
        for (int c = 0; c < 3; c++)
            cores.add(new Thread(() -> {
                while (!stop.get())
                    if (lwk.takeCallBack(i)) {
                        served.incrementAndGet();
                        lwk.answerCallBack(i, 0x1000L * lwk.callbackKind(i) + lwk.callbackArgument(i));
                    }
            }));
        cores.forEach(Thread::start);
        for (int n = 0; n < 2000; n++)
            assertEquals(0x1000L * IkcChannel.CALLBACK_FAULT_WRITE + n, proxy.requestFault(i, n, true, bell));
        stop.set(true);
        for (Thread t : cores)
            t.join(10_000);
        assertEquals(2000, served.get());
    }

    /**
     * A worker spinning for requests sees a post itself: the post must not also wake a sleeping worker
     * (which would find the request claimed, having cost the poster a futex call and the host a third
     * runnable thread). With nobody spinning, a post wakes one sleeper.
     */
    @Test
    void aPostWakesASleepingWorkerOnlyWhileNoWorkerSpins(@TempDir Path dir) throws Exception {
        IkcChannel lwk = IkcChannel.create(dir.resolve("ikc.3"), 4);
        IkcChannel proxy = IkcChannel.open(dir.resolve("ikc.3"));
        assertTrue(proxy.startSpinning());
        assertFalse(proxy.startSpinning(), "one spinner at a time");
        java.util.concurrent.CountDownLatch woke = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger tid = new AtomicInteger();
        int seen = proxy.requestCount();
        Thread sleeper = new Thread(() -> {
            tid.set((int) jmck.emulator.host.HostSyscall.call(jmck.emulator.host.HostSyscall.SYS_GETTID, 0, 0, 0));
            proxy.awaitRequest(seen, 60_000_000_000L);
            woke.countDown();
        });
        sleeper.start();
        awaitFutexSleep(tid);
        int i = lwk.reserve();
        lwk.publish(i, 1, 1, 0, new long[6], 0, 0, 0, 0);
        assertFalse(woke.await(300, java.util.concurrent.TimeUnit.MILLISECONDS), "woken although a worker spins");
        assertEquals(i, proxy.claim()); // the spinner takes it
        proxy.stopSpinning();
        int j = lwk.reserve();
        lwk.publish(j, 1, 2, 0, new long[6], 0, 0, 0, 0);
        assertTrue(woke.await(30, java.util.concurrent.TimeUnit.SECONDS), "nobody spins: the sleeper is woken");
        sleeper.join(10_000);
    }

    /**
     * An answer the posting core still spins for needs no ring of the LWK's doorbell (the ring woke the
     * instance's event loop, a third runnable thread beside the spinning core and the worker, for every
     * call); one whose poster stopped spinning does, or its blocked thread would wait for the next tick.
     */
    @Test
    void anAnswerRingsTheLwkOnlyWhenItsPosterNoLongerSpins(@TempDir Path dir) {
        IkcChannel lwk = IkcChannel.create(dir.resolve("ikc.4"), 4);
        IkcChannel proxy = IkcChannel.open(dir.resolve("ikc.4"));
        int i = lwk.reserve();
        lwk.publish(i, 1, 1, 0, new long[6], 0, 0, 0, 0);
        assertEquals(i, proxy.claim());
        assertFalse(proxy.respond(i, 5), "the poster spins for it: no ring");
        assertTrue(lwk.takeResponse(i));
        lwk.free(i);
        int j = lwk.reserve();
        lwk.publish(j, 1, 2, 0, new long[6], 0, 0, 0, 0);
        lwk.answers().stop(j); // the poster gave up spinning and blocked its thread
        assertEquals(j, proxy.claim());
        assertTrue(proxy.respond(j, 6), "nobody spins for it: ring");
    }

    /**
     * A poster asleep for its answer on the slot (a core with nothing else to run, jmck.ihk.CoreAnswerSleep) is
     * woken by the worker's answer itself, which then rings no doorbell; wake (a kick of its core)
     * ends the sleep without an answer.
     */
    @Test
    void aSleepingPosterIsWokenByTheAnswerOrByAKick(@TempDir Path dir) throws Exception {
        IkcChannel lwk = IkcChannel.create(dir.resolve("ikc.5"), 4);
        IkcChannel proxy = IkcChannel.open(dir.resolve("ikc.5"));
        int i = lwk.reserve();
        lwk.publish(i, 1, 1, 0, new long[6], 0, 0, 0, 0);
        AtomicInteger tid = new AtomicInteger();
        AtomicReference<Boolean> answered = new AtomicReference<>();
        Thread poster = sleepFor(lwk, i, tid, answered);
        awaitFutexSleep(tid);
        assertEquals(i, proxy.claim());
        assertFalse(proxy.respond(i, 7), "the poster is woken on the slot: no ring");
        poster.join(30_000);
        assertEquals(Boolean.TRUE, answered.get());
        lwk.answers().stop(i);
        assertTrue(lwk.takeResponse(i));
        lwk.free(i);

        int j = lwk.reserve();
        lwk.publish(j, 1, 2, 0, new long[6], 0, 0, 0, 0);
        tid.set(0);
        answered.set(null);
        Thread kicked = sleepFor(lwk, j, tid, answered);
        awaitFutexSleep(tid);
        lwk.answers().wake(j);
        kicked.join(30_000);
        assertEquals(Boolean.FALSE, answered.get(), "a kick ends the sleep without an answer");
        lwk.answers().stop(j); // the poster blocks its thread: the answer now rings
        assertEquals(j, proxy.claim());
        assertTrue(proxy.respond(j, 8));
    }

    /** Starts a thread that sleeps on slot's answer, as a core does; it leaves its host tid, then what sleep said. */
    private static Thread sleepFor(IkcChannel lwk, int slot, AtomicInteger tid, AtomicReference<Boolean> answered) {
        Thread t = new Thread(() -> {
            tid.set((int) jmck.emulator.host.HostSyscall.call(jmck.emulator.host.HostSyscall.SYS_GETTID, 0, 0, 0));
            lwk.answers().markAsleep(slot);
            answered.set(lwk.answers().sleep(slot, 60_000_000_000L));
        });
        t.start();
        return t;
    }

    /** Waits until the thread with host tid sleeps in the kernel on a futex. */
    private static void awaitFutexSleep(AtomicInteger tid) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (tid.get() != 0) {
                Path task = Path.of("/proc/self/task/" + tid.get());
                String wchan = java.nio.file.Files.readString(task.resolve("wchan"));
                String stat = java.nio.file.Files.readString(task.resolve("stat"));
                if (wchan.contains("futex") && stat.substring(stat.lastIndexOf(')') + 2).startsWith("S"))
                    return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the sleeper never slept");
    }

    @Test
    void ikcCallNumbersMapBothWays() {
        for (IkcCall c : IkcCall.values())
            assertSame(c, IkcCall.of(c.number));
        assertNull(IkcCall.of(0)); // read
        assertNull(IkcCall.of(IkcCall.OPEN_GENERATED.number - 1));
        assertNull(IkcCall.of(IkcCall.values()[IkcCall.values().length - 1].number + 1));
        assertTrue(IkcCall.OPEN_GENERATED.number > 1000, "above every syscall number");
    }
}
