/*
 * threads.h — how the command's idle threads wait (see threads.c).
 */
#ifndef SOZAI_CLI_THREADS_H
#define SOZAI_CLI_THREADS_H

/* Keeps libgomp's idle threads from spinning for milliseconds between
 * parallel loops, unless the user chose how they wait: may start the
 * program again.  Call first thing in main(), before anything is read. */
void sz_cli_spin_briefly(char **argv);

#endif
