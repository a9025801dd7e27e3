/*
 * heap.h — the command's memory policy (see heap.c).
 */
#ifndef SOZAI_CLI_HEAP_H
#define SOZAI_CLI_HEAP_H

/* Sets up the process heap for image work; call first thing in main(). */
void sz_cli_reserve_heap(void);

#endif
