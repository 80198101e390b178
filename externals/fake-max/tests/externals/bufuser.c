/* A test external for fake-max, SDK style: reaches a buffer~ by name
   through the buffer API (ext_buffer.h), as an MSP external would. */
#include "ext.h"
#include "ext_obex.h"
#include "ext_buffer.h"

typedef struct _bufuser {
    t_object ob;
    t_buffer_ref *ref;
    t_buffer_obj *locked;
} t_bufuser;

static t_class *bufuser_class;

static void *bufuser_new(t_symbol *name)
{
    t_bufuser *x = (t_bufuser *)object_alloc(bufuser_class);
    x->ref = buffer_ref_new((t_object *)x, name);
    x->locked = NULL;
    return x;
}

static void bufuser_free(t_bufuser *x) { object_free(x->ref); }

/* Claims the samples, says what it sees, doubles the first, keeps the claim. */
static void bufuser_lock(t_bufuser *x)
{
    t_buffer_obj *b = buffer_ref_getobject(x->ref);
    if (!b) {
        post("bufuser: no buffer (exists %ld)", (long)buffer_ref_exists(x->ref));
        return;
    }
    float *s = buffer_locksamples(b);
    post("bufuser: %ld frames %ld channels first %.1f", (long)buffer_getframecount(b),
         (long)buffer_getchannelcount(b), s[0]);
    s[0] *= 2;
    x->locked = b;
}

static void bufuser_unlock(t_bufuser *x)
{
    buffer_setdirty(x->locked);
    buffer_unlocksamples(x->locked);
    x->locked = NULL;
}

static void bufuser_set(t_bufuser *x, t_symbol *name) { buffer_ref_set(x->ref, name); }

C74_EXPORT void ext_main(void *r)
{
    (void)r;
    bufuser_class = class_new("bufuser", (method)bufuser_new, (method)bufuser_free, sizeof(t_bufuser), 0L,
                              A_SYM, 0);
    class_addmethod(bufuser_class, (method)bufuser_lock, "lock", 0);
    class_addmethod(bufuser_class, (method)bufuser_unlock, "unlock", 0);
    class_addmethod(bufuser_class, (method)bufuser_set, "set", A_SYM, 0);
    class_register(CLASS_BOX, bufuser_class);
}
