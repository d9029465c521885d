/* The FPU state a program starts with and what its threads, children, signal handlers and execve'd images
 * get, and the floating-point output that depends on it. Linux starts a process with the x87 control word
 * 0x37f (64-bit precision, round to nearest, exceptions masked) and MXCSR 0x1f80; a thread or child
 * inherits its parent's; a signal handler starts from the initial state and the interrupted code gets its
 * own back; execve starts from the initial state. With the wrong start (x87 rounding to single precision)
 * musl's printf and strtod print wrong digits. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned fcw(void) {
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

/* MXCSR's control bits; its exception flags (the low six) are sticky results of earlier arithmetic. */
static unsigned mxcsr(void) {
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m & ~0x3fu;
}

static void set_fcw(unsigned cw) {
    uint16_t v = cw;
    __asm__ volatile("fldcw %0" : : "m"(v));
}

static void set_mxcsr(unsigned m) {
    uint32_t v = m;
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

/* Non-default control words: round toward zero, 53-bit x87 precision, SSE flush-to-zero. */
#define ODD_FCW 0xe7f
#define ODD_MXCSR 0x9f80

static void *thread_words(void *arg) {
    unsigned *w = arg;
    w[0] = fcw();
    w[1] = mxcsr();
    return NULL;
}

static volatile unsigned handler_fcw, handler_mxcsr;

static void handler(int sig) {
    (void)sig;
    handler_fcw = fcw();
    handler_mxcsr = mxcsr();
    set_fcw(0x7f); /* the handler's own changes must not leak back into the interrupted code */
    set_mxcsr(0x7f80);
}

static void numbers(void) {
    volatile double one_one = 1.1, third = 1.0 / 3, big = 1e300, tiny = 5e-324, pi = M_PI;
    volatile long double lthird = 1.0L / 3;
    printf("%%g: %g %g %g %g %g\n", one_one, third, big, tiny, pi);
    printf("%%.17g: %.17g %.17g %.17g %.17g %.17g\n", one_one, third, big, tiny, pi);
    printf("%%a: %a %a\n", one_one, third);
    printf("%%La: %La %La %La\n", (long double)one_one, lthird, strtold("0.1", NULL));
    printf("%%.21Lg: %.21Lg %.21Lg\n", lthird, strtold("1.1", NULL));
    printf("%%Lg: %Lg %Lg\n", strtold("3.14159265358979323846264338327950288", NULL), strtold("1e-4000", NULL));
    printf("strtod: %.17g %.17g %.17g\n", strtod("0.1", NULL), strtod("2.2250738585072014e-308", NULL),
           strtod("9007199254740993", NULL));
    printf("strtof: %.9g %.9g\n", strtof("0.1", NULL), strtof("16777217", NULL));
    printf("long double arithmetic: %.21Lg %d\n", lthird * 3 - 1, LDBL_MANT_DIG);
    printf("sqrt exp log: %.17g %.17g %.17g\n", sqrt(2.0), exp(1.0), log(10.0));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        printf("after execve: fcw %#x mxcsr %#x\n", fcw(), mxcsr());
        return 0;
    }
    printf("start: fcw %#x mxcsr %#x\n", fcw(), mxcsr());
    numbers();

    unsigned w[2];
    pthread_t t;
    pthread_create(&t, NULL, thread_words, w);
    pthread_join(t, NULL);
    printf("new thread: fcw %#x mxcsr %#x\n", w[0], w[1]);

    set_fcw(ODD_FCW);
    set_mxcsr(ODD_MXCSR);
    pthread_create(&t, NULL, thread_words, w);
    pthread_join(t, NULL);
    unsigned after_thread_fcw = fcw(), after_thread_mxcsr = mxcsr();

    signal(SIGUSR1, handler);
    raise(SIGUSR1);
    unsigned after_handler_fcw = fcw(), after_handler_mxcsr = mxcsr();

    pid_t pid = fork();
    if (pid == 0)
        _exit((fcw() == ODD_FCW) | (mxcsr() == ODD_MXCSR) << 1);
    int status;
    waitpid(pid, &status, 0);

    set_fcw(0x37f);
    set_mxcsr(0x1f80);
    printf("thread created under odd words: fcw %#x mxcsr %#x\n", w[0], w[1]);
    printf("creator after it: fcw %#x mxcsr %#x\n", after_thread_fcw, after_thread_mxcsr);
    printf("signal handler: fcw %#x mxcsr %#x\n", handler_fcw, handler_mxcsr);
    printf("after the handler: fcw %#x mxcsr %#x\n", after_handler_fcw, after_handler_mxcsr);
    printf("forked child inherits: %d\n", WEXITSTATUS(status));
    fflush(stdout);

    set_fcw(ODD_FCW);
    set_mxcsr(ODD_MXCSR);
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    perror("execl");
    return 1;
}
