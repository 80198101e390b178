/* ext_critical.h for the fake-max TEST KERNEL (NOT the Cycling '74 Max SDK): everything is in ext.h. */
#include "ext.h"
