package jmck.ihk;

import java.io.IOException;
import java.nio.file.Files;
import jmck.ihk.ikc.IkcFiles;
import jmck.ihk.ikc.SignalQueue;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * The LWK's side of {@link SignalQueue}: a signal the host raised for a guest's file (O_ASYNC, F_NOTIFY, a
 * lease break) goes to the owner the guest set for the fd, as Linux's send_sigio sends it: the F_SETSIG
 * signal with si_code, si_band and si_fd, or without one a plain SIGIO from the kernel. Taken at every tick
 * and before a delegated call's answer reaches its thread, so that a signal the call raised (a chmod in a
 * watched directory) is pending when the call returns, as on Linux.
 */
final class OwnerSignals {
    private static final int F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2, SI_SIGIO = -5;
    private final Kernel kernel;
    private final SignalQueue queue;

    /** Creates the instance's queue among files and takes from it at every tick of kernel. */
    OwnerSignals(Kernel kernel, IkcFiles files) {
        this.kernel = kernel;
        try {
            Files.deleteIfExists(files.signals());
        } catch (IOException e) {
            // create() reports it
        }
        this.queue = SignalQueue.create(files.signals());
        kernel.addPoller(new Runnable() { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
            @Override
            public void run() {
                deliver();
            }
        });
    }

    /** Sends what the proxies posted; cheap when nothing was. */
    void deliver() {
        if (!queue.anyNew())
            return;
        for (SignalQueue.Posted p : queue.take())
            send(p);
    }

    private void send(SignalQueue.Posted p) {
        SigInfo info = p.signal() == 0 ? SigInfo.sent(Signals.SIGIO, Signals.SI_KERNEL, 0, 0)
                : SigInfo.poll(p.signal(), hasOwnCodes(p.signal()) ? SI_SIGIO : p.code(), p.band(), p.fd());
        switch (p.ownerType()) {
            case F_OWNER_TID -> {
                Thread t = kernel.processes().thread(p.owner());
                if (t != null && t.alive())
                    kernel.signals().sendThread(t, info);
            }
            case F_OWNER_PID -> {
                Process target = kernel.processes().process(p.owner());
                if (target == null) { // a thread's id names its process here
                    Thread t = kernel.processes().thread(p.owner());
                    target = t == null ? null : t.process();
                }
                if (target != null && !target.exiting() && !target.ended())
                    kernel.signals().send(target, info);
            }
            case F_OWNER_PGRP -> {
                for (Process target : kernel.processes().live())
                    if (target.pgid() == p.owner() && !target.exiting() && !target.ended())
                        kernel.signals().send(target, info);
            }
            default -> { }
        }
    }

    /**
     * Signals with si_codes of their own, for which Linux gives SI_SIGIO rather than the POLL_ code (whose
     * values would be ambiguous): SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGCHLD, SIGSYS.
     */
    private static boolean hasOwnCodes(int sig) {
        return sig == 4 || sig == 5 || sig == 7 || sig == 8 || sig == 11 || sig == 17 || sig == 31;
    }

    void close() {
        queue.close();
    }
}
