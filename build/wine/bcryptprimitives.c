/*
 * A stand-in bcryptprimitives.dll for running Rust programs under wine 8.0
 * in the tests (never shipped): Rust's std (1.78 and later) takes its
 * random bytes from ProcessPrng in bcryptprimitives.dll, which Windows 10
 * and later have and wine 8.0 does not. Windows' own RtlGenRandom
 * (advapi32's SystemFunction036) gives the same: bytes from the system's
 * generator. Any thread.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
