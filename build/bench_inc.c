/* The trivial C external of `build/bench max`: an int in, the int plus one
 * out. Timing the same messages to it as to [pyrus bench.inc] measures the
 * kernel's own cost per message (its stdin parsing, delivery, printing). */
#include "ext.h"

typedef struct {
    t_object ob;
    void *out;
} t_bench_inc;

static t_class *bench_inc_class;

static void bench_inc_int(t_bench_inc *x, t_atom_long n) {
    outlet_int(x->out, n + 1);
}

static void *bench_inc_new(void) {
    t_bench_inc *x = (t_bench_inc *)object_alloc(bench_inc_class);
    x->out = intout((t_object *)x);
    return x;
}

void ext_main(void *r) {
    (void)r;
    bench_inc_class = class_new("bench_inc", (method)bench_inc_new, (method)NULL, sizeof(t_bench_inc), 0L, 0);
    class_addmethod(bench_inc_class, (method)bench_inc_int, "int", A_LONG, 0);
    class_register(CLASS_BOX, bench_inc_class);
}
