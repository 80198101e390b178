/* A test external for fake-max, SDK style: typed creator and methods,
   intin/floatin, outlets of each kind, the int/float fallbacks. */
#include "ext.h"
#include "ext_obex.h"

typedef struct _typed {
    t_object ob;
    void *bang_out;  /* made first: the rightmost (2) */
    void *float_out; /* 1 */
    void *int_out;   /* made last: the leftmost (0) */
    t_atom_long in2;
    double ft1;
} t_typed;

/* Inlets made left to right: in Max (and here) inlet 1 is then the one
   made last, intin 2. */
typedef struct _wrong {
    t_object ob;
    void *out;
} t_wrong;

static t_class *wrong_class;

static void *wrong_new(void)
{
    t_wrong *x = (t_wrong *)object_alloc(wrong_class);
    intin(x, 1);
    intin(x, 2);
    x->out = outlet_new(x, NULL);
    return x;
}

static void wrong_in1(t_wrong *x, t_atom_long n) { outlet_anything(x->out, gensym("in1"), 0, NULL); (void)n; }
static void wrong_in2(t_wrong *x, t_atom_long n) { outlet_anything(x->out, gensym("in2"), 0, NULL); (void)n; }

typedef struct _half {
    t_object ob;
    void *out;
} t_half;

static t_class *typed_class, *onlyfloat_class, *onlyint_class;

static void *typed_new(t_atom_long n, double f, t_symbol *s, t_atom_long d)
{
    t_typed *x = (t_typed *)object_alloc(typed_class);
    /* Right to left, as Max wants: each new inlet goes to the left. */
    intin(x, 2);
    floatin(x, 1);
    x->bang_out = bangout(x);
    x->float_out = floatout(x);
    x->int_out = intout(x);
    post("typed new %ld %.2f %s %ld", (long)n, f, s->s_name, (long)d);
    return x;
}

static void typed_int(t_typed *x, t_atom_long n) { outlet_int(x->int_out, n * 2 + x->in2); }
static void typed_float(t_typed *x, double f) { outlet_float(x->float_out, f / 2 + x->ft1); }
static void typed_bang(t_typed *x) { outlet_bang(x->bang_out); }
static void typed_in2(t_typed *x, t_atom_long n) { x->in2 = n; }
static void typed_ft1(t_typed *x, double f) { x->ft1 = f; }

static void typed_set(t_typed *x, t_atom_long a, double b, t_symbol *c, t_atom_long d)
{
    object_post((t_object *)x, "set %ld %.3f %s %ld", (long)a, b, c->s_name, (long)d);
}

/* Interleaved doubles and words: the case the typed call must get right. */
static void typed_mix(t_typed *x, double a, t_atom_long b, double c, t_symbol *d, double e, t_atom_long f)
{
    object_post((t_object *)x, "mix %.1f %ld %.1f %s %.1f %ld", a, (long)b, c, d->s_name, e, (long)f);
}

static void typed_gimme(t_typed *x, t_symbol *s, long argc, t_atom *argv)
{
    t_atom out[8];
    long n = argc < 8 ? argc : 8;
    for (long i = 0; i < n; i++)
        out[i] = argv[i];
    outlet_anything(x->int_out, s, (short)n, out);
}

static void typed_list(t_typed *x, t_symbol *s, long argc, t_atom *argv)
{
    outlet_list(x->float_out, s, (short)argc, argv);
}

/* outlet_atoms with the arguments: as a box's text would go out. */
static void typed_atoms(t_typed *x, t_symbol *s, long argc, t_atom *argv)
{
    char buf[8];
    (void)s;
    strncpy_zero(buf, "truncated", 4);
    snprintf_zero(buf + 4, 4, "%d", 12345);
    outlet_atoms(x->int_out, (short)argc, argv);
    post("%s %s", buf, buf + 4);
}

static void *half_new(void)
{
    t_half *x = (t_half *)object_alloc(onlyfloat_class);
    x->out = outlet_new(x, NULL);
    return x;
}

static void *halfint_new(void)
{
    t_half *x = (t_half *)object_alloc(onlyint_class);
    x->out = outlet_new(x, NULL);
    return x;
}

static void onlyfloat_float(t_half *x, double f) { outlet_float(x->out, f); }
static void onlyint_int(t_half *x, t_atom_long n) { outlet_int(x->out, n); }

C74_EXPORT void ext_main(void *r)
{
    (void)r;
    t_class *c = class_new("typed", (method)typed_new, (method)0L, (long)sizeof(t_typed), 0L,
                           A_LONG, A_FLOAT, A_SYM, A_DEFLONG, 0);
    class_addmethod(c, (method)typed_int, "int", A_LONG, 0);
    class_addmethod(c, (method)typed_float, "float", A_FLOAT, 0);
    class_addmethod(c, (method)typed_bang, "bang", 0);
    class_addmethod(c, (method)typed_in2, "in2", A_LONG, 0);
    class_addmethod(c, (method)typed_ft1, "ft1", A_FLOAT, 0);
    class_addmethod(c, (method)typed_set, "set", A_LONG, A_FLOAT, A_SYM, A_DEFLONG, 0);
    class_addmethod(c, (method)typed_mix, "mix", A_FLOAT, A_LONG, A_FLOAT, A_SYM, A_FLOAT, A_LONG, 0);
    class_addmethod(c, (method)typed_gimme, "gimme", A_GIMME, 0);
    class_addmethod(c, (method)typed_list, "list", A_GIMME, 0);
    class_addmethod(c, (method)typed_atoms, "atoms", A_GIMME, 0);
    class_addmethod(c, (method)stdinletinfo, "inletinfo", A_CANT, 0);
    class_register(CLASS_BOX, c);
    typed_class = c;

    c = class_new("onlyfloat", (method)half_new, (method)0L, (long)sizeof(t_half), 0L, 0);
    class_addmethod(c, (method)onlyfloat_float, "float", A_FLOAT, 0);
    class_register(CLASS_BOX, c);
    onlyfloat_class = c;

    c = class_new("onlyint", (method)halfint_new, (method)0L, (long)sizeof(t_half), 0L, 0);
    class_addmethod(c, (method)onlyint_int, "int", A_LONG, 0);
    class_register(CLASS_BOX, c);
    onlyint_class = c;

    c = class_new("wrong", (method)wrong_new, (method)0L, (long)sizeof(t_wrong), 0L, 0);
    class_addmethod(c, (method)wrong_in1, "in1", A_LONG, 0);
    class_addmethod(c, (method)wrong_in2, "in2", A_LONG, 0);
    class_register(CLASS_BOX, c);
    wrong_class = c;

    /* Registered outside the box name space: no box can make one. */
    c = class_new("hidden", (method)halfint_new, (method)0L, (long)sizeof(t_half), 0L, 0);
    class_register(CLASS_NOBOX, c);
}
