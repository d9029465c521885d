/* libjmckhost: raw Linux system calls for the JVM (jmck.emulator.host.HostSyscall), bound through JNI. A
 * library of its own, with no dependency on libunicorn or JNA, so that host calls (mapping physical memory,
 * futexes, the proxy's delegated calls) are ready at once, while JNA and libunicorn load on another thread
 * (EnginePrefetch). */
#include <jni.h>

/* A raw Linux system call: returns the kernel's result, -errno on failure, with no libc errno in between. */
long jmck_host_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#include <signal.h>
#include <stdint.h>
#include <string.h>

static void interrupted(int sig)
{
	(void)sig;
}

/* Makes signal sig end the blocking host call of the thread it is sent to with EINTR (no SA_RESTART) and do
 * nothing else: how the LWK ends a delegated call that the guest thread it runs for no longer waits for
 * (a signal came for that thread). Returns 0 or -1. */
int jmck_host_interrupt_with(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupted;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* The JNI entry points of jmck.emulator.host.HostSyscall. */
JNIEXPORT jlong JNICALL Java_jmck_emulator_host_HostSyscall_syscall6(JNIEnv *env, jclass cls, jlong nr, jlong a0, jlong a1,
								jlong a2, jlong a3, jlong a4, jlong a5)
{
	(void)env;
	(void)cls;
	return jmck_host_syscall(nr, a0, a1, a2, a3, a4, a5);
}

JNIEXPORT jint JNICALL Java_jmck_emulator_host_HostSyscall_interruptHandler(JNIEnv *env, jclass cls, jint sig)
{
	(void)env;
	(void)cls;
	return jmck_host_interrupt_with(sig);
}

/* ---- host memory (jmck.emulator.host.HostMemory): copies between Java and native memory, without JNA ---- */

JNIEXPORT void JNICALL Java_jmck_emulator_host_HostMemory_read(JNIEnv *env, jclass cls, jlong address, jbyteArray dst,
							      jint off, jint length)
{
	(*env)->SetByteArrayRegion(env, dst, off, length, (const jbyte *)(intptr_t)address);
}

JNIEXPORT void JNICALL Java_jmck_emulator_host_HostMemory_write(JNIEnv *env, jclass cls, jlong address, jbyteArray src,
							       jint off, jint length)
{
	(*env)->GetByteArrayRegion(env, src, off, length, (jbyte *)(intptr_t)address);
}

JNIEXPORT void JNICALL Java_jmck_emulator_host_HostMemory_copy(JNIEnv *env, jclass cls, jlong from, jlong to, jlong length)
{
	memmove((void *)(intptr_t)to, (const void *)(intptr_t)from, (size_t)length);
}

JNIEXPORT void JNICALL Java_jmck_emulator_host_HostMemory_fill(JNIEnv *env, jclass cls, jlong address, jlong length,
							      jbyte value)
{
	memset((void *)(intptr_t)address, value, (size_t)length);
}

JNIEXPORT jobject JNICALL Java_jmck_emulator_host_HostMemory_newBuffer(JNIEnv *env, jclass cls, jlong address, jlong length)
{
	return (*env)->NewDirectByteBuffer(env, (void *)(intptr_t)address, length);
}

JNIEXPORT jlong JNICALL Java_jmck_emulator_host_HostMemory_address(JNIEnv *env, jclass cls, jobject buffer)
{
	return (jlong)(intptr_t)(*env)->GetDirectBufferAddress(env, buffer);
}
