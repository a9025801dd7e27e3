/*
 * threads.h — how the command's idle threads wait (see threads.c).
 */
#ifndef SOZAI_CLI_THREADS_H
#define SOZAI_CLI_THREADS_H

/* Keeps libgomp's idle threads from spinning for milliseconds between
 * parallel loops, unless the user chose how they wait or no thread will
 * wait: may start the program again.  Call once the arguments are parsed
 * (the input file, --threads: 0 when not given), before the input is
 * read. */
void sz_cli_spin_briefly(char **argv, const char *input, int threads);

#endif
