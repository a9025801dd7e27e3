/*
 * to-srgb — converts the document to sRGB through its embedded profile
 * (LittleCMS), optionally to 8 bits: what Live2D Cubism imports.
 */
#include "op.h"

static sz_status run(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    const char *d = sz_arg_str(args, "depth");
    int depth = !strcmp(d, "8") ? 8 : !strcmp(d, "16") ? 16 : 0;
    return sz_doc_to_srgb(ctx, doc, depth);
}

static const char *const depths[] = {"keep", "8", "16", NULL};

static const sz_param params[] = {
    {"depth", SZ_PARAM_CHOICE, "Bits per channel of the result", "keep", 0, -1, depths},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_to_srgb = {
    .name = "to-srgb",
    .summary = "convert every layer to sRGB through the embedded profile (optionally 8-bit)",
    .help = "Converts the pixels of every layer from the document's colour space (its\n"
            "ICC profile, or the PNG gAMA/cHRM chunks) to sRGB with LittleCMS\n"
            "(relative colorimetric, black point compensation) and tags the result as\n"
            "sRGB.  An untagged document is taken to be sRGB already.  --depth 8 gives\n"
            "the 8-bit sRGB document Live2D Cubism expects.",
    .params = params,
    .flags = SZ_OP_NEEDS_OUTPUT,
    .run = run,
};
