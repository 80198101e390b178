/*
 * gain~: a test MSP external in the Max SDK's style (simplemsp~'s shape),
 * for the fake-max kernel's MSP tests. Two signal inlets, two signal outlets
 * (left: in0 * gain, right: in0 + in1) and a control outlet at the right.
 * Arguments: "direct" registers its perform routine with dsp_add64 (else
 * object_method(dsp64, "dsp_add64", ...) as the SDK's examples do); "leak"
 * skips dsp_free in free (a bug the kernel must report); "slow" makes each
 * vector take 20 ms; "apart" sets Z_NO_INPLACE.
 */
#include "ext.h"
#include "ext_obex.h"
#include "z_dsp.h"

#include <string.h>
#ifdef _WIN32
#include <windows.h>
#define nap_ms(n) Sleep(n)
#else
#include <time.h>
static void nap_ms(int n)
{
    struct timespec t = {0, n * 1000000L};
    nanosleep(&t, NULL);
}
#endif

typedef struct {
    t_pxobject ob;
    double gain;
    long vectors;
    int direct, leak, slow, misbehave, inplace;
    volatile int freed;
    void *control;
} t_gain;

static t_class *gain_class;

static void gain_perform64(t_gain *x, t_object *dsp64, double **ins, long numins, double **outs, long numouts,
                           long sampleframes, long flags, void *userparam)
{
    (void)dsp64, (void)flags;
    if (x->freed || userparam != x)
        error("gain~: perform64 on a freed object or with a wrong userparam");
    if (numins != 2 || numouts != 2)
        error("gain~: perform64 with %ld ins and %ld outs", numins, numouts);
    if (x->slow)
        nap_ms(20);
    /* In place (outs[0] may be ins[0]): each sample read before it is written. */
    x->inplace = outs[0] == ins[0];
    for (long i = 0; i < sampleframes; i++) {
        double a = ins[0][i], b = ins[1][i];
        outs[0][i] = a * x->gain;
        outs[1][i] = a + b;
    }
    x->vectors++;
    if (x->misbehave)
        outlet_int(x->control, x->vectors);
}

static void gain_dsp64(t_gain *x, t_object *dsp64, short *count, double samplerate, long maxvectorsize, long flags)
{
    (void)flags;
    object_post((t_object *)x, "dsp64 %g %ld %d %d %d %d", samplerate, maxvectorsize, count[0], count[1], count[2],
                count[3]);
    if (x->direct)
        dsp_add64(dsp64, (t_object *)x, (t_perfroutine64)gain_perform64, 0, x);
    else
        object_method(dsp64, gensym("dsp_add64"), x, gain_perform64, 0, x);
}

static void gain_float(t_gain *x, double f)
{
    long inlet = proxy_getinlet((t_object *)x);
    if (inlet == 0)
        x->gain = f;
    else
        object_post((t_object *)x, "float %g at inlet %ld", f, inlet);
}

static void gain_bang(t_gain *x)
{
    object_post((t_object *)x, "state %g %d %d %d", sys_getsr(), sys_getblksize(), sys_getdspstate(),
                sys_getdspobjdspstate((t_object *)x));
    outlet_int(x->control, x->vectors);
}

static void gain_inplace(t_gain *x)
{
    object_post((t_object *)x, "inplace %d", x->inplace);
}

static void gain_misbehave(t_gain *x)
{
    x->misbehave = 1;
}

static void *gain_new(t_symbol *s, long argc, t_atom *argv)
{
    (void)s;
    t_gain *x = (t_gain *)object_alloc(gain_class);
    if (!x)
        return NULL;
    dsp_setup((t_pxobject *)x, 2);
    x->gain = 1.0;
    for (long i = 0; i < argc; i++) {
        const char *a = atom_getsym(argv + i)->s_name;
        x->direct |= !strcmp(a, "direct");
        x->leak |= !strcmp(a, "leak");
        x->slow |= !strcmp(a, "slow");
        if (!strcmp(a, "apart"))
            x->ob.z_misc |= Z_NO_INPLACE;
    }
    /* Outlets right to left: the control outlet, then the signals. */
    x->control = intout(x);
    outlet_new(x, "signal");
    outlet_new(x, "signal");
    return x;
}

static void gain_free(t_gain *x)
{
    if (!x->leak)
        dsp_free((t_pxobject *)x);
    x->freed = 1;
}

C74_EXPORT void ext_main(void *r)
{
    (void)r;
    t_class *c = class_new("gain~", (method)gain_new, (method)gain_free, sizeof(t_gain), NULL, A_GIMME, 0);
    class_addmethod(c, (method)gain_dsp64, "dsp64", A_CANT, 0);
    class_addmethod(c, (method)gain_float, "float", A_FLOAT, 0);
    class_addmethod(c, (method)gain_bang, "bang", 0);
    class_addmethod(c, (method)gain_misbehave, "misbehave", 0);
    class_addmethod(c, (method)gain_inplace, "inplace", 0);
    class_dspinit(c);
    class_register(CLASS_BOX, c);
    gain_class = c;
}
