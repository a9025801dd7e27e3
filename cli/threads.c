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
 * before the input is read.  If that fails, it runs on as it is.
 *
 * It does not restart
 * - when no thread will wait: the library works on one thread below
 *   SZ_ONE_THREAD_PIXELS (512 x 512) unless told otherwise,
 *   and libgomp then starts none.  The canvas is read from the header of
 *   a PNG or PSD input; of other inputs it is not known.
 * - under a tool that preloads a library into the process (valgrind,
 *   heaptrack): the restart would leave the tool behind, or, as valgrind
 *   does with /proc/self/exe, start the tool itself;
 * - when the program was started through the dynamic loader by hand
 *   (`ld.so sozai ...`): /proc/self/exe is then the loader, which would
 *   take the first argument for its own.
 *
 * This is process-wide policy, so it belongs to the program, not to the
 * library.
 */
#include "threads.h"

#if defined(__linux__)

#include "sozai.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define SPIN_TURNS "10000"

static uint64_t be32(const unsigned char *b)
{
    return (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
}

/* Whether `input` is a PNG or PSD/PSB file whose header gives a canvas the
 * library works on with one thread. */
static bool known_small(const char *input)
{
    if (!strcmp(input, "-")) return false; /* standard input: not to be peeked at */
    unsigned char h[26];
    FILE *f = fopen(input, "rb");
    if (!f) return false;
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    uint64_t w, ht;
    if (got >= 24 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8) && !memcmp(h + 12, "IHDR", 4))
        w = be32(h + 16), ht = be32(h + 20);
    else if (got >= 22 && !memcmp(h, "8BPS", 4))
        ht = be32(h + 14), w = be32(h + 18);
    else
        return false;
    return w * ht < SZ_ONE_THREAD_PIXELS;
}

void sz_cli_spin_briefly(char **argv, const char *input, int threads)
{
    if (!argv[0] || !input) return;                                    /* nothing to restart with, or for */
    if (getenv("GOMP_SPINCOUNT") || getenv("OMP_WAIT_POLICY")) return; /* the user's choice */
    if (threads == 1 || (threads == 0 && known_small(input))) return;  /* no thread will wait */
    if (getenv("LD_PRELOAD")) return;                                  /* a tool watches */
    if (!getauxval(AT_BASE)) return; /* no loader of its own: run as the loader, or static */
    if (setenv("GOMP_SPINCOUNT", SPIN_TURNS, 1)) return;
    execv("/proc/self/exe", argv);
}

#else

void sz_cli_spin_briefly(char **argv, const char *input, int threads)
{
    (void)argv, (void)input, (void)threads; /* elsewhere libgomp's default stands */
}

#endif
