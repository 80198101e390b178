/*
 * ext_buffer.h for the fake-max TEST KERNEL. This is NOT the Cycling '74 Max SDK.
 *
 * The buffer~ API fake-max implements (src/buffers.rs), declared from its
 * facts: in Max these functions live in MaxAudio, not MaxAPI. A buffer~'s
 * samples are frames x channels of float, interleaved; a claim
 * (buffer_locksamples) keeps them in place until buffer_unlocksamples.
 */
#ifndef FAKE_MAX_EXT_BUFFER_H
#define FAKE_MAX_EXT_BUFFER_H

#include "ext.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _buffer_ref t_buffer_ref;
typedef struct _buffer_obj t_buffer_obj;

t_buffer_ref *buffer_ref_new(t_object *self, t_symbol *name);
void buffer_ref_set(t_buffer_ref *x, t_symbol *name);
t_atom_long buffer_ref_exists(t_buffer_ref *x);
t_buffer_obj *buffer_ref_getobject(t_buffer_ref *x);
float *buffer_locksamples(t_buffer_obj *buffer_object);
void buffer_unlocksamples(t_buffer_obj *buffer_object);
t_atom_long buffer_getframecount(t_buffer_obj *buffer_object);
t_atom_long buffer_getchannelcount(t_buffer_obj *buffer_object);
t_max_err buffer_setdirty(t_buffer_obj *buffer_object);

#ifdef __cplusplus
}
#endif

#endif
