/* bcryptprimitives.dll for the tests under wine, never shipped: Rust's std
 * (1.78+) imports ProcessPrng from bcryptprimitives.dll, which Windows 10+
 * has and wine 8.0 lacks, so without this the pyrus core does not load
 * there. ProcessPrng fills the buffer from the system's random source:
 * RtlGenRandom (exported by advapi32 as SystemFunction036), which takes at
 * most a ULONG's worth at a time (Windows' own ProcessPrng never fails;
 * this one says FALSE if RtlGenRandom does). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
