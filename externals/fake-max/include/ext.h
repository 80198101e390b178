/*
 * ext.h for the fake-max TEST KERNEL. This is NOT the Cycling '74 Max SDK.
 *
 * fake-max (externals/fake-max in pyrus) is a test double of Max that runs
 * Max externals built for Linux. This header was written by the pyrus project
 * from API facts (names, signatures, layouts, constants of Max 7+ on a 64-bit
 * platform); it declares exactly what fake-max implements, so that a C
 * external written in the SDK's style (ext_main, class_new, class_addmethod,
 * typed methods, intin/floatin, proxies, outlets, attributes, clocks, qelems,
 * systhreads) compiles against it unchanged and runs in fake-max. An external
 * that uses anything not declared here fails to load in fake-max with the
 * missing name, as it would fail in Max.
 *
 * Facts: t_atom_long is intptr_t, t_atom_float is double (A_FLOAT methods get
 * a double), t_object is 32 bytes, t_atom 16 bytes with the value at offset 8.
 */
#ifndef FAKE_MAX_EXT_H
#define FAKE_MAX_EXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ext_main must be visible to the kernel: exported from a Windows DLL. */
#ifdef _WIN32
#define C74_EXPORT __declspec(dllexport)
#else
#define C74_EXPORT __attribute__((visibility("default")))
#endif
#define C74_CONST const

/* Scalar types. */
typedef intptr_t t_atom_long;
typedef double t_atom_float;
typedef intptr_t t_ptr_int;
typedef uintptr_t t_ptr_uint;
typedef uintptr_t t_ptr_size;
typedef uintptr_t t_getbytes_size;
typedef t_atom_long t_max_err;
typedef char *t_ptr;
typedef char **t_handle;
typedef unsigned char t_bool;
typedef short t_filepath;
typedef uint32_t t_fourcc;
typedef intptr_t t_int;

/* Error codes. */
enum {
    MAX_ERR_NONE = 0,
    MAX_ERR_GENERIC = -1,
    MAX_ERR_INVALID_PTR = -2,
    MAX_ERR_DUPLICATE = -3,
    MAX_ERR_OUT_OF_MEM = -4
};

typedef void *(*method)(void *, ...);
typedef t_ptr_int (*t_intmethod)(void *, ...);

/* Atom types. */
enum {
    A_NOTHING = 0,
    A_LONG = 1,
    A_FLOAT = 2,
    A_SYM = 3,
    A_OBJ = 4,
    A_DEFLONG = 5,
    A_DEFFLOAT = 6,
    A_DEFSYM = 7,
    A_GIMME = 8,
    A_CANT = 9,
    A_SEMI = 10,
    A_COMMA = 11,
    A_DOLLAR = 12,
    A_DOLLSYM = 13,
    A_GIMMEBACK = 14,
    A_DEFER = 0x41,
    A_USURP = 0x42,
    A_DEFER_LOW = 0x43,
    A_USURP_LOW = 0x44
};

#define MSG_MAXARG 7
#define MAGIC 1758379419L
#define OB_MAGIC MAGIC

struct object;
typedef struct symbol {
    char *s_name;
    struct object *s_thing;
} t_symbol;

typedef struct messlist {
    struct symbol *m_sym;
    method m_fun;
    char m_type[MSG_MAXARG + 1];
} t_messlist;

typedef struct object {
    struct messlist *o_messlist;
    t_ptr_int o_magic;
    struct inlet *o_inlet;
    struct outlet *o_outlet;
} t_object;

union word {
    t_atom_long w_long;
    t_atom_float w_float;
    struct symbol *w_sym;
    struct object *w_obj;
};

typedef struct atom {
    short a_type;
    union word a_w;
} t_atom;

/* Opaque kernel types. */
typedef struct maxclass t_class;
typedef struct clock t_clock;
typedef void *t_qelem;
typedef struct outlet t_outlet;
typedef struct inlet t_inlet;

#define calcoffset(x, y) ((long)(offsetof(x, y)))

/* Atom setters as macros. */
#define A_SETSYM(ap, x) ((ap)->a_type = A_SYM, (ap)->a_w.w_sym = (x))
#define A_SETOBJ(ap, x) ((ap)->a_type = A_OBJ, (ap)->a_w.w_obj = (x))
#define A_SETLONG(ap, x) ((ap)->a_type = A_LONG, (ap)->a_w.w_long = (x))
#define A_SETFLOAT(ap, x) ((ap)->a_type = A_FLOAT, (ap)->a_w.w_float = (x))
#define SETSYM A_SETSYM
#define SETOBJ A_SETOBJ
#define SETLONG A_SETLONG
#define SETFLOAT A_SETFLOAT
#define NOGOOD(x) ((!(x)) || ((t_object *)(x))->o_magic != MAGIC)

#define ASSIST_INLET 1
#define ASSIST_OUTLET 2
#define MAX_PATH_CHARS 2048
#define MAX_FILENAME_CHARS 512

/* Classes, objects and messages (obex). */
t_class *class_new(const char *name, method mnew, method mfree, long size, method mmenu, short type, ...);
t_max_err class_addmethod(t_class *c, method m, const char *name, ...);
t_max_err class_register(t_symbol *name_space, t_class *c);
t_max_err class_alias(t_class *c, t_symbol *aliasname);
t_class *class_findbyname(t_symbol *name_space, t_symbol *classname);
t_max_err class_addattr(t_class *c, t_object *attr);
t_object *class_attr_get(t_class *c, t_symbol *attrname);
t_max_err class_attr_addattr_parse(t_class *c, const char *attrname, const char *attrname2, t_symbol *type, long flags, const char *parsestr);
void *object_alloc(t_class *c);
void *newobject(void *maxclass);
t_max_err object_free(void *x);
void freeobject(t_object *op);
void *object_method(void *x, t_symbol *s, ...);
t_symbol *object_classname(void *x);
void *typedmess(t_object *op, t_symbol *msg, short argc, t_atom *argp);
t_object *attr_offset_new(const char *name, t_symbol *type, long flags, method mget, method mset, long offset);
long attr_args_offset(short ac, t_atom *av);
void attr_args_process(void *x, short ac, t_atom *av);
t_max_err object_attr_setvalueof(void *x, t_symbol *s, long argc, t_atom *argv);
t_max_err object_attr_getvalueof(void *x, t_symbol *s, long *argc, t_atom **argv);
t_max_err object_attr_setlong(void *x, t_symbol *s, t_atom_long c);
t_atom_long object_attr_getlong(void *x, t_symbol *s);
t_max_err object_attr_setfloat(void *x, t_symbol *s, double c);
t_atom_float object_attr_getfloat(void *x, t_symbol *s);
t_max_err object_attr_setsym(void *x, t_symbol *s, t_symbol *c);
t_symbol *object_attr_getsym(void *x, t_symbol *s);
t_max_err object_method_typed(void *x, t_symbol *s, long ac, t_atom *av, t_atom *rv);

#define CLASS_BOX gensym("box")
#define CLASS_NOBOX gensym("nobox")

/* Inlets and outlets. */
void *intin(void *x, short n);
void *floatin(void *x, short n);
void *proxy_new(void *x, long id, long *stuffloc);
long proxy_getinlet(t_object *master);
void *outlet_new(void *x, const char *s);
void *bangout(void *x);
void *intout(void *x);
void *floatout(void *x);
void *listout(void *x);
void *outlet_bang(void *o);
void *outlet_int(void *o, t_atom_long n);
void *outlet_float(void *o, double f);
void *outlet_list(void *o, t_symbol *s, short ac, t_atom *av);
void *outlet_anything(void *o, t_symbol *s, short ac, t_atom *av);
void *outlet_atoms(void *o, short argc, t_atom *argv);

/* Symbols and atoms. */
t_symbol *gensym(const char *s);
t_max_err atom_setlong(t_atom *a, t_atom_long b);
t_max_err atom_setfloat(t_atom *a, double b);
t_max_err atom_setsym(t_atom *a, t_symbol *b);
t_max_err atom_setobj(t_atom *a, void *b);
t_atom_long atom_getlong(const t_atom *a);
t_atom_float atom_getfloat(const t_atom *a);
t_symbol *atom_getsym(const t_atom *a);
void *atom_getobj(const t_atom *a);
long atom_getcharfix(const t_atom *a);
long atom_gettype(const t_atom *a);
t_max_err atom_arg_getlong(t_atom_long *c, long idx, long ac, const t_atom *av);
t_max_err atom_arg_getdouble(double *c, long idx, long ac, const t_atom *av);
t_max_err atom_arg_getsym(t_symbol **c, long idx, long ac, const t_atom *av);

/* The Max window. */
void post(const char *fmt, ...);
void cpost(const char *fmt, ...);
void error(const char *fmt, ...);
void object_post(t_object *x, const char *s, ...);
void object_error(t_object *x, const char *s, ...);
void object_warn(t_object *x, const char *s, ...);
void object_error_obtrusive(t_object *x, const char *s, ...);

/* Strings: always NUL-terminated within `size`. */
char *strncpy_zero(char *dst, const char *src, long size);
int snprintf_zero(char *buffer, size_t count, const char *format, ...);

/* For an "inletinfo" A_CANT method: every inlet but the left is cold. */
void stdinletinfo(t_object *s, void *b, long a, char *t);

/* Time, clocks, qelems, defer, schedule. */
void *clock_new(void *obj, method fn);
void clock_delay(t_clock *x, long n);
void clock_fdelay(t_clock *c, double time);
void clock_set(t_clock *x, long when);
void clock_fset(t_clock *x, double when);
void clock_unset(t_clock *x);
void clock_free(t_clock *x);
void clock_getftime(double *time);
long gettime(void);
double systimer_gettime(void);
void *qelem_new(void *obj, method fn);
void qelem_set(void *q);
void qelem_unset(void *q);
void qelem_free(void *q);
void qelem_front(void *q);
void *defer(void *ob, method fn, t_symbol *sym, short argc, t_atom *argv);
void *defer_low(void *ob, method fn, t_symbol *sym, short argc, t_atom *argv);
void *defer_front(void *ob, method fn, t_symbol *sym, short argc, t_atom *argv);
void *defer_medium(void *ob, method fn, t_symbol *sym, short argc, t_atom *argv);
void schedule(void *ob, method fun, long when, t_symbol *sym, short argc, t_atom *argv);
void schedule_delay(void *ob, method fun, long delay, t_symbol *sym, short argc, t_atom *argv);
short quittask_install(method m, void *a);
void quittask_remove(method m);

/* Memory. */
t_ptr sysmem_newptr(long size);
t_ptr sysmem_newptrclear(long size);
t_ptr sysmem_resizeptr(void *ptr, long newsize);
long sysmem_ptrsize(void *ptr);
void sysmem_freeptr(void *ptr);
void sysmem_copyptr(const void *src, void *dst, long bytes);
char *getbytes(t_getbytes_size size);
void freebytes(void *b, t_getbytes_size size);

/* Paths: the kernel's default path is its current directory. */
short path_getdefault(void);
t_max_err path_toabsolutesystempath(const short in_path, const char *in_filename, char *out_filepath);
short locatefile_extended(char *name, short *outvol, t_fourcc *outtype, const t_fourcc *filetypelist, short numtypes);

/* Critical regions: region 0 is the global one. */
typedef void *t_critical;
void critical_new(t_critical *x);
void critical_enter(t_critical x);
void critical_exit(t_critical x);
short critical_tryenter(t_critical x);
void critical_free(t_critical x);

#include "ext_systhread.h"
#include "ext_obex.h"

#ifdef __cplusplus
}
#endif

#endif /* FAKE_MAX_EXT_H */
