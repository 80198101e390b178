/*
 * ext_systhread.h for the fake-max TEST KERNEL. This is NOT the Cycling '74
 * Max SDK. Written by the pyrus project from API facts; the threads are POSIX
 * threads of the kernel's process.
 */
#ifndef FAKE_MAX_EXT_SYSTHREAD_H
#define FAKE_MAX_EXT_SYSTHREAD_H

#include "ext.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void *t_systhread;
typedef void *t_systhread_mutex;

#define SYSTHREAD_MUTEX_NORMAL 0x00000000
#define SYSTHREAD_MUTEX_ERRORCHECK 0x00000001
#define SYSTHREAD_MUTEX_RECURSIVE 0x00000002

long systhread_create(method entryproc, void *arg, long stacksize, long priority, long flags, t_systhread *thread);
long systhread_join(t_systhread thread, unsigned int *retval);
void systhread_exit(long status);
void systhread_sleep(long milliseconds);
t_systhread systhread_self(void);
short systhread_ismainthread(void);
short systhread_istimerthread(void);
long systhread_mutex_new(t_systhread_mutex *pmutex, long flags);
long systhread_mutex_free(t_systhread_mutex pmutex);
long systhread_mutex_lock(t_systhread_mutex pmutex);
long systhread_mutex_unlock(t_systhread_mutex pmutex);
long systhread_mutex_trylock(t_systhread_mutex pmutex);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_MAX_EXT_SYSTHREAD_H */
