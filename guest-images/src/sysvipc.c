/* System V IPC between processes: message queues (types, blocking, EIDRM), semaphores (atomic ops,
 * blocking, IPC_NOWAIT, semtimedop's timeout, SEM_UNDO at exit, counts) and shared memory (attached by
 * parent and child, attach counts, removal while attached). All were ENOSYS. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "procstate.h"

struct msg {
    long type;
    char text[64];
};

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void messages(void) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("msgget: %s\n", q >= 0 ? "ok" : errname(errno));
    struct msg m = {5, "five"};
    msgsnd(q, &m, 5, 0);
    m.type = 2;
    strcpy(m.text, "two");
    msgsnd(q, &m, 4, 0);
    m.type = 9;
    strcpy(m.text, "nine");
    msgsnd(q, &m, 5, 0);
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    printf("IPC_STAT: %lu messages, %lu bytes, lspid is ours: %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, ds.msg_lspid == getpid());
    struct msg r;
    long n = msgrcv(q, &r, sizeof r.text, 2, 0);
    printf("msgrcv type 2: %s [%s]\n", outcome(n), r.text);
    n = msgrcv(q, &r, sizeof r.text, -6, 0);
    printf("msgrcv type -6 (lowest up to 6): %s [%s]\n", outcome(n), r.text);
    printf("msgrcv into 2 bytes: %s\n", outcome(msgrcv(q, &r, 2, 0, 0)));
    n = msgrcv(q, &r, 2, 0, MSG_NOERROR);
    printf("with MSG_NOERROR: %s [%.2s]\n", outcome(n), r.text);
    printf("empty, IPC_NOWAIT: %s\n", outcome(msgrcv(q, &r, sizeof r.text, 0, IPC_NOWAIT)));
    m.type = 0;
    printf("msgsnd type 0: %s\n", outcome(msgsnd(q, &m, 1, 0)));

    /* a receiver waits until another process sends */
    pid_t child = fork();
    if (child == 0) {
        n = msgrcv(q, &r, sizeof r.text, 7, 0);
        _exit(n == 6 && strcmp(r.text, "seven") == 0 ? 0 : 1);
    }
    wait_sleeping(child, 20);
    m.type = 7;
    strcpy(m.text, "seven");
    msgsnd(q, &m, 6, 0);
    int status;
    waitpid(child, &status, 0);
    printf("a waiting receiver got the message sent later: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* removing the queue wakes its waiters with EIDRM */
    child = fork();
    if (child == 0)
        _exit(msgrcv(q, &r, sizeof r.text, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
    wait_sleeping(child, 20);
    printf("IPC_RMID: %s\n", outcome(msgctl(q, IPC_RMID, NULL)));
    waitpid(child, &status, 0);
    printf("the waiter got EIDRM: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("msgsnd to the removed id: %s\n", outcome(msgsnd(q, &m, 1, 0)));
    int k = msgget(0x4a4d434b, IPC_CREAT | IPC_EXCL | 0600);
    printf("by key: %s, ", k >= 0 ? "ok" : errname(errno));
    printf("again with IPC_EXCL: %s, ", outcome(msgget(0x4a4d434b, IPC_CREAT | IPC_EXCL | 0600)));
    printf("without IPC_CREAT: %s\n", msgget(0x4a4d434b, 0) == k ? "the same" : "other");
    msgctl(k, IPC_RMID, NULL);
    printf("after removal, without IPC_CREAT: %s\n", outcome(msgget(0x4a4d434b, 0)));
}

static void semaphores(void) {
    int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    printf("semget 3: %s\n", s >= 0 ? "ok" : errname(errno));
    union semun u = {.val = 2};
    long r = semctl(s, 0, SETVAL, u);
    printf("SETVAL 2: %s, GETVAL: %d\n", outcome(r), semctl(s, 0, GETVAL));
    struct sembuf two[2] = {{0, -1, 0}, {1, -1, IPC_NOWAIT}};
    r = semop(s, two, 2);
    printf("two ops, the second cannot: %s, sem 0 still: %d\n", outcome(r), semctl(s, 0, GETVAL));
    struct sembuf down = {0, -2, 0};
    r = semop(s, &down, 1);
    printf("down by 2: %s, now %d, GETPID is ours: %d\n", outcome(r), semctl(s, 0, GETVAL), semctl(s, 0, GETPID) == getpid());
    struct timespec ts = {0, 20000000};
    struct sembuf one = {0, -1, 0};
    printf("semtimedop that must wait: %s\n", outcome(semtimedop(s, &one, 1, &ts)));
    u.val = 40000;
    printf("SETVAL 40000: %s\n", outcome(semctl(s, 0, SETVAL, u)));
    struct sembuf far = {5, 1, 0};
    printf("sem_num 5 of 3: %s\n", outcome(semop(s, &far, 1)));

    /* a process waiting for an increase is counted, and woken */
    pid_t child = fork();
    if (child == 0)
        _exit(semop(s, &one, 1) == 0 ? 0 : 1);
    wait_sleeping(child, 20);
    printf("GETNCNT while it waits: %d\n", semctl(s, 0, GETNCNT));
    struct sembuf up = {0, 1, 0};
    semop(s, &up, 1);
    int status;
    waitpid(child, &status, 0);
    printf("the waiter went on: %d, value %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0, semctl(s, 0, GETVAL));

    /* SEM_UNDO: what a process did is undone when it ends */
    child = fork();
    if (child == 0) {
        struct sembuf u3 = {2, 3, SEM_UNDO};
        semop(s, &u3, 1);
        _exit(semctl(s, 2, GETVAL) == 3 ? 0 : 1);
    }
    waitpid(child, &status, 0);
    printf("child added 3 with SEM_UNDO: %d, after it ended: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0,
           semctl(s, 2, GETVAL));
    unsigned short all[3] = {7, 8, 9}, got[3];
    u.array = all;
    semctl(s, 0, SETALL, u);
    u.array = got;
    semctl(s, 0, GETALL, u);
    printf("SETALL/GETALL: %d %d %d\n", got[0], got[1], got[2]);
    struct semid_ds ds;
    u.buf = &ds;
    semctl(s, 0, IPC_STAT, u);
    printf("IPC_STAT: %lu semaphores, mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    printf("IPC_RMID: %s, ", outcome(semctl(s, 0, IPC_RMID)));
    printf("then GETVAL: %s\n", outcome(semctl(s, 0, GETVAL)));
}

static void shared_memory(void) {
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    printf("shmget 10000: %s\n", id >= 0 ? "ok" : errname(errno));
    char *p = shmat(id, NULL, 0);
    printf("shmat: %s\n", p == (void *)-1 ? errname(errno) : "ok");
    strcpy(p, "parent wrote");
    strcpy(p + 8192, "third page");
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("IPC_STAT: size %lu, attached %lu, cpid is ours: %d\n", (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid());
    int sync[2];
    pipe(sync);
    pid_t child = fork();
    if (child == 0) {
        char *q = shmat(id, NULL, 0); /* a second attach, at another address */
        int ok = strcmp(q, "parent wrote") == 0 && strcmp(q + 8192, "third page") == 0;
        strcpy(q + 100, "child wrote");
        struct shmid_ds cds;
        shmctl(id, IPC_STAT, &cds);
        write(sync[1], &cds.shm_nattch, sizeof cds.shm_nattch);
        shmdt(q);
        _exit(ok ? 0 : 1);
    }
    shmatt_t during;
    read(sync[0], &during, sizeof during);
    int status;
    waitpid(child, &status, 0);
    printf("the child saw the parent's writes: %d, attached while it ran: %lu\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 0, (unsigned long)during);
    printf("the parent sees the child's: %s\n", p + 100);
    shmctl(id, IPC_STAT, &ds);
    printf("attached after it ended: %lu\n", (unsigned long)ds.shm_nattch);
    char maps[8192];
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = fread(maps, 1, sizeof maps - 1, f);
    maps[n] = 0;
    fclose(f);
    printf("maps names it /SYSV: %d\n", strstr(maps, "/SYSV00000000") != NULL);
    long r = shmctl(id, IPC_RMID, NULL);
    printf("IPC_RMID while attached: %s, still usable: %d\n", outcome(r), strcmp(p, "parent wrote") == 0);
    shmctl(id, IPC_STAT, &ds);
    printf("marked for removal: %d\n", (ds.shm_perm.mode & SHM_DEST) != 0);
    printf("shmdt: %s, ", outcome(shmdt(p)));
    printf("then IPC_STAT: %s\n", outcome(shmctl(id, IPC_STAT, &ds)));
    printf("shmdt of nothing attached: %s\n", outcome(shmdt(p)));
    printf("shmget size 0: %s\n", outcome(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600)));
    int ro = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0400);
    printf("shmat read-write of a 0400 segment as its owner: %s\n", shmat(ro, NULL, 0) == (void *)-1 ? errname(errno) : "ok");
    char *rp = shmat(ro, NULL, SHM_RDONLY);
    printf("SHM_RDONLY: %s\n", rp == (void *)-1 ? errname(errno) : "ok");
    shmdt(rp);
    shmctl(ro, IPC_RMID, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    messages();
    semaphores();
    shared_memory();
    return 0;
}
