/*
 * doc.c — documents: the canvas, the layer tree and what files carry
 * besides pixels (profile, resolution, blocks kept for a round trip).
 */
#include "internal.h"

#include <stdlib.h>

static const struct {
    const char *name;
    const char key[5];
} blend_table[SZ_BLEND_COUNT_] = {
    [SZ_BLEND_NORMAL] = {"normal", "norm"},
    [SZ_BLEND_PASS_THROUGH] = {"pass-through", "pass"},
    [SZ_BLEND_DISSOLVE] = {"dissolve", "diss"},
    [SZ_BLEND_DARKEN] = {"darken", "dark"},
    [SZ_BLEND_MULTIPLY] = {"multiply", "mul "},
    [SZ_BLEND_COLOR_BURN] = {"color-burn", "idiv"},
    [SZ_BLEND_LINEAR_BURN] = {"linear-burn", "lbrn"},
    [SZ_BLEND_DARKER_COLOR] = {"darker-color", "dkCl"},
    [SZ_BLEND_LIGHTEN] = {"lighten", "lite"},
    [SZ_BLEND_SCREEN] = {"screen", "scrn"},
    [SZ_BLEND_COLOR_DODGE] = {"color-dodge", "div "},
    [SZ_BLEND_LINEAR_DODGE] = {"linear-dodge", "lddg"},
    [SZ_BLEND_LIGHTER_COLOR] = {"lighter-color", "lgCl"},
    [SZ_BLEND_OVERLAY] = {"overlay", "over"},
    [SZ_BLEND_SOFT_LIGHT] = {"soft-light", "sLit"},
    [SZ_BLEND_HARD_LIGHT] = {"hard-light", "hLit"},
    [SZ_BLEND_VIVID_LIGHT] = {"vivid-light", "vLit"},
    [SZ_BLEND_LINEAR_LIGHT] = {"linear-light", "lLit"},
    [SZ_BLEND_PIN_LIGHT] = {"pin-light", "pLit"},
    [SZ_BLEND_HARD_MIX] = {"hard-mix", "hMix"},
    [SZ_BLEND_DIFFERENCE] = {"difference", "diff"},
    [SZ_BLEND_EXCLUSION] = {"exclusion", "smud"},
    [SZ_BLEND_SUBTRACT] = {"subtract", "fsub"},
    [SZ_BLEND_DIVIDE] = {"divide", "fdiv"},
    [SZ_BLEND_HUE] = {"hue", "hue "},
    [SZ_BLEND_SATURATION] = {"saturation", "sat "},
    [SZ_BLEND_COLOR] = {"color", "colr"},
    [SZ_BLEND_LUMINOSITY] = {"luminosity", "lum "},
};

const char *sz_blend_name(sz_blend mode)
{
    if ((unsigned)mode >= SZ_BLEND_COUNT_) return "unknown";
    return blend_table[mode].name;
}

int sz_blend_from_name(const char *name)
{
    for (int i = 0; i < SZ_BLEND_COUNT_; i++)
        if (!strcmp(blend_table[i].name, name)) return i;
    return -1;
}

const char *sz_blend_psd_key(sz_blend mode)
{
    if ((unsigned)mode >= SZ_BLEND_COUNT_) return "norm";
    return blend_table[mode].key;
}

int sz_blend_from_psd_key(const char key[4])
{
    for (int i = 0; i < SZ_BLEND_COUNT_; i++)
        if (!memcmp(blend_table[i].key, key, 4)) return i;
    return -1;
}

/* ------------------------------------------------------------------ */

static sz_layer *layer_alloc(sz_ctx *ctx, sz_doc *doc, sz_layer_kind kind, const char *name)
{
    sz_layer *l = sz_calloc(ctx, 1, sizeof *l);
    if (!l) return NULL;
    l->name = sz_strdup(ctx, name ? name : "");
    if (!l->name) {
        free(l);
        return NULL;
    }
    l->doc = doc;
    l->kind = kind;
    l->opacity = 255;
    l->fill_opacity = 255;
    l->visible = true;
    l->open = true;
    l->blend = kind == SZ_LAYER_GROUP ? SZ_BLEND_PASS_THROUGH : SZ_BLEND_NORMAL;
    return l;
}

static void mask_free(sz_mask *m)
{
    if (!m) return;
    free(m->data);
    free(m->extra.data);
    free(m);
}

static void layer_free(sz_layer *l)
{
    if (!l) return;
    for (int i = 0; i < l->nchildren; i++) layer_free(l->children[i]);
    for (int i = 0; i < l->nchannels; i++) mask_free(l->channels[i]);
    free(l->channels);
    free(l->blend_ranges.data);
    free(l->children);
    free(l->name);
    free(l->legacy_name);
    sz_image_free(l->image);
    mask_free(l->mask);
    sz_blob_list_free(&l->extra);
    free(l);
}

static sz_status insert_child(sz_ctx *ctx, sz_layer *group, sz_layer *child, int index)
{
    if (group->nchildren == group->cap) {
        int cap = group->cap ? group->cap * 2 : 8;
        sz_layer **c = sz_realloc_array(ctx, group->children, (size_t)cap, sizeof *c);
        if (!c) return SZ_ERR_NOMEM;
        group->children = c;
        group->cap = cap;
    }
    if (index < 0 || index > group->nchildren) index = group->nchildren;
    memmove(&group->children[index + 1], &group->children[index],
            (size_t)(group->nchildren - index) * sizeof *group->children);
    group->children[index] = child;
    group->nchildren++;
    child->parent = group;
    return SZ_OK;
}

static void detach(sz_layer *l)
{
    sz_layer *p = l->parent;
    if (!p) return;
    int i = sz_layer_index(l);
    memmove(&p->children[i], &p->children[i + 1],
            (size_t)(p->nchildren - i - 1) * sizeof *p->children);
    p->nchildren--;
    l->parent = NULL;
}

sz_doc *sz_doc_new(sz_ctx *ctx, int width, int height)
{
    if (sz_check_canvas_size(ctx, width, height)) return NULL;
    sz_doc *doc = sz_calloc(ctx, 1, sizeof *doc);
    if (!doc) return NULL;
    doc->w = width;
    doc->h = height;
    doc->depth = 8;
    doc->source_depth = 8;
    doc->srgb_intent = -1;
    doc->root = layer_alloc(ctx, doc, SZ_LAYER_GROUP, "");
    if (!doc->root) {
        free(doc);
        return NULL;
    }
    sz_doc_describe_color(doc);
    return doc;
}

void sz_doc_free(sz_doc *doc)
{
    if (!doc) return;
    layer_free(doc->root);
    free(doc->icc);
    sz_blob_list_free(&doc->resources);
    sz_blob_list_free(&doc->global_blocks);
    free(doc->global_mask.data);
    free(doc);
}

static sz_mask *mask_copy(sz_ctx *ctx, const sz_mask *m)
{
    sz_mask *c = sz_malloc(ctx, sizeof *c);
    if (!c) return NULL;
    *c = *m;
    c->data = NULL;
    c->extra.data = NULL;
    size_t n = (size_t)m->w * (size_t)m->h * (size_t)(m->depth / 8);
    c->data = sz_malloc(ctx, n);
    c->extra.data = sz_malloc(ctx, m->extra.len);
    if (!c->data || !c->extra.data) {
        mask_free(c);
        return NULL;
    }
    if (n) memcpy(c->data, m->data, n);
    if (m->extra.len) memcpy(c->extra.data, m->extra.data, m->extra.len);
    return c;
}

sz_mask *sz_user_mask_copy(sz_ctx *ctx, const sz_mask *m)
{
    /* the mask alone: the rest of its record (a real mask whose channel
     * stays with its layer, feathering parameters) and the flags that
     * speak of it are left out */
    sz_mask plain = *m;
    plain.extra.data = NULL, plain.extra.len = 0;
    plain.flags &= 7; /* position relative, disabled, inverted */
    return mask_copy(ctx, &plain);
}

static sz_layer *layer_copy(sz_ctx *ctx, sz_doc *doc, const sz_layer *src)
{
    sz_layer *l = layer_alloc(ctx, doc, src->kind, src->name);
    if (!l) return NULL;
    l->x = src->x;
    l->y = src->y;
    l->opacity = src->opacity;
    l->fill_opacity = src->fill_opacity;
    l->visible = src->visible;
    l->clipping = src->clipping;
    l->open = src->open;
    l->blend = src->blend;
    l->psd_flags = src->psd_flags;
    l->psd_no_alpha = src->psd_no_alpha;
    l->id = src->id;
    if (src->nchannels) {
        l->channels = sz_calloc(ctx, (size_t)src->nchannels, sizeof *l->channels);
        if (!l->channels) {
            layer_free(l);
            return NULL;
        }
        for (int i = 0; i < src->nchannels; i++) {
            if (!(l->channels[i] = mask_copy(ctx, src->channels[i]))) {
                layer_free(l);
                return NULL;
            }
            l->nchannels++;
        }
    }
    if (src->blend_ranges.len) {
        if (!(l->blend_ranges.data = sz_malloc(ctx, src->blend_ranges.len))) {
            layer_free(l);
            return NULL;
        }
        memcpy(l->blend_ranges.data, src->blend_ranges.data, src->blend_ranges.len);
        l->blend_ranges.len = src->blend_ranges.len;
    }
    if ((src->image && !(l->image = sz_image_copy(ctx, src->image))) ||
        (src->mask && !(l->mask = mask_copy(ctx, src->mask))) ||
        (src->legacy_name && !(l->legacy_name = sz_strdup(ctx, src->legacy_name))) ||
        sz_blob_list_copy(ctx, &l->extra, &src->extra)) {
        layer_free(l);
        return NULL;
    }
    for (int i = 0; i < src->nchildren; i++) {
        sz_layer *c = layer_copy(ctx, doc, src->children[i]);
        if (!c || insert_child(ctx, l, c, -1)) {
            layer_free(c);
            layer_free(l);
            return NULL;
        }
    }
    return l;
}

sz_doc *sz_doc_copy(sz_ctx *ctx, const sz_doc *src)
{
    sz_doc *doc = sz_calloc(ctx, 1, sizeof *doc);
    if (!doc) return NULL;
    *doc = *src;
    doc->root = NULL;
    doc->icc = NULL;
    memset(&doc->resources, 0, sizeof doc->resources);
    memset(&doc->global_blocks, 0, sizeof doc->global_blocks);
    memset(&doc->global_mask, 0, sizeof doc->global_mask);
    if (!(doc->root = layer_copy(ctx, doc, src->root)) ||
        (src->icc && sz_doc_set_icc(ctx, doc, src->icc, src->icc_len)) ||
        sz_blob_list_copy(ctx, &doc->resources, &src->resources) ||
        sz_blob_list_copy(ctx, &doc->global_blocks, &src->global_blocks) ||
        !(doc->global_mask.data = sz_malloc(ctx, src->global_mask.len))) {
        sz_doc_free(doc);
        return NULL;
    }
    if (src->global_mask.len) memcpy(doc->global_mask.data, src->global_mask.data, src->global_mask.len);
    doc->global_mask.len = src->global_mask.len;
    return doc;
}

int sz_doc_width(const sz_doc *doc) { return doc->w; }
int sz_doc_height(const sz_doc *doc) { return doc->h; }

sz_status sz_doc_set_size(sz_ctx *ctx, sz_doc *doc, int width, int height)
{
    sz_status st = sz_check_canvas_size(ctx, width, height);
    if (st) return st;
    doc->w = width;
    doc->h = height;
    return SZ_OK;
}

int sz_doc_depth(const sz_doc *doc) { return doc->depth; }
void sz_doc_set_depth(sz_doc *doc, int depth) { doc->depth = depth == 16 ? 16 : 8; }
double sz_doc_resolution(const sz_doc *doc) { return doc->ppi; }
void sz_doc_set_resolution(sz_doc *doc, double ppi) { doc->ppi = ppi > 0 ? ppi : 0; }

const uint8_t *sz_doc_icc(const sz_doc *doc, size_t *len)
{
    if (len) *len = doc->icc_len;
    return doc->icc;
}

sz_status sz_doc_set_icc(sz_ctx *ctx, sz_doc *doc, const uint8_t *icc, size_t len)
{
    uint8_t *copy = NULL;
    if (icc && len) {
        copy = sz_malloc(ctx, len);
        if (!copy) return SZ_ERR_NOMEM;
        memcpy(copy, icc, len);
    }
    free(doc->icc);
    doc->icc = copy;
    doc->icc_len = copy ? len : 0;
    sz_doc_describe_color(doc);
    return SZ_OK;
}

const char *sz_doc_color_description(const sz_doc *doc)
{
    return doc->color_desc;
}

sz_layer *sz_doc_root(sz_doc *doc) { return doc->root; }

static int count_tree(const sz_layer *l)
{
    int n = 0;
    for (int i = 0; i < l->nchildren; i++) n += 1 + count_tree(l->children[i]);
    return n;
}

int sz_doc_layer_count(const sz_doc *doc)
{
    return doc->nlayers;
}

sz_status sz_doc_check_layer_count(sz_ctx *ctx, sz_doc *doc, int more)
{
    uint64_t n = (uint64_t)doc->nlayers + (uint64_t)(more > 0 ? more : 0);
    if (n > ctx->limits[SZ_LIMIT_LAYERS])
        return sz_fail(ctx, SZ_ERR_LIMIT,
                       "%llu layers exceed the limit of %llu (raise it with --limit-layers)",
                       (unsigned long long)n, (unsigned long long)ctx->limits[SZ_LIMIT_LAYERS]);
    return SZ_OK;
}

/* ------------------------------------------------------------------ */

sz_layer *sz_layer_new(sz_ctx *ctx, sz_layer *group, sz_layer_kind kind, const char *name)
{
    if (!group || group->kind != SZ_LAYER_GROUP) {
        sz_fail(ctx, SZ_ERR_ARG, "layers can only be added to a group");
        return NULL;
    }
    if (sz_doc_check_layer_count(ctx, group->doc, 1)) return NULL;
    sz_layer *l = layer_alloc(ctx, group->doc, kind, name);
    if (!l) return NULL;
    if (insert_child(ctx, group, l, -1)) {
        layer_free(l);
        return NULL;
    }
    group->doc->nlayers++;
    return l;
}

sz_status sz_layer_move(sz_ctx *ctx, sz_layer *layer, sz_layer *group, int index)
{
    if (!group || group->kind != SZ_LAYER_GROUP || !layer->parent)
        return sz_fail(ctx, SZ_ERR_ARG, "cannot move a layer there");
    for (const sz_layer *g = group; g; g = g->parent)
        if (g == layer) return sz_fail(ctx, SZ_ERR_ARG, "cannot move a group into itself");
    sz_layer *old_parent = layer->parent;
    int old_index = sz_layer_index(layer);
    detach(layer);
    sz_status st = insert_child(ctx, group, layer, index);
    if (st) insert_child(ctx, old_parent, layer, old_index); /* capacity exists there */
    return st;
}

void sz_layer_delete(sz_layer *layer)
{
    if (!layer || !layer->parent) return;
    layer->doc->nlayers -= 1 + count_tree(layer);
    detach(layer);
    layer_free(layer);
}

sz_layer_kind sz_layer_get_kind(const sz_layer *l) { return l->kind; }
sz_layer *sz_layer_parent(const sz_layer *l) { return l->parent; }
int sz_layer_child_count(const sz_layer *g) { return g->nchildren; }

sz_layer *sz_layer_child(const sz_layer *g, int index)
{
    if (index < 0 || index >= g->nchildren) return NULL;
    return g->children[index];
}

int sz_layer_index(const sz_layer *l)
{
    if (!l->parent) return 0;
    for (int i = 0; i < l->parent->nchildren; i++)
        if (l->parent->children[i] == l) return i;
    return -1;
}

const char *sz_layer_name(const sz_layer *l) { return l->name; }

sz_status sz_layer_set_name(sz_ctx *ctx, sz_layer *l, const char *name)
{
    char *n = sz_strdup(ctx, name ? name : "");
    if (!n) return SZ_ERR_NOMEM;
    free(l->name);
    l->name = n;
    free(l->legacy_name);
    l->legacy_name = NULL;
    return SZ_OK;
}

int sz_layer_x(const sz_layer *l) { return l->x; }
int sz_layer_y(const sz_layer *l) { return l->y; }

void sz_layer_set_offset(sz_layer *l, int x, int y)
{
    l->x = x;
    l->y = y;
}

sz_image *sz_layer_image(const sz_layer *l) { return l->image; }

void sz_layer_set_image(sz_layer *l, sz_image *img)
{
    if (l->image != img) sz_image_free(l->image);
    l->image = img;
}

int sz_layer_opacity(const sz_layer *l) { return l->opacity; }
void sz_layer_set_opacity(sz_layer *l, int o) { l->opacity = (uint8_t)SZ_CLAMP(o, 0, 255); }
int sz_layer_fill_opacity(const sz_layer *l) { return l->fill_opacity; }
void sz_layer_set_fill_opacity(sz_layer *l, int o) { l->fill_opacity = (uint8_t)SZ_CLAMP(o, 0, 255); }
int sz_layer_visible(const sz_layer *l) { return l->visible; }
void sz_layer_set_visible(sz_layer *l, int v) { l->visible = v != 0; }
sz_blend sz_layer_blend(const sz_layer *l) { return l->blend; }

void sz_layer_set_blend(sz_layer *l, sz_blend mode)
{
    if ((unsigned)mode < SZ_BLEND_COUNT_) l->blend = mode;
}

int sz_layer_clipping(const sz_layer *l) { return l->clipping; }
void sz_layer_set_clipping(sz_layer *l, int c) { l->clipping = c != 0; }
int sz_layer_open(const sz_layer *l) { return l->open; }
void sz_layer_set_open(sz_layer *l, int o) { l->open = o != 0; }
uint32_t sz_layer_id(const sz_layer *l) { return l->id; }

static void flatten(sz_layer *g, sz_layer **out, int max, int *n)
{
    for (int i = 0; i < g->nchildren; i++) {
        sz_layer *c = g->children[i];
        if (c->kind == SZ_LAYER_GROUP) flatten(c, out, max, n);
        if (out && *n < max) out[*n] = c;
        (*n)++;
    }
}

int sz_doc_flatten_tree(sz_doc *doc, sz_layer **out, int max)
{
    int n = 0;
    flatten(doc->root, out, max, &n);
    return n;
}

int sz_layer_effectively_visible(const sz_layer *l)
{
    for (; l && l->parent; l = l->parent)
        if (!l->visible) return 0;
    return 1;
}
