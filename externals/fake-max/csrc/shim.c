/*
 * The C half of the fake-max TEST KERNEL (not Max): what stable Rust cannot
 * define or call.
 *
 * - The variadic Max API functions (post, error, object_post, object_error,
 *   object_warn, cpost, class_new, class_addmethod, object_method): they
 *   format with vsnprintf, as Max does, or collect their argument lists, then
 *   hand over to the Rust side (fm_* functions in src/api.rs).
 * - Calls of typed methods and creators (fm_call_typed), of A_CANT methods
 *   with pointer arguments (fm_call_ptrs).
 * - systhread_* (POSIX threads, or Win32 threads on Windows) and sysmem_*
 *   (malloc with a size header), so that a systhread's exit (pthread_exit,
 *   ExitThread) unwinds C frames only.
 *
 * On Windows this is part of MaxAPI.dll: every API function here is marked
 * FM_EXPORT, since the DLL's export list that rustc writes names only the
 * Rust side's functions.
 *
 * Threads: any; nothing here keeps state except the memory it hands out.
 */
#define _GNU_SOURCE
/* C99 printf formats (%zu, %lld) on Windows too, as Max formats them. */
#define __USE_MINGW_ANSI_STDIO 1
#include "ext.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#define FM_EXPORT __declspec(dllexport)
#else
#include <pthread.h>
#include <time.h>
#define FM_EXPORT
#endif

/* Implemented in Rust (src/api.rs). */
extern void fm_print(int kind, void *obj, const char *text);
extern t_class *fm_class_new(const char *name, method mnew, method mfree, long size, const int *types, int ntypes);
extern t_max_err fm_class_addmethod(t_class *c, method m, const char *name, const int *types, int ntypes);
extern void *fm_object_method(void *x, t_symbol *s, void *const *args);

enum { FM_POST = 0, FM_ERROR = 1, FM_WARN = 2, FM_CPOST = 3 };

/* Formats like vsprintf into a buffer of the right size, then prints. */
static void fm_vprint(int kind, void *obj, const char *fmt, va_list ap)
{
    char small[1024];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt ? fmt : "", copy);
    va_end(copy);
    if (n < 0) {
        fm_print(kind, obj, "(bad format)");
    } else if ((size_t)n < sizeof small) {
        fm_print(kind, obj, small);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            fm_print(kind, obj, small);
            return;
        }
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        fm_print(kind, obj, big);
        free(big);
    }
}

FM_EXPORT void post(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_POST, NULL, fmt, ap);
    va_end(ap);
}

FM_EXPORT void cpost(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_CPOST, NULL, fmt, ap);
    va_end(ap);
}

FM_EXPORT void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_ERROR, NULL, fmt, ap);
    va_end(ap);
}

FM_EXPORT void object_post(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_POST, x, s, ap);
    va_end(ap);
}

FM_EXPORT void object_error(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_ERROR, x, s, ap);
    va_end(ap);
}

FM_EXPORT void object_warn(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_WARN, x, s, ap);
    va_end(ap);
}

FM_EXPORT void object_error_obtrusive(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_ERROR, x, s, ap);
    va_end(ap);
}

FM_EXPORT char *strncpy_zero(char *dst, const char *src, long size)
{
    if (size <= 0)
        return dst;
    strncpy(dst, src, (size_t)size - 1);
    dst[size - 1] = 0;
    return dst;
}

FM_EXPORT int snprintf_zero(char *buffer, size_t count, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(buffer, count, format, ap);
    va_end(ap);
    if (count > 0)
        buffer[count - 1] = 0;
    return n;
}

/* A type list ends with 0; it has at most MSG_MAXARG + 1 entries. */
FM_EXPORT t_class *class_new(const char *name, method mnew, method mfree, long size, method mmenu, short type, ...)
{
    (void)mmenu;
    int types[MSG_MAXARG + 2];
    int n = 0;
    int t = type;
    va_list ap;
    va_start(ap, type);
    while (t != 0 && n < MSG_MAXARG + 2) {
        types[n++] = t;
        t = va_arg(ap, int);
    }
    va_end(ap);
    return fm_class_new(name, mnew, mfree, size, types, n);
}

FM_EXPORT t_max_err class_addmethod(t_class *c, method m, const char *name, ...)
{
    int types[MSG_MAXARG + 2];
    int n = 0;
    va_list ap;
    va_start(ap, name);
    int t = va_arg(ap, int);
    while (t != 0 && n < MSG_MAXARG + 2) {
        types[n++] = t;
        t = va_arg(ap, int);
    }
    va_end(ap);
    return fm_class_addmethod(c, m, name, types, n);
}

/*
 * object_method passes its arguments on as pointer-sized words, as Max's does
 * for A_CANT methods: it reads 8 of them whatever the caller passed (reading
 * unpassed variadic words on x86-64 SysV, or on Win64, where they are the
 * caller's stack slots above its arguments, yields garbage, never a fault,
 * and the callee ignores what it does not declare).
 */
FM_EXPORT void *object_method(void *x, t_symbol *s, ...)
{
    void *args[8];
    va_list ap;
    va_start(ap, s);
    for (int i = 0; i < 8; i++)
        args[i] = va_arg(ap, void *);
    va_end(ap);
    return fm_object_method(x, s, args);
}

/*
 * Calls a typed method or creator: fn(args[0], ..., args[n-1]), where
 * args[i] is a double if is_double[i], else a word (an integer or a
 * pointer); at most 8 of each (dispatch.rs checks).
 *
 * x86-64 SysV and aarch64 pass integer and pointer arguments in integer
 * registers in order and doubles in vector registers in order, whatever
 * their interleaving in the prototype; so a call through a pointer cast to
 * (i0..i7, d0..d7) gives a function declared with any mix of up to 8 words
 * and 8 doubles the right values (Pd's pd_typedmess does the same). The 7th
 * and 8th integer words go on the stack in order, where such a callee looks
 * for them.
 *
 * Win64 passes an argument by its position instead: the first four each in
 * the integer register OR the vector register of their slot (RCX/XMM0,
 * RDX/XMM1, R8/XMM2, R9/XMM3), as its type says; every later one in its own
 * 8-byte stack slot, in order, a double as its 8 bytes. So the types of the
 * first four positions fix the call (16 patterns, one cast each); the later
 * arguments are passed as 8-byte words holding the same bytes, which is
 * what a callee reading a double from that slot finds. Unused trailing
 * arguments are harmless: the caller owns and pops the stack.
 */
typedef union {
    intptr_t w;
    double d;
} fm_arg;

#ifdef _WIN64

#define FM_MAXPOS 16
#define FM_TAIL intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, \
                intptr_t, intptr_t
#define FM_TAILV a[4].w, a[5].w, a[6].w, a[7].w, a[8].w, a[9].w, a[10].w, a[11].w, a[12].w, a[13].w, a[14].w, a[15].w
/* A position's value as its type: FM_V_intptr_t(k) or FM_V_double(k). */
#define FM_V_intptr_t(k) a[k].w
#define FM_V_double(k) a[k].d
/* The call whose first four parameters have the types T0..T3. */
#define FM_CASE(n, T0, T1, T2, T3)                                                                              \
    case n:                                                                                                      \
        return ((void *(*)(T0, T1, T2, T3, FM_TAIL))(void *)fn)(FM_V_##T0(0), FM_V_##T1(1), FM_V_##T2(2),      \
                                                                 FM_V_##T3(3), FM_TAILV)

void *fm_call_typed(method fn, const fm_arg *args, const unsigned char *is_double, int n)
{
    fm_arg a[FM_MAXPOS];
    unsigned pattern = 0;
    memset(a, 0, sizeof a);
    for (int i = 0; i < n && i < FM_MAXPOS; i++) {
        a[i] = args[i];
        if (i < 4 && is_double[i])
            pattern |= 1u << i;
    }
    switch (pattern) {
        FM_CASE(0, intptr_t, intptr_t, intptr_t, intptr_t);
        FM_CASE(1, double, intptr_t, intptr_t, intptr_t);
        FM_CASE(2, intptr_t, double, intptr_t, intptr_t);
        FM_CASE(3, double, double, intptr_t, intptr_t);
        FM_CASE(4, intptr_t, intptr_t, double, intptr_t);
        FM_CASE(5, double, intptr_t, double, intptr_t);
        FM_CASE(6, intptr_t, double, double, intptr_t);
        FM_CASE(7, double, double, double, intptr_t);
        FM_CASE(8, intptr_t, intptr_t, intptr_t, double);
        FM_CASE(9, double, intptr_t, intptr_t, double);
        FM_CASE(10, intptr_t, double, intptr_t, double);
        FM_CASE(11, double, double, intptr_t, double);
        FM_CASE(12, intptr_t, intptr_t, double, double);
        FM_CASE(13, double, intptr_t, double, double);
        FM_CASE(14, intptr_t, double, double, double);
        default:
            FM_CASE(15, double, double, double, double);
    }
}

#else

typedef void *(*fm_typed_fn)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t,
                             double, double, double, double, double, double, double, double);

void *fm_call_typed(method fn, const fm_arg *args, const unsigned char *is_double, int n)
{
    intptr_t i[8] = {0};
    double d[8] = {0};
    int ni = 0, nd = 0;
    for (int k = 0; k < n; k++) {
        if (is_double[k]) {
            if (nd < 8)
                d[nd++] = args[k].d;
        } else if (ni < 8) {
            i[ni++] = args[k].w;
        }
    }
    fm_typed_fn f = (fm_typed_fn)(void *)fn;
    return f(i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

#endif

typedef void *(*fm_ptrs_fn)(void *, void *, void *, void *, void *, void *, void *, void *, void *);

void *fm_call_ptrs(method fn, void *x, void *const *a)
{
    fm_ptrs_fn f = (fm_ptrs_fn)(void *)fn;
    return f(x, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}

#ifdef _WIN32

/* ---- systhread: Win32 threads ---- */

struct fm_start {
    void *(*entry)(void *);
    void *arg;
};

static DWORD WINAPI fm_thread_main(LPVOID p)
{
    struct fm_start s = *(struct fm_start *)p;
    free(p);
    return (DWORD)(uintptr_t)s.entry(s.arg);
}

FM_EXPORT long systhread_create(method entryproc, void *arg, long stacksize, long priority, long flags,
                                t_systhread *thread)
{
    (void)priority;
    (void)flags;
    struct fm_start *s = malloc(sizeof *s);
    if (!s)
        return MAX_ERR_OUT_OF_MEM;
    s->entry = (void *(*)(void *))(void *)entryproc;
    s->arg = arg;
    SIZE_T size = stacksize > 0 ? ((SIZE_T)stacksize < 65536 ? 65536 : (SIZE_T)stacksize) : 0;
    HANDLE t = CreateThread(NULL, size, fm_thread_main, s, 0, NULL);
    if (!t) {
        free(s);
        return MAX_ERR_GENERIC;
    }
    if (thread)
        *thread = (t_systhread)t;
    else
        CloseHandle(t);
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_join(t_systhread thread, unsigned int *retval)
{
    DWORD rv = 0;
    if (WaitForSingleObject((HANDLE)thread, INFINITE) != WAIT_OBJECT_0 || !GetExitCodeThread((HANDLE)thread, &rv))
        return MAX_ERR_GENERIC;
    CloseHandle((HANDLE)thread);
    if (retval)
        *retval = (unsigned int)rv;
    return MAX_ERR_NONE;
}

FM_EXPORT void systhread_exit(long status)
{
    ExitThread((DWORD)status);
}

FM_EXPORT void systhread_sleep(long milliseconds)
{
    Sleep(milliseconds > 0 ? (DWORD)milliseconds : 0);
}

FM_EXPORT t_systhread systhread_self(void)
{
    return (t_systhread)(uintptr_t)GetCurrentThreadId();
}

/* A recursive mutex is a critical section (recursive by nature); a normal
   or error-checking one an SRW lock, which its owner cannot take again
   (trylock fails), as a POSIX normal mutex's trylock does. */
struct fm_mutex {
    int recursive;
    CRITICAL_SECTION cs;
    SRWLOCK srw;
};

FM_EXPORT long systhread_mutex_new(t_systhread_mutex *pmutex, long flags)
{
    struct fm_mutex *m = calloc(1, sizeof *m);
    if (!m)
        return MAX_ERR_OUT_OF_MEM;
    m->recursive = (flags & SYSTHREAD_MUTEX_RECURSIVE) != 0;
    if (m->recursive)
        InitializeCriticalSection(&m->cs);
    else
        InitializeSRWLock(&m->srw);
    *pmutex = m;
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_free(t_systhread_mutex pmutex)
{
    struct fm_mutex *m = pmutex;
    if (!m)
        return MAX_ERR_INVALID_PTR;
    if (m->recursive)
        DeleteCriticalSection(&m->cs);
    free(m);
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_lock(t_systhread_mutex pmutex)
{
    struct fm_mutex *m = pmutex;
    if (m->recursive)
        EnterCriticalSection(&m->cs);
    else
        AcquireSRWLockExclusive(&m->srw);
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_unlock(t_systhread_mutex pmutex)
{
    struct fm_mutex *m = pmutex;
    if (m->recursive)
        LeaveCriticalSection(&m->cs);
    else
        ReleaseSRWLockExclusive(&m->srw);
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_trylock(t_systhread_mutex pmutex)
{
    struct fm_mutex *m = pmutex;
    BOOL got = m->recursive ? TryEnterCriticalSection(&m->cs) : TryAcquireSRWLockExclusive(&m->srw);
    return got ? MAX_ERR_NONE : MAX_ERR_GENERIC;
}

#else

/* ---- systhread: POSIX threads ---- */

struct fm_start {
    void *(*entry)(void *);
    void *arg;
};

static void *fm_thread_main(void *p)
{
    struct fm_start s = *(struct fm_start *)p;
    free(p);
    return s.entry(s.arg);
}

FM_EXPORT long systhread_create(method entryproc, void *arg, long stacksize, long priority, long flags, t_systhread *thread)
{
    (void)priority;
    (void)flags;
    pthread_attr_t attr;
    pthread_t t;
    struct fm_start *s = malloc(sizeof *s);
    if (!s)
        return MAX_ERR_OUT_OF_MEM;
    s->entry = (void *(*)(void *))(void *)entryproc;
    s->arg = arg;
    pthread_attr_init(&attr);
    if (stacksize > 0)
        pthread_attr_setstacksize(&attr, (size_t)stacksize < 65536 ? 65536 : (size_t)stacksize);
    int rc = pthread_create(&t, &attr, fm_thread_main, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(s);
        return MAX_ERR_GENERIC;
    }
    if (thread)
        *thread = (t_systhread)t;
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_join(t_systhread thread, unsigned int *retval)
{
    void *rv = NULL;
    if (pthread_join((pthread_t)thread, &rv) != 0)
        return MAX_ERR_GENERIC;
    if (retval)
        *retval = (unsigned int)(uintptr_t)rv;
    return MAX_ERR_NONE;
}

FM_EXPORT void systhread_exit(long status)
{
    pthread_exit((void *)(intptr_t)status);
}

FM_EXPORT void systhread_sleep(long milliseconds)
{
    struct timespec ts;
    ts.tv_sec = milliseconds / 1000;
    ts.tv_nsec = (milliseconds % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

FM_EXPORT t_systhread systhread_self(void)
{
    return (t_systhread)pthread_self();
}

FM_EXPORT long systhread_mutex_new(t_systhread_mutex *pmutex, long flags)
{
    pthread_mutex_t *m = malloc(sizeof *m);
    pthread_mutexattr_t attr;
    if (!m)
        return MAX_ERR_OUT_OF_MEM;
    pthread_mutexattr_init(&attr);
    if (flags & SYSTHREAD_MUTEX_RECURSIVE)
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    else if (flags & SYSTHREAD_MUTEX_ERRORCHECK)
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    *pmutex = m;
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_free(t_systhread_mutex pmutex)
{
    if (!pmutex)
        return MAX_ERR_INVALID_PTR;
    pthread_mutex_destroy((pthread_mutex_t *)pmutex);
    free(pmutex);
    return MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_lock(t_systhread_mutex pmutex)
{
    return pthread_mutex_lock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_unlock(t_systhread_mutex pmutex)
{
    return pthread_mutex_unlock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

FM_EXPORT long systhread_mutex_trylock(t_systhread_mutex pmutex)
{
    return pthread_mutex_trylock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

#endif

/* ---- sysmem: malloc with a 16-byte header holding the size ---- */

#define FM_HDR 16

FM_EXPORT t_ptr sysmem_newptr(long size)
{
    if (size < 0)
        return NULL;
    char *p = malloc((size_t)size + FM_HDR);
    if (!p)
        return NULL;
    *(size_t *)p = (size_t)size;
    return p + FM_HDR;
}

FM_EXPORT t_ptr sysmem_newptrclear(long size)
{
    t_ptr p = sysmem_newptr(size);
    if (p)
        memset(p, 0, (size_t)size);
    return p;
}

FM_EXPORT long sysmem_ptrsize(void *ptr)
{
    return ptr ? (long)*(size_t *)((char *)ptr - FM_HDR) : 0;
}

FM_EXPORT t_ptr sysmem_resizeptr(void *ptr, long newsize)
{
    if (!ptr)
        return sysmem_newptr(newsize);
    if (newsize < 0)
        return NULL;
    char *p = realloc((char *)ptr - FM_HDR, (size_t)newsize + FM_HDR);
    if (!p)
        return NULL;
    *(size_t *)p = (size_t)newsize;
    return p + FM_HDR;
}

FM_EXPORT void sysmem_freeptr(void *ptr)
{
    if (ptr)
        free((char *)ptr - FM_HDR);
}

FM_EXPORT void sysmem_copyptr(const void *src, void *dst, long bytes)
{
    memmove(dst, src, (size_t)bytes);
}

FM_EXPORT char *getbytes(t_getbytes_size size)
{
    return sysmem_newptr((long)size);
}

FM_EXPORT void freebytes(void *b, t_getbytes_size size)
{
    (void)size;
    sysmem_freeptr(b);
}

#ifdef _WIN32

/* ---- critical regions: critical sections (recursive); region 0 is one
   global one, made on first use ---- */

static CRITICAL_SECTION fm_global_critical;
static INIT_ONCE fm_global_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK fm_init_global(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once;
    (void)param;
    (void)context;
    InitializeCriticalSection(&fm_global_critical);
    return TRUE;
}

static CRITICAL_SECTION *fm_region(t_critical x)
{
    if (x)
        return (CRITICAL_SECTION *)x;
    InitOnceExecuteOnce(&fm_global_once, fm_init_global, NULL, NULL);
    return &fm_global_critical;
}

FM_EXPORT void critical_new(t_critical *x)
{
    CRITICAL_SECTION *c = malloc(sizeof *c);
    if (c)
        InitializeCriticalSection(c);
    *x = c;
}

FM_EXPORT void critical_enter(t_critical x)
{
    EnterCriticalSection(fm_region(x));
}

FM_EXPORT void critical_exit(t_critical x)
{
    LeaveCriticalSection(fm_region(x));
}

FM_EXPORT short critical_tryenter(t_critical x)
{
    return TryEnterCriticalSection(fm_region(x)) ? 0 : 1;
}

FM_EXPORT void critical_free(t_critical x)
{
    if (x) {
        DeleteCriticalSection((CRITICAL_SECTION *)x);
        free(x);
    }
}

#else

/* ---- critical regions: recursive mutexes; region 0 is one global one ---- */

static pthread_mutex_t fm_global_critical = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static pthread_mutex_t *fm_region(t_critical x)
{
    return x ? (pthread_mutex_t *)x : &fm_global_critical;
}

FM_EXPORT void critical_new(t_critical *x)
{
    pthread_mutex_t *m = malloc(sizeof *m);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    if (m)
        pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    *x = m;
}

FM_EXPORT void critical_enter(t_critical x)
{
    pthread_mutex_lock(fm_region(x));
}

FM_EXPORT void critical_exit(t_critical x)
{
    pthread_mutex_unlock(fm_region(x));
}

FM_EXPORT short critical_tryenter(t_critical x)
{
    return pthread_mutex_trylock(fm_region(x)) == 0 ? 0 : 1;
}

FM_EXPORT void critical_free(t_critical x)
{
    if (x) {
        pthread_mutex_destroy((pthread_mutex_t *)x);
        free(x);
    }
}

#endif
