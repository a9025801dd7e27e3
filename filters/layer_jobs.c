/*
 * layer_jobs.c — an operation's layers, each worked on by itself.
 *
 * A document of a rig holds many small parts (eyes, brows, strands of
 * hair), each too small for a filter's parallel loops to pay: below
 * SZ_ONE_THREAD_PIXELS a part is worked on one thread.  So runs of such
 * layers, and of middling ones none of which outweighs the rest, are
 * worked on side by side, one per processor.  The result is
 * the document the layers would give one after another, bottom to top,
 * because a layer's work reads only its own pixels and those of the
 * layers above it (its occluders), which no layer before it changes: what
 * each writes (its strokes, its fill layer) waits in a stage and is put
 * into the document in the layers' order, with its messages, once all of
 * the run are done.  Each works on a copy of its pixels, since the layers
 * below it may read them meanwhile (as their occluder).
 */
#include "part.h"

#include <stdlib.h>
#include <string.h>

/* Layers worked on side by side, at most, per processor, before their
 * results are put in: they are held in memory until then, and progress
 * is told only then.  A run waits for its slowest layer, so longer runs
 * waste less (150 small parts: 1.19 s in runs of 32 on two threads, 1.25
 * s in runs of 8). */
enum { RUN_PER_THREAD = 16 };

/* Layers of less work than this would each run on one thread alone, so
 * side by side they lose nothing.  Those of up to four times as much,
 * which two threads work on at about two thirds of their speed, run side
 * by side only in a run where none has more than a thread's share of the
 * run's work: else the largest is left to one thread while the others
 * wait. */
#define SMALL_PIXELS ((size_t)SZ_ONE_THREAD_PIXELS)
#define MIDDLING_PIXELS (4 * (size_t)SZ_ONE_THREAD_PIXELS)

typedef struct logged {
    sz_log_level level;
    char *text;
} logged;

typedef struct layer_job {
    sz_ctx ctx;
    sz_part_stage stage;
    sz_status st;
    logged *lines;
    int nlines, cap;
    bool lost; /* a message could not be kept (out of memory) */
} layer_job;

static void keep_message(void *user, sz_log_level level, const char *message)
{
    layer_job *job = user;
    if (job->nlines == job->cap) {
        int cap = job->cap ? 2 * job->cap : 8;
        logged *more = realloc(job->lines, (size_t)cap * sizeof *more);
        if (!more) {
            job->lost = true;
            return;
        }
        job->lines = more, job->cap = cap;
    }
    char *text = strdup(message);
    if (!text) {
        job->lost = true;
        return;
    }
    job->lines[job->nlines++] = (logged){level, text};
}

static void job_free(layer_job *job)
{
    for (int k = 0; k < job->nlines; k++) free(job->lines[k].text);
    free(job->lines);
    sz_part_stage_free(&job->stage);
}

/* What follows a layer's work, in turn: the error named after the layer,
 * or progress. */
static sz_status after_layer(sz_ctx *ctx, sz_status st, const sz_layer *l, const sz_layer_work *work, int i, int n)
{
    if (st) {
        sz_error_prefix(ctx, "layer \"%s\"", l->name);
        return st;
    }
    return sz_progress(ctx, work->name, (i + 1.0) / n);
}

/* What is known of a layer's work before it is loaded: the pixels of
 * its work rectangle, and whether a layer above covers any of it (a
 * layer nothing covers has nothing hidden: only its strokes are looked
 * at, which costs a small part of what filling does). */
typedef struct layer_cost {
    size_t pixels;
    size_t cost;
} layer_cost;

static layer_cost cost_of(const sz_doc *doc, sz_layer *const *pix, int np, int at, const sz_layer_work *work)
{
    const sz_layer *l = pix[at];
    layer_cost c = {0, 0};
    int r[4];
    /* (a work rectangle holds the layer's own: a large layer is known
     * without a look at its pixels for their bounds) */
    if (l->image && (size_t)l->image->w * (size_t)l->image->h >= MIDDLING_PIXELS) {
        c.pixels = c.cost = (size_t)l->image->w * (size_t)l->image->h;
        return c;
    }
    if (!sz_part_work_rect(doc, l, work->src, r)) return c;
    c.pixels = (size_t)(r[2] - r[0]) * (size_t)(r[3] - r[1]);
    bool covered = work->src->mask != NULL;
    for (int b = at + 1; b < np && !covered; b++) {
        const sz_layer *o = pix[b];
        covered = o->image && sz_layer_effectively_visible(o) && !sz_layer_is_generated(o) && o->x < r[2] &&
                  o->x + o->image->w > r[0] && o->y < r[3] && o->y + o->image->h > r[1];
    }
    /* (a rough weight: the balance only has to tell such a layer from
     * one that is filled) */
    c.cost = covered ? c.pixels : c.pixels / 5;
    return c;
}

/* Where the run of layers worked on side by side from layer i ends
 * (i + 1 or less: layer i runs alone, on every thread); at[k], the
 * index of layers[k] among the document's pixel layers. */
static int run_end(const sz_doc *doc, const int *at, sz_layer *const *pix, int np, int i, int n, int threads,
                   const sz_layer_work *work)
{
    size_t total = 0, most = 0;
    int end = i, small_end = i; /* (the run of small layers alone) */
    while (end < n && end - i < RUN_PER_THREAD * threads) {
        layer_cost c = at[end] >= 0 ? cost_of(doc, pix, np, at[end], work) : (layer_cost){0, 0};
        if (c.pixels >= MIDDLING_PIXELS) break;
        total += c.cost, most = SZ_MAX(most, c.cost);
        if (++end - 1 == small_end && c.pixels < SMALL_PIXELS) small_end = end;
    }
    return most * (size_t)threads <= total ? end : small_end;
}

sz_status sz_run_layers(sz_ctx *ctx, sz_doc *doc, sz_layer **layers, int n, const sz_layer_work *work)
{
    int threads = work->side_by_side ? sz_threads(ctx) : 1;
    size_t op_work = sz_ctx_work(ctx); /* each part sets its own while it is worked on */
    /* the document's pixel layers, bottom to top, and where each selected
     * one stands among them (both lists are in that order) */
    sz_layer **pix = NULL;
    int np = 0, *at = NULL;
    sz_status st = threads > 1 ? sz_doc_pixel_layers(ctx, doc, &pix, &np) : SZ_OK;
    if (!st && threads > 1 && !(at = sz_malloc_array(ctx, (size_t)n + 1, sizeof *at))) st = SZ_ERR_NOMEM;
    for (int k = 0, b = 0; !st && at && k < n; k++) {
        while (b < np && pix[b] != layers[k]) b++;
        at[k] = b < np ? b : -1;
    }
    for (int i = 0; i < n && !st;) {
        int end = at ? run_end(doc, at, pix, np, i, n, threads, work) : i;
        if (end - i < 2) { /* a large layer, or a layer alone: on every thread */
            st = work->run(ctx, doc, layers[i], i, NULL, work->user);
            sz_ctx_set_work(ctx, op_work);
            st = after_layer(ctx, st, layers[i], work, i, n);
            i++;
            continue;
        }
        layer_job *jobs = sz_calloc(ctx, (size_t)(end - i), sizeof *jobs);
        if (!jobs) {
            st = SZ_ERR_NOMEM;
            break;
        }
        /* (one layer at a time as threads come free: their sizes differ) */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int k = i; k < end; k++) {
            layer_job *job = &jobs[k - i];
            sz_ctx_init_child(&job->ctx, ctx, keep_message, job);
            job->st = work->run(&job->ctx, doc, layers[k], k, &job->stage, work->user);
        }
        for (int k = i; k < end; k++) {
            layer_job *job = &jobs[k - i];
            if (!st) { /* (after a layer fails, those above it are as if never run) */
                for (int m = 0; m < job->nlines; m++) sz_log(ctx, job->lines[m].level, "%s", job->lines[m].text);
                if (job->lost)
                    sz_log(ctx, SZ_LOG_WARNING, "%s: some messages about layer \"%s\" were lost (out of memory)",
                           work->name, layers[k]->name);
                st = job->st ? sz_fail(ctx, job->st, "%s", job->ctx.error)
                             : sz_part_stage_commit(ctx, layers[k], &job->stage);
                st = after_layer(ctx, st, layers[k], work, k, n);
            }
            job_free(job);
        }
        free(jobs);
        i = end;
    }
    free(pix), free(at);
    return st;
}
