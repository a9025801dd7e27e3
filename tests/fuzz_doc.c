/* A libFuzzer target for everything sozai reads (PSD, PNG, TIFF, PAM).
 *
 * Each input is read from memory.  A document that reads is written back as
 * PSD and read again (the writer must accept whatever the reader accepts),
 * and a small one is also run through one of the operations that walk
 * every layer's pixels, with options picked by a hash of the input (so a
 * given input always takes the same path and a finding reproduces).  A
 * crash, a sanitizer report or a leak is a finding; an error status is the
 * expected answer to a bad file.
 *
 * Not part of `make check` (it needs clang's libFuzzer); `make fuzz` builds
 * and runs it (README.md, "Tests").
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sozai.h"

/* Small limits keep each run fast and make the limit paths reachable. */
static sz_ctx *fuzz_ctx(void)
{
    sz_ctx *ctx = sz_ctx_new();
    if (!ctx) return NULL;
    sz_ctx_set_threads(ctx, 1);
    sz_ctx_set_limit(ctx, SZ_LIMIT_LAYER_PIXELS, 1u << 20);
    sz_ctx_set_limit(ctx, SZ_LIMIT_DOC_PIXELS, 1u << 22);
    sz_ctx_set_limit(ctx, SZ_LIMIT_LAYERS, 64);
    sz_ctx_set_limit(ctx, SZ_LIMIT_MEMORY, 64u << 20);
    return ctx;
}

/* FNV-1a: a cheap, stable hash of the input. */
static uint32_t input_hash(const uint8_t *data, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 16777619u;
    return h;
}

/* One operation with options picked by `h`: their defaults half the time. */
static sz_status run_operation(sz_ctx *ctx, sz_doc *doc, uint32_t h)
{
    static const char *const ops[] = {"complete", "extend-lines", "fill-behind", "bleed"};
    const char *name = ops[h & 3];
    const sz_op *op = sz_op_find(name);
    sz_args *args = op ? sz_args_new(ctx, op) : NULL;
    if (!args) return SZ_ERR_NOMEM;
    bool fills = !strcmp(name, "complete") || !strcmp(name, "fill-behind");
    if (h & 4) {
        if (fills) {
            sz_args_set(ctx, args, "margin", (h & 8) ? "3" : "0");
            if (h & 16) sz_args_set(ctx, args, "merge", NULL);
            if (h & 32) sz_args_set(ctx, args, "seal-edge", NULL);
            if (h & 64) sz_args_set(ctx, args, "no-model", NULL);
            if (h & 128) sz_args_set(ctx, args, "mirror-axis", "7.5");
            if (h & 256) sz_args_set(ctx, args, "fill-line-art", NULL);
        }
        if (!strcmp(name, "complete") && (h & 4096)) sz_args_set(ctx, args, "to-layer", "new");
        if (!strcmp(name, "extend-lines")) {
            if (h & 16) sz_args_set(ctx, args, "to-layer", "new");
            if (h & 32) sz_args_set(ctx, args, "no-shape", NULL);
        }
        bool draws_lines = !strcmp(name, "complete") || !strcmp(name, "extend-lines");
        if (draws_lines && (h & 512)) sz_args_set(ctx, args, "repair-gaps", (h & 1024) ? "always" : "never");
    }
    /* two threads: a document's small layers go through the stages that
     * hold what each writes (layer_jobs.c); this build has no OpenMP, so
     * they run one after another through them */
    if (h & 2048) sz_ctx_set_threads(ctx, 2);
    sz_status st = sz_op_run(ctx, op, doc, args);
    sz_args_free(args);
    return st;
}

/* Encodes the document as PSD; with `check`, what was written must read. */
static void write_psd(sz_ctx *ctx, const sz_doc *doc, bool check)
{
    uint8_t *psd = NULL;
    size_t psd_len = 0;
    sz_write_options opt = {0};
    if (sz_doc_write_memory(ctx, doc, SZ_FORMAT_PSD, &opt, &psd, &psd_len) == SZ_OK && check) {
        sz_doc *again = NULL;
        if (sz_doc_read_memory(ctx, psd, psd_len, &again) != SZ_OK) abort();
        sz_doc_free(again);
    }
    free(psd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sz_ctx *ctx = fuzz_ctx();
    if (!ctx) return 0;
    sz_doc *doc = NULL;
    if (sz_doc_read_memory(ctx, data, len, &doc) == SZ_OK) {
        write_psd(ctx, doc, true); /* what sozai writes, sozai must read */
        if (sz_doc_width(doc) * (uint64_t)sz_doc_height(doc) <= 128 * 128 &&
            run_operation(ctx, doc, input_hash(data, len)) == SZ_OK)
            write_psd(ctx, doc, false);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
    return 0;
}
