package jmck.ihk.ikc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
