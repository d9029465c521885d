package jmck.lwk.mm;

import java.nio.charset.StandardCharsets;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.Pte;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.FaultOutcome.Access;

/**
 * User memory as the kernel reaches it (Linux's copy_from_user, copy_to_user, get_user, put_user and
 * strncpy_from_user): each user address is translated through the process's page table, and a page that
 * is not there yet is faulted in where the VMA allows the access, as the CPU would have done. Called with
 * the mm lock held: {@link AddressSpace}'s entry points take it.
 */
final class UserCopy {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    private final AddressSpace as;
    private final PhysicalMemory mem;

    UserCopy(AddressSpace as, PhysicalMemory mem) {
        this.as = as;
        this.mem = mem;
    }

    /**
     * The physical address of user address va, faulting the page in if the VMA allows the access; -1 if
     * it cannot be reached (the syscall then fails with EFAULT).
     */
    long resolve(long va, boolean write) {
        if (!X86.isUserAddress(va) || as.destroyed)
            return -1;
        long pa = PageTable.translate(mem, as.pageTable.root(), va, write);
        if (pa >= 0)
            return pa;
        boolean present = PageTable.translate(mem, as.pageTable.root(), va, false) >= 0;
        FaultOutcome o = as.fault(va, write ? Access.WRITE : Access.READ, present);
        as.reportKernelFault(o);
        return o.resolved() ? PageTable.translate(mem, as.pageTable.root(), va, write) : -1;
    }

    /**
     * The physical address a debugger writes user address va at (ptrace's POKEDATA with FOLL_FORCE): the
     * page is faulted in, and a copy-on-write page (shared after fork, or the page cache's frame of a file)
     * is copied first, even where the VMA is read-only (code), so that the write changes this process
     * alone; the copy keeps the VMA's protection. -1 if va is not mapped.
     */
    long resolveForDebugger(long va) {
        Vma vma = X86.isUserAddress(va) ? as.find(va) : null;
        if (vma == null || resolve(va, false) < 0)
            return -1;
        Walk w = as.pageTable.walk(va);
        if ((w.leaf() & Pte.COW) != 0) {
            FaultOutcome o = PageFaultHandler.breakCopyOnWrite(as, va, vma, w);
            if (!o.resolved())
                return -1;
            if (!vma.writable()) { // the copy is the process's own now, but still not writable by it
                Walk copy = as.pageTable.walk(va);
                long slot = copy.tables()[copy.depth() - 1] + 8L * copy.indices()[copy.depth() - 1];
                mem.putLong(slot, copy.leaf() & ~Pte.RW);
                as.shootdown();
            }
        }
        return PageTable.translate(mem, as.pageTable.root(), va, false);
    }

    /** Copies user memory into dst; throws {@link BadAddressException} if any byte is unreachable. */
    void copyIn(long va, byte[] dst, int off, int len) {
        while (len > 0) {
            long pa = resolveOrThrow(va, false);
            int n = (int) Math.min(len, PAGE - (va & (PAGE - 1)));
            mem.read(pa, dst, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    byte[] copyIn(long va, int len) {
        byte[] b = new byte[len];
        copyIn(va, b, 0, len);
        return b;
    }

    /** Copies src into user memory; throws {@link BadAddressException} if any byte is unreachable or read-only. */
    void copyOut(long va, byte[] src, int off, int len) {
        while (len > 0) {
            long pa = resolveOrThrow(va, true);
            int n = (int) Math.min(len, PAGE - (va & (PAGE - 1)));
            mem.write(pa, src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    void copyOut(long va, byte[] src) {
        copyOut(va, src, 0, src.length);
    }

    /**
     * Copies as much of src[off, off+len) into user memory as can be written before the first page that
     * cannot (copy_to_user's partial copy); returns how many bytes were copied.
     */
    int copyOutPrefix(long va, byte[] src, int off, int len) {
        int done = 0;
        while (done < len) {
            long pa = resolve(va + done, true);
            if (pa < 0)
                break;
            int n = (int) Math.min(len - done, PAGE - ((va + done) & (PAGE - 1)));
            mem.write(pa, src, off + done, n);
            done += n;
        }
        return done;
    }

    long readLong(long va) {
        if ((va & 7) == 0)
            return mem.getLong(resolveOrThrow(va, false));
        byte[] b = copyIn(va, 8);
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    void writeLong(long va, long value) {
        if ((va & 7) == 0) {
            mem.putLong(resolveOrThrow(va, true), value);
            return;
        }
        byte[] b = new byte[8];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(value);
        copyOut(va, b);
    }

    /**
     * Atomically replaces the aligned int at va with update if it holds expect (FUTEX_WAKE_OP's operation on
     * a word that guest code on other cores may change meanwhile, as Linux's futex_atomic_op_inuser).
     */
    boolean compareAndSetInt(long va, int expect, int update) {
        return mem.compareAndSetInt(resolveOrThrow(va, true), expect, update);
    }

    int readInt(long va) {
        if ((va & 3) == 0)
            return mem.getInt(resolveOrThrow(va, false));
        byte[] b = copyIn(va, 4);
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    void writeInt(long va, int value) {
        if ((va & 3) == 0) {
            mem.putInt(resolveOrThrow(va, true), value);
            return;
        }
        byte[] b = new byte[4];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(value);
        copyOut(va, b);
    }

    /** Reads a NUL-terminated string of at most max bytes (without the NUL); ENAMETOOLONG past that. */
    String readCString(long va, int max) {
        return readString(va, max, false);
    }

    /**
     * strncpy_from_user: the string at va up to its NUL or max bytes, whichever comes first; nothing past
     * that is read, so a string cut off by unmapped memory after max bytes is fine.
     */
    String readStringUpTo(long va, int max) {
        return readString(va, max, true);
    }

    private String readString(long va, int max, boolean truncate) {
        byte[] buf = new byte[Math.min(max, 256)];
        int n = 0;
        while (true) {
            long pa = resolveOrThrow(va + n, false);
            int chunk = (int) Math.min(PAGE - ((va + n) & (PAGE - 1)), max - n);
            for (int i = 0; i < chunk; i++) {
                byte c = mem.getByte(pa + i);
                if (c == 0)
                    return new String(buf, 0, n, StandardCharsets.UTF_8);
                if (n == buf.length)
                    buf = java.util.Arrays.copyOf(buf, Math.min(max, buf.length * 2));
                buf[n++] = c;
            }
            if (n >= max) {
                if (truncate)
                    return new String(buf, 0, n, StandardCharsets.UTF_8);
                throw new BadAddressException(Errno.ENAMETOOLONG);
            }
        }
    }

    private long resolveOrThrow(long va, boolean write) {
        long pa = resolve(va, write);
        if (pa < 0)
            throw new BadAddressException(Errno.EFAULT);
        return pa;
    }
}
