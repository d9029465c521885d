package jmck.ihk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import jmck.ihk.ikc.IkcFiles;
import jmck.lwk.abi.Errno;

/**
 * Files the LWK makes for the proxy, named by token (IkcFiles.generated, IkcFiles.written): the contents of
 * a /proc file, produced when the guest first uses its fd (the proxy's CALLBACK_GENERATE), what the guest
 * wrote to a writable one (CALLBACK_WRITE), and the host path of a PATH_CALL. Linux's seq_files, across
 * two processes.
 */
final class GeneratedFiles {
    private final IkcFiles files;
    private final AtomicLong tokens = new AtomicLong();
    /** Contents not yet asked for, by token. */
    private final Map<Long, Supplier<byte[]>> contents = new ConcurrentHashMap<>();
    /** What takes the writes to a writable generated file, by token; kept while its process lives. */
    private final Map<Long, ToLongFunction<byte[]>> writers = new ConcurrentHashMap<>();

    GeneratedFiles(IkcFiles files) {
        this.files = files;
    }

    /** A new file whose contents come from contents when asked for, and whose writes (if writer) go to writer: its token. */
    long add(Supplier<byte[]> contents, ToLongFunction<byte[]> writer) {
        long token = tokens.incrementAndGet();
        this.contents.put(token, contents);
        if (writer != null)
            writers.put(token, writer);
        return token;
    }

    /** A file holding text now (a PATH_CALL's description): its token, or -ENOMEM if it cannot be written. */
    long withText(String text) {
        long token = tokens.incrementAndGet();
        try {
            Files.writeString(files.generated(token), text);
        } catch (IOException e) {
            return -Errno.ENOMEM;
        }
        return token;
    }

    /** The proxy asks for token's contents (CALLBACK_GENERATE): writes them out; 0, or -1 if unknown or unwritable. */
    long generate(long token) {
        Supplier<byte[]> c = contents.remove(token);
        if (c == null)
            return -1;
        try {
            Files.write(files.generated(token), c.get());
            return 0;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The proxy hands over what the guest wrote to token's file (CALLBACK_WRITE): the writer's result, or -errno. */
    long written(long token) {
        ToLongFunction<byte[]> writer = writers.get(token);
        Path f = files.written(token);
        long r = -Errno.EIO;
        if (writer != null)
            try {
                r = writer.applyAsLong(Files.readAllBytes(f));
            } catch (IOException e) {
                r = -Errno.EIO;
            }
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // the directory goes at shutdown
        }
        return r;
    }

    /** A process ended: its writable files take no more writes. */
    void forgetWriters(List<Long> tokens) {
        for (Long t : tokens) // (a loop: linking writers::remove cost every process's end 0.5 ms)
            writers.remove(t);
    }
}
