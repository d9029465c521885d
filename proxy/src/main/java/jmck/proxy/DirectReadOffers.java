package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.ikc.IkcChannel;

/**
 * The proxy's half of the LWK's direct reads (jmck.ihk.DirectReads): after a read of a guest fd that is a
 * regular file on a local file system, the answer offers the host fd, so the LWK can take its own
 * descriptor of the same open file and serve the next reads without crossing. Pipes, terminals, sockets,
 * devices, generated files and files on pseudo or network file systems are never offered. One per worker.
 */
final class DirectReadOffers {
    private static final int SYS_FSTAT = 5, SYS_FSTATFS = 138, S_IFMT = 0170000, S_IFREG = 0100000;
    /**
     * File systems whose regular files read like memory: never block for long, no side effects (statfs
     * f_type): ext2/3/4, tmpfs, xfs, btrfs, overlayfs, ramfs, f2fs, squashfs, iso9660, zfs.
     */
    private static final long[] LOCAL = {0xEF53, 0x01021994, 0x58465342, 0x9123683EL, 0x794C7630, 0x858458F6L,
            0xF2F52010L, 0x73717368, 0x9660, 0x2FC12FC1};
    private final HostBuffer buffer = HostBuffer.allocate(144);

    /** Offers guest fd's host file in the answer in slot, if the LWK wants offers and the file qualifies. */
    void offer(IkcChannel channel, int slot, FdTable fds, long guestFd) {
        if (!channel.directReads())
            return;
        int generation = channel.fdGeneration(); // before the lookup: a change after it shows in the generation
        int h = fds.plainHost(guestFd);
        if (h >= 0 && readsLikeMemory(h))
            channel.offer(slot, h, generation);
    }

    private boolean readsLikeMemory(int h) {
        long b = buffer.address();
        if (HostSyscall.call(SYS_FSTAT, h, b, 0) < 0 || (buffer.getInt(24) & S_IFMT) != S_IFREG) // st_mode
            return false;
        if (HostSyscall.call(SYS_FSTATFS, h, b, 0) < 0)
            return false;
        long type = buffer.getLong(0); // f_type
        for (long t : LOCAL)
            if (type == t)
                return true;
        return false;
    }
}
