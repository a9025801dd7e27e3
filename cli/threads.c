/*
 * threads.c — how the command's idle threads wait.
 *
 * The library runs dozens of short parallel loops per layer.  Between two
 * of them, GNU libgomp's idle threads spin by default (300,000 turns of a
 * pause loop, several milliseconds) before they sleep, so on a two-core
 * machine the second core spins through every serial step.  When another
 * process wants that core (a paint program, a build, a second sozai in
 * `xargs -P2`), the spinning thread takes turns with the thread doing the
 * work: the benchmark's 100 parts, two commands at a time, took 7-11 s
 * instead of 2.3 s.  Spinning 10,000 turns (tens of microseconds) still
 * catches the next loop of a busy filter, and costs nothing on an idle
 * machine (DESIGN.md, "Threads").
 *
 * libgomp reads GOMP_SPINCOUNT once, in its initialiser, before main()
 * runs, and the C library's initialiser resets the environment after
 * anything the program could run earlier.  So when the user has set
 * neither GOMP_SPINCOUNT nor OMP_WAIT_POLICY, the command sets the first
 * and starts itself again: the same process, arguments and descriptors,
 * before anything was read.  If that fails, it runs on as it is.  Not
 * under a tool that preloads a library into the process (valgrind,
 * heaptrack): the restart would leave the tool behind, or, as valgrind
 * does with /proc/self/exe, start the tool itself.  Nor when the program
 * was started through the dynamic loader by hand (`ld.so sozai ...`):
 * /proc/self/exe is then the loader, which would take the first argument
 * for its own.  This is process-wide policy, so it belongs to the
 * program, not to the library.
 */
#include "threads.h"

#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif

#define SPIN_TURNS "10000"

void sz_cli_spin_briefly(char **argv)
{
#if defined(__linux__)
    if (!argv[0]) return;                                              /* nothing to restart with */
    if (getenv("GOMP_SPINCOUNT") || getenv("OMP_WAIT_POLICY")) return; /* the user's choice */
    if (getenv("LD_PRELOAD")) return;                                  /* a tool watches */
    if (!getauxval(AT_BASE)) return; /* no loader of its own: run as the loader, or static */
    if (setenv("GOMP_SPINCOUNT", SPIN_TURNS, 1)) return;
    execv("/proc/self/exe", argv);
#else
    (void)argv;
#endif
}
