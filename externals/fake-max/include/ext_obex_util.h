/* ext_obex_util.h for the fake-max TEST KERNEL (NOT the Cycling '74 Max SDK): everything is in ext.h. */
#include "ext.h"
