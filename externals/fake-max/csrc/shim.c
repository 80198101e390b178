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
 * - systhread_* (POSIX threads) and sysmem_* (malloc with a size header), so
 *   that a systhread's exit (pthread_exit) unwinds C frames only.
 *
 * Threads: any; nothing here keeps state except the memory it hands out.
 */
#define _GNU_SOURCE
#include "ext.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void post(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_POST, NULL, fmt, ap);
    va_end(ap);
}

void cpost(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_CPOST, NULL, fmt, ap);
    va_end(ap);
}

void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fm_vprint(FM_ERROR, NULL, fmt, ap);
    va_end(ap);
}

void object_post(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_POST, x, s, ap);
    va_end(ap);
}

void object_error(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_ERROR, x, s, ap);
    va_end(ap);
}

void object_warn(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_WARN, x, s, ap);
    va_end(ap);
}

void object_error_obtrusive(t_object *x, const char *s, ...)
{
    va_list ap;
    va_start(ap, s);
    fm_vprint(FM_ERROR, x, s, ap);
    va_end(ap);
}

char *strncpy_zero(char *dst, const char *src, long size)
{
    if (size <= 0)
        return dst;
    strncpy(dst, src, (size_t)size - 1);
    dst[size - 1] = 0;
    return dst;
}

int snprintf_zero(char *buffer, size_t count, const char *format, ...)
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
t_class *class_new(const char *name, method mnew, method mfree, long size, method mmenu, short type, ...)
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

t_max_err class_addmethod(t_class *c, method m, const char *name, ...)
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
 * unpassed variadic words on x86-64 SysV yields garbage, never a fault, and
 * the callee ignores what it does not declare).
 */
void *object_method(void *x, t_symbol *s, ...)
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
 * Calls a typed method or creator. On x86-64 SysV (and aarch64) integer and
 * pointer arguments go in integer registers in order and doubles in vector
 * registers in order, whatever their interleaving in the prototype; so a call
 * through a pointer cast to (i0..i7, d0..d7) gives a function declared with
 * any mix of up to 8 integer/pointer and 8 double parameters the right values
 * (Pd's pd_typedmess does the same). The 7th and 8th integer words go on the
 * stack in order, where such a callee looks for them. A Win64 build (issue 14:
 * MaxAPI.dll for wine) cannot do this: there a parameter's register depends
 * on its position, so it needs one call per type pattern.
 */
typedef void *(*fm_typed_fn)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t,
                             double, double, double, double, double, double, double, double);

void *fm_call_typed(method fn, const intptr_t *i, const double *d)
{
    fm_typed_fn f = (fm_typed_fn)(void *)fn;
    return f(i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

typedef void *(*fm_ptrs_fn)(void *, void *, void *, void *, void *, void *, void *, void *, void *);

void *fm_call_ptrs(method fn, void *x, void *const *a)
{
    fm_ptrs_fn f = (fm_ptrs_fn)(void *)fn;
    return f(x, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}

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

long systhread_create(method entryproc, void *arg, long stacksize, long priority, long flags, t_systhread *thread)
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

long systhread_join(t_systhread thread, unsigned int *retval)
{
    void *rv = NULL;
    if (pthread_join((pthread_t)thread, &rv) != 0)
        return MAX_ERR_GENERIC;
    if (retval)
        *retval = (unsigned int)(uintptr_t)rv;
    return MAX_ERR_NONE;
}

void systhread_exit(long status)
{
    pthread_exit((void *)(intptr_t)status);
}

void systhread_sleep(long milliseconds)
{
    struct timespec ts;
    ts.tv_sec = milliseconds / 1000;
    ts.tv_nsec = (milliseconds % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

t_systhread systhread_self(void)
{
    return (t_systhread)pthread_self();
}

long systhread_mutex_new(t_systhread_mutex *pmutex, long flags)
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

long systhread_mutex_free(t_systhread_mutex pmutex)
{
    if (!pmutex)
        return MAX_ERR_INVALID_PTR;
    pthread_mutex_destroy((pthread_mutex_t *)pmutex);
    free(pmutex);
    return MAX_ERR_NONE;
}

long systhread_mutex_lock(t_systhread_mutex pmutex)
{
    return pthread_mutex_lock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

long systhread_mutex_unlock(t_systhread_mutex pmutex)
{
    return pthread_mutex_unlock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

long systhread_mutex_trylock(t_systhread_mutex pmutex)
{
    return pthread_mutex_trylock((pthread_mutex_t *)pmutex) ? MAX_ERR_GENERIC : MAX_ERR_NONE;
}

/* ---- sysmem: malloc with a 16-byte header holding the size ---- */

#define FM_HDR 16

t_ptr sysmem_newptr(long size)
{
    if (size < 0)
        return NULL;
    char *p = malloc((size_t)size + FM_HDR);
    if (!p)
        return NULL;
    *(size_t *)p = (size_t)size;
    return p + FM_HDR;
}

t_ptr sysmem_newptrclear(long size)
{
    t_ptr p = sysmem_newptr(size);
    if (p)
        memset(p, 0, (size_t)size);
    return p;
}

long sysmem_ptrsize(void *ptr)
{
    return ptr ? (long)*(size_t *)((char *)ptr - FM_HDR) : 0;
}

t_ptr sysmem_resizeptr(void *ptr, long newsize)
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

void sysmem_freeptr(void *ptr)
{
    if (ptr)
        free((char *)ptr - FM_HDR);
}

void sysmem_copyptr(const void *src, void *dst, long bytes)
{
    memmove(dst, src, (size_t)bytes);
}

char *getbytes(t_getbytes_size size)
{
    return sysmem_newptr((long)size);
}

void freebytes(void *b, t_getbytes_size size)
{
    (void)size;
    sysmem_freeptr(b);
}

/* ---- critical regions: recursive mutexes; region 0 is one global one ---- */

static pthread_mutex_t fm_global_critical = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static pthread_mutex_t *fm_region(t_critical x)
{
    return x ? (pthread_mutex_t *)x : &fm_global_critical;
}

void critical_new(t_critical *x)
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

void critical_enter(t_critical x)
{
    pthread_mutex_lock(fm_region(x));
}

void critical_exit(t_critical x)
{
    pthread_mutex_unlock(fm_region(x));
}

short critical_tryenter(t_critical x)
{
    return pthread_mutex_trylock(fm_region(x)) == 0 ? 0 : 1;
}

void critical_free(t_critical x)
{
    if (x) {
        pthread_mutex_destroy((pthread_mutex_t *)x);
        free(x);
    }
}
