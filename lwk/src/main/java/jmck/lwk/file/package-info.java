/**
 * Files the LWK implements itself (McKernel's mckfd): pidfds and signalfds, whose state is the LWK's
 * (its processes, its signals) although the guest's file descriptors live in the proxy. How it fits
 * together:
 * <ul>
 * <li>{@link jmck.lwk.file.LocalFile} is what such a file does on read, write and ioctl;
 * {@link jmck.lwk.file.LocalFiles} keeps them by id and turns the proxy's answer for one of their fds into
 * the call on the file.</li>
 * <li>The guest's fd is an ordinary fd of its proxy: the read end of a host pipe that the LWK keeps
 * ({@link jmck.lwk.file.ReadinessPipe}), readable exactly when the file is. So poll, select and epoll on
 * the host, where the guest's fds are, wake when a child exits or a signal arrives, with nothing added to
 * the proxy's polling.</li>
 * <li>The proxy marks the guest fd with the file's id (and keeps the mark across dup and fork); a read,
 * write or ioctl on it comes back to the LWK as {@link jmck.lwk.file.LocalFiles#redirect}; calls that take
 * such an fd as an argument (pidfd_send_signal, waitid P_PIDFD, signalfd4 on an existing fd) ask the proxy
 * which file an fd is.</li>
 * </ul>
 */
package jmck.lwk.file;
