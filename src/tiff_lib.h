/*
 * tiff_lib.h — the libtiff functions io_tiff.c calls, reached through a
 * table that is filled the first time a TIFF is read or written
 * (tiff_lib.c says why).
 */
#ifndef SOZAI_TIFF_LIB_H
#define SOZAI_TIFF_LIB_H

#include "internal.h"

#include <tiffio.h>

/* Every libtiff function sozai calls, by its name without "TIFF".  The
 * table's members take their types from tiffio.h itself. */
#define SZ_LIBTIFF_FUNCTIONS(X)                                                                                   \
    X(OpenOptionsAlloc) X(OpenOptionsFree) X(OpenOptionsSetMaxSingleMemAlloc) X(OpenOptionsSetErrorHandlerExtR)   \
    X(OpenOptionsSetWarningHandlerExtR) X(ClientOpenExt) X(Close) X(ReadDirectory) X(CurrentDirectory)          \
    X(WriteDirectory) X(GetField) X(GetFieldDefaulted) X(SetField) X(IsTiled) X(TileSize) X(ComputeTile)        \
    X(ReadEncodedTile) X(StripSize) X(ComputeStrip) X(ReadEncodedStrip) X(RGBAImageOK)                          \
    X(ReadRGBAImageOriented) X(WriteScanline)

#define SZ_LIBTIFF_MEMBER(name) __typeof__(&TIFF##name) name;
typedef struct sz_libtiff_table {
    SZ_LIBTIFF_FUNCTIONS(SZ_LIBTIFF_MEMBER)
} sz_libtiff_table;
#undef SZ_LIBTIFF_MEMBER

/* The table; read it only after sz_libtiff_open() said SZ_OK. */
SZ_INTERNAL extern sz_libtiff_table sz_libtiff;

/* Makes sz_libtiff ready (once per process, from any thread); if libtiff
 * cannot be loaded, fails with SZ_ERR_UNSUPPORTED naming the file and
 * the loader's reason. */
SZ_INTERNAL sz_status sz_libtiff_open(sz_ctx *ctx);

/* Fills *table from the shared object of that name, or tells why not in
 * why[n]: false if it cannot be opened or lacks a function.  (The part of
 * sz_libtiff_open() the tests call with names of their own.) */
SZ_INTERNAL bool sz_libtiff_load(const char *soname, sz_libtiff_table *table, char *why, size_t n);

#endif
