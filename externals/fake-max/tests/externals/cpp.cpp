// A test external for fake-max in C++: the header must compile as C++ too
// (extern "C" linkage, no implicit void* conversions needed).
#include "ext.h"
#include "ext_obex.h"

struct t_cpp {
    t_object ob;
    void *out;
    long v;
};

static t_class *cpp_class;

static void *cpp_new(t_symbol *s, long argc, t_atom *argv)
{
    (void)s;
    t_cpp *x = static_cast<t_cpp *>(object_alloc(cpp_class));
    x->out = outlet_new(x, nullptr);
    attr_args_process(x, static_cast<short>(argc), argv);
    return x;
}

static void cpp_bang(t_cpp *x)
{
    outlet_int(x->out, x->v);
}

extern "C" C74_EXPORT void ext_main(void *r)
{
    (void)r;
    t_class *c = class_new("cpp", reinterpret_cast<method>(cpp_new), nullptr, sizeof(t_cpp), nullptr, A_GIMME, 0);
    class_addmethod(c, reinterpret_cast<method>(cpp_bang), "bang", 0);
    CLASS_ATTR_LONG(c, "v", 0, t_cpp, v);
    class_register(CLASS_BOX, c);
    cpp_class = c;
}
