/*
 * heap.c — the command's memory policy.
 *
 * The filters allocate and free many image-sized planes, a few for every
 * step.  By default glibc maps each plane over 128 KiB afresh and unmaps it
 * on free, so every plane pays a page fault per 4 KiB on first touch; on a
 * virtual machine those faults, and the kernel zeroing the fresh pages,
 * were a third of the time of `complete`.  Instead the command grows its
 * heap once by a reserve (1 GiB, at most an eighth of the machine's
 * memory or of a limit set on the process), advises the kernel to back
 * that range with huge pages before anything touches it, and keeps it:
 * planes reuse warm memory, and a first touch costs one fault per 2 MiB.
 * Blocks that do not fit the reserve are mapped as usual (the library
 * advises huge pages for those itself).  Every thread allocates from
 * this one heap.
 *
 * The price is memory: a freed hole too small for the next plane stays
 * resident while the heap grows past it, so the peak grows by up to the
 * reserve (730 -> 1026 MB for `complete` on a 4096x4096 part, 1.55 ->
 * 1.72 GB on a 60-layer 4000x6000 document, which got a third faster).
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
#include <sys/resource.h>
#include <unistd.h>

#define RESERVE_MAX ((size_t)1 << 30)
#define HUGE_PAGE ((uintptr_t)2 << 20)

/* the block under the reserve, kept for good (a pointer, so no leak checker
 * counts it lost) */
static void *heap_floor;

void sz_cli_reserve_heap(void)
{
    /* at most an eighth of the machine's memory, and of any limit on the
     * process's address space or data */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t reserve = RESERVE_MAX;
    if (pages > 0 && page > 0 && (size_t)pages / 8 < RESERVE_MAX / (size_t)page)
        reserve = (size_t)pages / 8 * (size_t)page;
    const int limits[] = {RLIMIT_AS, RLIMIT_DATA};
    for (int i = 0; i < 2; i++) {
        struct rlimit rl;
        if (!getrlimit(limits[i], &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 8 < reserve)
            reserve = (size_t)(rl.rlim_cur / 8);
    }
    mallopt(M_MMAP_THRESHOLD, 4 << 20); /* fixed: no creeping threshold */
    mallopt(M_TRIM_THRESHOLD, -1);      /* keep what was grown */
    /* One arena for every thread: the layers of a document are worked on
     * side by side, and a worker's planes came from an arena of its own,
     * on small pages and outside the reserve (the sample document faulted
     * 2,650 times instead of 323).  The filters allocate a few planes per
     * step, so the arena's lock is never contended for long. */
    mallopt(M_ARENA_MAX, 1);
    /* The block that makes the heap grow is placed to end just below a
     * huge page's boundary, and kept: what the command allocates then
     * comes from above it, on huge pages from the first byte.  Freed, it
     * would be reused first, on small pages, and on a small document
     * those faults were as many as all the rest of its work.  It is never
     * touched past its header, so it costs address space, not memory. */
    const size_t block = (size_t)1 << 20; /* more than the fresh heap holds: it grows */
    const uintptr_t slack = 4096;         /* the headers malloc writes past its end */
    uintptr_t now = (uintptr_t)sbrk(0);
    if (now == (uintptr_t)-1) return;
    uintptr_t boundary = (now + block + slack + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (sbrk((intptr_t)(boundary - block - slack - now)) == (void *)-1) return;
    mallopt(M_TOP_PAD, (int)reserve);
    heap_floor = malloc(block);
    mallopt(M_TOP_PAD, 0);
    if (!heap_floor) return;
    /* the boundary above the block, wherever malloc put it */
    uintptr_t start = ((uintptr_t)heap_floor + block + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}
#else
void sz_cli_reserve_heap(void)
{
}
#endif
