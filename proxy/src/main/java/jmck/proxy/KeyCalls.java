package jmck.proxy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallArg;

/**
 * keyctl(2), delegated: keys and keyrings are the host kernel's (add_key and request_key pass by the table
 * alone). What each argument is depends on the operation, so each operation has a description of its
 * arguments in the table's words, and the generic path passes them (strings copied, buffers checked: a bad
 * guest pointer is EFAULT). Every key call runs on one host thread, whose session, process and thread
 * keyrings are therefore those of the guest process and of every process and thread it makes (the proxy
 * serves them all: on Linux a forked child starts without its parent's process keyring, here it shares
 * it). The session keyring of the proxy's parent is not the guest parent's, so KEYCTL_SESSION_TO_PARENT is
 * refused. The public-key and Diffie-Hellman operations, whose
 * arguments are structures of further pointers, are EOPNOTSUPP, as on a kernel built without them.
 */
final class KeyCalls {
    private static final int SESSION_TO_PARENT = 18, INSTANTIATE = 12, INSTANTIATE_IOV = 20, UIO_MAXIOV = 1024;
    private static final List<List<SyscallArg>> OPERATIONS = java.util.Arrays.asList(
            args("d, d, d"),              // 0 GET_KEYRING_ID (id, create)
            args("d, str"),               // 1 JOIN_SESSION_KEYRING (name or NULL)
            args("d, d, in@3, d"),        // 2 UPDATE (id, payload, plen)
            args("d, d"),                 // 3 REVOKE
            args("d, d, d, d"),           // 4 CHOWN (id, uid, gid)
            args("d, d, x"),              // 5 SETPERM
            args("d, d, out@3, d"),       // 6 DESCRIBE (id, buffer, buflen)
            args("d, d"),                 // 7 CLEAR
            args("d, d, d"),              // 8 LINK
            args("d, d, d"),              // 9 UNLINK
            args("d, d, str, str, d"),    // 10 SEARCH (keyring, type, description, destination)
            args("d, d, out@3, d"),       // 11 READ
            args("d, d, in@3, d, d"),     // 12 INSTANTIATE (id, payload, plen, keyring)
            args("d, d, d, d"),           // 13 NEGATE (id, timeout, keyring)
            args("d, d"),                 // 14 SET_REQKEY_KEYRING
            args("d, d, d"),              // 15 SET_TIMEOUT
            args("d, d"),                 // 16 ASSUME_AUTHORITY
            args("d, d, out@3, d"),       // 17 GET_SECURITY
            null,                         // 18 SESSION_TO_PARENT: refused
            args("d, d, d, d, d"),        // 19 REJECT (id, timeout, error, keyring)
            null,                         // 20 INSTANTIATE_IOV: gathered, then INSTANTIATE
            args("d, d"),                 // 21 INVALIDATE
            args("d, d, d"),              // 22 GET_PERSISTENT (uid, keyring)
            null, null, null, null, null, // 23 DH_COMPUTE, 24-28 PKEY_*: EOPNOTSUPP
            null,
            args("d, d, str, str"),       // 29 RESTRICT_KEYRING (keyring, type, restriction)
            args("d, d, d, d, x"),        // 30 MOVE (id, from, to, flags)
            args("d, out@2, d"),          // 31 CAPABILITIES (buffer, buflen)
            args("d, d, dirfd, d"));      // 32 WATCH_KEY (id, watch queue fd or -1, watch id)

    private static List<SyscallArg> args(String text) {
        return SyscallArg.parse(text);
    }

    private final GenericCalls generic;
    private final GuestBuffers mem;

    KeyCalls(GenericCalls generic, GuestBuffers mem) {
        this.generic = generic;
        this.mem = mem;
    }

    private static final int SYS_SETFSUID = 122, SYS_SETFSGID = 123;
    /**
     * The one host thread that makes every key call (see {@link #onKeysThread}), started by the first: a
     * holder class, so that the executor's classes load only in a program that makes one (every worker's
     * set-up paid for them before).
     */
    private static final class KeysThread {
        static final java.util.concurrent.ExecutorService EXECUTOR =
                java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                    java.lang.Thread t = new java.lang.Thread(r, "proxy-keys");
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Makes a key call on the proxy's one keys thread, with the filesystem ids of the calling worker (the
     * guest's: keys belong to the caller's fsuid). Linux keeps a thread's session, process and thread
     * keyrings in that thread's credentials, so calls spread over the proxy's workers saw different
     * keyrings: a session keyring joined through one worker was not the next call's, and a key added to it
     * was unreadable through another worker (EACCES, depending on which one served the call).
     */
    static long onKeysThread(java.util.function.LongSupplier call) {
        int fsuid = (int) HostSyscall.call(SYS_SETFSUID, -1, 0, 0), fsgid = (int) HostSyscall.call(SYS_SETFSGID, -1, 0, 0);
        java.util.concurrent.Future<Long> r = KeysThread.EXECUTOR.submit(() -> {
            HostSyscall.call(SYS_SETFSGID, fsgid, 0, 0);
            HostSyscall.call(SYS_SETFSUID, fsuid, 0, 0);
            return call.getAsLong();
        });
        try {
            return r.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            return -Errno.EINTR;
        }
    }

    long keyctl(long[] a) {
        int op = (int) a[0];
        if (a[0] != op || op < 0 || op >= OPERATIONS.size())
            return -Errno.EOPNOTSUPP;
        if (op == SESSION_TO_PARENT)
            return -Errno.EPERM;
        if (op == INSTANTIATE_IOV)
            return instantiateIov(a);
        List<SyscallArg> args = OPERATIONS.get(op);
        return args == null ? -Errno.EOPNOTSUPP : generic.run(Syscall.KEYCTL, args, a);
    }

    /** KEYCTL_INSTANTIATE_IOV(id, iov, count, keyring): the payload in pieces, which instantiate as one. */
    private long instantiateIov(long[] a) {
        long count = a[3];
        if (count == 0)
            return HostSyscall.call(Syscall.KEYCTL.nr, INSTANTIATE, a[1], 0, 0, a[4], 0);
        if (Long.compareUnsigned(count, UIO_MAXIOV) > 0)
            return -Errno.EINVAL;
        byte[] v = mem.readGuest(a[2], 16 * (int) count);
        if (v == null)
            return -Errno.EFAULT;
        ByteBuffer iov = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        java.io.ByteArrayOutputStream payload = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            long base = iov.getLong(16 * i), len = iov.getLong(16 * i + 8);
            if (len < 0 || payload.size() + len >= 1 << 20) // Linux's limit on a payload: EINVAL
                return -Errno.EINVAL;
            byte[] piece = mem.readGuest(base, (int) len);
            if (piece == null)
                return -Errno.EFAULT;
            payload.writeBytes(piece);
        }
        byte[] b = payload.toByteArray();
        HostBuffer p = mem.arena.allocate(Math.max(b.length, 1));
        p.write(0, b, 0, b.length);
        return HostSyscall.call(Syscall.KEYCTL.nr, INSTANTIATE, a[1], p.address(), b.length, a[4], 0);
    }
}
