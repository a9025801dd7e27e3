/*
 * bench_psd — PSD read and write speed and memory (a benchmark, not a
 * test: `make bench` runs it).
 *
 *   bench_psd make FILE.psd      writes the benchmark document: 4000x6000,
 *                                60 layers of rig-part sizes, 8-bit
 *   bench_psd run FILE.psd OUT   reads FILE, writes OUT, prints the times,
 *                                the decoded layers' size and peak memory
 *
 * `run` is meant to be a process of its own, so its peak resident memory
 * is the reading and writing alone.
 */
#include "sozai.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t rng = 2024;
static double frand(void)
{
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return (rng >> 8) / 16777216.0;
}

/* A part: an anti-aliased ellipse with a gradient and an outline, in a box
 * with a transparent margin, as parts cut from an illustration are. */
static sz_image *make_part(sz_ctx *ctx, int w, int h)
{
    sz_image *im = sz_image_new(ctx, w, h, 8);
    uint8_t *d = sz_image_data(im);
    size_t stride = sz_image_stride(im);
    double cx = w / 2.0, cy = h / 2.0, rx = w * 0.45, ry = h * 0.45;
    double r0 = 80 + 150 * frand(), g0 = 60 + 150 * frand(), b0 = 60 + 150 * frand();
    for (int y = 0; y < h; y++) {
        uint8_t *row = d + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            double nx = (x + 0.5 - cx) / rx, ny = (y + 0.5 - cy) / ry;
            double dist = (sqrt(nx * nx + ny * ny) - 1) * fmin(rx, ry);
            double a = fmin(1, fmax(0, 0.5 - dist));
            if (a <= 0) continue;
            double t = (double)y / h;
            bool ink = dist > -4;
            row[4 * x + 0] = (uint8_t)(ink ? 60 : r0 - 40 * t);
            row[4 * x + 1] = (uint8_t)(ink ? 40 : g0 - 40 * t);
            row[4 * x + 2] = (uint8_t)(ink ? 35 : b0 - 30 * t);
            row[4 * x + 3] = (uint8_t)lrint(a * 255);
        }
    }
    return im;
}

static int cmd_make(const char *path)
{
    const int W = 4000, H = 6000, N = 60;
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, W, H);
    /* Rig parts: a few large (body, hair), most small (eyes, brows, mouth
     * pieces, accessories): side lengths 4% to 70% of the canvas. */
    for (int i = 0; i < N; i++) {
        double s = i < 6 ? 0.45 + 0.25 * frand() : i < 20 ? 0.15 + 0.2 * frand() : 0.04 + 0.1 * frand();
        int w = (int)(W * s * (0.7 + 0.6 * frand())), h = (int)(H * s * (0.7 + 0.6 * frand()));
        if (w > W) w = W;
        if (h > H) h = H;
        char name[32];
        snprintf(name, sizeof name, "part %02d", i);
        sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, name);
        sz_layer_set_image(l, make_part(ctx, w, h));
        sz_layer_set_offset(l, (int)((W - w) * frand()), (int)((H - h) * frand()));
    }
    int rc = sz_doc_write_file(ctx, doc, path, SZ_FORMAT_PSD, NULL) != SZ_OK;
    if (rc) fprintf(stderr, "bench_psd: %s\n", sz_ctx_error(ctx));
    sz_doc_free(doc);
    sz_ctx_free(ctx);
    return rc;
}

static int cmd_run(const char *in, const char *out)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    double t0 = now();
    if (sz_doc_read_file(ctx, in, &doc)) {
        fprintf(stderr, "bench_psd: %s\n", sz_ctx_error(ctx));
        return 1;
    }
    double t1 = now();
    if (sz_doc_write_file(ctx, doc, out, SZ_FORMAT_PSD, NULL)) {
        fprintf(stderr, "bench_psd: %s\n", sz_ctx_error(ctx));
        return 1;
    }
    double t2 = now();
    uint64_t bytes = 0;
    sz_layer *root = sz_doc_root(doc);
    for (int i = 0; i < sz_layer_child_count(root); i++) {
        sz_image *im = sz_layer_image(sz_layer_child(root, i));
        if (im) bytes += (uint64_t)sz_image_stride(im) * (uint64_t)sz_image_height(im);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak = ru.ru_maxrss / 1024.0, layers = bytes / 1048576.0;
    printf("psd %dx%d, %d layers, 8-bit: read %.2f s, write %.2f s, read+write %.2f s (target < 2 s)\n",
           sz_doc_width(doc), sz_doc_height(doc), sz_layer_child_count(root), t1 - t0, t2 - t1, t2 - t0);
    printf("psd memory: decoded layers %.0f MiB, peak resident %.0f MiB = %.2fx (target < 2x)\n", layers, peak,
           peak / layers);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "make")) return cmd_make(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "run")) return cmd_run(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_psd make FILE.psd | run FILE.psd OUT.psd\n");
    return 2;
}
