/*
 * nn.c — inference of the learned completion model (see nn.h): the weight
 * file parser, which trusts nothing in the file, and the convolutions.
 */
#include "nn.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void put_u32(sz_buf *b, uint32_t v)
{
    uint8_t q[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sz_buf_append(b, q, 4);
}

static void put_f32(sz_buf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32(b, u);
}

void sz_nn_free(sz_nn *nn)
{
    if (!nn) return;
    free(nn->store);
    free(nn);
}

enum { HEADER = 7 * 4, LAYER_HEADER = 5 * 4 };
/* The largest file a valid model can be: every bound of nn.h at once. */
#define MAX_FILE ((size_t)HEADER + SZ_NN_MAX_LAYERS * (size_t)LAYER_HEADER + 4 * (size_t)SZ_NN_MAX_WEIGHTS + 4)

sz_status sz_nn_parse(sz_ctx *ctx, const uint8_t *data, size_t len, sz_nn **out)
{
    *out = NULL;
    if (len < HEADER + 4 || memcmp(data, "SZNN", 4) != 0)
        return sz_fail(ctx, SZ_ERR_FORMAT, "not a sozai model file (no SZNN signature)");
    if (len > MAX_FILE) return sz_fail(ctx, SZ_ERR_FORMAT, "too large for a sozai model file");
    uint32_t version = get_u32(data + 4);
    if (version != SZ_NN_VERSION)
        return sz_fail(ctx, SZ_ERR_FORMAT, "model file version %u; this sozai reads version %d", version,
                       SZ_NN_VERSION);
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)(len - 4));
    if (crc != get_u32(data + len - 4))
        return sz_fail(ctx, SZ_ERR_FORMAT, "model file is damaged (checksum mismatch)");
    uint32_t inputs = get_u32(data + 8), outputs = get_u32(data + 12), layers = get_u32(data + 16);
    uint32_t cells = get_u32(data + 20);
    float skip = get_f32(data + 24);
    if (inputs != SZ_NN_INPUTS || outputs != SZ_NN_OUTPUTS)
        return sz_fail(ctx, SZ_ERR_FORMAT, "model has %u inputs and %u outputs; sozai needs %d and %d", inputs, outputs,
                       SZ_NN_INPUTS, SZ_NN_OUTPUTS);
    if (layers < 1 || layers > SZ_NN_MAX_LAYERS)
        return sz_fail(ctx, SZ_ERR_FORMAT, "model has %u layers (1 to %d allowed)", layers, SZ_NN_MAX_LAYERS);
    if (cells < 4 || cells > 4096 || !(skip >= -100 && skip <= 100))
        return sz_fail(ctx, SZ_ERR_FORMAT, "model's scale (%u cells) or skip gain is out of range", cells);
    if (len < HEADER + (size_t)layers * LAYER_HEADER + 4)
        return sz_fail(ctx, SZ_ERR_FORMAT, "model file is truncated in its layer table");
    sz_nn *nn = sz_calloc(ctx, 1, sizeof *nn);
    if (!nn) return SZ_ERR_NOMEM;
    nn->layers = (int)layers, nn->cells = (int)cells, nn->skip = skip;
    size_t total = 0;
    uint32_t prev = inputs;
    for (uint32_t l = 0; l < layers; l++) {
        const uint8_t *q = data + HEADER + (size_t)l * LAYER_HEADER;
        uint32_t cin = get_u32(q), cout = get_u32(q + 4), k = get_u32(q + 8), dil = get_u32(q + 12);
        uint32_t relu = get_u32(q + 16);
        if (cin != prev || cout < 1 || cout > SZ_NN_MAX_CHANNELS || k < 1 || k > SZ_NN_MAX_KERNEL || !(k & 1) ||
            dil < 1 || dil > SZ_NN_MAX_DILATION || relu > 1 || (l + 1 == layers && cout != outputs)) {
            sz_nn_free(nn);
            return sz_fail(ctx, SZ_ERR_FORMAT,
                           "model layer %u is invalid (%u -> %u channels, kernel %u, dilation %u, relu %u)", l + 1,
                           cin, cout, k, dil, relu);
        }
        sz_nn_layer *L = &nn->layer[l];
        L->cin = (int)cin, L->cout = (int)cout, L->k = (int)k, L->dilation = (int)dil, L->relu = relu;
        total += (size_t)cout * cin * k * k + cout; /* each term bounded above: no overflow */
        prev = cout;
    }
    size_t expect = HEADER + (size_t)layers * LAYER_HEADER + 4 * total + 4;
    if (total > SZ_NN_MAX_WEIGHTS || len != expect) {
        sz_nn_free(nn);
        if (total > SZ_NN_MAX_WEIGHTS)
            return sz_fail(ctx, SZ_ERR_FORMAT, "model has %zu weights (at most %d allowed)", total, SZ_NN_MAX_WEIGHTS);
        return sz_fail(ctx, SZ_ERR_FORMAT, "model file is %zu bytes; its layers need %zu", len, expect);
    }
    nn->nweights = total;
    nn->store = sz_malloc_array(ctx, total, sizeof *nn->store);
    if (!nn->store) {
        sz_nn_free(nn);
        return SZ_ERR_NOMEM;
    }
    const uint8_t *q = data + HEADER + (size_t)layers * LAYER_HEADER;
    for (size_t i = 0; i < total; i++) {
        nn->store[i] = get_f32(q + 4 * i);
        if (!isfinite(nn->store[i])) {
            sz_nn_free(nn);
            return sz_fail(ctx, SZ_ERR_FORMAT, "model weight %zu is not a finite number", i);
        }
    }
    float *s = nn->store;
    for (int l = 0; l < nn->layers; l++) {
        sz_nn_layer *L = &nn->layer[l];
        L->w = s, s += (size_t)L->cout * L->cin * L->k * L->k;
        L->b = s, s += L->cout;
    }
    *out = nn;
    return SZ_OK;
}

sz_status sz_nn_serialise(sz_ctx *ctx, const sz_nn *nn, sz_buf *b)
{
    sz_buf_append(b, "SZNN", 4);
    put_u32(b, SZ_NN_VERSION), put_u32(b, SZ_NN_INPUTS), put_u32(b, SZ_NN_OUTPUTS);
    put_u32(b, (uint32_t)nn->layers), put_u32(b, (uint32_t)nn->cells), put_f32(b, nn->skip);
    for (int l = 0; l < nn->layers; l++) {
        const sz_nn_layer *L = &nn->layer[l];
        put_u32(b, (uint32_t)L->cin), put_u32(b, (uint32_t)L->cout), put_u32(b, (uint32_t)L->k);
        put_u32(b, (uint32_t)L->dilation), put_u32(b, L->relu);
    }
    for (int l = 0; l < nn->layers; l++) {
        const sz_nn_layer *L = &nn->layer[l];
        size_t nw = (size_t)L->cout * L->cin * L->k * L->k;
        for (size_t i = 0; i < nw; i++) put_f32(b, L->w[i]);
        for (int i = 0; i < L->cout; i++) put_f32(b, L->b[i]);
    }
    if (!b->failed) put_u32(b, (uint32_t)crc32(0L, b->data, (uInt)b->len));
    return sz_buf_check(ctx, b);
}

sz_status sz_nn_load(sz_ctx *ctx, const char *path, sz_nn **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return sz_fail(ctx, SZ_ERR_IO, "%s: %s", path, strerror(errno));
    uint8_t *data = sz_malloc(ctx, MAX_FILE + 1);
    size_t len = data ? fread(data, 1, MAX_FILE + 1, f) : 0;
    int err = data && ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!data) return SZ_ERR_NOMEM;
    sz_status st;
    if (err) st = sz_fail(ctx, SZ_ERR_IO, "%s: cannot read: %s", path, strerror(err));
    else if (len > MAX_FILE) st = sz_fail(ctx, SZ_ERR_FORMAT, "%s: too large for a sozai model file", path);
    else if ((st = sz_nn_parse(ctx, data, len, out))) sz_error_prefix(ctx, "%s", path);
    free(data);
    return st;
}

void sz_nn_conv(const sz_nn_layer *L, const float *in, int w, int h, float *out, int threads)
{
    sz_nn_conv_rows(L, in, w, h, NULL, out, threads);
}

/* Output channels summed together in one pass over the input: each
 * input row is read once for all of them, and the loops' own cost, which
 * on a grid of a few dozen cells a side outweighs the sums, is paid once. */
enum { CO_BLOCK = 4 };

/* The cells of row y a pass computes (`rows` NULL: all w). */
static inline sz_nn_span row_span(const sz_nn_span *rows, int y, int w)
{
    return rows ? rows[y] : (sz_nn_span){0, w};
}

/* Output channels c0 .. c0 + nc (at most CO_BLOCK) of sz_nn_conv_rows.
 * Built for AVX2 too (its eight lanes, without fused multiply-adds, so
 * every sum is rounded as in the default build: the same bits). */
SZ_AVX2_CLONE static void conv_block(const sz_nn_layer *L, const float *in, int w, int h, const sz_nn_span *rows,
                                     float *out, int c0, int nc)
{
    size_t plane = (size_t)w * (size_t)h;
    int k = L->k, r = k / 2;
    for (int c = 0; c < nc; c++) {
        float *o = out + (size_t)(c0 + c) * plane;
        for (int y = 0; y < h; y++) {
            sz_nn_span span = row_span(rows, y, w);
            for (int x = span.x0; x < span.x1; x++) o[(size_t)y * w + x] = L->b[c0 + c];
        }
    }
    for (int ci = 0; ci < L->cin; ci++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float wv[CO_BLOCK] = {0};
                for (int c = 0; c < nc; c++) wv[c] = L->w[(((size_t)(c0 + c) * L->cin + ci) * k + ky) * k + kx];
                int dy = (ky - r) * L->dilation, dx = (kx - r) * L->dilation;
                int y0 = SZ_MAX(0, -dy), y1 = SZ_MIN(h, h - dy), x0 = SZ_MAX(0, -dx), x1 = SZ_MIN(w, w - dx);
                for (int y = y0; y < y1; y++) {
                    const float *restrict src = in + (size_t)ci * plane + (size_t)(y + dy) * w + dx;
                    size_t row = (size_t)y * w;
                    sz_nn_span span = row_span(rows, y, w);
                    int a = SZ_MAX(x0, span.x0), b = SZ_MIN(x1, span.x1);
                    /* vectorised across x: each output keeps its own order of sums */
                    if (nc == CO_BLOCK) {
                        float *restrict d0 = out + (size_t)c0 * plane + row, *restrict d1 = d0 + plane;
                        float *restrict d2 = d1 + plane, *restrict d3 = d2 + plane;
#pragma omp simd
                        for (int x = a; x < b; x++) {
                            float v = src[x];
                            d0[x] += wv[0] * v, d1[x] += wv[1] * v, d2[x] += wv[2] * v, d3[x] += wv[3] * v;
                        }
                    } else {
                        for (int c = 0; c < nc; c++) {
                            float *restrict dst = out + (size_t)(c0 + c) * plane + row;
#pragma omp simd
                            for (int x = a; x < b; x++) dst[x] += wv[c] * src[x];
                        }
                    }
                }
            }
    if (L->relu)
        for (int c = 0; c < nc; c++)
            for (int y = 0; y < h; y++) {
                float *o = out + (size_t)(c0 + c) * plane + (size_t)y * w;
                sz_nn_span span = row_span(rows, y, w);
                for (int x = span.x0; x < span.x1; x++) o[x] = o[x] > 0 ? o[x] : 0;
            }
}

void sz_nn_conv_rows(const sz_nn_layer *L, const float *in, int w, int h, const sz_nn_span *rows, float *out,
                     int threads)
{
    int blocks = (L->cout + CO_BLOCK - 1) / CO_BLOCK;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int blk = 0; blk < blocks; blk++)
        conv_block(L, in, w, h, rows, out, blk * CO_BLOCK, SZ_MIN(CO_BLOCK, L->cout - blk * CO_BLOCK));
}

/* The cells of layer L's input that its outputs in `need` read (each
 * row's span grown by the kernel's reach, on every row a tap lands on). */
static void spans_read(const sz_nn_layer *L, const sz_nn_span *need, int w, int h, sz_nn_span *read)
{
    int r = L->k / 2, reach = r * L->dilation;
    for (int y = 0; y < h; y++) read[y] = (sz_nn_span){w, 0};
    for (int y = 0; y < h; y++) {
        if (need[y].x0 >= need[y].x1) continue;
        int a = SZ_MAX(0, need[y].x0 - reach), b = SZ_MIN(w, need[y].x1 + reach);
        for (int ky = 0; ky < L->k; ky++) {
            int yy = y + (ky - r) * L->dilation;
            if (yy < 0 || yy >= h) continue;
            read[yy].x0 = SZ_MIN(read[yy].x0, a), read[yy].x1 = SZ_MAX(read[yy].x1, b);
        }
    }
}

sz_status sz_nn_forward(sz_ctx *ctx, const sz_nn *nn, const float *in, int w, int h, const uint8_t *want, float *out)
{
    size_t plane = (size_t)w * (size_t)h;
    int widest = 0;
    for (int l = 0; l < nn->layers; l++) widest = SZ_MAX(widest, nn->layer[l].cout);
    float *a = sz_malloc_array(ctx, plane, (size_t)widest * sizeof *a);
    float *b = sz_malloc_array(ctx, plane, (size_t)widest * sizeof *b);
    /* spans[l]: the cells of layer l's output that are needed, from the
     * last layer's (the wanted cells) back to the first's */
    sz_nn_span *spans = want ? sz_malloc_array(ctx, (size_t)nn->layers * (size_t)h, sizeof *spans) : NULL;
    if (!a || !b || (want && !spans)) {
        free(a), free(b), free(spans);
        return SZ_ERR_NOMEM;
    }
    if (want) {
        sz_nn_span *last = spans + (size_t)(nn->layers - 1) * h;
        for (int y = 0; y < h; y++) {
            last[y] = (sz_nn_span){w, 0};
            for (int x = 0; x < w; x++)
                if (want[(size_t)y * w + x]) last[y].x0 = SZ_MIN(last[y].x0, x), last[y].x1 = x + 1;
        }
        for (int l = nn->layers - 1; l > 0; l--)
            spans_read(&nn->layer[l], spans + (size_t)l * h, w, h, spans + (size_t)(l - 1) * h);
    }
    const float *src = in;
    for (int l = 0; l < nn->layers; l++) {
        float *dst = l + 1 == nn->layers ? out : (l & 1 ? b : a);
        sz_nn_conv_rows(&nn->layer[l], src, w, h, spans ? spans + (size_t)l * h : NULL, dst, sz_threads(ctx));
        src = dst;
    }
    const sz_nn_span *last = spans ? spans + (size_t)(nn->layers - 1) * h : NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (last && (x < last[y].x0 || x >= last[y].x1)) out[i] = -INFINITY;
            else out[i] += nn->skip * (2 * in[2 * plane + i] - 1);
        }
    free(a), free(b), free(spans);
    return SZ_OK;
}
