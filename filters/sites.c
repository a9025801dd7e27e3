/*
 * sites.c — the nearest of a set of pixels (see geom.h): a k-d tree
 * over the sites, searched from a guess.
 */
#include "geom.h"

#include <stdlib.h>

static int site_axis_x(const void *a, const void *b)
{
    const struct sz_site *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index; /* a total order: the tree never depends on qsort */
}

static int site_axis_y(const void *a, const void *b)
{
    const struct sz_site *p = a, *q = b;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/* Sorts each range by its axis and recurses on the halves around the
 * median (n log^2 n, for a few thousand sites nothing). */
static void sites_arrange(struct sz_site *s, int n, int depth)
{
    if (n <= 1) return;
    qsort(s, (size_t)n, sizeof *s, depth & 1 ? site_axis_y : site_axis_x);
    int mid = n / 2;
    sites_arrange(s, mid, depth + 1);
    sites_arrange(s + mid + 1, n - mid - 1, depth + 1);
}

sz_status sz_sites_build(sz_ctx *ctx, const int32_t *index, int n, int w, sz_sites *out)
{
    out->n = 0;
    out->site = sz_malloc_array(ctx, (size_t)(n > 0 ? n : 1), sizeof *out->site);
    if (!out->site) return SZ_ERR_NOMEM;
    for (int k = 0; k < n; k++)
        out->site[k] = (struct sz_site){.x = index[k] % w, .y = index[k] / w, .index = index[k]};
    out->n = n, out->w = w;
    sites_arrange(out->site, n, 0);
    return SZ_OK;
}

static void sites_search(const struct sz_site *s, int n, int depth, int x, int y, int64_t *best, int32_t *found)
{
    while (n > 0) {
        int mid = n / 2;
        const struct sz_site *m = &s[mid];
        int64_t dx = m->x - x, dy = m->y - y, d2 = dx * dx + dy * dy;
        if (d2 < *best || (d2 == *best && m->index < *found)) *best = d2, *found = m->index;
        int64_t off = depth & 1 ? (int64_t)y - m->y : (int64_t)x - m->x;
        /* the side of the split holding (x, y) first; the other only if a
         * site there could be as near (equally near ones decide by index) */
        const struct sz_site *near = off < 0 ? s : s + mid + 1, *far = off < 0 ? s + mid + 1 : s;
        int nnear = off < 0 ? mid : n - mid - 1, nfar = off < 0 ? n - mid - 1 : mid;
        sites_search(near, nnear, depth + 1, x, y, best, found);
        if (off * off > *best) return;
        s = far, n = nfar, depth++;
    }
}

int32_t sz_sites_nearest(const sz_sites *s, int x, int y, int32_t guess)
{
    int64_t best = INT64_MAX;
    int32_t found = -1;
    if (guess >= 0 && s->n) {
        /* the guess bounds the search; the search still finds the nearest */
        int64_t dx = guess % s->w - x, dy = guess / s->w - y;
        best = dx * dx + dy * dy, found = guess;
    }
    sites_search(s->site, s->n, 0, x, y, &best, &found);
    return found;
}

void sz_sites_free(sz_sites *s)
{
    free(s->site);
    s->site = NULL;
    s->n = 0;
}
