/* The two clocks libusb asks of its platform backend on Apple systems
 * (libusbi.h): the IOKit backend defines them, the null backend that the
 * Linux build of the macOS binaries links (build/macos.sh) does not.
 * clock_gettime is in libSystem since macOS 10.12. */
#include <time.h>

void usbi_get_monotonic_time(struct timespec *tp) { clock_gettime(CLOCK_MONOTONIC, tp); }
void usbi_get_real_time(struct timespec *tp) { clock_gettime(CLOCK_REALTIME, tp); }
