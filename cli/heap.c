/*
 * heap.c — the command's memory policy.
 *
 * The filters allocate and free many image-sized planes, a few for every
 * step.  By default glibc maps each plane over 128 KiB afresh and unmaps it
 * on free, so every plane pays a page fault per 4 KiB on first touch; on a
 * virtual machine those faults were a third of the time of `complete` on
 * the benchmark's parts (around a megapixel each).  Instead the command
 * grows its heap once by RESERVE, advises the kernel to back that range
 * with huge pages before anything touches it, and keeps it: planes reuse
 * it, and a first touch costs one fault per 2 MiB.  Blocks that do not fit
 * the reserve are mapped as usual (the library advises huge pages for those
 * itself), so the peak memory of a 4K image stays what it was.
 *
 * This is process-wide policy, so it belongs to the program, not to the
 * library.  Everything here is advice: if the heap cannot grow, or on a C
 * library without these knobs, nothing changes but the speed.
 */
#include "heap.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__GLIBC__) && defined(__linux__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#define RESERVE ((size_t)256 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

void sz_cli_reserve_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 4 << 20); /* fixed: no creeping threshold */
    mallopt(M_TRIM_THRESHOLD, -1);      /* keep what was grown */
    mallopt(M_TOP_PAD, (int)RESERVE);
    void *p = malloc((size_t)1 << 20); /* more than the fresh heap holds: it grows */
    mallopt(M_TOP_PAD, 0);
    if (!p) return;
    uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    free(p);
}
#else
void sz_cli_reserve_heap(void)
{
}
#endif
