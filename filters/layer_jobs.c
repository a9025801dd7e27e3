/*
 * layer_jobs.c — an operation's layers, each worked on by itself.
 *
 * A document of a rig holds many small parts (eyes, brows, strands of
 * hair), each too small for a filter's parallel loops to pay: below
 * SZ_ONE_THREAD_PIXELS a part is worked on one thread.  So runs of such
 * layers are worked on side by side, one per processor.  The result is
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

/* Layers of less work than this run side by side, each on one thread,
 * as each would alone.  (Four times as much, where one layer alone uses
 * two threads at about two thirds of their speed, made a part of 505,000
 * px of work beside its small occluder take 71-77 ms instead of 57 ms:
 * the two went side by side, the part on one thread.) */
#define SIDE_BY_SIDE_PIXELS ((size_t)SZ_ONE_THREAD_PIXELS)

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

static bool small(const sz_doc *doc, const sz_layer *l, const sz_layer_work *work)
{
    /* (a work rectangle holds the layer's own: a large layer is known
     * without a look at its pixels) */
    if (l->image && (size_t)l->image->w * (size_t)l->image->h >= SIDE_BY_SIDE_PIXELS) return false;
    return sz_part_work_pixels(doc, l, work->src) < SIDE_BY_SIDE_PIXELS;
}

sz_status sz_run_layers(sz_ctx *ctx, sz_doc *doc, sz_layer **layers, int n, const sz_layer_work *work)
{
    int threads = work->side_by_side ? sz_threads(ctx) : 1;
    size_t op_work = sz_ctx_work(ctx); /* each part sets its own while it is worked on */
    sz_status st = SZ_OK;
    for (int i = 0; i < n && !st;) {
        /* the run of small layers from layer i */
        int end = i;
        while (threads > 1 && end < n && end - i < RUN_PER_THREAD * threads && small(doc, layers[end], work)) end++;
        if (end - i < 2) { /* a large layer, or a small one alone: on every thread */
            st = work->run(ctx, doc, layers[i], i, NULL, work->user);
            sz_ctx_set_work(ctx, op_work);
            st = after_layer(ctx, st, layers[i], work, i, n);
            i++;
            continue;
        }
        layer_job *jobs = sz_calloc(ctx, (size_t)(end - i), sizeof *jobs);
        if (!jobs) return SZ_ERR_NOMEM;
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
    return st;
}
