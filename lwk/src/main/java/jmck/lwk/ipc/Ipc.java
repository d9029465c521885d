package jmck.lwk.ipc;

/** An instance's System V IPC objects: message queues, semaphore sets, shared memory segments. */
public record Ipc(MessageQueues messages, Semaphores semaphores, SharedMemory shm) {
    /** /proc/sysvipc/NAME (msg, sem, shm), or null for another name. */
    public String procFile(String name) {
        return switch (name) {
            case "msg" -> messages.procListing();
            case "sem" -> semaphores.procListing();
            case "shm" -> shm.procListing();
            default -> null;
        };
    }
}
