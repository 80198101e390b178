/* A test external for fake-max, SDK style: A_GIMME creator, proxies,
   attributes (default and custom accessors, @args, messages), assist,
   dblclick, clocks, qelems and defer_low from a systhread, typedmess to a
   [receive], quit tasks, and deliberate breaches of Max's rules. */
#include "ext.h"
#include "ext_obex.h"
#include "ext_systhread.h"

#include <stdio.h>
#include <string.h>

typedef struct _kitchen {
    t_object ob;
    void *proxy1;
    void *proxy2;
    long in;
    void *status_out; /* made first: the rightmost (1) */
    void *out;        /* 0 */
    long size;
    double gain;
    t_symbol *label;
    t_atom_long mode;
    void *clock;
    void *qelem;
    t_systhread thread;
    long leak_clock;
    void *chain_clock;
    long chain_n;
    double chain_t0;
} t_kitchen;

static t_class *kitchen_class;
static void *freed_outlet; /* an outlet of the last freed kitchen */
static void *freed_kitchen; /* the last freed kitchen */

static t_max_err kitchen_mode_set(t_kitchen *x, void *attr, long argc, t_atom *argv)
{
    (void)attr;
    if (argc && argv) {
        x->mode = atom_getlong(argv) * 10;
        object_post((t_object *)x, "mode setter %ld", (long)x->mode);
    }
    return MAX_ERR_NONE;
}

static t_max_err kitchen_mode_get(t_kitchen *x, void *attr, long *argc, t_atom **argv)
{
    (void)attr;
    char alloc;
    atom_alloc(argc, argv, &alloc);
    atom_setlong(*argv, x->mode / 10);
    return MAX_ERR_NONE;
}

static void kitchen_tick(t_kitchen *x)
{
    t_atom a[2];
    double now;
    clock_getftime(&now);
    atom_setlong(a, systhread_istimerthread());
    atom_setlong(a + 1, systhread_ismainthread());
    outlet_anything(x->out, gensym("tick"), 2, a);
}

/* Logical time: a clock re-armed from its own call, 3 x 10 ms, sees exactly
   30 ms pass by clock_getftime, however late the thread wakes. */
static void kitchen_chain_tick(t_kitchen *x)
{
    double now;
    clock_getftime(&now);
    if (++x->chain_n < 3) {
        clock_fdelay(x->chain_clock, 10.);
        return;
    }
    t_atom a;
    /* to the microsecond: the sum of three 10.0 steps may be off by an ulp */
    atom_setfloat(&a, (double)(long)((now - x->chain_t0) * 1000. + 0.5) / 1000.);
    outlet_anything(x->out, gensym("chain"), 1, &a);
}

static void kitchen_chain(t_kitchen *x)
{
    x->chain_n = 0;
    clock_getftime(&x->chain_t0);
    clock_fdelay(x->chain_clock, 10.);
}

static void kitchen_qfn(t_kitchen *x)
{
    t_atom a;
    atom_setlong(&a, systhread_ismainthread());
    outlet_anything(x->out, gensym("qelem"), 1, &a);
}

static void kitchen_deferred(t_kitchen *x, t_symbol *s, short argc, t_atom *argv)
{
    t_atom a[2];
    atom_setsym(a, s);
    atom_setlong(a + 1, argc ? atom_getlong(argv) : -1);
    outlet_anything(x->out, gensym("deferred"), 2, a);
}

static void *kitchen_new(t_symbol *s, long argc, t_atom *argv)
{
    t_kitchen *x = (t_kitchen *)object_alloc(kitchen_class);
    x->proxy2 = proxy_new(x, 2, &x->in);
    x->proxy1 = proxy_new(x, 1, &x->in);
    x->status_out = outlet_new(x, NULL);
    x->out = outlet_new(x, NULL);
    x->size = 1;
    x->gain = 0.5;
    x->label = gensym("none");
    x->clock = clock_new(x, (method)kitchen_tick);
    x->qelem = qelem_new(x, (method)kitchen_qfn);
    x->chain_clock = clock_new(x, (method)kitchen_chain_tick);
    long plain = attr_args_offset((short)argc, argv);
    object_post((t_object *)x, "new %s with %ld args, %ld before the attributes", s->s_name, argc, plain);
    attr_args_process(x, (short)argc, argv);
    return x;
}

static void kitchen_free(t_kitchen *x)
{
    object_post((t_object *)x, "freed");
    freed_outlet = x->out;
    freed_kitchen = x;
    if (!x->leak_clock)
        object_free(x->clock);
    object_free(x->chain_clock);
    qelem_free(x->qelem);
    object_free(x->proxy1);
    object_free(x->proxy2);
}

/* Where a message arrived: inlet and thread. */
static void kitchen_anything(t_kitchen *x, t_symbol *s, long argc, t_atom *argv)
{
    t_atom a[10];
    long n = argc < 8 ? argc : 8;
    atom_setlong(a, proxy_getinlet((t_object *)x));
    atom_setsym(a + 1, s);
    for (long i = 0; i < n; i++)
        a[i + 2] = argv[i];
    outlet_anything(x->out, gensym("got"), (short)(n + 2), a);
}

static void kitchen_int(t_kitchen *x, t_atom_long n)
{
    t_atom a[2];
    atom_setlong(a, proxy_getinlet((t_object *)x));
    atom_setlong(a + 1, n);
    outlet_anything(x->out, gensym("int"), 2, a);
}

static void kitchen_attrs(t_kitchen *x)
{
    t_atom a[4];
    long ac = 0;
    t_atom *av = NULL;
    object_attr_getvalueof(x, gensym("mode"), &ac, &av);
    atom_setlong(a, x->size);
    atom_setfloat(a + 1, x->gain);
    atom_setsym(a + 2, x->label);
    atom_setlong(a + 3, ac ? atom_getlong(av) : -1);
    sysmem_freeptr(av);
    outlet_anything(x->status_out, gensym("attrs"), 4, a);
}

/* A_DEFER_LOW: Max calls it later on the main thread, wherever it came from. */
static void kitchen_lowly(t_kitchen *x, t_symbol *s, short argc, t_atom *argv)
{
    t_atom a[4];
    short n = argc < 3 ? argc : 3;
    atom_setlong(a, systhread_ismainthread());
    for (short i = 0; i < n; i++)
        a[i + 1] = argv[i];
    outlet_anything(x->out, s, n + 1, a);
}

static void kitchen_bang(t_kitchen *x) { clock_fdelay(x->clock, 5.); }
static void kitchen_bangin(t_kitchen *x, double ms) { clock_fdelay(x->clock, ms); }
static void kitchen_stop(t_kitchen *x) { clock_unset(x->clock); }
static void kitchen_leak(t_kitchen *x) { x->leak_clock = 1; }

static void *kitchen_thread_qelem(t_kitchen *x)
{
    qelem_set(x->qelem);
    return NULL;
}

static void *kitchen_thread_defer(t_kitchen *x)
{
    t_atom a;
    atom_setlong(&a, 42);
    defer_low(x, (method)kitchen_deferred, gensym("later"), 1, &a);
    return NULL;
}

static void *kitchen_thread_violate(t_kitchen *x)
{
    outlet_int(x->out, 666);
    return NULL;
}

static void *kitchen_thread_clock(t_kitchen *x)
{
    clock_fdelay(x->clock, 100000.);
    return NULL;
}

static void *kitchen_thread_typedmess(t_kitchen *x)
{
    typedmess((t_object *)x, gensym("hello"), 0, NULL);
    return NULL;
}

static void *kitchen_thread_exit(t_kitchen *x)
{
    (void)x;
    systhread_exit(7);
    return NULL;
}

static void kitchen_spawn(t_kitchen *x, t_symbol *what)
{
    method fn = (method)kitchen_thread_qelem;
    unsigned int rv = 0;
    if (what == gensym("defer"))
        fn = (method)kitchen_thread_defer;
    else if (what == gensym("violate"))
        fn = (method)kitchen_thread_violate;
    else if (what == gensym("clock"))
        fn = (method)kitchen_thread_clock;
    else if (what == gensym("typedmess"))
        fn = (method)kitchen_thread_typedmess;
    else if (what == gensym("exit"))
        fn = (method)kitchen_thread_exit;
    systhread_create(fn, x, 0, 0, 0, &x->thread);
    systhread_join(x->thread, &rv);
    if (what == gensym("exit"))
        object_post((t_object *)x, "joined exit %u", rv);
    else
        object_post((t_object *)x, "joined %s", what->s_name);
}

static void kitchen_scheduled(t_kitchen *x, t_symbol *s, short argc, t_atom *argv)
{
    t_atom a[2];
    atom_setsym(a, s);
    atom_setlong(a + 1, argc ? atom_getlong(argv) : -1);
    outlet_anything(x->out, gensym("scheduled"), 2, a);
}

static void kitchen_later(t_kitchen *x, t_atom_long n)
{
    t_atom a;
    atom_setlong(&a, n);
    schedule_delay(x, (method)kitchen_scheduled, 5, gensym("delayed"), 1, &a);
}

/* Critical regions, attribute conveniences, object_method_typed, NOGOOD. */
static void kitchen_checks2(t_kitchen *x)
{
    t_critical c;
    critical_enter(0);
    critical_enter(0);
    critical_exit(0);
    critical_exit(0);
    critical_new(&c);
    critical_enter(c);
    short again = critical_tryenter(c);
    critical_exit(c);
    critical_exit(c);
    critical_free(c);
    object_attr_setlong(x, gensym("size"), 11);
    object_attr_setfloat(x, gensym("gain"), 0.125);
    object_attr_setsym(x, gensym("label"), gensym("set"));
    object_post((t_object *)x, "checks2 %d %ld %.3f %s %ld %d %d", again, (long)object_attr_getlong(x, gensym("size")),
                object_attr_getfloat(x, gensym("gain")), object_attr_getsym(x, gensym("label"))->s_name,
                (long)object_attr_getlong(x, gensym("mode")), NOGOOD(x), freed_kitchen ? NOGOOD(freed_kitchen) : -1);
    t_atom a;
    SETLONG(&a, 5);
    object_method_typed(x, gensym("hello"), 1, &a, NULL);
}

/* Mutexes and memory, checked here and posted. */
static void kitchen_checks(t_kitchen *x)
{
    t_systhread_mutex plain, rec;
    systhread_mutex_new(&plain, SYSTHREAD_MUTEX_NORMAL);
    systhread_mutex_new(&rec, SYSTHREAD_MUTEX_RECURSIVE);
    systhread_mutex_lock(plain);
    long busy = systhread_mutex_trylock(plain) != 0;
    systhread_mutex_unlock(plain);
    systhread_mutex_lock(rec);
    long again = systhread_mutex_trylock(rec) == 0;
    systhread_mutex_unlock(rec);
    systhread_mutex_unlock(rec);
    systhread_mutex_free(plain);
    systhread_mutex_free(rec);
    char *p = sysmem_newptr(10);
    long s1 = sysmem_ptrsize(p);
    p = sysmem_resizeptr(p, 100);
    long s2 = sysmem_ptrsize(p);
    sysmem_freeptr(p);
    char *z = sysmem_newptrclear(64);
    long zero = 1;
    for (int i = 0; i < 64; i++)
        zero &= z[i] == 0;
    sysmem_freeptr(z);
    char path[MAX_PATH_CHARS];
    path_toabsolutesystempath(path_getdefault(), "script.py", path);
    const char *tail = strrchr(path, '/');
    object_post((t_object *)x, "checks %ld %ld %ld %ld %ld %s %s", busy, again, s1, s2, zero, tail ? tail : path,
                path[0] == '/' || (path[0] && path[1] == ':' && path[2] == '/') ? "absolute" : "relative");
}

static void kitchen_defer_main(t_kitchen *x)
{
    defer_low(x, (method)kitchen_deferred, gensym("low"), 0, NULL);
    defer(x, (method)kitchen_deferred, gensym("now"), 0, NULL);
    object_post((t_object *)x, "after defer");
}

static void kitchen_qunset(t_kitchen *x)
{
    qelem_set(x->qelem);
    qelem_unset(x->qelem);
    object_post((t_object *)x, "unset");
}

static void kitchen_qafterfree(t_kitchen *x)
{
    void *q = qelem_new(x, (method)kitchen_qfn);
    qelem_free(q);
    qelem_set(q);
}

static void kitchen_poke(t_kitchen *x)
{
    (void)x;
    outlet_int(freed_outlet, 1);
}

static void kitchen_sendto(t_kitchen *x, t_symbol *name, t_atom_long n)
{
    t_atom a;
    (void)x;
    atom_setlong(&a, n);
    if (name->s_thing)
        typedmess(name->s_thing, gensym("int"), 1, &a);
    else
        object_error((t_object *)x, "nothing bound to %s", name->s_name);
}

static void kitchen_say(t_kitchen *x, t_symbol *s, long argc, t_atom *argv)
{
    (void)s;
    post("plain post %ld %.2f %s", (long)atom_getlong(argv), atom_getfloat(argv + 1), atom_getsym(argv + 2)->s_name);
    error("plain error %d", argc > 0);
    object_error((t_object *)x, "object error %s", "here");
    object_warn((t_object *)x, "careful");
}

static void kitchen_assist(t_kitchen *x, void *b, long m, long a, char *s)
{
    (void)x;
    (void)b;
    if (m == ASSIST_INLET)
        snprintf(s, 512, "inlet %ld of kitchen", a);
    else
        snprintf(s, 512, "outlet %ld of kitchen", a);
}

static void kitchen_dblclick(t_kitchen *x) { object_post((t_object *)x, "double-clicked"); }

static void kitchen_quit(void *arg) { post("quit task %s", (char *)arg); }

static void kitchen_hang(void *arg)
{
    (void)arg;
    post("hanging");
    for (;;)
        systhread_sleep(1000);
}

static void kitchen_hangquit(t_kitchen *x)
{
    (void)x;
    quittask_install((method)kitchen_hang, NULL);
}

C74_EXPORT void ext_main(void *r)
{
    (void)r;
    t_class *c = class_new("kitchen", (method)kitchen_new, (method)kitchen_free, (long)sizeof(t_kitchen), 0L, A_GIMME, 0);
    class_addmethod(c, (method)kitchen_anything, "anything", A_GIMME, 0);
    class_addmethod(c, (method)kitchen_int, "int", A_LONG, 0);
    class_addmethod(c, (method)kitchen_bang, "bang", 0);
    class_addmethod(c, (method)kitchen_bangin, "bangin", A_FLOAT, 0);
    class_addmethod(c, (method)kitchen_stop, "stop", 0);
    class_addmethod(c, (method)kitchen_later, "later", A_LONG, 0);
    class_addmethod(c, (method)kitchen_checks, "checks", 0);
    class_addmethod(c, (method)kitchen_chain, "chain", 0);
    class_addmethod(c, (method)kitchen_hangquit, "hangquit", 0);
    class_addmethod(c, (method)kitchen_checks2, "checks2", 0);
    class_addmethod(c, (method)kitchen_lowly, "lowly", A_DEFER_LOW, 0);
    class_addmethod(c, (method)kitchen_leak, "leak", 0);
    class_addmethod(c, (method)kitchen_attrs, "attrs", 0);
    class_addmethod(c, (method)kitchen_spawn, "spawn", A_SYM, 0);
    class_addmethod(c, (method)kitchen_defer_main, "defers", 0);
    class_addmethod(c, (method)kitchen_qafterfree, "qafterfree", 0);
    class_addmethod(c, (method)kitchen_qunset, "qunset", 0);
    class_addmethod(c, (method)kitchen_poke, "poke", 0);
    class_addmethod(c, (method)kitchen_sendto, "sendto", A_SYM, A_LONG, 0);
    class_addmethod(c, (method)kitchen_say, "say", A_GIMME, 0);
    class_addmethod(c, (method)kitchen_assist, "assist", A_CANT, 0);
    class_addmethod(c, (method)kitchen_dblclick, "dblclick", A_CANT, 0);
    CLASS_ATTR_LONG(c, "size", 0, t_kitchen, size);
    CLASS_ATTR_DOUBLE(c, "gain", 0, t_kitchen, gain);
    CLASS_ATTR_SYM(c, "label", 0, t_kitchen, label);
    CLASS_ATTR_LABEL(c, "label", 0, "Label");
    CLASS_ATTR_ATOM_LONG(c, "mode", 0, t_kitchen, mode);
    CLASS_ATTR_ACCESSORS(c, "mode", kitchen_mode_get, kitchen_mode_set);
    class_register(CLASS_BOX, c);
    kitchen_class = c;
    quittask_install((method)kitchen_quit, "ran");
}
