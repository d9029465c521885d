package jmck.lwk.syscall;

import static jmck.lwk.syscall.Syscall.Flag.NEW_FD;
import static jmck.lwk.syscall.Syscall.Flag.SIGPIPE;
import static jmck.lwk.syscall.Syscall.Flag.UMASKED;
import static jmck.lwk.syscall.Syscall.Flag.FSIZE;
import static jmck.lwk.syscall.Syscall.Where.DELEGATED;
import static jmck.lwk.syscall.Syscall.Where.LOCAL;
import static jmck.lwk.syscall.Syscall.Where.UNSUPPORTED;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The x86-64 Linux system calls: the one table that says, for each, its number and name, where it runs (in
 * the LWK: {@link Where#LOCAL}; on the host through the mcexec proxy: {@link Where#DELEGATED}; nowhere:
 * {@link Where#UNSUPPORTED}, -ENOSYS, logged once by name), what its arguments are ({@link SyscallArg}: how
 * the proxy passes them to the host, how a trace shows them) and what else the LWK and the proxy need to
 * know ({@link Flag}). Like McKernel's syscall_list.h, everything else is derived from it: the proxy's
 * marshalling of delegated calls, the strace-like trace, the SIGPIPE rule and the umask rule. Adding a
 * syscall is a line here and its code: for a LOCAL call, a case in a subsystem's switch and the call in
 * the list that subsystem registers (SyscallDispatcher.Handler); for a DELEGATED call whose arguments the
 * table describes fully, nothing more. SyscallTableTest checks that every LOCAL call has a handler and every
 * DELEGATED call a proxy rule, and that the numbers are Linux's (arch/x86/entry/syscalls/syscall_64.tbl).
 *
 * <p>Arguments, comma-separated: d decimal, x hex, fd a file descriptor, dirfd one for the *at calls
 * (AT_FDCWD too), path a file name (NUL-terminated), str another NUL-terminated string, in/out/inout a buffer
 * the call reads / fills / both, with a fixed size (in:16) or its length in argument i (out@2), oflags open
 * flags, cflags flags whose O_CLOEXEC bit makes a new fd close-on-exec (SOCK_CLOEXEC, EFD_CLOEXEC, ...),
 * c1flags flags whose bit 0 does that (MFD_CLOEXEC, FSOPEN_CLOEXEC, FSMOUNT_CLOEXEC, FSPICK_CLOEXEC), mode a
 * file mode, prot and mapflags mmap's, msgflags send's (MSG_NOSIGNAL), sig a signal number, ptr a pointer to
 * something the table does not describe (a delegated call with one needs code of its own in the proxy).
 */
public enum Syscall {
    READ(0, "read", DELEGATED, "fd, out@2, d"),
    WRITE(1, "write", DELEGATED, "fd, in@2, d", SIGPIPE, FSIZE),
    OPEN(2, "open", LOCAL, "path, oflags, mode", NEW_FD, UMASKED),
    CLOSE(3, "close", DELEGATED, "fd"),
    STAT(4, "stat", LOCAL, "path, out:144"),
    FSTAT(5, "fstat", DELEGATED, "fd, out:144"),
    LSTAT(6, "lstat", LOCAL, "path, out:144"),
    POLL(7, "poll", DELEGATED, "ptr, d, d"),
    LSEEK(8, "lseek", DELEGATED, "fd, d, d"),
    MMAP(9, "mmap", LOCAL, "ptr, x, prot, mapflags, fd, x"),
    MPROTECT(10, "mprotect", LOCAL, "ptr, x, prot"),
    MUNMAP(11, "munmap", LOCAL, "ptr, x"),
    BRK(12, "brk", LOCAL, "ptr"),
    RT_SIGACTION(13, "rt_sigaction", LOCAL, "sig, ptr, ptr, d"),
    RT_SIGPROCMASK(14, "rt_sigprocmask", LOCAL, "d, ptr, ptr, d"),
    RT_SIGRETURN(15, "rt_sigreturn", LOCAL, ""),
    IOCTL(16, "ioctl", DELEGATED, "fd, x, ptr"),
    PREAD64(17, "pread64", DELEGATED, "fd, out@2, d, d"),
    PWRITE64(18, "pwrite64", DELEGATED, "fd, in@2, d, d", SIGPIPE, FSIZE),
    READV(19, "readv", DELEGATED, "fd, ptr, d"),
    WRITEV(20, "writev", DELEGATED, "fd, ptr, d", SIGPIPE, FSIZE),
    ACCESS(21, "access", LOCAL, "path, d"),
    PIPE(22, "pipe", DELEGATED, "ptr"),
    SELECT(23, "select", DELEGATED, "d, ptr, ptr, ptr, ptr"),
    SCHED_YIELD(24, "sched_yield", LOCAL, ""),
    MREMAP(25, "mremap", LOCAL, "ptr, x, x, x, ptr"),
    MSYNC(26, "msync", LOCAL, "ptr, x, x"),
    MINCORE(27, "mincore", LOCAL, "ptr, x, ptr"),
    MADVISE(28, "madvise", LOCAL, "ptr, x, d"),
    SHMGET(29, "shmget", LOCAL, "d, x, x"),
    SHMAT(30, "shmat", LOCAL, "d, ptr, x"),
    SHMCTL(31, "shmctl", LOCAL, "d, d, ptr"),
    DUP(32, "dup", DELEGATED, "fd"),
    DUP2(33, "dup2", DELEGATED, "fd, d"),
    PAUSE(34, "pause", LOCAL, ""),
    NANOSLEEP(35, "nanosleep", LOCAL, "ptr, ptr"),
    GETITIMER(36, "getitimer", LOCAL, "d, ptr"),
    ALARM(37, "alarm", LOCAL, "d"),
    SETITIMER(38, "setitimer", LOCAL, "d, ptr, ptr"),
    GETPID(39, "getpid", LOCAL, ""),
    SENDFILE(40, "sendfile", DELEGATED, "fd, fd, inout:8, d", SIGPIPE),
    SOCKET(41, "socket", DELEGATED, "d, cflags, d", NEW_FD),
    CONNECT(42, "connect", DELEGATED, "fd, in@2, d"),
    ACCEPT(43, "accept", DELEGATED, "fd, out:128, inout:4", NEW_FD),
    SENDTO(44, "sendto", DELEGATED, "fd, in@2, d, msgflags, in@5, d", SIGPIPE),
    RECVFROM(45, "recvfrom", DELEGATED, "fd, out@2, d, x, out:128, inout:4"),
    SENDMSG(46, "sendmsg", DELEGATED, "fd, ptr, msgflags", SIGPIPE),
    RECVMSG(47, "recvmsg", DELEGATED, "fd, ptr, x"),
    SHUTDOWN(48, "shutdown", DELEGATED, "fd, d"),
    BIND(49, "bind", DELEGATED, "fd, in@2, d", UMASKED),
    LISTEN(50, "listen", DELEGATED, "fd, d"),
    GETSOCKNAME(51, "getsockname", DELEGATED, "fd, out:128, inout:4"),
    GETPEERNAME(52, "getpeername", DELEGATED, "fd, out:128, inout:4"),
    SOCKETPAIR(53, "socketpair", DELEGATED, "d, cflags, d, ptr"),
    SETSOCKOPT(54, "setsockopt", DELEGATED, "fd, d, d, in@4, d"),
    GETSOCKOPT(55, "getsockopt", DELEGATED, "fd, d, d, out:256, inout:4"),
    CLONE(56, "clone", LOCAL, "x, ptr, ptr, ptr, x"),
    FORK(57, "fork", LOCAL, ""),
    VFORK(58, "vfork", LOCAL, ""),
    EXECVE(59, "execve", LOCAL, "path, ptr, ptr"),
    EXIT(60, "exit", LOCAL, "d"),
    WAIT4(61, "wait4", LOCAL, "d, ptr, x, ptr"),
    KILL(62, "kill", LOCAL, "d, sig"),
    UNAME(63, "uname", DELEGATED, "out:390"),
    SEMGET(64, "semget", LOCAL, "d, d, x"),
    SEMOP(65, "semop", LOCAL, "d, ptr, d"),
    SEMCTL(66, "semctl", LOCAL, "d, d, d, x"),
    SHMDT(67, "shmdt", LOCAL, "ptr"),
    MSGGET(68, "msgget", LOCAL, "d, x"),
    MSGSND(69, "msgsnd", LOCAL, "d, ptr, d, x"),
    MSGRCV(70, "msgrcv", LOCAL, "d, ptr, d, d, x"),
    MSGCTL(71, "msgctl", LOCAL, "d, d, ptr"),
    FCNTL(72, "fcntl", DELEGATED, "fd, d, x"),
    FLOCK(73, "flock", DELEGATED, "fd, d"),
    FSYNC(74, "fsync", DELEGATED, "fd"),
    FDATASYNC(75, "fdatasync", DELEGATED, "fd"),
    TRUNCATE(76, "truncate", DELEGATED, "path, d", FSIZE),
    FTRUNCATE(77, "ftruncate", DELEGATED, "fd, d", FSIZE),
    GETDENTS(78, "getdents", DELEGATED, "fd, out@2, d"),
    GETCWD(79, "getcwd", DELEGATED, "out@1, d"),
    CHDIR(80, "chdir", LOCAL, "path"),
    FCHDIR(81, "fchdir", LOCAL, "fd"),
    RENAME(82, "rename", DELEGATED, "path, path"),
    MKDIR(83, "mkdir", DELEGATED, "path, mode", UMASKED),
    RMDIR(84, "rmdir", DELEGATED, "path"),
    CREAT(85, "creat", DELEGATED, "path, mode", NEW_FD, UMASKED),
    LINK(86, "link", DELEGATED, "path, path"),
    UNLINK(87, "unlink", DELEGATED, "path"),
    SYMLINK(88, "symlink", DELEGATED, "path, path"),
    READLINK(89, "readlink", LOCAL, "path, out@2, d"),
    CHMOD(90, "chmod", DELEGATED, "path, mode"),
    FCHMOD(91, "fchmod", DELEGATED, "fd, mode"),
    CHOWN(92, "chown", DELEGATED, "path, d, d"),
    FCHOWN(93, "fchown", DELEGATED, "fd, d, d"),
    LCHOWN(94, "lchown", DELEGATED, "path, d, d"),
    UMASK(95, "umask", LOCAL, "mode"),
    GETTIMEOFDAY(96, "gettimeofday", LOCAL, "ptr, ptr"),
    GETRLIMIT(97, "getrlimit", LOCAL, "d, ptr"),
    GETRUSAGE(98, "getrusage", LOCAL, "d, ptr"),
    SYSINFO(99, "sysinfo", LOCAL, "ptr"),
    TIMES(100, "times", LOCAL, "ptr"),
    PTRACE(101, "ptrace", LOCAL, "d, d, ptr, ptr"),
    GETUID(102, "getuid", LOCAL, ""),
    SYSLOG(103, "syslog", DELEGATED, "d, out@2, d"),
    GETGID(104, "getgid", LOCAL, ""),
    SETUID(105, "setuid", LOCAL, "d"),
    SETGID(106, "setgid", LOCAL, "d"),
    GETEUID(107, "geteuid", LOCAL, ""),
    GETEGID(108, "getegid", LOCAL, ""),
    SETPGID(109, "setpgid", LOCAL, "d, d"),
    GETPPID(110, "getppid", LOCAL, ""),
    GETPGRP(111, "getpgrp", LOCAL, ""),
    SETSID(112, "setsid", LOCAL, ""),
    SETREUID(113, "setreuid", LOCAL, "d, d"),
    SETREGID(114, "setregid", LOCAL, "d, d"),
    GETGROUPS(115, "getgroups", LOCAL, "d, ptr"),
    SETGROUPS(116, "setgroups", LOCAL, "d, ptr"),
    SETRESUID(117, "setresuid", LOCAL, "d, d, d"),
    GETRESUID(118, "getresuid", LOCAL, "ptr, ptr, ptr"),
    SETRESGID(119, "setresgid", LOCAL, "d, d, d"),
    GETRESGID(120, "getresgid", LOCAL, "ptr, ptr, ptr"),
    GETPGID(121, "getpgid", LOCAL, "d"),
    SETFSUID(122, "setfsuid", LOCAL, "d"),
    SETFSGID(123, "setfsgid", LOCAL, "d"),
    GETSID(124, "getsid", LOCAL, "d"),
    CAPGET(125, "capget", LOCAL, "ptr, ptr"),
    CAPSET(126, "capset", LOCAL, "ptr, ptr"),
    RT_SIGPENDING(127, "rt_sigpending", LOCAL, "ptr, d"),
    RT_SIGTIMEDWAIT(128, "rt_sigtimedwait", LOCAL, "ptr, ptr, ptr, d"),
    RT_SIGQUEUEINFO(129, "rt_sigqueueinfo", LOCAL, "d, sig, ptr"),
    RT_SIGSUSPEND(130, "rt_sigsuspend", LOCAL, "ptr, d"),
    SIGALTSTACK(131, "sigaltstack", LOCAL, "ptr, ptr"),
    UTIME(132, "utime", DELEGATED, "path, in:16"),
    MKNOD(133, "mknod", DELEGATED, "path, mode, x", UMASKED),
    USELIB(134, "uselib", UNSUPPORTED, "path"),
    PERSONALITY(135, "personality", LOCAL, "x"),
    USTAT(136, "ustat", DELEGATED, "x, out:32"),
    STATFS(137, "statfs", DELEGATED, "path, out:120"),
    FSTATFS(138, "fstatfs", DELEGATED, "fd, out:120"),
    SYSFS(139, "sysfs", DELEGATED, "d, x, x"),
    GETPRIORITY(140, "getpriority", LOCAL, "d, d"),
    SETPRIORITY(141, "setpriority", LOCAL, "d, d, d"),
    SCHED_SETPARAM(142, "sched_setparam", LOCAL, "d, ptr"),
    SCHED_GETPARAM(143, "sched_getparam", LOCAL, "d, out:4"),
    SCHED_SETSCHEDULER(144, "sched_setscheduler", LOCAL, "d, d, ptr"),
    SCHED_GETSCHEDULER(145, "sched_getscheduler", LOCAL, "d"),
    SCHED_GET_PRIORITY_MAX(146, "sched_get_priority_max", LOCAL, "d"),
    SCHED_GET_PRIORITY_MIN(147, "sched_get_priority_min", LOCAL, "d"),
    SCHED_RR_GET_INTERVAL(148, "sched_rr_get_interval", LOCAL, "d, ptr"),
    MLOCK(149, "mlock", LOCAL, "ptr, x"),
    MUNLOCK(150, "munlock", LOCAL, "ptr, x"),
    MLOCKALL(151, "mlockall", LOCAL, "x"),
    MUNLOCKALL(152, "munlockall", LOCAL, ""),
    VHANGUP(153, "vhangup", LOCAL, ""),
    MODIFY_LDT(154, "modify_ldt", UNSUPPORTED, "d, ptr, d"),
    PIVOT_ROOT(155, "pivot_root", UNSUPPORTED, "path, path"),
    _SYSCTL(156, "_sysctl", UNSUPPORTED, "ptr"),
    PRCTL(157, "prctl", LOCAL, "d, x, x, x, x"),
    ARCH_PRCTL(158, "arch_prctl", LOCAL, "x, ptr"),
    ADJTIMEX(159, "adjtimex", DELEGATED, "inout:208"),
    SETRLIMIT(160, "setrlimit", LOCAL, "d, ptr"),
    CHROOT(161, "chroot", DELEGATED, "path"),
    SYNC(162, "sync", DELEGATED, ""),
    ACCT(163, "acct", DELEGATED, "path"),
    SETTIMEOFDAY(164, "settimeofday", DELEGATED, "in:16, in:8"),
    MOUNT(165, "mount", DELEGATED, "str, path, str, x, str"),
    UMOUNT2(166, "umount2", DELEGATED, "path, x"),
    SWAPON(167, "swapon", DELEGATED, "path, x"),
    SWAPOFF(168, "swapoff", DELEGATED, "path"),
    REBOOT(169, "reboot", LOCAL, "x, x, x, ptr"),
    SETHOSTNAME(170, "sethostname", DELEGATED, "in@1, d"),
    SETDOMAINNAME(171, "setdomainname", DELEGATED, "in@1, d"),
    IOPL(172, "iopl", UNSUPPORTED, "d"),
    IOPERM(173, "ioperm", UNSUPPORTED, "x, x, d"),
    CREATE_MODULE(174, "create_module", UNSUPPORTED, ""),
    INIT_MODULE(175, "init_module", UNSUPPORTED, "ptr, x, str"),
    DELETE_MODULE(176, "delete_module", UNSUPPORTED, "str, x"),
    GET_KERNEL_SYMS(177, "get_kernel_syms", UNSUPPORTED, ""),
    QUERY_MODULE(178, "query_module", UNSUPPORTED, ""),
    QUOTACTL(179, "quotactl", UNSUPPORTED, "x, path, d, ptr"),
    NFSSERVCTL(180, "nfsservctl", UNSUPPORTED, ""),
    GETPMSG(181, "getpmsg", UNSUPPORTED, ""),
    PUTPMSG(182, "putpmsg", UNSUPPORTED, ""),
    AFS_SYSCALL(183, "afs_syscall", UNSUPPORTED, ""),
    TUXCALL(184, "tuxcall", UNSUPPORTED, ""),
    SECURITY(185, "security", UNSUPPORTED, ""),
    GETTID(186, "gettid", LOCAL, ""),
    READAHEAD(187, "readahead", DELEGATED, "fd, d, d"),
    SETXATTR(188, "setxattr", DELEGATED, "path, str, in@3, d, x"),
    LSETXATTR(189, "lsetxattr", DELEGATED, "path, str, in@3, d, x"),
    FSETXATTR(190, "fsetxattr", DELEGATED, "fd, str, in@3, d, x"),
    GETXATTR(191, "getxattr", DELEGATED, "path, str, out@3, d"),
    LGETXATTR(192, "lgetxattr", DELEGATED, "path, str, out@3, d"),
    FGETXATTR(193, "fgetxattr", DELEGATED, "fd, str, out@3, d"),
    LISTXATTR(194, "listxattr", DELEGATED, "path, out@2, d"),
    LLISTXATTR(195, "llistxattr", DELEGATED, "path, out@2, d"),
    FLISTXATTR(196, "flistxattr", DELEGATED, "fd, out@2, d"),
    REMOVEXATTR(197, "removexattr", DELEGATED, "path, str"),
    LREMOVEXATTR(198, "lremovexattr", DELEGATED, "path, str"),
    FREMOVEXATTR(199, "fremovexattr", DELEGATED, "fd, str"),
    TKILL(200, "tkill", LOCAL, "d, sig"),
    TIME(201, "time", LOCAL, "ptr"),
    FUTEX(202, "futex", LOCAL, "ptr, d, d, ptr, ptr, d"),
    SCHED_SETAFFINITY(203, "sched_setaffinity", LOCAL, "d, d, ptr"),
    SCHED_GETAFFINITY(204, "sched_getaffinity", LOCAL, "d, d, ptr"),
    SET_THREAD_AREA(205, "set_thread_area", UNSUPPORTED, "ptr"),
    IO_SETUP(206, "io_setup", LOCAL, "d, ptr"),
    IO_DESTROY(207, "io_destroy", LOCAL, "x"),
    IO_GETEVENTS(208, "io_getevents", LOCAL, "x, d, d, ptr, ptr"),
    IO_SUBMIT(209, "io_submit", LOCAL, "x, d, ptr"),
    IO_CANCEL(210, "io_cancel", LOCAL, "x, ptr, ptr"),
    GET_THREAD_AREA(211, "get_thread_area", UNSUPPORTED, "ptr"),
    LOOKUP_DCOOKIE(212, "lookup_dcookie", UNSUPPORTED, "x, ptr, d"),
    EPOLL_CREATE(213, "epoll_create", DELEGATED, "d", NEW_FD),
    EPOLL_CTL_OLD(214, "epoll_ctl_old", UNSUPPORTED, ""),
    EPOLL_WAIT_OLD(215, "epoll_wait_old", UNSUPPORTED, ""),
    REMAP_FILE_PAGES(216, "remap_file_pages", LOCAL, "ptr, x, x, x, x"),
    GETDENTS64(217, "getdents64", DELEGATED, "fd, out@2, d"),
    SET_TID_ADDRESS(218, "set_tid_address", LOCAL, "ptr"),
    RESTART_SYSCALL(219, "restart_syscall", UNSUPPORTED, ""),
    SEMTIMEDOP(220, "semtimedop", LOCAL, "d, ptr, d, ptr"),
    FADVISE64(221, "fadvise64", DELEGATED, "fd, d, d, d"),
    TIMER_CREATE(222, "timer_create", LOCAL, "d, ptr, ptr"),
    TIMER_SETTIME(223, "timer_settime", LOCAL, "d, x, ptr, ptr"),
    TIMER_GETTIME(224, "timer_gettime", LOCAL, "d, ptr"),
    TIMER_GETOVERRUN(225, "timer_getoverrun", LOCAL, "d"),
    TIMER_DELETE(226, "timer_delete", LOCAL, "d"),
    CLOCK_SETTIME(227, "clock_settime", DELEGATED, "d, in:16"),
    CLOCK_GETTIME(228, "clock_gettime", LOCAL, "d, ptr"),
    CLOCK_GETRES(229, "clock_getres", LOCAL, "d, ptr"),
    CLOCK_NANOSLEEP(230, "clock_nanosleep", LOCAL, "d, x, ptr, ptr"),
    EXIT_GROUP(231, "exit_group", LOCAL, "d"),
    EPOLL_WAIT(232, "epoll_wait", DELEGATED, "fd, out@2*12, d, d"),
    EPOLL_CTL(233, "epoll_ctl", DELEGATED, "fd, d, fd, in:12"),
    TGKILL(234, "tgkill", LOCAL, "d, d, sig"),
    UTIMES(235, "utimes", DELEGATED, "path, in:32"),
    VSERVER(236, "vserver", UNSUPPORTED, ""),
    MBIND(237, "mbind", LOCAL, "ptr, x, d, ptr, x, x"),
    SET_MEMPOLICY(238, "set_mempolicy", LOCAL, "d, ptr, x"),
    GET_MEMPOLICY(239, "get_mempolicy", LOCAL, "ptr, ptr, x, ptr, x"),
    MQ_OPEN(240, "mq_open", DELEGATED, "str, oflags, mode, in:64", NEW_FD, UMASKED),
    MQ_UNLINK(241, "mq_unlink", DELEGATED, "str"),
    MQ_TIMEDSEND(242, "mq_timedsend", DELEGATED, "fd, in@2, d, d, in:16"),
    MQ_TIMEDRECEIVE(243, "mq_timedreceive", DELEGATED, "fd, out@2, d, out:4, in:16"),
    MQ_NOTIFY(244, "mq_notify", UNSUPPORTED, "fd, ptr"),
    MQ_GETSETATTR(245, "mq_getsetattr", DELEGATED, "fd, in:64, out:64"),
    KEXEC_LOAD(246, "kexec_load", UNSUPPORTED, "x, x, ptr, x"),
    WAITID(247, "waitid", LOCAL, "d, d, ptr, x, ptr"),
    ADD_KEY(248, "add_key", DELEGATED, "str, str, in@3, d, d"),
    REQUEST_KEY(249, "request_key", DELEGATED, "str, str, str, d"),
    KEYCTL(250, "keyctl", DELEGATED, "d, x, ptr, x, x"),
    IOPRIO_SET(251, "ioprio_set", LOCAL, "d, d, d"),
    IOPRIO_GET(252, "ioprio_get", LOCAL, "d, d"),
    INOTIFY_INIT(253, "inotify_init", DELEGATED, "", NEW_FD),
    INOTIFY_ADD_WATCH(254, "inotify_add_watch", DELEGATED, "fd, path, x"),
    INOTIFY_RM_WATCH(255, "inotify_rm_watch", DELEGATED, "fd, d"),
    MIGRATE_PAGES(256, "migrate_pages", UNSUPPORTED, "d, x, ptr, ptr"),
    OPENAT(257, "openat", LOCAL, "dirfd, path, oflags, mode", NEW_FD, UMASKED),
    MKDIRAT(258, "mkdirat", DELEGATED, "dirfd, path, mode", UMASKED),
    MKNODAT(259, "mknodat", DELEGATED, "dirfd, path, mode, x", UMASKED),
    FCHOWNAT(260, "fchownat", DELEGATED, "dirfd, path, d, d, x"),
    FUTIMESAT(261, "futimesat", DELEGATED, "dirfd, path, in:32"),
    NEWFSTATAT(262, "newfstatat", LOCAL, "dirfd, path, out:144, x"),
    UNLINKAT(263, "unlinkat", DELEGATED, "dirfd, path, x"),
    RENAMEAT(264, "renameat", DELEGATED, "dirfd, path, dirfd, path"),
    LINKAT(265, "linkat", DELEGATED, "dirfd, path, dirfd, path, x"),
    SYMLINKAT(266, "symlinkat", DELEGATED, "path, dirfd, path"),
    READLINKAT(267, "readlinkat", LOCAL, "dirfd, path, out@3, d"),
    FCHMODAT(268, "fchmodat", DELEGATED, "dirfd, path, mode"),
    FACCESSAT(269, "faccessat", LOCAL, "dirfd, path, d"),
    PSELECT6(270, "pselect6", DELEGATED, "d, ptr, ptr, ptr, ptr, ptr"),
    PPOLL(271, "ppoll", DELEGATED, "ptr, d, ptr, ptr, d"),
    UNSHARE(272, "unshare", UNSUPPORTED, "x"),
    SET_ROBUST_LIST(273, "set_robust_list", LOCAL, "ptr, d"),
    GET_ROBUST_LIST(274, "get_robust_list", LOCAL, "d, ptr, ptr"),
    SPLICE(275, "splice", DELEGATED, "fd, inout:8, fd, inout:8, d, x", SIGPIPE),
    TEE(276, "tee", DELEGATED, "fd, fd, d, x", SIGPIPE),
    SYNC_FILE_RANGE(277, "sync_file_range", DELEGATED, "fd, d, d, x"),
    VMSPLICE(278, "vmsplice", DELEGATED, "fd, ptr, d, x", SIGPIPE),
    MOVE_PAGES(279, "move_pages", UNSUPPORTED, "d, d, ptr, ptr, ptr, x"),
    UTIMENSAT(280, "utimensat", DELEGATED, "dirfd, path, in:32, x"),
    EPOLL_PWAIT(281, "epoll_pwait", DELEGATED, "fd, out@2*12, d, d, in@5, d"),
    SIGNALFD(282, "signalfd", LOCAL, "d, ptr, d", NEW_FD),
    TIMERFD_CREATE(283, "timerfd_create", DELEGATED, "d, cflags", NEW_FD),
    EVENTFD(284, "eventfd", DELEGATED, "d", NEW_FD),
    FALLOCATE(285, "fallocate", DELEGATED, "fd, d, d, d", FSIZE),
    TIMERFD_SETTIME(286, "timerfd_settime", DELEGATED, "fd, x, in:32, out:32"),
    TIMERFD_GETTIME(287, "timerfd_gettime", DELEGATED, "fd, out:32"),
    ACCEPT4(288, "accept4", DELEGATED, "fd, out:128, inout:4, cflags", NEW_FD),
    SIGNALFD4(289, "signalfd4", LOCAL, "d, ptr, d, cflags", NEW_FD),
    EVENTFD2(290, "eventfd2", DELEGATED, "d, cflags", NEW_FD),
    EPOLL_CREATE1(291, "epoll_create1", DELEGATED, "cflags", NEW_FD),
    DUP3(292, "dup3", DELEGATED, "fd, d, cflags"),
    PIPE2(293, "pipe2", DELEGATED, "ptr, cflags"),
    INOTIFY_INIT1(294, "inotify_init1", DELEGATED, "cflags", NEW_FD),
    PREADV(295, "preadv", DELEGATED, "fd, ptr, d, d"),
    PWRITEV(296, "pwritev", DELEGATED, "fd, ptr, d, d", SIGPIPE, FSIZE),
    RT_TGSIGQUEUEINFO(297, "rt_tgsigqueueinfo", LOCAL, "d, d, sig, ptr"),
    PERF_EVENT_OPEN(298, "perf_event_open", UNSUPPORTED, "ptr, d, d, d, x"),
    RECVMMSG(299, "recvmmsg", DELEGATED, "fd, ptr, d, x, ptr"),
    FANOTIFY_INIT(300, "fanotify_init", UNSUPPORTED, "x, x"),
    FANOTIFY_MARK(301, "fanotify_mark", UNSUPPORTED, "fd, x, x, dirfd, path"),
    PRLIMIT64(302, "prlimit64", LOCAL, "d, d, ptr, ptr"),
    NAME_TO_HANDLE_AT(303, "name_to_handle_at", DELEGATED, "dirfd, path, ptr, ptr, x"),
    OPEN_BY_HANDLE_AT(304, "open_by_handle_at", DELEGATED, "dirfd, ptr, oflags", NEW_FD),
    CLOCK_ADJTIME(305, "clock_adjtime", DELEGATED, "d, inout:208"),
    SYNCFS(306, "syncfs", DELEGATED, "fd"),
    SENDMMSG(307, "sendmmsg", DELEGATED, "fd, ptr, d, msgflags", SIGPIPE),
    SETNS(308, "setns", UNSUPPORTED, "fd, x"),
    GETCPU(309, "getcpu", LOCAL, "ptr, ptr, ptr"),
    PROCESS_VM_READV(310, "process_vm_readv", LOCAL, "d, ptr, d, ptr, d, x"),
    PROCESS_VM_WRITEV(311, "process_vm_writev", LOCAL, "d, ptr, d, ptr, d, x"),
    KCMP(312, "kcmp", LOCAL, "d, d, d, x, x"),
    FINIT_MODULE(313, "finit_module", UNSUPPORTED, "fd, str, x"),
    SCHED_SETATTR(314, "sched_setattr", LOCAL, "d, ptr, x"),
    SCHED_GETATTR(315, "sched_getattr", LOCAL, "d, ptr, d, x"),
    RENAMEAT2(316, "renameat2", DELEGATED, "dirfd, path, dirfd, path, x"),
    SECCOMP(317, "seccomp", UNSUPPORTED, "d, x, ptr"),
    GETRANDOM(318, "getrandom", LOCAL, "ptr, d, x"),
    MEMFD_CREATE(319, "memfd_create", DELEGATED, "str, c1flags", NEW_FD),
    KEXEC_FILE_LOAD(320, "kexec_file_load", UNSUPPORTED, "fd, fd, d, str, x"),
    BPF(321, "bpf", UNSUPPORTED, "d, ptr, d"),
    EXECVEAT(322, "execveat", LOCAL, "dirfd, path, ptr, ptr, x"),
    USERFAULTFD(323, "userfaultfd", LOCAL, "cflags", NEW_FD),
    MEMBARRIER(324, "membarrier", LOCAL, "d, x, d"),
    MLOCK2(325, "mlock2", LOCAL, "ptr, x, x"),
    COPY_FILE_RANGE(326, "copy_file_range", DELEGATED, "fd, inout:8, fd, inout:8, d, x"),
    PREADV2(327, "preadv2", DELEGATED, "fd, ptr, d, d, d, x"),
    PWRITEV2(328, "pwritev2", DELEGATED, "fd, ptr, d, d, d, x", SIGPIPE, FSIZE),
    PKEY_MPROTECT(329, "pkey_mprotect", LOCAL, "ptr, x, prot, d"),
    PKEY_ALLOC(330, "pkey_alloc", LOCAL, "x, x"),
    PKEY_FREE(331, "pkey_free", LOCAL, "d"),
    STATX(332, "statx", LOCAL, "dirfd, path, x, x, out:256"),
    IO_PGETEVENTS(333, "io_pgetevents", LOCAL, "x, d, d, ptr, ptr, ptr"),
    RSEQ(334, "rseq", LOCAL, "ptr, d, x, x"),
    PIDFD_SEND_SIGNAL(424, "pidfd_send_signal", LOCAL, "fd, sig, ptr, x"),
    IO_URING_SETUP(425, "io_uring_setup", UNSUPPORTED, "d, ptr", NEW_FD),
    IO_URING_ENTER(426, "io_uring_enter", UNSUPPORTED, "fd, d, d, x, ptr, d"),
    IO_URING_REGISTER(427, "io_uring_register", UNSUPPORTED, "fd, d, ptr, d"),
    OPEN_TREE(428, "open_tree", DELEGATED, "dirfd, path, cflags", NEW_FD),
    MOVE_MOUNT(429, "move_mount", DELEGATED, "dirfd, path, dirfd, path, x"),
    FSOPEN(430, "fsopen", DELEGATED, "str, c1flags", NEW_FD),
    FSCONFIG(431, "fsconfig", DELEGATED, "fd, d, str, ptr, d"),
    FSMOUNT(432, "fsmount", DELEGATED, "fd, c1flags, x", NEW_FD),
    FSPICK(433, "fspick", DELEGATED, "dirfd, path, c1flags", NEW_FD),
    PIDFD_OPEN(434, "pidfd_open", LOCAL, "d, x", NEW_FD),
    CLONE3(435, "clone3", LOCAL, "ptr, d"),
    CLOSE_RANGE(436, "close_range", DELEGATED, "d, d, x"),
    OPENAT2(437, "openat2", DELEGATED, "dirfd, path, ptr, d", NEW_FD),
    PIDFD_GETFD(438, "pidfd_getfd", LOCAL, "fd, d, x", NEW_FD),
    FACCESSAT2(439, "faccessat2", LOCAL, "dirfd, path, d, x"),
    PROCESS_MADVISE(440, "process_madvise", UNSUPPORTED, "fd, ptr, d, d, x"),
    EPOLL_PWAIT2(441, "epoll_pwait2", DELEGATED, "fd, out@2*12, d, in:16, in@5, d"),
    MOUNT_SETATTR(442, "mount_setattr", DELEGATED, "dirfd, path, x, in@4, d"),
    QUOTACTL_FD(443, "quotactl_fd", UNSUPPORTED, "fd, x, d, ptr"),
    LANDLOCK_CREATE_RULESET(444, "landlock_create_ruleset", UNSUPPORTED, "ptr, d, x", NEW_FD),
    LANDLOCK_ADD_RULE(445, "landlock_add_rule", UNSUPPORTED, "fd, d, ptr, x"),
    LANDLOCK_RESTRICT_SELF(446, "landlock_restrict_self", UNSUPPORTED, "fd, x"),
    MEMFD_SECRET(447, "memfd_secret", UNSUPPORTED, "x", NEW_FD),
    PROCESS_MRELEASE(448, "process_mrelease", UNSUPPORTED, "fd, x"),
    FUTEX_WAITV(449, "futex_waitv", LOCAL, "ptr, d, x, ptr, d"),
    SET_MEMPOLICY_HOME_NODE(450, "set_mempolicy_home_node", UNSUPPORTED, "x, x, x, x"),
    CACHESTAT(451, "cachestat", DELEGATED, "fd, in:16, out:40, x"),
    FCHMODAT2(452, "fchmodat2", DELEGATED, "dirfd, path, mode, x"),
    MAP_SHADOW_STACK(453, "map_shadow_stack", UNSUPPORTED, "x, x, x"),
    FUTEX_WAKE(454, "futex_wake", UNSUPPORTED, "ptr, x, d, x"),
    FUTEX_WAIT(455, "futex_wait", UNSUPPORTED, "ptr, x, x, x, ptr, d"),
    FUTEX_REQUEUE(456, "futex_requeue", UNSUPPORTED, "ptr, x, d, d"),
    STATMOUNT(457, "statmount", DELEGATED, "ptr, out@2, d, x"),
    LISTMOUNT(458, "listmount", DELEGATED, "ptr, out@2*8, d, x"),
    LSM_GET_SELF_ATTR(459, "lsm_get_self_attr", UNSUPPORTED, "d, ptr, ptr, x"),
    LSM_SET_SELF_ATTR(460, "lsm_set_self_attr", UNSUPPORTED, "d, ptr, d, x"),
    LSM_LIST_MODULES(461, "lsm_list_modules", UNSUPPORTED, "ptr, ptr, x"),
    MSEAL(462, "mseal", LOCAL, "ptr, x, x"),
    SETXATTRAT(463, "setxattrat", UNSUPPORTED, "dirfd, path, x, str, ptr, d"),
    GETXATTRAT(464, "getxattrat", UNSUPPORTED, "dirfd, path, x, str, ptr, d"),
    LISTXATTRAT(465, "listxattrat", DELEGATED, "dirfd, path, x, out@4, d"),
    REMOVEXATTRAT(466, "removexattrat", DELEGATED, "dirfd, path, x, str"),
    OPEN_TREE_ATTR(467, "open_tree_attr", UNSUPPORTED, "dirfd, path, x, ptr, d", NEW_FD),
    FILE_GETATTR(468, "file_getattr", DELEGATED, "dirfd, path, out@3, d, x"),
    FILE_SETATTR(469, "file_setattr", DELEGATED, "dirfd, path, in@3, d, x");

    /** Where a syscall runs. */
    public enum Where {
        /** Handled by the LWK itself: memory, processes, threads, signals, time (it may still forward a case). */
        LOCAL,
        /** Forwarded to the host through the proxy: files, terminals, sockets. */
        DELEGATED,
        /** Not implemented: returns -ENOSYS. */
        UNSUPPORTED
    }

    /** What else the LWK and the proxy need to know about a call. */
    public enum Flag {
        /** The result is a new file descriptor (close-on-exec if its cflags/oflags/c1flags argument says so). */
        NEW_FD,
        /**
         * EPIPE from a pipe or socket with no reader also raises SIGPIPE in the caller (the host raised it in
         * the proxy, which ignores it), unless its msgflags argument has MSG_NOSIGNAL.
         */
        SIGPIPE,
        /** What it creates gets its mode through the caller's umask. */
        UMASKED,
        /**
         * It writes or extends a file, so the caller's RLIMIT_FSIZE applies (the proxy checks it); EFBIG
         * past the limit also raises SIGXFSZ in the caller.
         */
        FSIZE
    }

    public final int nr;
    public final String linuxName;
    public final Where where;
    private final String argText;
    private volatile List<SyscallArg> parsedArgs; // parsed on first use: all 370 at class initialisation cost start-up 5 ms
    private final Set<Flag> flags;

    Syscall(int nr, String linuxName, Where where, String args, Flag... flags) {
        this.nr = nr;
        this.linuxName = linuxName;
        this.where = where;
        this.argText = args;
        this.flags = flags.length == 0 ? EnumSet.noneOf(Flag.class) : EnumSet.of(flags[0], flags);
    }

    /** The arguments, as the table describes them. */
    public List<SyscallArg> args() {
        List<SyscallArg> parsed = parsedArgs;
        if (parsed == null) // two threads may both parse: they get equal immutable lists
            parsedArgs = parsed = SyscallArg.parse(argText);
        return parsed;
    }

    public boolean has(Flag f) {
        return flags.contains(f);
    }

    /**
     * The argument whose flags make a new fd close-on-exec (oflags, cflags or c1flags), or -1: what the
     * proxy looks at for a {@link Flag#NEW_FD} call.
     */
    public int cloexecArg() {
        List<SyscallArg> args = args();
        for (int i = 0; i < args.size(); i++)
            if (args.get(i).cloexecBit() != 0)
                return i;
        return -1;
    }

    /**
     * Whether the proxy can pass every argument to the host knowing only the table: no argument is a
     * pointer to something the table does not describe.
     */
    public boolean fullyDescribed() {
        for (SyscallArg a : args())
            if (a.kind() == SyscallArg.Kind.PTR)
                return false;
        return true;
    }

    private static final Syscall[] BY_NUMBER = new Syscall[512];

    static {
        for (Syscall s : values())
            BY_NUMBER[s.nr] = s;
    }

    /** The syscall with this number, or null if x86-64 Linux has none. */
    public static Syscall of(long nr) {
        return nr >= 0 && nr < BY_NUMBER.length ? BY_NUMBER[(int) nr] : null;
    }
}
