package jmck.proxy;

import java.util.List;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallArg;

/**
 * The new mount API's calls whose arguments depend on another argument, delegated like mount(2): mounts
 * are the host's. fsconfig's value and aux mean what its command says (a string, a binary blob of aux bytes,
 * a path relative to the directory fd aux, an fd); statmount's and listmount's request is a structure whose
 * size is in its first word. The other calls of the API (fsopen, fsmount, fspick, open_tree, move_mount,
 * mount_setattr) pass by the table alone. fds are passed as dirfd arguments, so that a guest fd that is not
 * open reaches the host as one that is not either, and the host checks the arguments in Linux's order.
 */
final class MountCalls {
    private static final List<List<SyscallArg>> FSCONFIG_COMMANDS = List.of(
            args("dirfd, d, str, x, d"),      // 0 SET_FLAG (key; value and aux must be 0)
            args("dirfd, d, str, str, d"),    // 1 SET_STRING
            args("dirfd, d, str, in@4, d"),   // 2 SET_BINARY (aux bytes)
            args("dirfd, d, str, path, dirfd"), // 3 SET_PATH (relative to the fd aux)
            args("dirfd, d, str, path, dirfd"), // 4 SET_PATH_EMPTY
            args("dirfd, d, str, x, dirfd"),  // 5 SET_FD (the fd aux)
            args("dirfd, d, x, x, d"),        // 6 CMD_CREATE (key and value must be NULL: not read)
            args("dirfd, d, x, x, d"),        // 7 CMD_RECONFIGURE
            args("dirfd, d, x, x, d"));       // 8 CMD_CREATE_EXCL
    private static final int MNT_ID_REQ_SIZE_VER0 = 24;

    private static List<SyscallArg> args(String text) {
        return SyscallArg.parse(text);
    }

    private final GenericCalls generic;
    private final GuestBuffers mem;

    MountCalls(GenericCalls generic, GuestBuffers mem) {
        this.generic = generic;
        this.mem = mem;
    }

    long fsconfig(long[] a) {
        int cmd = (int) a[1];
        if (a[1] != cmd || cmd < 0 || cmd >= FSCONFIG_COMMANDS.size())
            return -Errno.EOPNOTSUPP;
        return generic.run(Syscall.FSCONFIG, FSCONFIG_COMMANDS.get(cmd), a);
    }

    /**
     * statmount(req, buf, bufsize, flags) and listmount(req, ids, count, flags): the request is copied by
     * the size in its first word, checked as Linux's copy_mnt_id_req does; the rest as the table says.
     */
    long mountInfo(Syscall call, long[] a) {
        byte[] size = mem.readGuest(a[0], 4);
        if (size == null)
            return -Errno.EFAULT;
        long n = (size[0] & 0xffL) | (size[1] & 0xffL) << 8 | (size[2] & 0xffL) << 16 | (size[3] & 0xffL) << 24;
        if (n > GuestBuffers.PAGE)
            return -Errno.E2BIG;
        if (n < MNT_ID_REQ_SIZE_VER0)
            return -Errno.EINVAL;
        String rest = call == Syscall.STATMOUNT ? "out@2, d, x" : "out@2*8, d, x";
        return generic.run(call, args("in:" + n + ", " + rest), a);
    }
}
