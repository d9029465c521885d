package jmck.ihk;

/** The states of an OS instance, as IHK's linux/include/ihk/status.h names them. */
public enum OsStatus {
    NOT_BOOTED, BOOTING, BOOTED, READY, RUNNING, SHUTDOWN, PANIC, HUNGUP, FREEZING, FROZEN
}
