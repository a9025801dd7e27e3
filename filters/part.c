/*
 * part.c — a layer prepared for completion (see part.h): the work
 * rectangle, the hidden region from a mask or the layers above, and the
 * writing back.
 */
#include "part.h"
#include "bits.h"
#include "color.h"

#include <stdio.h>
#include <stdlib.h>

sz_status sz_load_mask(sz_ctx *ctx, const sz_doc *doc, const char *path, sz_image **out)
{
    *out = NULL;
    if (!path) return SZ_OK;
    sz_image *m;
    sz_status st = sz_image_read_file(ctx, path, &m);
    if (st) return st;
    if (m->w != doc->w || m->h != doc->h) {
        st = sz_fail(ctx, SZ_ERR_ARG, "--mask %s is %dx%d but the image is %dx%d", path, m->w, m->h, doc->w, doc->h);
        sz_image_free(m);
        return st;
    }
    /* The mask is its alpha when it has transparency (an occluder layer),
     * else its gray value (white = hidden).  Kept in the alpha channel. */
    bool has_alpha = false;
    for (int y = 0; y < m->h && !has_alpha; y++)
        for (int x = 0; x < m->w && !has_alpha; x++) has_alpha = sz_alpha16(m, x, y) != 65535;
    if (!has_alpha)
        for (int y = 0; y < m->h; y++)
            for (int x = 0; x < m->w; x++) {
                uint16_t p[4];
                sz_get16(m, x, y, p);
                p[3] = (uint16_t)((p[0] * 299u + p[1] * 587u + p[2] * 114u + 500u) / 1000u);
                sz_put16(m, x, y, p);
            }
    *out = m;
    return SZ_OK;
}

/* Whether the layer "<part> <suffix>" lies beside `part`, in its group. */
static bool has_made_layer(const sz_layer *part, const char *suffix)
{
    const sz_layer *group = part->parent;
    size_t n = strlen(part->name);
    for (int i = 0; group && i < group->nchildren; i++) {
        const sz_layer *l = group->children[i];
        if (l != part && !strncmp(l->name, part->name, n) && l->name[n] == ' ' && !strcmp(l->name + n + 1, suffix))
            return true;
    }
    return false;
}

bool sz_part_made_before(sz_ctx *ctx, const char *op, const sz_layer *part, const char *suffix, const char *then)
{
    if (!has_made_layer(part, suffix)) return false;
    sz_log(ctx, SZ_LOG_WARNING, "%s: \"%s\" already has \"%s %s\" from an earlier run: %s", op, part->name, part->name,
           suffix, then);
    return true;
}

/* The tagged blocks whose layer's pixels are drawn from a description,
 * and what that description is. */
static const struct {
    char key[4];
    const char *what;
} live_blocks[] = {
    {{'T', 'y', 'S', 'h'}, "a type layer, drawn from its text"},
    {{'t', 'y', 'S', 'h'}, "a type layer, drawn from its text"},
    {{'S', 'o', 'L', 'd'}, "a smart object, drawn from its contents"},
    {{'S', 'o', 'L', 'E'}, "a smart object, drawn from its contents"},
    {{'P', 'l', 'L', 'd'}, "a smart object, drawn from its contents"},
    {{'p', 'l', 'L', 'd'}, "a smart object, drawn from its contents"},
    {{'S', 'o', 'C', 'o'}, "a fill layer, drawn from its colour"},
    {{'G', 'd', 'F', 'l'}, "a fill layer, drawn from its gradient"},
    {{'P', 't', 'F', 'l'}, "a fill layer, drawn from its pattern"},
};

bool sz_part_is_live(sz_ctx *ctx, const char *op, const sz_layer *l)
{
    for (size_t k = 0; k < sizeof live_blocks / sizeof live_blocks[0]; k++)
        if (sz_blob_list_find_key(&l->extra, live_blocks[k].key)) {
            sz_log(ctx, SZ_LOG_WARNING, "%s: \"%s\" is %s: left as it is (rasterize it to complete it)", op,
                   l->name, live_blocks[k].what);
            return true;
        }
    return false;
}

/* Whether the layer's own 'lspf' locks its transparency (bit 0), its
 * pixels (bit 1) or all of it (bit 31). */
static bool locks_pixels(const sz_layer *l)
{
    const sz_blob *b = sz_blob_list_find_key(&l->extra, "lspf");
    if (!b || b->len < 4) return false;
    uint32_t flags = (uint32_t)b->data[0] << 24 | (uint32_t)b->data[1] << 16 | (uint32_t)b->data[2] << 8 | b->data[3];
    return (flags & 0x80000003u) != 0;
}

bool sz_layer_pixels_locked(const sz_layer *l)
{
    /* A group's lock holds for everything in it: the paint program shows
     * its layers locked without setting their own flags. */
    for (; l; l = l->parent)
        if (locks_pixels(l)) return true;
    return false;
}

void sz_part_report_painted_under(sz_ctx *ctx, const char *op, const sz_part *p)
{
    if (p->painted_past)
        sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is painted whole under its cover: %ld px past the edge it is "
               "drawn to there are left empty (--painted-under 0 completes it there too)", op, p->layer->name,
               p->painted_past);
}

bool sz_layer_is_generated(const sz_layer *l)
{
    size_t n = strlen(l->name);
    return (n > 7 && !strcmp(l->name + n - 7, " (fill)")) || (n > 8 && !strcmp(l->name + n - 8, " (lines)"));
}

/* The alpha from which a pixel belongs to the part's body: half opaque,
 * the edge of anti-aliased paint; for a faint part (a blush, a glow)
 * three quarters of the opacity its visible pixels usually have (the 95th
 * percentile), when that is less.  *visible gets how many of its pixels
 * show (alpha > 0, not hidden). */
static uint16_t body_alpha(sz_ctx *ctx, const sz_part *p, long *visible)
{
    long hist[256] = {0}, total = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:256], total)
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            unsigned a = sz_alpha16(p->img, x, y);
            if (a && !p->hidden[(size_t)y * p->w + x]) hist[a >> 8]++, total++;
        }
    *visible = total; /* (counted here, where every pixel is read anyway) */
    unsigned usual = total ? ((unsigned)sz_hist_percentile(hist, total, 95) << 8) | 0xffu : 65535u;
    return (uint16_t)SZ_CLAMP(usual * 3 / 4, 257u, 32768u);
}

/* A pixel of the part under the cover this faint (alpha below TRUSTED of
 * 255) may hold no colour to trust.  A layer resampled through
 * premultiplied colour (scaled or blurred by most programs) stores a
 * pixel of alpha a with each channel a multiple of 255 / a: its alpha-1
 * pixels are pure black, white, magenta or yellow whatever was painted
 * there.  Taken as seen, each coloured the fill around it (the
 * benchmark's case018 at twice its size, a flat violet part, was filled
 * with them).  A layer stored with straight colour (a paint program
 * erasing or masking it) keeps the colour exact however faint: the
 * benchmark's case004 has specks of alpha 1-3, let through by an almost
 * opaque cover, on the face's outline in its very colours.  The two are
 * told apart by the layer's faint pixels under the cover: when nearly
 * all of them (alpha 2 to TRUSTED, neither black nor white, which lie on
 * every lattice) lie on their lattice, the layer was resampled, and no
 * colour on the lattice is trusted; otherwise every one is. */
enum { TRUSTED = 16, RESAMPLED_PERCENT = 90, RESAMPLED_LEAST = 32 };

/* Whether straight colour c of alpha a (both over `max`, the depth's
 * largest value) has every channel on the lattice of multiples of
 * max / a, to within a unit (either rounding). */
static bool on_premultiplied_lattice(const uint16_t c[4], unsigned a, unsigned max)
{
    for (int k = 0; k < 3; k++) {
        double step = (double)max / a, q = floor(c[k] / step + 0.5);
        if (fabs(q * step - c[k]) > 1.0) return false;
    }
    return true;
}

/* Whether pixel c (read widened to 16 bits) is faint, below TRUSTED. */
static inline bool faint(const uint16_t c[4])
{
    return c[3] && c[3] < TRUSTED * 257;
}

/* Whether faint pixel c has its colour on its lattice. */
static bool on_its_lattice(const sz_part *p, const uint16_t c[4])
{
    /* on the image's own scale: 8-bit values are read widened by 257 */
    unsigned max = p->img->depth == 8 ? 255 : 65535, div = p->img->depth == 8 ? 257 : 1;
    uint16_t own[4] = {(uint16_t)(c[0] / div), (uint16_t)(c[1] / div), (uint16_t)(c[2] / div), 0};
    return on_premultiplied_lattice(own, c[3] / div, max);
}

/* Whether the layer was resampled through premultiplied colour, judged
 * by its faint pixels under the cover (where the question is asked: a
 * pass over the few covered rows, not over the plane). */
static bool resampled(sz_ctx *ctx, const sz_part *p)
{
    long counted = 0, lattice = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(+ : counted, lattice)
    for (int y = 0; y < p->h; y++) {
        const uint8_t *touched = p->touched + (size_t)y * p->w;
        for (int x = sz_skip_unset(touched, 0, p->w); x < p->w; x++) {
            uint16_t c[4];
            if (!touched[x]) continue;
            sz_get16(p->img, x, y, c);
            /* (every colour of alpha 1 is on its lattice, and so are black and white) */
            bool grey_end = c[0] == c[1] && c[1] == c[2] && (c[0] == 0 || c[0] == 65535);
            if (!faint(c) || c[3] < 2 * 257 || grey_end) continue;
            counted++, lattice += on_its_lattice(p, c);
        }
    }
    return counted >= RESAMPLED_LEAST && lattice * 100 >= counted * RESAMPLED_PERCENT;
}

/* p->faint: the part's own pixels under another part's cover, and
 * p->faint_colour: those whose colour is to trust. */
static sz_status mark_faint(sz_ctx *ctx, sz_part *p)
{
    int words = sz_row_words(p->w);
    size_t plane = (size_t)words * (size_t)p->h;
    p->faint = sz_calloc(ctx, 2 * plane, sizeof *p->faint);
    if (!p->faint) return SZ_ERR_NOMEM;
    p->faint_colour = p->faint + plane;
    bool doubt = resampled(ctx, p);
    /* (rows as threads come free: the covered rows gather) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < p->h; y++) {
        const uint8_t *touched = p->touched + (size_t)y * p->w; /* (hidden is touched too) */
        sz_word *row = sz_part_faint_row(p, y), *colour_row = sz_part_faint_colour_row(p, y);
        for (int x = sz_skip_unset(touched, 0, p->w); x < p->w; x++) {
            uint16_t c[4];
            if (!touched[x]) continue;
            sz_get16(p->img, x, y, c);
            if (!c[3]) continue;
            sz_bit_set(row, x);
            if (!doubt || !faint(c) || !on_its_lattice(p, c)) sz_bit_set(colour_row, x);
        }
    }
    return SZ_OK;
}

bool sz_part_fully_hidden(const sz_part *p)
{
    return p->nvisible == 0;
}

float sz_part_median_luma(sz_ctx *ctx, const sz_part *p, unsigned least)
{
    long hist[256] = {0}, total = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:256], total)
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            if (p->hidden[(size_t)y * p->w + x] || sz_alpha16(p->img, x, y) < least) continue;
            uint16_t c[4];
            sz_get16(p->img, x, y, c);
            hist[sz_luma8(c)]++;
            total++;
        }
    return sz_hist_percentile(hist, total, 50) / 255.0f;
}

/* The layer a clipped layer is clipped to (the first below it, in its
 * group, that is not clipped itself), or NULL for one not clipped. */
static const sz_layer *clip_base(const sz_layer *l)
{
    if (!l->clipping || !l->parent) return NULL;
    for (int i = sz_layer_index(l) - 1; i >= 0; i--) {
        const sz_layer *below = l->parent->children[i];
        if (!below->clipping) return below;
    }
    return NULL;
}

/* Whether a layer, and every group around it, is composited over what
 * lies below (normal, or dissolve, or a group's pass-through): a layer
 * that multiplies, screens or colours what is below shows the part
 * through it, changed, and hides nothing of it. */
static bool covers_what_is_below(const sz_layer *o)
{
    if (o->blend != SZ_BLEND_NORMAL && o->blend != SZ_BLEND_DISSOLVE) return false;
    for (const sz_layer *g = o->parent; g && g->parent; g = g->parent)
        if (g->blend != SZ_BLEND_NORMAL && g->blend != SZ_BLEND_DISSOLVE && g->blend != SZ_BLEND_PASS_THROUGH)
            return false;
    return true;
}

/* Whether occluder `o` hides anything of `part` that occ[0..n) (the
 * occluders below it) do not.  A layer clipped to a base, itself or
 * through a group around it, shows only where the base does and leaves
 * the base's opacity as it was: clipped to the part, it is drawn on the
 * part (its shading) and hides nothing of it; clipped to a base that
 * hides the part, it hides nothing more, and its pixels beyond the base
 * (shading painted loosely over the edge) nothing at all; and nothing of
 * it shows when its base is hidden. */
static bool hides_more(const sz_layer *o, const sz_layer *part, sz_layer *const *occ, int n)
{
    for (const sz_layer *l = o; l && l->parent; l = l->parent) {
        const sz_layer *base = clip_base(l);
        if (!base) continue;
        if (base == part || !sz_layer_effectively_visible(base)) return false;
        for (int k = 0; k < n; k++)
            if (occ[k] == base) return false;
    }
    return true;
}

/* The layers above `part` that hide it (those `spec` names that are
 * visible, cover what lies below and hide something the others do not,
 * and were not made by sozai), bottom to top; *n of them. */
static sz_status occluders_of(sz_ctx *ctx, sz_doc *doc, const sz_part *p, const char *spec, sz_layer ***out, int *n)
{
    *out = NULL, *n = 0;
    sz_layer **all, **pix;
    int nall, np;
    sz_status st = sz_select_layers_spec(ctx, doc, spec, &all, &nall);
    if (st) return st;
    st = sz_doc_pixel_layers(ctx, doc, &pix, &np);
    if (st) {
        free(all);
        return st;
    }
    /* `all` is `pix` with some layers left out, in the same order, so one
     * walk along both tells which are chosen: searching `all` for each
     * layer above made a document's parts cost the cube of its layers */
    int at = 0, kept = 0, k = 0;
    while (at < np && pix[at] != p->layer) at++;
    for (int i = 0; i < np; i++) {
        sz_layer *o = pix[i];
        bool chosen = k < nall && all[k] == o;
        k += chosen;
        if (i > at && chosen && o->image && sz_layer_effectively_visible(o) && covers_what_is_below(o) &&
            !sz_layer_is_generated(o))
            pix[kept++] = o; /* (kept <= i: pix[i] was read before) */
    }
    int counted = 0;
    for (int i = 0; i < kept; i++)
        if (hides_more(pix[i], p->layer, pix, counted)) pix[counted++] = pix[i];
    kept = counted;
    free(all);
    *out = pix, *n = kept;
    return SZ_OK;
}

/* The opacity an occluder hides with: its own (and its fill opacity, as
 * the compositor takes it) and its groups'. */
static float hiding_opacity(const sz_layer *o)
{
    float op = o->opacity / 255.0f * (o->fill_opacity / 255.0f);
    for (const sz_layer *g = o->parent; g && g->parent; g = g->parent) op *= g->opacity / 255.0f;
    return op;
}

/* The coverage of an occluder's pixel of alpha a (0..65535) at opacity op,
 * and coverage `c` so far with that added: the one arithmetic both the
 * plane of coverage and the table of answers use, so both give the same
 * pixels. */
static float cover_of(unsigned a, float op)
{
    return a / 65535.0f * op;
}

static float cover_add(float c, float a)
{
    return 1 - (1 - c) * (1 - a);
}

/* Hidden: covered at least half. */
static bool hides(float c)
{
    return c >= 0.5f;
}

/* p->touched's value for coverage c: c in 255ths, at least 1 where
 * anything covers the part (part.h). */
static uint8_t touch_of(float c)
{
    return c < 1.0f / 255 ? 0 : (uint8_t)SZ_CLAMP(lroundf(c * 255), 1, 255);
}

/* Whether an occluder shows less than its pixels say somewhere: through
 * a user mask of its own or of a group around it, or clipped to a base
 * that does not count itself (occluders_of left out the others). */
static bool shows_in_part(const sz_layer *o)
{
    for (const sz_layer *l = o; l && l->parent; l = l->parent)
        if (sz_user_mask_active(l->mask) || clip_base(l)) return true;
    return false;
}

/* One factor of what shows of an occluder's pixel: a mask's value there,
 * or, where `mask` is NULL, the opacity there of a base it is clipped to. */
typedef struct share_factor {
    const sz_mask *mask;
    const sz_layer *base; /* a pixel layer */
} share_factor;

/* The factors of what shows of occluder o, gathered once for all its
 * pixels (the walk up its groups and down each clipping chain would
 * otherwise be taken pixel by pixel): from the layer up, at each level,
 * its mask, the base it is clipped to (with an image: a group as a base
 * is taken as opaque, what it holds not being composited here) and that
 * base's mask, each when there and enabled.  *n gets how many; NULL on
 * failure. */
static share_factor *share_factors(sz_ctx *ctx, const sz_layer *o, int *n)
{
    int levels = 0;
    for (const sz_layer *l = o; l && l->parent; l = l->parent) levels++;
    share_factor *f = sz_malloc_array(ctx, 3 * (size_t)levels + 1, sizeof *f);
    *n = 0;
    for (const sz_layer *l = o; f && l && l->parent; l = l->parent) {
        if (sz_user_mask_active(l->mask)) f[(*n)++] = (share_factor){.mask = l->mask};
        const sz_layer *base = clip_base(l);
        if (base && base->image) f[(*n)++] = (share_factor){.base = base};
        if (base && sz_user_mask_active(base->mask)) f[(*n)++] = (share_factor){.mask = base->mask};
    }
    return f;
}

/* The share of an occluder's pixel at canvas (cx, cy) that shows: the
 * product of its factors there. */
static float shown_share(const share_factor *f, int n, int cx, int cy)
{
    float k = 1;
    for (int i = 0; i < n; i++) {
        if (f[i].mask) {
            k *= sz_user_mask_at(f[i].mask, cx, cy);
            continue;
        }
        const sz_layer *base = f[i].base;
        int bx = cx - base->x, by = cy - base->y;
        bool on = bx >= 0 && by >= 0 && bx < base->image->w && by < base->image->h;
        k *= on ? sz_alpha16(base->image, bx, by) / 65535.0f : 0.0f;
    }
    return k;
}

/* Adds the coverage of the occluders into cov (work rectangle). */
static sz_status occluder_cover(sz_ctx *ctx, const sz_part *p, sz_layer *const *occ, int n, float *cov)
{
    for (int i = 0; i < n; i++) {
        const sz_layer *o = occ[i];
        int ox0 = SZ_MAX(o->x, p->x0), oy0 = SZ_MAX(o->y, p->y0);
        int ox1 = SZ_MIN(o->x + o->image->w, p->x0 + p->w), oy1 = SZ_MIN(o->y + o->image->h, p->y0 + p->h);
        /* most layers above a small part lie elsewhere: their factors and
         * a team of threads for no row cost each part of a document of
         * thousands of layers more than its own work */
        if (ox0 >= ox1 || oy0 >= oy1) continue;
        float op = hiding_opacity(o);
        int nf;
        share_factor *f = share_factors(ctx, o, &nf);
        if (!f) return SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = oy0; y < oy1; y++)
            for (int x = ox0; x < ox1; x++) {
                float *c = &cov[(size_t)(y - p->y0) * p->w + (size_t)(x - p->x0)];
                float shown = nf ? op * shown_share(f, nf, x, y) : op;
                *c = cover_add(*c, cover_of(sz_alpha16(o->image, x - o->x, y - o->y), shown));
            }
        free(f);
    }
    return SZ_OK;
}

/* The work rectangle of `layer` (canvas coordinates): the bounds of its
 * visible pixels grown by the reach (the neighbourhood, `near`), joined
 * with the layer's own rectangle and grown further on the sides in
 * `grow`; false when nothing shows. */
static bool work_rect(const sz_doc *doc, const sz_layer *layer, const sz_hidden_source *src, const int grow[4],
                      int visible[4], int near[4], int *reach, int rect[4])
{
    const sz_image *im = layer->image;
    int bx0, by0, bx1, by1;
    if (!im || !sz_image_alpha_bounds(im, &bx0, &by0, &bx1, &by1)) return false;
    bx0 += layer->x, bx1 += layer->x, by0 += layer->y, by1 += layer->y;
    *reach = src->reach > 0 ? src->reach : SZ_MAX(32, SZ_MAX(bx1 - bx0, by1 - by0) / 2);
    int nx0 = SZ_MAX(0, bx0 - *reach), ny0 = SZ_MAX(0, by0 - *reach);
    int nx1 = SZ_MIN(doc->w, bx1 + *reach), ny1 = SZ_MIN(doc->h, by1 + *reach);
    int x0 = nx0, y0 = ny0, x1 = nx1, y1 = ny1;
    /* the layer's own rectangle stays whole, even off the canvas */
    x0 = SZ_MIN(x0, layer->x), y0 = SZ_MIN(y0, layer->y);
    x1 = SZ_MAX(x1, layer->x + im->w), y1 = SZ_MAX(y1, layer->y + im->h);
    /* and the sides a shape ran into go further out, within the canvas */
    x0 = SZ_MIN(x0, SZ_MAX(0, nx0 - grow[0])), x1 = SZ_MAX(x1, SZ_MIN(doc->w, nx1 + grow[1]));
    y0 = SZ_MIN(y0, SZ_MAX(0, ny0 - grow[2])), y1 = SZ_MAX(y1, SZ_MIN(doc->h, ny1 + grow[3]));
    visible[0] = bx0, visible[1] = by0, visible[2] = bx1, visible[3] = by1;
    near[0] = nx0, near[1] = ny0, near[2] = nx1, near[3] = ny1;
    rect[0] = x0, rect[1] = y0, rect[2] = x1, rect[3] = y1;
    return true;
}

bool sz_part_work_rect(const sz_doc *doc, const sz_layer *layer, const sz_hidden_source *src, int rect[4])
{
    static const int none[4] = {0};
    int visible[4], near[4], reach;
    return work_rect(doc, layer, src, none, visible, near, &reach, rect);
}

static sz_status part_load(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, const sz_hidden_source *src,
                           sz_part_stage *stage, const int grow[4], int widened, sz_part *p)
{
    memset(p, 0, sizeof *p);
    p->layer = layer, p->doc = doc, p->src = src, p->stage = stage, p->widened = widened;
    memcpy(p->grow, grow, sizeof p->grow);
    sz_image *im = layer->image;
    int visible[4], near[4], reach, r[4];
    if (!work_rect(doc, layer, src, grow, visible, near, &reach, r)) return SZ_OK; /* nothing visible */
    int bx0 = visible[0], by0 = visible[1], bx1 = visible[2], by1 = visible[3];
    int nx0 = near[0], ny0 = near[1], nx1 = near[2], ny1 = near[3];
    int x0 = r[0], y0 = r[1], x1 = r[2], y1 = r[3];
    p->margin = reach;
    sz_status st = sz_check_layer_size(ctx, x1 - x0, y1 - y0);
    if (st) return st;
    p->x0 = x0, p->y0 = y0, p->w = x1 - x0, p->h = y1 - y0;
    sz_ctx_set_work(ctx, (size_t)p->w * (size_t)p->h); /* until the caller is done with the part */
    p->vx0 = bx0 - x0, p->vy0 = by0 - y0, p->vx1 = bx1 - x0, p->vy1 = by1 - y0;
    p->nx0 = nx0 - x0, p->ny0 = ny0 - y0, p->nx1 = nx1 - x0, p->ny1 = ny1 - y0;
    /* sides where the work rectangle ends at the canvas's edge, within the neighbourhood */
    p->canvas_sides = (x0 == 0 && nx0 == 0) | (x1 == doc->w && nx1 == doc->w) << 1 | (y0 == 0 && ny0 == 0) << 2 |
                      (y1 == doc->h && ny1 == doc->h) << 3;
    size_t n = (size_t)p->w * (size_t)p->h;
    /* a layer already as large as the work rectangle (a whole-canvas
     * layer) is worked on in place: no copy in, none out */
    p->borrowed = !stage && x0 == layer->x && y0 == layer->y && x1 - x0 == im->w && y1 - y0 == im->h;
    p->img = p->borrowed ? im : sz_image_crop(ctx, im, x0 - layer->x, y0 - layer->y, x1 - layer->x, y1 - layer->y);
    p->hidden = sz_malloc(ctx, n);
    p->touched = sz_malloc(ctx, n);
    /* The occluders' coverage, summed over the layers above (a plane of
     * it only when more than one may overlap); a mask is read as it is. */
    const sz_image *m = src->mask;
    sz_layer **occ = NULL;
    int nocc = 0;
    if (p->img && p->hidden && p->touched && !m) st = occluders_of(ctx, doc, p, src->occluders, &occ, &nocc);
    /* (one occluder whose pixels all show as they are needs no plane) */
    bool plane = !m && !st && (nocc > 1 || (nocc == 1 && shows_in_part(occ[0])));
    float *cov = plane ? sz_calloc(ctx, n, sizeof *cov) : NULL;
    if (st || !p->img || !p->hidden || !p->touched || (plane && !cov)) {
        free(cov), free(occ);
        sz_part_free(p);
        return st ? st : ctx->status ? ctx->status : SZ_ERR_NOMEM;
    }
    if (cov) st = occluder_cover(ctx, p, occ, nocc, cov);
    /* Hidden: covered at least half; touched: at all (1/255); both only on
     * the canvas.  From a mask or a single occluder the coverage depends
     * on one alpha alone: a table of the two answers per alpha is made
     * once, with the very arithmetic the plane of coverage would use. */
    const sz_image *one = m ? m : nocc == 1 && !cov ? occ[0]->image : NULL;
    int ox = m ? 0 : nocc == 1 ? occ[0]->x : 0, oy = m ? 0 : nocc == 1 ? occ[0]->y : 0;
    uint8_t *answer = one ? sz_malloc(ctx, 2 * 65536) : NULL, *touch = answer ? answer + 65536 : NULL;
    if (one && !answer) st = SZ_ERR_NOMEM;
    if (answer) {
        float op = m ? 1 : hiding_opacity(occ[0]);
        int step = one->depth == 8 ? 257 : 1; /* an 8-bit alpha is a multiple of 257 */
        for (int a = 0; a < 65536; a += step) {
            float c = cover_of((unsigned)a, op);
            if (!m) c = cover_add(0, c); /* an occluder's as the plane sums it from 0 */
            answer[a] = hides(c), touch[a] = touch_of(c);
        }
    }
    int rows = st ? 0 : p->h;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < rows; y++) {
        uint8_t *hidden = p->hidden + (size_t)y * p->w, *touched = p->touched + (size_t)y * p->w;
        memset(hidden, 0, (size_t)p->w), memset(touched, 0, (size_t)p->w);
        int cy = y + y0;
        if (cy < 0 || cy >= doc->h) continue;
        /* the canvas's columns of this row */
        int xa = SZ_MAX(0, -x0), xb = SZ_MIN(p->w, doc->w - x0);
        if (cov) {
            for (int x = xa; x < xb; x++) {
                float c = cov[(size_t)y * p->w + x];
                hidden[x] = hides(c), touched[x] = touch_of(c);
            }
        } else if (answer && cy >= oy && cy < oy + one->h) {
            /* and the source's: elsewhere nothing covers the part */
            xa = SZ_MAX(xa, ox - x0), xb = SZ_MIN(xb, ox + one->w - x0);
            for (int x = xa; x < xb; x++) {
                unsigned a = sz_alpha16(one, x + x0 - ox, cy - oy);
                hidden[x] = answer[a], touched[x] = touch[a];
            }
        }
    }
    free(answer);
    free(cov), free(occ);
    /* (an explicit --mask says itself what is hidden: nothing past a
     * drawn edge is taken out of it) */
    if (!st) st = sz_part_judge_painted_under(ctx, p, src->mask ? 0 : src->painted_under);
    if (!st && src->margin > 0) {
        /* Rigs move parts: grow the region by the margin, into pixels where
         * this part shows nothing (its visible pixels stay). */
        float *d2 = sz_malloc_array(ctx, n, sizeof *d2);
        st = d2 ? sz_edt(ctx, p->hidden, p->w, p->h, d2, NULL) : SZ_ERR_NOMEM;
        float m2 = (float)src->margin * (float)src->margin;
        rows = st ? 0 : p->h;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < p->w; x++) {
                size_t i = (size_t)y * p->w + x;
                int cx = x + x0, cy = y + y0;
                if (!p->hidden[i] && d2[i] <= m2 && sz_alpha16(p->img, x, y) == 0 && cx >= 0 && cy >= 0 &&
                    cx < doc->w && cy < doc->h)
                    p->hidden[i] = 1, p->touched[i] = 255; /* hidden as if covered */
            }
        free(d2);
    }
    long nhidden = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : nhidden)
    for (long i = 0; i < (st ? 0 : (long)n); i++) nhidden += p->hidden[i];
    p->nhidden = (int)nhidden;
    if (!st) p->solid = body_alpha(ctx, p, &p->nvisible);
    if (!st) st = mark_faint(ctx, p);
    if (st) sz_part_free(p);
    return st;
}

sz_status sz_part_load(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, const sz_hidden_source *src, sz_part *p)
{
    static const int none[4] = {0};
    return part_load(ctx, doc, layer, src, NULL, none, 0, p);
}

sz_status sz_part_load_staged(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, const sz_hidden_source *src,
                              sz_part_stage *stage, sz_part *p)
{
    static const int none[4] = {0};
    return part_load(ctx, doc, layer, src, stage, none, 0, p);
}

sz_status sz_part_widen(sz_ctx *ctx, sz_part *p, unsigned sides)
{
    sz_layer *layer = p->layer;
    sz_doc *doc = p->doc;
    const sz_hidden_source *src = p->src;
    int grow[4];
    for (int k = 0; k < 4; k++) {
        grow[k] = p->grow[k];
        /* (no further than the canvas is wide and high: past it is no canvas) */
        if (sides >> k & 1) grow[k] = SZ_MIN(grow[k] ? 2 * grow[k] : SZ_MAX(32, p->margin / 4), doc->w + doc->h);
    }
    int widened = p->widened + 1;
    sz_part_stage *stage = p->stage;
    sz_part_free(p);
    return part_load(ctx, doc, layer, src, stage, grow, widened, p);
}

unsigned sz_part_cut_sides(const sz_part *p, const uint8_t *shape)
{
    int w = p->w, h = p->h;
    unsigned inside = (p->x0 > 0) | (p->x0 + w < p->doc->w) << 1 | (p->y0 > 0) << 2 | (p->y0 + h < p->doc->h) << 3;
    unsigned cut = 0;
    for (int y = 0; y < h; y++) cut |= (shape[(size_t)y * w] != 0) | (shape[(size_t)y * w + w - 1] != 0) << 1;
    for (int x = 0; x < w; x++) cut |= (shape[x] != 0) << 2 | (shape[(size_t)(h - 1) * w + x] != 0) << 3;
    return cut & inside;
}

void sz_part_free(sz_part *p)
{
    if (!p->borrowed) sz_image_free(p->img);
    free(p->hidden);
    free(p->touched);
    free(p->faint);
    p->img = NULL;
    p->hidden = p->touched = NULL;
    p->faint = p->faint_colour = NULL;
}

/* The rectangle (work coordinates) holding every pixel with alpha > 0,
 * united with `keep` (a rectangle that must stay); false when empty. */
static bool content_rect(const sz_image *img, int keep[4], int r[4])
{
    int ax0, ay0, ax1, ay1;
    bool any = sz_image_alpha_bounds(img, &ax0, &ay0, &ax1, &ay1);
    if (!any && !keep) return false;
    if (!any) {
        memcpy(r, keep, 4 * sizeof *r);
        return true;
    }
    r[0] = ax0, r[1] = ay0, r[2] = ax1, r[3] = ay1;
    if (keep) {
        r[0] = SZ_MIN(r[0], keep[0]), r[1] = SZ_MIN(r[1], keep[1]);
        r[2] = SZ_MAX(r[2], keep[2]), r[3] = SZ_MAX(r[3], keep[3]);
    }
    return true;
}

sz_status sz_part_store(sz_ctx *ctx, sz_part *p)
{
    sz_layer *l = p->layer;
    if (p->borrowed) return SZ_OK; /* the pixels are the layer's already, and its rectangle stays */
    /* the layer's old rectangle stays, so no pixel of it (not even the
     * colour under a transparent one) is dropped */
    int keep[4] = {l->x - p->x0, l->y - p->y0, l->x - p->x0 + l->image->w, l->y - p->y0 + l->image->h};
    int r[4];
    content_rect(p->img, keep, r);
    sz_image *out = sz_image_crop(ctx, p->img, r[0], r[1], r[2], r[3]);
    if (!out) return ctx->status;
    if (p->stage) {
        sz_image_free(p->stage->image); /* (stored again: the last pixels count) */
        p->stage->image = out, p->stage->x = p->x0 + r[0], p->stage->y = p->y0 + r[1];
        return SZ_OK;
    }
    sz_layer_set_image(l, out);
    l->x = p->x0 + r[0];
    l->y = p->y0 + r[1];
    return SZ_OK;
}

/* A new layer of `img` at (x, y), named after `part`, directly above it
 * or below it. */
static sz_status add_layer(sz_ctx *ctx, sz_layer *part, sz_image *img, int x, int y, const char *suffix, bool above)
{
    char name[1024];
    snprintf(name, sizeof name, "%s %s", part->name, suffix);
    sz_layer *parent = part->parent;
    sz_layer *l = sz_layer_new(ctx, parent, SZ_LAYER_PIXEL, name);
    if (!l) {
        sz_image_free(img);
        return ctx->status;
    }
    sz_layer_set_image(l, img);
    l->x = x;
    l->y = y;
    l->visible = part->visible;
    /* what the part's mask hides of it, it hides of its fill and strokes
     * (painted into the part, with --merge or strokes drawn into it, they
     * are hidden with it anyway) */
    if (part->mask && !(l->mask = sz_user_mask_copy(ctx, part->mask))) {
        sz_layer_delete(l);
        return ctx->status;
    }
    int at = sz_layer_index(part);
    /* a clipped part's new layers are clipped to its base too, right
     * beside it: the chain of layers clipped to that base goes on through
     * them, and what they hold shows only where the part could */
    l->clipping = part->clipping;
    if (above) {
        at++;
        /* above a base, above the layers clipped to it too, not between
         * them and it */
        while (!part->clipping && at < parent->nchildren - 1 && parent->children[at]->clipping) at++;
    }
    return sz_layer_move(ctx, l, parent, at);
}

sz_status sz_part_new_layer(sz_ctx *ctx, sz_doc *doc, const sz_part *p, sz_image *img, const char *suffix, bool above)
{
    (void)doc;
    int r[4];
    if (!content_rect(img, NULL, r)) return SZ_OK; /* nothing to add */
    sz_image *out = sz_image_crop(ctx, img, r[0], r[1], r[2], r[3]);
    if (!out) return ctx->status;
    sz_part_stage *s = p->stage;
    if (!s) return add_layer(ctx, p->layer, out, p->x0 + r[0], p->y0 + r[1], suffix, above);
    if (s->nadded == (int)SZ_COUNTOF(s->added) || strlen(suffix) >= sizeof s->added[0].suffix) {
        sz_image_free(out);
        return sz_fail(ctx, SZ_ERR_INTERNAL, "more new layers for one part than a stage holds");
    }
    s->added[s->nadded].image = out, s->added[s->nadded].x = p->x0 + r[0], s->added[s->nadded].y = p->y0 + r[1];
    strcpy(s->added[s->nadded].suffix, suffix);
    s->added[s->nadded++].above = above;
    return SZ_OK;
}

sz_status sz_part_stage_commit(sz_ctx *ctx, sz_layer *layer, sz_part_stage *s)
{
    if (s->image) {
        sz_layer_set_image(layer, s->image);
        layer->x = s->x, layer->y = s->y;
        s->image = NULL;
    }
    sz_status st = SZ_OK;
    for (int k = 0; k < s->nadded; k++) {
        if (!st) st = add_layer(ctx, layer, s->added[k].image, s->added[k].x, s->added[k].y, s->added[k].suffix,
                                s->added[k].above);
        else sz_image_free(s->added[k].image);
        s->added[k].image = NULL;
    }
    s->nadded = 0;
    return st;
}

void sz_part_stage_free(sz_part_stage *s)
{
    sz_image_free(s->image);
    for (int k = 0; k < s->nadded; k++) sz_image_free(s->added[k].image);
    memset(s, 0, sizeof *s);
}
