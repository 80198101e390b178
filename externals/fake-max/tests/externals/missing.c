/* A test external for fake-max that calls a function Max does not have:
   loading it must fail, naming the function. */
#include "ext.h"

void max_function_fake_max_lacks(void);

C74_EXPORT void ext_main(void *r)
{
    (void)r;
    max_function_fake_max_lacks();
}
