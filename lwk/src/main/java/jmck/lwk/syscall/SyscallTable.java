package jmck.lwk.syscall;


/** Registers the handlers of every LOCAL syscall, one subsystem class at a time. */
public final class SyscallTable {
    private SyscallTable() {}

    public static void registerAll(SyscallDispatcher d, SyscallContext k) {
        new MemorySyscalls(k).register(d);
        new MemoryPolicySyscalls().register(d);
        TimerSyscalls timers = new TimerSyscalls(k);
        timers.register(d);
        new ProcessSyscalls(k, timers).register(d);
        new TaskSyscalls(k, timers).register(d);
        new FutexSyscalls(k).register(d);
        new SignalSyscalls(k).register(d);
        new TimeSyscalls(k).register(d);
        new SchedSyscalls(k).register(d);
        new InfoSyscalls(k).register(d);
        new CredentialSyscalls(k).register(d);
        IpcSyscalls ipc = new IpcSyscalls(k);
        ipc.register(d);
        UserfaultfdSyscalls userfaultfd = new UserfaultfdSyscalls(k);
        userfaultfd.register(d);
        new ProcPathSyscalls(k, ipc.ipc, userfaultfd).register(d);
        new ProcessVmSyscalls(k).register(d);
        new MachineSyscalls(k).register(d);
        new PidfdSyscalls(k).register(d);
        new KcmpSyscalls(k).register(d);
        new PtraceSyscalls(k).register(d);
        new SignalfdSyscalls(k).register(d);
        new AioSyscalls(k).register(d);
    }
}
