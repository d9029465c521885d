/* errno names for guest test output, the same under glibc and musl (musl has no strerrorname_np). */
#ifndef ERRNAME_H
#define ERRNAME_H
#include <errno.h>
#include <stdio.h>

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EDEADLK: return "EDEADLK";
	case E2BIG: return "E2BIG";
	case EFBIG: return "EFBIG";
	case ENOMSG: return "ENOMSG";
	case EIDRM: return "EIDRM";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ETXTBSY: return "ETXTBSY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENODATA: return "ENODATA";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: {
		static char buf[16];
		snprintf(buf, sizeof buf, "E%d", e);
		return buf;
	}
	}
}

/* A call's result as test output: the value, or the errno name when it failed (v < 0). Eight buffers
 * in turn, so one printf may show several. */
static inline const char *outcome(long v)
{
	static char buf[8][32];
	static int n;
	char *b = buf[n++ % 8];
	if (v < 0)
		snprintf(b, 32, "%s", errname(errno));
	else
		snprintf(b, 32, "%ld", v);
	return b;
}

#endif
