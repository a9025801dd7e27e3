/*
 * op.h — what an operation file needs: its definition record, typed access
 * to its arguments, and the shared layer selection.
 */
#ifndef SOZAI_OP_H
#define SOZAI_OP_H

#include "internal.h"

enum {
    SZ_OP_NEEDS_OUTPUT = 1 << 0, /* the chain must end in -o (it changes pixels) */
    SZ_OP_SELECTS_LAYERS = 1 << 1 /* accepts --layers */
};

/** One operation: a single declarative record, from which the CLI, `sozai
 *  help`, `sozai list --json` and plug-ins derive everything. */
struct sz_op {
    const char *name;
    const char *summary;          /* one line */
    const char *help;             /* paragraphs, wrapped at 72 columns */
    const sz_param *params;       /* terminated by an entry with name NULL */
    unsigned flags;
    sz_status (*run)(sz_ctx *ctx, sz_doc *doc, const sz_args *args);
};

/* Typed access to arguments; the name must be one the op declares (a typo
 * is a bug and returns the type's zero). */
SZ_INTERNAL bool sz_arg_bool(const sz_args *a, const char *name);
SZ_INTERNAL long sz_arg_int(const sz_args *a, const char *name);
SZ_INTERNAL double sz_arg_float(const sz_args *a, const char *name);
/** Whether the argument was given (or has a default). */
SZ_INTERNAL bool sz_arg_given(const sz_args *a, const char *name);
/** String, path or choice word; NULL when unset without a default. */
SZ_INTERNAL const char *sz_arg_str(const sz_args *a, const char *name);

/** The pixel layers an operation works on: those `--layers` selects, or all
 *  of them, in painting order (bottom first).  The caller frees *out. */
SZ_INTERNAL sz_status sz_select_layers(sz_ctx *ctx, sz_doc *doc, const sz_args *args,
                                       sz_layer ***out, int *count);
/** Resolves a selection text (names, globs, group paths, indexes). */
SZ_INTERNAL sz_status sz_select_layers_spec(sz_ctx *ctx, sz_doc *doc, const char *spec,
                                            sz_layer ***out, int *count);
/** The pixel layers in painting order (index = position). */
SZ_INTERNAL sz_status sz_doc_pixel_layers(sz_ctx *ctx, sz_doc *doc, sz_layer ***out, int *count);
/** "Group/Sub/Name" for a layer (malloc'd). */
SZ_INTERNAL char *sz_layer_path(sz_ctx *ctx, const sz_layer *l);

#endif
