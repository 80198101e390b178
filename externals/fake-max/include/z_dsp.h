/*
 * z_dsp.h for the fake-max TEST KERNEL. This is NOT the Cycling '74 Max SDK.
 * Written by the pyrus project from API facts: the MSP functions fake-max
 * implements (src/msp.rs; in Max they live in the MaxAudio library), the
 * t_pxobject header of a non-UI signal object (64-bit, default packing),
 * the perform routine's prototype and the dsp_setup/dsp_free macros.
 */
#ifndef FAKE_MAX_Z_DSP_H
#define FAKE_MAX_Z_DSP_H

#include "ext.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SYS_MAXBLKSIZE = 2048 };

#define Z_NO_INPLACE 1
#define Z_PUT_LAST 2
#define Z_PUT_FIRST 4

/* The header of a non-UI signal object: first in its struct. */
typedef struct t_pxobject {
    t_object z_ob;
    long z_in;
    void *z_proxy;
    long z_disabled;
    short z_count;
    short z_misc;
} t_pxobject;

typedef double t_double;
typedef float t_float;
typedef double t_sample;

typedef void (*t_perfroutine64)(t_object *x, t_object *dsp64, double **ins, long numins, double **outs, long numouts,
                                long sampleframes, long flags, void *userparam);

int sys_getmaxblksize(void);
int sys_getblksize(void);
float sys_getsr(void);
int sys_getdspstate(void);
int sys_getdspobjdspstate(t_object *o);
void dsp_add64(t_object *chain, t_object *x, t_perfroutine64 f, long flags, void *userparam);
void z_dsp_setup(t_pxobject *x, long nsignals);
#define dsp_setup z_dsp_setup
void z_dsp_free(t_pxobject *x);
#define dsp_free z_dsp_free
void class_dspinit(t_class *c);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_MAX_Z_DSP_H */
