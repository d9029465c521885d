package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;

/**
 * The effective capabilities of the calling host thread, which capset changes for that thread alone. A
 * worker takes on the guest's for a call, as it takes on the guest's filesystem ids, so that the host
 * refuses what Linux would refuse the guest (mount, swapon, sethostname, settimeofday, chroot... as a guest
 * that dropped root or a capability: they succeeded, the proxy having them all), in Linux's order of checks.
 * The permitted set stays the proxy's, so that the worker can take its own back.
 */
final class ThreadCapabilities {
    private static final int SYS_CAPGET = 125, SYS_CAPSET = 126, LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    /** The proxy's own sets, as every thread of it starts with them. */
    static final long OWN_EFFECTIVE, OWN_PERMITTED, OWN_INHERITABLE;

    static {
        long[] own = new ThreadCapabilities().get();
        OWN_EFFECTIVE = own[0];
        OWN_PERMITTED = own[1];
        OWN_INHERITABLE = own[2];
    }

    private final HostBuffer header = HostBuffer.allocate(8), data = HostBuffer.allocate(24); // two struct __user_cap_data_struct

    /** This thread's effective, permitted and inheritable sets. */
    private long[] get() {
        header.setInt(0, LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, 0);
        data.clear();
        HostSyscall.call(SYS_CAPGET, header.address(), data.address(), 0);
        long[] sets = new long[3];
        for (int s = 0; s < 3; s++)
            sets[s] = (data.getInt(4 * s) & 0xffffffffL) | (data.getInt(12 + 4 * s) & 0xffffffffL) << 32;
        return sets;
    }

    /** Makes effective (within the proxy's permitted set) this thread's effective set. */
    void setEffective(long effective) {
        long[] sets = {effective & OWN_PERMITTED, OWN_PERMITTED, OWN_INHERITABLE};
        header.setInt(0, LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, 0);
        for (int s = 0; s < 3; s++) {
            data.setInt(4 * s, (int) sets[s]);
            data.setInt(12 + 4 * s, (int) (sets[s] >>> 32));
        }
        HostSyscall.call(SYS_CAPSET, header.address(), data.address(), 0);
    }
}
