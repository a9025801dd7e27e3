/*
 * sozai-train — trains the learned shape model (filters/nn.h) on
 * procedurally generated parts (gen.c) and writes its weight file and the
 * C source compiled into the library.
 *
 * Each sample is a generated part cut by a generated occluder, prepared
 * exactly as sozai prepares a layer (sz_part_load), completed by the
 * geometric path (sz_shape_complete without a model), and seen by the
 * network through the library's own input planes; the target is the
 * complete part's coverage per cell, the loss the cross-entropy over the
 * hidden cells.  Samples of a batch run in parallel, each into its own
 * gradient, summed in sample order: the weights are the same bit for bit
 * whatever the number of threads.
 */
#include "fill.h"
#include "nn.h"
#include "gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The architecture: 3 inputs, six 3x3 layers of WIDTH channels with
 * dilations growing to 16 (a receptive field of 65 cells: the whole part
 * and its surroundings), a 1x1 layer to the log-odds. */
enum { WIDTH = 16, CELLS = 32 };
static const int dilations[] = {1, 2, 4, 8, 16, 1};
#define NCONV ((int)(sizeof dilations / sizeof dilations[0]))
static const float SKIP = 3.0f;

typedef struct sample {
    int w, h;        /* grid */
    float *in;       /* SZ_NN_INPUTS planes */
    float *target;   /* complete part's coverage per cell */
    float *weight;   /* hidden share of the cell: where the decision is made */
} sample;

static void sample_free(sample *s)
{
    free(s->in), free(s->target), free(s->weight);
    memset(s, 0, sizeof *s);
}

/* One training sample from (seed, index); 0 on success. */
static int sample_make(const sz_nn *nn, uint64_t seed, uint64_t index, sample *out)
{
    memset(out, 0, sizeof *out);
    gen_rng rng = gen_rng_make(seed, index);
    gen_case c;
    if (gen_case_make(&rng, &c)) return -1;
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = NULL;
    sz_image *mask = NULL;
    int rc = -1;
    if (ctx && !gen_case_doc(ctx, &c, &doc, &mask)) {
        sz_layer *layer = sz_layer_child(sz_doc_root(doc), 0);
        sz_ctx_set_threads(ctx, 1);
        sz_hidden_source src = {.mask = mask};
        sz_part p;
        sz_fill_params fp = {.smoothness = 1};
        if (!sz_part_load(ctx, doc, layer, &src, &p) && p.img) {
            size_t n = (size_t)p.w * p.h;
            uint8_t *shape = malloc(n), *inside = malloc(n);
            int pairs, cell = sz_shape_model_cell(nn, &p);
            int gw = (p.w + cell - 1) / cell, gh = (p.h + cell - 1) / cell;
            size_t plane = (size_t)gw * gh;
            out->w = gw, out->h = gh;
            out->in = malloc(SZ_NN_INPUTS * plane * sizeof *out->in);
            out->target = calloc(plane, sizeof *out->target);
            out->weight = calloc(plane, sizeof *out->weight);
            if (shape && inside && out->in && out->target && out->weight &&
                !sz_shape_complete(ctx, &p, &fp, shape, &pairs, NULL)) {
                for (size_t i = 0; i < n; i++)
                    inside[i] = sz_alpha16(p.img, (int)(i % p.w), (int)(i / p.w)) >= 32768 || shape[i];
                /* the whole grid, as the shipped weights were taught (the
                 * window inference runs on is smaller for 3 parts in 100,
                 * by a few cells at its edge) */
                sz_grid_window whole = {.cell = cell, .w = gw, .h = gh};
                sz_shape_model_inputs(ctx, &p, inside, &whole, out->in);
                float *count = calloc(plane, sizeof *count);
                if (count) {
                    for (int y = 0; y < p.h; y++)
                        for (int x = 0; x < p.w; x++) {
                            int cx = x + p.x0, cy = y + p.y0;
                            size_t g = (size_t)(y / cell) * gw + (size_t)(x / cell);
                            bool on = cx >= 0 && cy >= 0 && cx < c.w && cy < c.h;
                            out->target[g] += on ? c.part[(size_t)cy * c.w + cx] : 0;
                            count[g]++;
                        }
                    for (size_t g = 0; g < plane; g++) {
                        out->target[g] /= count[g];
                        out->weight[g] = out->in[plane + g]; /* the hidden share */
                    }
                    free(count);
                    rc = 0;
                }
            }
            free(shape), free(inside);
            sz_part_free(&p);
        }
    }
    sz_image_free(mask);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
    gen_case_free(&c);
    if (rc) sample_free(out);
    return rc;
}

/* Forward with every layer's output kept (acts[l], WIDTH planes each),
 * then the loss and, when grad is not NULL, its gradient added to grad. */
static double sample_step(const sz_nn *nn, const sample *s, float *acts, float *grad, double *weight_sum)
{
    size_t plane = (size_t)s->w * s->h, stride = plane * WIDTH;
    const float *src = s->in;
    for (int l = 0; l < nn->layers; l++) {
        sz_nn_conv(&nn->layer[l], src, s->w, s->h, acts + l * stride, 1);
        src = acts + l * stride;
    }
    float *logit = acts + (size_t)(nn->layers - 1) * stride;
    float *d = acts + (size_t)nn->layers * stride; /* scratch: two gradient planes sets */
    float *dnext = d + stride;
    double loss = 0, wsum = 0;
    for (size_t g = 0; g < plane; g++) {
        float z = logit[g] + nn->skip * (2 * s->in[2 * plane + g] - 1), t = s->target[g], w = s->weight[g];
        float sp = z > 0 ? z + log1pf(expf(-z)) : log1pf(expf(z));
        loss += w * (sp - t * z), wsum += w;
        d[g] = w * (1 / (1 + expf(-z)) - t);
    }
    *weight_sum = wsum;
    if (!grad) return loss;
    for (int l = nn->layers - 1; l >= 0; l--) {
        const sz_nn_layer *L = &nn->layer[l];
        const float *in = l ? acts + (size_t)(l - 1) * stride : s->in, *outp = acts + (size_t)l * stride;
        float *gw = grad + (L->w - nn->store), *gb = grad + (L->b - nn->store);
        int k = L->k, r = k / 2;
        if (L->relu)
            for (size_t i = 0; i < (size_t)L->cout * plane; i++) d[i] = outp[i] > 0 ? d[i] : 0;
        if (l) memset(dnext, 0, (size_t)L->cin * plane * sizeof *dnext);
        for (int co = 0; co < L->cout; co++) {
            const float *dc = d + (size_t)co * plane;
            double sb = 0;
            for (size_t i = 0; i < plane; i++) sb += dc[i];
            gb[co] += (float)sb;
            for (int ci = 0; ci < L->cin; ci++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        size_t wi = (((size_t)co * L->cin + ci) * k + ky) * k + kx;
                        int dy = (ky - r) * L->dilation, dx = (kx - r) * L->dilation;
                        int y0 = SZ_MAX(0, -dy), y1 = SZ_MIN(s->h, s->h - dy);
                        int x0 = SZ_MAX(0, -dx), x1 = SZ_MIN(s->w, s->w - dx);
                        float wv = L->w[wi], acc = 0;
                        for (int y = y0; y < y1; y++) {
                            const float *src_row = in + (size_t)ci * plane + (size_t)(y + dy) * s->w + dx;
                            const float *d_row = dc + (size_t)y * s->w;
                            float *back = dnext + (size_t)ci * plane + (size_t)(y + dy) * s->w + dx;
                            for (int x = x0; x < x1; x++) acc += d_row[x] * src_row[x];
                            if (l)
                                for (int x = x0; x < x1; x++) back[x] += wv * d_row[x];
                        }
                        gw[wi] += acc;
                    }
        }
        float *t = d;
        d = dnext, dnext = t;
    }
    return loss;
}

static double normal(gen_rng *r)
{
    double u = gen_uniform(r, 1e-12, 1), v = gen_uniform(r, 0, 1);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static sz_nn *model_new(uint64_t seed)
{
    sz_nn *nn = calloc(1, sizeof *nn);
    if (!nn) return NULL;
    nn->layers = NCONV + 1, nn->cells = CELLS, nn->skip = SKIP;
    int cin = SZ_NN_INPUTS;
    for (int l = 0; l <= NCONV; l++) {
        sz_nn_layer *L = &nn->layer[l];
        bool last = l == NCONV;
        L->cin = cin, L->cout = last ? SZ_NN_OUTPUTS : WIDTH, L->k = last ? 1 : 3;
        L->dilation = last ? 1 : dilations[l], L->relu = !last;
        nn->nweights += (size_t)L->cout * L->cin * L->k * L->k + L->cout;
        cin = L->cout;
    }
    nn->store = calloc(nn->nweights, sizeof *nn->store);
    if (!nn->store) {
        free(nn);
        return NULL;
    }
    gen_rng rng = gen_rng_make(seed, UINT64_C(0xC0FFEE));
    float *s = nn->store;
    for (int l = 0; l < nn->layers; l++) {
        sz_nn_layer *L = &nn->layer[l];
        size_t fan_in = (size_t)L->cin * L->k * L->k, nw = fan_in * L->cout;
        double scale = l + 1 == nn->layers ? 0.01 : sqrt(2.0 / (double)fan_in); /* He; the last starts near 0 */
        L->w = s, s += nw;
        L->b = s, s += L->cout;
        for (size_t i = 0; i < nw; i++) L->w[i] = (float)(scale * normal(&rng));
    }
    return nn;
}

static int write_outputs(const sz_nn *nn, const char *path, const char *c_source)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_buf b = {0};
    if (!ctx || sz_nn_serialise(ctx, nn, &b)) {
        fprintf(stderr, "sozai-train: out of memory\n");
        return 1;
    }
    int rc = 0;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
        fprintf(stderr, "sozai-train: cannot write %s\n", path);
        rc = 1;
    }
    if (!rc && c_source) {
        f = fopen(c_source, "w");
        if (f) {
            fprintf(f, "/* Generated by sozai-train (make weights): the shipped model, %zu weights.\n"
                       " * Do not edit; see MODEL.md. */\n#include \"nn.h\"\n\n"
                       "static const uint8_t weights[%zu] = {",
                    nn->nweights, b.len);
            for (size_t i = 0; i < b.len; i++) fprintf(f, "%s%u,", i % 20 ? "" : "\n    ", b.data[i]);
            fprintf(f, "\n};\n\nsz_status sz_nn_builtin(sz_ctx *ctx, sz_nn **out)\n{\n"
                       "    return sz_nn_parse(ctx, weights, sizeof weights, out);\n}\n");
        }
        if (!f || fclose(f)) {
            fprintf(stderr, "sozai-train: cannot write %s\n", c_source);
            rc = 1;
        }
    }
    sz_buf_free(&b);
    sz_ctx_free(ctx);
    return rc;
}

/* On a fixed validation set: the loss with the model, and the share of
 * hidden cells decided right (cell coverage on the right side of 0.5) by
 * the geometry and by the model. */
static void validate(const sz_nn *nn, const sample *val, int nval, float *acts, double *loss, double *geo_ok,
                     double *model_ok)
{
    double l = 0, ws = 0, all = 0, g_ok = 0, m_ok = 0;
    for (int v = 0; v < nval; v++) {
        const sample *s = &val[v];
        double w;
        l += sample_step(nn, s, acts, NULL, &w), ws += w;
        size_t plane = (size_t)s->w * s->h, stride = plane * WIDTH;
        const float *logit = acts + (size_t)(nn->layers - 1) * stride;
        for (size_t g = 0; g < plane; g++) {
            if (s->weight[g] <= 0.25f) continue;
            bool truth = s->target[g] > 0.5f, geo = s->in[2 * plane + g] > 0.5f;
            bool model = logit[g] + nn->skip * (2 * s->in[2 * plane + g] - 1) > 0;
            all++, g_ok += geo == truth, m_ok += model == truth;
        }
    }
    *loss = ws > 0 ? l / ws : 0, *geo_ok = all ? g_ok / all : 0, *model_ok = all ? m_ok / all : 0;
}

/* Writes n generated cases as pictures (visible part grey, its hidden
 * rest blue, the occluder red over both), to see what the model learns from. */
static int dump_cases(uint64_t seed, const char *dir, int n)
{
    sz_ctx *ctx = sz_ctx_new();
    int rc = ctx ? 0 : 1;
    for (int k = 0; k < n && !rc; k++) {
        gen_rng rng = gen_rng_make(seed, (uint64_t)k * 64);
        gen_case c;
        if (gen_case_make(&rng, &c)) continue;
        sz_image *img = sz_image_new(ctx, c.w, c.h, 8);
        for (int y = 0; img && y < c.h; y++) {
            uint8_t *row = sz_row8(img, y);
            for (int x = 0; x < c.w; x++) {
                size_t i = (size_t)y * c.w + x;
                float part = c.part[i], occ = c.occluder[i], rgb[3];
                for (int j = 0; j < 3; j++) {
                    float under = 255 * (1 - part) + part * (j == 2 ? 230.0f : 140.0f);
                    float seen = 255 * (1 - part) + part * 110.0f;
                    float base = under * occ + seen * (1 - occ);
                    rgb[j] = base * (1 - 0.35f * occ) + 0.35f * occ * (j == 0 ? 230.0f : 40.0f);
                }
                for (int j = 0; j < 3; j++) row[4 * x + j] = (uint8_t)lroundf(rgb[j]);
                row[4 * x + 3] = 255;
            }
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/case%03d.png", dir, k);
        if (!img || sz_image_write_file(ctx, img, path, NULL)) {
            fprintf(stderr, "sozai-train: %s\n", sz_ctx_error(ctx));
            rc = 1;
        }
        sz_image_free(img);
        gen_case_free(&c);
    }
    sz_ctx_free(ctx);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: sozai-train [--seed N] [--steps N] [--batch N] [--lr X] [--validate N]\n"
                    "                   [-o FILE.sznn] [--c-source FILE.c] [--check]\n"
                    "                   [--dump DIR N]\n"
                    "  --check: fail unless the loss on the validation parts falls\n"
                    "  --dump: write N generated training parts as pictures into DIR, and stop\n");
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    int steps = 3000, batch = 16, nval = 256;
    double lr = 2e-3;
    const char *out = "sozai.sznn", *c_source = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--check")) check = true;
        else if (v && !strcmp(a, "--seed")) seed = strtoull(v, NULL, 10), i++;
        else if (v && !strcmp(a, "--steps")) steps = atoi(v), i++;
        else if (v && !strcmp(a, "--batch")) batch = atoi(v), i++;
        else if (v && !strcmp(a, "--lr")) lr = atof(v), i++;
        else if (v && !strcmp(a, "--validate")) nval = atoi(v), i++;
        else if (v && !strcmp(a, "-o")) out = v, i++;
        else if (v && !strcmp(a, "--c-source")) c_source = v, i++;
        else if (v && i + 2 < argc && !strcmp(a, "--dump")) return dump_cases(seed, v, atoi(argv[i + 2]));
        else {
            usage();
            return 2;
        }
    }
    if (steps < 1 || batch < 1 || batch > 1024 || nval < 1 || !(lr > 0)) {
        usage();
        return 2;
    }
    sz_nn *nn = model_new(seed);
    size_t nw = nn ? nn->nweights : 0;
    float *grads = nn ? calloc((size_t)batch * nw, sizeof *grads) : NULL;
    double *m = calloc(nw, sizeof *m), *v2 = calloc(nw, sizeof *v2);
    sample *val = calloc((size_t)nval, sizeof *val), *bat = calloc((size_t)batch, sizeof *bat);
    if (!nn || !grads || !m || !v2 || !val || !bat) {
        fprintf(stderr, "sozai-train: out of memory\n");
        return 1;
    }
    printf("model: %d layers, %zu weights; seed %" PRIu64 ", %d steps of %d samples\n", nn->layers, nw, seed, steps,
           batch);
    /* the validation set: its own stream of indices, never trained on */
    const uint64_t VAL_BASE = UINT64_C(1) << 40;
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < nval; i++)
        for (uint64_t k = 0; sample_make(nn, seed, VAL_BASE + (uint64_t)i * 64 + k, &val[i]) && k < 63; k++) {
        }
    size_t widest = 0;
    for (int i = 0; i < nval; i++) widest = SZ_MAX(widest, (size_t)val[i].w * val[i].h);
    float *acts = malloc(widest * WIDTH * (size_t)(nn->layers + 2) * sizeof *acts);
    double vloss0 = 0, vloss = 0, geo_ok = 0, model_ok = 0;
    if (!acts) {
        fprintf(stderr, "sozai-train: out of memory\n");
        return 1;
    }
    validate(nn, val, nval, acts, &vloss0, &geo_ok, &model_ok);
    printf("validation (%d parts) before training: loss %.4f\n", nval, vloss0);
    double window = 0;
    int in_window = 0;
    time_t start = time(NULL);
    for (int step = 0; step < steps; step++) {
        double losses[1024] = {0}, wsums[1024] = {0};
        bool out_of_memory = false;
#pragma omp parallel for schedule(dynamic)
        for (int b = 0; b < batch; b++) {
            uint64_t index = ((uint64_t)step * batch + b) * 64;
            sample *s = &bat[b];
            for (uint64_t k = 0; sample_make(nn, seed, index + k, s) && k < 63; k++) {
            }
            float *g = grads + (size_t)b * nw;
            memset(g, 0, nw * sizeof *g);
            if (!s->in) continue;
            size_t plane = (size_t)s->w * s->h;
            float *work = malloc(plane * WIDTH * (size_t)(nn->layers + 2) * sizeof *work);
            if (work) losses[b] = sample_step(nn, s, work, g, &wsums[b]);
            else out_of_memory = true;
            free(work);
            sample_free(s);
        }
        if (out_of_memory) {
            fprintf(stderr, "sozai-train: out of memory\n");
            return 1;
        }
        double loss = 0, wsum = 0;
        for (int b = 0; b < batch; b++) loss += losses[b], wsum += wsums[b];
        if (wsum <= 0) continue;
        /* Adam, the gradient summed in sample order; cosine decay */
        double rate = lr * 0.5 * (1 + cos(3.141592653589793 * step / steps));
        double c1 = 1 - pow(0.9, step + 1), c2 = 1 - pow(0.999, step + 1);
        for (size_t i = 0; i < nw; i++) {
            double g = 0;
            for (int b = 0; b < batch; b++) g += grads[(size_t)b * nw + i];
            g /= wsum;
            m[i] = 0.9 * m[i] + 0.1 * g, v2[i] = 0.999 * v2[i] + 0.001 * g * g;
            nn->store[i] -= (float)(rate * (m[i] / c1) / (sqrt(v2[i] / c2) + 1e-8));
        }
        window += loss / wsum, in_window++;
        if ((step + 1) % 100 == 0 || step + 1 == steps) {
            double avg = window / in_window;
            printf("step %5d  train loss %.4f  (%lds)\n", step + 1, avg, (long)(time(NULL) - start));
            fflush(stdout);
            window = 0, in_window = 0;
        }
    }
    validate(nn, val, nval, acts, &vloss, &geo_ok, &model_ok);
    printf("validation (%d parts): loss %.4f; hidden cells right: geometry %.4f, model %.4f\n", nval, vloss, geo_ok,
           model_ok);
    printf("training took %lds\n", (long)(time(NULL) - start));
    int rc = write_outputs(nn, out, c_source);
    if (check && !(vloss < vloss0)) {
        fprintf(stderr, "sozai-train: the validation loss did not fall (%.4f -> %.4f)\n", vloss0, vloss);
        rc = 1;
    }
    for (int i = 0; i < nval; i++) sample_free(&val[i]);
    free(acts), free(val), free(bat), free(grads), free(m), free(v2);
    sz_nn_free(nn);
    return rc;
}
