/*
 * ext_obex.h for the fake-max TEST KERNEL. This is NOT the Cycling '74 Max SDK.
 * Written by the pyrus project from API facts; declares the attribute flags
 * and the CLASS_ATTR_* conveniences of the obex API that fake-max implements.
 * The functions themselves are declared in ext.h.
 */
#ifndef FAKE_MAX_EXT_OBEX_H
#define FAKE_MAX_EXT_OBEX_H

#include "ext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Attribute flags. */
#define ATTR_FLAGS_NONE 0x00000000
#define ATTR_GET_OPAQUE 0x00000001
#define ATTR_SET_OPAQUE 0x00000002
#define ATTR_GET_OPAQUE_USER 0x00000100
#define ATTR_SET_OPAQUE_USER 0x00000200

/* A getter allocates *argv with sysmem_newptr when it is NULL (or *argc 0). */
#define atom_alloc(ac, av, alloc)                                              \
    ((!*(av) || !*(ac)) ? (*(ac) = 1, *(av) = (t_atom *)sysmem_newptr(sizeof(t_atom)), *(alloc) = 1, MAX_ERR_NONE) \
                        : (*(alloc) = 0, MAX_ERR_NONE))

#define CLASS_ATTR_OFFSET_NEW_(c, attrname, typename, flags, structname, structmember) \
    class_addattr((c), attr_offset_new((attrname), gensym(typename), (flags), (method)0L, (method)0L, \
                                       calcoffset(structname, structmember)))

/* "long" is a C long, "atom_long" a t_atom_long, "float64" a double,
   "float32" a float, "symbol" a t_symbol *, "char" a char, "atom" a t_atom. */
#define CLASS_ATTR_CHAR(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "char", flags, structname, structmember)
#define CLASS_ATTR_LONG(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "long", flags, structname, structmember)
#define CLASS_ATTR_ATOM_LONG(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "atom_long", flags, structname, structmember)
#define CLASS_ATTR_FLOAT(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "float32", flags, structname, structmember)
#define CLASS_ATTR_DOUBLE(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "float64", flags, structname, structmember)
#define CLASS_ATTR_SYM(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "symbol", flags, structname, structmember)
#define CLASS_ATTR_ATOM(c, attrname, flags, structname, structmember) \
    CLASS_ATTR_OFFSET_NEW_(c, attrname, "atom", flags, structname, structmember)

/* Replaces the default accessors of an attribute (NULL keeps the default). */
#define CLASS_ATTR_ACCESSORS(c, attrname, getter, setter)                                    \
    {                                                                                       \
        t_object *theattr = class_attr_get((c), gensym(attrname));                          \
        object_method(theattr, gensym("setmethod"), gensym("get"), (method)(getter));       \
        object_method(theattr, gensym("setmethod"), gensym("set"), (method)(setter));       \
    }

/* Metadata (recorded by fake-max, without effect). */
#define CLASS_ATTR_LABEL(c, attrname, flags, labelstr) \
    class_attr_addattr_parse((c), (attrname), "label", gensym("symbol"), (flags), (labelstr))
#define CLASS_ATTR_STYLE(c, attrname, flags, stylestr) \
    class_attr_addattr_parse((c), (attrname), "style", gensym("symbol"), (flags), (stylestr))
#define CLASS_ATTR_STYLE_LABEL(c, attrname, flags, stylestr, labelstr) \
    { CLASS_ATTR_STYLE(c, attrname, flags, stylestr); CLASS_ATTR_LABEL(c, attrname, flags, labelstr); }
#define CLASS_ATTR_DEFAULT(c, attrname, flags, parsestr) \
    class_attr_addattr_parse((c), (attrname), "default", gensym("atom"), (flags), (parsestr))
#define CLASS_ATTR_SAVE(c, attrname, flags) \
    class_attr_addattr_parse((c), (attrname), "save", gensym("long"), (flags), "1")

#ifdef __cplusplus
}
#endif

#endif /* FAKE_MAX_EXT_OBEX_H */
