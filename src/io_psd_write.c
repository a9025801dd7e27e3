/*
 * io_psd_write.c — writing PSD, or PSB when the canvas needs it (over
 * 30000 px) or it is asked for.
 *
 * RGB at 8 or 16 bits; RLE channels by default, ZIP on request (with
 * prediction at 16 bits).  Groups become a divider record below their
 * children and a group record above them.  Everything the reader kept
 * verbatim (tagged blocks, resources, extra channels, blending ranges,
 * the global mask) is written back.  The merged image is the composite
 * over white in three channels: Clip Studio Paint turns a fourth merged
 * channel into a stray selection layer.
 */
#include "psd.h"
#include "color.h"

#include <math.h>
#include <stdlib.h>

typedef enum entry_kind { ENTRY_PIXEL, ENTRY_GROUP, ENTRY_DIVIDER } entry_kind;

typedef struct out_channel {
    int16_t id;
    sz_buf data;       /* compression field + data */
} out_channel;

typedef struct entry {
    entry_kind kind;
    const sz_layer *l;
    int nch;
    out_channel ch[PSD_MAX_CHANNELS];
} entry;

typedef struct psd_writer {
    sz_ctx *ctx;
    const sz_doc *doc;
    bool psb;
    int depth;        /* 8 or 16 */
    int comp;         /* PSD_COMP_* for channels */
    int level;
} psd_writer;

static void put_len(sz_buf *b, uint64_t v, bool wide)
{
    if (wide) sz_buf_be64(b, v);
    else sz_buf_be32(b, (uint32_t)v);
}

/* Reserves a length field to patch once the data after it is written. */
static size_t len_field(sz_buf *b, bool wide)
{
    size_t at = b->len;
    put_len(b, 0, wide);
    return at;
}

static void patch_len(sz_buf *b, size_t at, bool wide)
{
    if (b->failed) return;
    size_t field = wide ? 8 : 4;
    uint64_t v = b->len - at - field;
    for (size_t i = 0; i < field; i++) b->data[at + i] = (uint8_t)(v >> (8 * (field - 1 - i)));
}

static void pad_to(sz_buf *b, size_t from, size_t multiple)
{
    size_t n = (b->len - from) % multiple;
    if (n) sz_buf_zeros(b, multiple - n);
}

/* ------------------------------------------------------------------ */
/* Channels                                                            */
/* ------------------------------------------------------------------ */

/* Rows of one channel (c = 0..3 of RGBA) of an image, big-endian at the
 * output depth. */
static uint8_t *image_channel_rows(const psd_writer *w, const sz_image *im, int c, size_t *rb)
{
    int bps = w->depth / 8;
    *rb = (size_t)im->w * (size_t)bps;
    uint8_t *rows = sz_malloc_array(w->ctx, *rb ? *rb : 1, (size_t)(im->h ? im->h : 1));
    if (!rows) return NULL;
    for (int y = 0; y < im->h; y++) {
        uint8_t *d = rows + (size_t)y * *rb;
        if (im->depth == 8 && w->depth == 8) {
            const uint8_t *s = sz_row8(im, y) + c;
            for (int x = 0; x < im->w; x++) d[x] = s[4 * x];
        } else if (im->depth == 16 && w->depth == 16) {
            const uint16_t *s = sz_row16(im, y) + c;
            for (int x = 0; x < im->w; x++) d[2 * x] = (uint8_t)(s[4 * x] >> 8), d[2 * x + 1] = (uint8_t)s[4 * x];
        } else {
            for (int x = 0; x < im->w; x++) {
                uint16_t p[4];
                sz_get16(im, x, y, p);
                if (w->depth == 8) d[x] = sz_16to8(p[c]);
                else d[2 * x] = (uint8_t)(p[c] >> 8), d[2 * x + 1] = (uint8_t)p[c];
            }
        }
    }
    return rows;
}

static uint8_t *mask_rows(const psd_writer *w, const sz_mask *m, size_t *rb)
{
    int bps = w->depth / 8;
    *rb = (size_t)m->w * (size_t)bps;
    size_t n = (size_t)m->w * (size_t)m->h;
    uint8_t *rows = sz_malloc_array(w->ctx, n ? n : 1, (size_t)bps);
    if (!rows) return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (m->depth == 16) {
            uint16_t v16;
            memcpy(&v16, m->data + 2 * i, 2);
            v = v16;
        } else {
            v = m->data[i] * 257u;
        }
        if (bps == 1) rows[i] = sz_16to8(v);
        else rows[2 * i] = (uint8_t)(v >> 8), rows[2 * i + 1] = (uint8_t)v;
    }
    return rows;
}

/* An extra channel other than the masks has no rectangle of its own in a
 * PSD: it covers the layer's.  One kept from the file covers the layer as
 * it was read; when an operation moved or grew the layer since, its rows
 * are laid out again over the layer's rectangle now (0 where it had
 * none), or a reader would take its data for the wrong size. */
static uint8_t *channel_over_layer(const psd_writer *w, const sz_layer *l, const sz_mask *m, size_t *rb, int *h)
{
    const sz_image *im = l->image;
    *h = im ? im->h : 0;
    if (!im || !im->w || !im->h) return NULL;
    if (m->x == l->x && m->y == l->y && m->w == im->w && m->h == im->h) return mask_rows(w, m, rb);
    size_t mrb;
    uint8_t *from = m->w > 0 && m->h > 0 ? mask_rows(w, m, &mrb) : NULL;
    if (m->w > 0 && m->h > 0 && !from) return NULL;
    int bps = w->depth / 8;
    *rb = (size_t)im->w * (size_t)bps;
    uint8_t *rows = sz_calloc(w->ctx, (size_t)im->h, *rb);
    if (rows && from) {
        int x0 = SZ_MAX(m->x, l->x), x1 = SZ_MIN(m->x + m->w, l->x + im->w);
        for (int y = SZ_MAX(m->y, l->y); y < SZ_MIN(m->y + m->h, l->y + im->h) && x0 < x1; y++)
            memcpy(rows + (size_t)(y - l->y) * *rb + (size_t)(x0 - l->x) * bps,
                   from + (size_t)(y - m->y) * mrb + (size_t)(x0 - m->x) * bps, (size_t)(x1 - x0) * bps);
    }
    free(from);
    return rows;
}

/* Encodes channel slot `k` of an entry. */
static void encode_channel(const psd_writer *w, entry *e, int k)
{
    out_channel *oc = &e->ch[k];
    const sz_layer *l = e->l;
    size_t rb = 0;
    int h = 0;
    uint8_t *rows = NULL;
    if (e->kind == ENTRY_PIXEL && l->image && l->image->w && l->image->h && oc->id >= -1 && oc->id <= 2) {
        rows = image_channel_rows(w, l->image, oc->id < 0 ? 3 : oc->id, &rb);
        h = l->image->h;
    } else if (oc->id < -1 || oc->id > 2) {
        const sz_mask *m = oc->id == -2 && l->mask ? l->mask : NULL;
        for (int i = 0; !m && i < l->nchannels; i++)
            if (l->channels[i]->id == oc->id) m = l->channels[i];
        /* the masks' rectangles are in the mask record (the real mask's
         * in the user mask's extra bytes, when they hold one); without
         * one, a reader gives them the layer's */
        bool own_rect = l->mask && (oc->id == -2 || (oc->id == -3 && l->mask->extra.len >= 18));
        if (m && own_rect && m->w > 0 && m->h > 0) {
            rows = mask_rows(w, m, &rb);
            h = m->h;
        } else if (m && !own_rect && e->kind == ENTRY_PIXEL) {
            rows = channel_over_layer(w, l, m, &rb, &h);
        }
    }
    if (h && !rows) {
        oc->data.failed = true;
        return;
    }
    int comp = w->comp == PSD_COMP_ZIP && w->depth == 16 ? PSD_COMP_ZIP_PRED : w->comp;
    psd_encode_rows(&oc->data, rows, rb, h, w->depth, h ? comp : PSD_COMP_RAW, w->psb, w->level);
    free(rows);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

static void collect(const sz_layer *g, entry **v, int *n, int *cap, bool *oom)
{
    for (int i = 0; i < g->nchildren && !*oom; i++) {
        const sz_layer *c = g->children[i];
        int need = c->kind == SZ_LAYER_GROUP ? 2 : 1;
        if (*n + need > *cap) {
            int nc = *cap ? *cap * 2 : 64;
            while (nc < *n + need) nc *= 2;
            entry *nv = realloc(*v, (size_t)nc * sizeof *nv);
            if (!nv) {
                *oom = true;
                return;
            }
            *v = nv;
            *cap = nc;
        }
        if (c->kind == SZ_LAYER_GROUP) {
            (*v)[(*n)++] = (entry){.kind = ENTRY_DIVIDER, .l = c};
            collect(c, v, n, cap, oom);
            if (*n + 1 > *cap) {
                entry *nv = realloc(*v, (size_t)(*cap * 2) * sizeof *nv);
                if (!nv) {
                    *oom = true;
                    return;
                }
                *v = nv;
                *cap *= 2;
            }
            (*v)[(*n)++] = (entry){.kind = ENTRY_GROUP, .l = c};
        } else {
            (*v)[(*n)++] = (entry){.kind = ENTRY_PIXEL, .l = c};
        }
    }
}

static bool fully_opaque(const sz_image *im)
{
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (sz_alpha16(im, x, y) != 65535) return false;
    return true;
}

static void plan_channels(entry *e)
{
    static const int16_t base[] = {-1, 0, 1, 2};
    /* A layer read without transparency (Photoshop's Background) keeps
     * having none while it stays opaque. */
    const sz_image *im = e->l->image;
    bool no_alpha = e->kind == ENTRY_PIXEL && e->l->psd_no_alpha && im && im->w && fully_opaque(im);
    for (int i = no_alpha ? 1 : 0; i < 4; i++) e->ch[e->nch++].id = base[i];
    if (e->kind == ENTRY_DIVIDER) return;
    if (e->l->mask) e->ch[e->nch++].id = -2;
    for (int i = 0; i < e->l->nchannels && e->nch < PSD_MAX_CHANNELS; i++) e->ch[e->nch++].id = e->l->channels[i]->id;
}

static void tagged_block(sz_buf *b, const char *key, const void *data, size_t len, bool psb)
{
    sz_buf_append(b, "8BIM", 4);
    sz_buf_append(b, key, 4);
    put_len(b, len, psb && psd_big_key(key));
    sz_buf_append(b, data, len);
}

static void write_mask_record(sz_buf *b, const sz_mask *m)
{
    if (!m) {
        sz_buf_be32(b, 0);
        return;
    }
    size_t at = len_field(b, false);
    sz_buf_be32(b, (uint32_t)m->y);
    sz_buf_be32(b, (uint32_t)m->x);
    sz_buf_be32(b, (uint32_t)(m->y + m->h));
    sz_buf_be32(b, (uint32_t)(m->x + m->w));
    sz_buf_u8(b, m->default_color);
    sz_buf_u8(b, m->flags);
    if (m->extra.len) sz_buf_append(b, m->extra.data, m->extra.len);
    else sz_buf_zeros(b, 2); /* the 20-byte form */
    patch_len(b, at, false);
}

/* The Pascal name: the one read from the file while the name is unchanged,
 * else the UTF-8 name cut at a character boundary (readers take 'luni'). */
static void pascal_name(sz_buf *b, const sz_layer *l, entry_kind kind)
{
    size_t start = b->len;
    const char *s = kind == ENTRY_DIVIDER ? "</Layer group>" : l->legacy_name ? l->legacy_name : l->name;
    size_t n = strlen(s);
    if (n > 255) {
        n = 255;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    sz_buf_u8(b, (unsigned)n);
    sz_buf_append(b, s, n);
    pad_to(b, start, 4);
}

static void write_record(const psd_writer *w, sz_buf *b, const entry *e)
{
    const sz_layer *l = e->l;
    const sz_image *im = e->kind == ENTRY_PIXEL ? l->image : NULL;
    bool has_px = im && im->w && im->h;
    int32_t top = e->kind == ENTRY_PIXEL ? l->y : 0, left = e->kind == ENTRY_PIXEL ? l->x : 0;
    sz_buf_be32(b, (uint32_t)top);
    sz_buf_be32(b, (uint32_t)left);
    sz_buf_be32(b, (uint32_t)(top + (has_px ? im->h : 0)));
    sz_buf_be32(b, (uint32_t)(left + (has_px ? im->w : 0)));
    sz_buf_be16(b, (unsigned)e->nch);
    for (int k = 0; k < e->nch; k++) {
        sz_buf_be16(b, (uint16_t)e->ch[k].id);
        put_len(b, e->ch[k].data.len, w->psb);
    }
    sz_buf_append(b, "8BIM", 4);
    const char *key = e->kind == ENTRY_DIVIDER ? "norm" : sz_blend_psd_key(l->blend);
    sz_buf_append(b, key, 4);
    sz_buf_u8(b, e->kind == ENTRY_DIVIDER ? 255 : l->opacity);
    sz_buf_u8(b, e->kind != ENTRY_DIVIDER && l->clipping);
    uint8_t flags = e->kind == ENTRY_DIVIDER ? (PSD_FLAG_BIT4_USEFUL | PSD_FLAG_IRRELEVANT)
                                             : (uint8_t)((l->psd_flags & ~PSD_FLAG_HIDDEN) | (l->visible ? 0 : PSD_FLAG_HIDDEN));
    sz_buf_u8(b, flags);
    sz_buf_u8(b, 0);
    size_t extra_at = len_field(b, false);
    write_mask_record(b, e->kind == ENTRY_DIVIDER ? NULL : l->mask);
    if (e->kind != ENTRY_DIVIDER && l->blend_ranges.len) {
        sz_buf_be32(b, (uint32_t)l->blend_ranges.len);
        sz_buf_append(b, l->blend_ranges.data, l->blend_ranges.len);
    } else {
        sz_buf_be32(b, 0);
    }
    pascal_name(b, l, e->kind);

    /* luni: the Unicode name, padded to 4 */
    sz_buf u = {0};
    size_t count_at = u.len;
    sz_buf_be32(&u, 0);
    uint32_t units = psd_utf8_to_utf16be(&u, e->kind == ENTRY_DIVIDER ? "</Layer group>" : l->name);
    if (!u.failed) {
        u.data[count_at] = (uint8_t)(units >> 24), u.data[count_at + 1] = (uint8_t)(units >> 16);
        u.data[count_at + 2] = (uint8_t)(units >> 8), u.data[count_at + 3] = (uint8_t)units;
    }
    pad_to(&u, 0, 4);
    if (u.failed) b->failed = true;
    else tagged_block(b, "luni", u.data, u.len, w->psb);
    sz_buf_free(&u);
    if (e->kind != ENTRY_PIXEL) {
        uint8_t s[12];
        uint32_t type = e->kind == ENTRY_DIVIDER ? PSD_SECTION_DIVIDER : l->open ? PSD_SECTION_OPEN : PSD_SECTION_CLOSED;
        s[0] = s[1] = s[2] = 0, s[3] = (uint8_t)type;
        memcpy(s + 4, "8BIM", 4);
        memcpy(s + 8, e->kind == ENTRY_DIVIDER ? "pass" : sz_blend_psd_key(l->blend), 4);
        tagged_block(b, "lsct", s, e->kind == ENTRY_DIVIDER ? 4 : 12, w->psb);
    }
    if (e->kind != ENTRY_DIVIDER) {
        if (l->id) {
            uint8_t id[4] = {(uint8_t)(l->id >> 24), (uint8_t)(l->id >> 16), (uint8_t)(l->id >> 8), (uint8_t)l->id};
            tagged_block(b, "lyid", id, 4, w->psb);
        }
        if (l->fill_opacity != 255) {
            uint8_t f[4] = {l->fill_opacity, 0, 0, 0};
            tagged_block(b, "iOpa", f, 4, w->psb);
        }
        for (int i = 0; i < l->extra.count; i++) {
            const sz_blob *x = &l->extra.items[i];
            if (!memcmp(x->key, "raw ", 4)) {
                sz_buf_append(b, x->data, x->len); /* bytes that were not a block */
                continue;
            }
            sz_buf_append(b, x->sig[0] ? x->sig : "8BIM", 4);
            sz_buf_append(b, x->key, 4);
            put_len(b, x->len, w->psb && psd_big_key(x->key));
            sz_buf_append(b, x->data, x->len);
        }
    }
    pad_to(b, extra_at + 4, 2);
    patch_len(b, extra_at, false);
}

/* ------------------------------------------------------------------ */

static sz_status write_layer_info_body(psd_writer *w, sz_buf *b)
{
    sz_ctx *ctx = w->ctx;
    entry *v = NULL;
    int n = 0, cap = 0;
    bool oom = false;
    collect(w->doc->root, &v, &n, &cap, &oom);
    if (oom) {
        free(v);
        return sz_fail(ctx, SZ_ERR_NOMEM, "out of memory");
    }
    if (n > 32767) {
        free(v);
        return sz_fail(ctx, SZ_ERR_LIMIT, "PSD holds at most 32767 layer records, this document needs %d", n);
    }
    int jobs = 0;
    for (int i = 0; i < n; i++) {
        plan_channels(&v[i]);
        jobs += v[i].nch;
    }
    /* Every channel of every layer is an independent job; the output is
     * assembled in order afterwards, so threads cannot change it. */
    int *job_entry = sz_malloc_array(ctx, (size_t)(jobs ? jobs : 1), 2 * sizeof(int));
    if (!job_entry) {
        free(v);
        return SZ_ERR_NOMEM;
    }
    for (int i = 0, k = 0; i < n; i++)
        for (int c = 0; c < v[i].nch; c++, k++) job_entry[2 * k] = i, job_entry[2 * k + 1] = c;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 1)
    for (int k = 0; k < jobs; k++) encode_channel(w, &v[job_entry[2 * k]], job_entry[2 * k + 1]);
    free(job_entry);

    sz_status st = SZ_OK;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < v[i].nch; c++)
            if (v[i].ch[c].data.failed) st = sz_fail(ctx, SZ_ERR_NOMEM, "out of memory encoding layers");
    if (!st) {
        size_t start = b->len;
        sz_buf_be16(b, (unsigned)n);
        for (int i = 0; i < n; i++) write_record(w, b, &v[i]);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < v[i].nch; c++) sz_buf_append(b, v[i].ch[c].data.data, v[i].ch[c].data.len);
        pad_to(b, start, 4);
    }
    for (int i = 0; i < n; i++)
        for (int c = 0; c < v[i].nch; c++) sz_buf_free(&v[i].ch[c].data);
    free(v);
    return st;
}

static void write_resources(psd_writer *w, sz_buf *b, const uint8_t *icc, size_t icc_len)
{
    size_t at = len_field(b, false);
    /* 1005: resolution, 16.16 fixed pixels per inch, both axes (only when
     * known: readers take 72 ppi otherwise) */
    double ppi = w->doc->ppi;
    uint32_t fixed = (uint32_t)lround(ppi * 65536.0);
    uint8_t r[16] = {0};
    for (int k = 0; k < 2; k++) {
        uint8_t *p = r + 8 * k;
        p[0] = (uint8_t)(fixed >> 24), p[1] = (uint8_t)(fixed >> 16), p[2] = (uint8_t)(fixed >> 8), p[3] = (uint8_t)fixed;
        p[5] = 1; /* pixels per inch */
        p[7] = 1; /* display in inches */
    }
    const sz_blob_list *kept = &w->doc->resources;
    struct { uint16_t id; const char *sig, *name; const uint8_t *data; size_t len; } own[2] = {
        {1005, "8BIM", "", ppi > 0 ? r : NULL, sizeof r},
        {1039, "8BIM", "", icc, icc_len},
    };
    for (int i = 0; i < 2 + kept->count; i++) {
        const char *sig, *name;
        const uint8_t *data;
        size_t len;
        uint16_t id;
        if (i < 2) {
            if (!own[i].data) continue;
            id = own[i].id, sig = own[i].sig, name = own[i].name, data = own[i].data, len = own[i].len;
        } else {
            const sz_blob *x = &kept->items[i - 2];
            id = x->id, sig = x->sig, name = x->name ? x->name : "", data = x->data, len = x->len;
        }
        sz_buf_append(b, sig, 4);
        sz_buf_be16(b, id);
        size_t nl = SZ_MIN(strlen(name), (size_t)255);
        sz_buf_u8(b, (unsigned)nl);
        sz_buf_append(b, name, nl);
        if ((nl + 1) & 1) sz_buf_u8(b, 0); /* the name is padded to an even size */
        sz_buf_be32(b, (uint32_t)len);
        sz_buf_append(b, data, len);
        if (len & 1) sz_buf_u8(b, 0);
    }
    patch_len(b, at, false);
}

/* One band of the merged image: rows [y0, y0 + rows) of the composite over
 * white, as three big-endian channel planes of `rows` rows each. */
static void merged_band(const psd_writer *w, const uint16_t *comp, int rows, uint8_t *planes[3])
{
    int W = w->doc->w, bps = w->depth / 8;
    size_t rb = (size_t)W * (size_t)bps;
#pragma omp parallel for num_threads(sz_threads(w->ctx)) schedule(static)
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < W; x++) {
            const uint16_t *p = comp + ((size_t)y * (size_t)W + (size_t)x) * 4;
            for (int c = 0; c < 3; c++) {
                unsigned v = (unsigned)((p[c] * (uint64_t)p[3] + 65535u * (uint64_t)(65535u - p[3]) + 32767) / 65535u);
                uint8_t *d = planes[c] + (size_t)y * rb;
                if (bps == 1) d[x] = sz_16to8(v);
                else d[2 * x] = (uint8_t)(v >> 8), d[2 * x + 1] = (uint8_t)v;
            }
        }
}

/* The merged image: the composite over white, three channels.  It is made
 * band by band, so no canvas-sized buffer is needed for RLE; ZIP, one
 * stream over all three planes, keeps the planes. */
static sz_status write_merged(psd_writer *w, sz_buf *b)
{
    sz_ctx *ctx = w->ctx;
    const sz_doc *doc = w->doc;
    int W = doc->w, H = doc->h, band = sz_composite_band_rows(doc);
    size_t rb = (size_t)W * (size_t)(w->depth / 8), cw = w->psb ? 4 : 2, maxenc = rb + rb / 128 + 2;
    bool rle = w->comp == PSD_COMP_RLE;
    uint16_t *comp = sz_malloc_array(ctx, (size_t)W * (size_t)band, 8);
    uint8_t *planes = sz_malloc_array(ctx, rb, rle ? (size_t)band * 3 : (size_t)H * 3);
    uint8_t *enc = rle ? sz_malloc_array(ctx, maxenc, (size_t)band * 3) : NULL;
    size_t *enc_len = rle ? sz_malloc_array(ctx, (size_t)band * 3, sizeof *enc_len) : NULL;
    sz_buf data[3] = {{0}};
    sz_status st = comp && planes && (!rle || (enc && enc_len)) ? SZ_OK : SZ_ERR_NOMEM;
    size_t table = 0;
    if (!st && rle) {
        sz_buf_be16(b, PSD_COMP_RLE);
        table = b->len;
        sz_buf_zeros(b, cw * (size_t)H * 3);
    }
    for (int y0 = 0; !st && y0 < H; y0 += band) {
        int rows = SZ_MIN(band, H - y0);
        st = sz_doc_composite_rows(ctx, doc, y0, rows, comp);
        if (st) break;
        uint8_t *p3[3];
        for (int c = 0; c < 3; c++)
            p3[c] = rle ? planes + (size_t)c * (size_t)band * rb : planes + ((size_t)c * (size_t)H + (size_t)y0) * rb;
        merged_band(w, comp, rows, p3);
        if (!rle) continue;
        int jobs = rows * 3;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int k = 0; k < jobs; k++) {
            int c = k / rows, r = k % rows;
            enc_len[k] = psd_packbits(p3[c] + (size_t)r * rb, rb, enc + (size_t)k * maxenc);
        }
        for (int k = 0; k < jobs; k++) {
            int c = k / rows, r = k % rows;
            size_t n = enc_len[k];
            sz_buf_append(&data[c], enc + (size_t)k * maxenc, n);
            uint8_t *cnt = b->data + table + ((size_t)c * (size_t)H + (size_t)(y0 + r)) * cw;
            if (b->failed) break;
            if (w->psb) cnt[0] = (uint8_t)(n >> 24), cnt[1] = (uint8_t)(n >> 16), cnt += 2;
            cnt[0] = (uint8_t)(n >> 8), cnt[1] = (uint8_t)n;
        }
    }
    if (!st && rle) {
        for (int c = 0; c < 3; c++) sz_buf_append(b, data[c].data, data[c].len);
    } else if (!st) {
        int comp_kind = w->depth == 16 ? PSD_COMP_ZIP_PRED : PSD_COMP_ZIP;
        psd_encode_rows(b, planes, rb, H * 3, w->depth, comp_kind, w->psb, w->level);
    }
    for (int c = 0; c < 3; c++) {
        if (data[c].failed) st = sz_fail(ctx, SZ_ERR_NOMEM, "out of memory writing the merged image");
        sz_buf_free(&data[c]);
    }
    free(comp), free(planes), free(enc), free(enc_len);
    return st;
}

sz_status sz_psd_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt, sz_buf *b)
{
    psd_writer w = {.ctx = ctx, .doc = doc, .depth = opt->depth ? opt->depth : doc->depth, .level = opt->level};
    w.psb = opt->force_psb || doc->w > PSD_MAX_SIDE || doc->h > PSD_MAX_SIDE;
    if (doc->w > PSB_MAX_SIDE || doc->h > PSB_MAX_SIDE)
        return sz_fail(ctx, SZ_ERR_LIMIT, "a canvas of %dx%d is too large even for PSB (300000 px)", doc->w, doc->h);
    w.comp = opt->compression == 2 ? PSD_COMP_ZIP : PSD_COMP_RLE;

    sz_buf_append(b, "8BPS", 4);
    sz_buf_be16(b, w.psb ? 2 : 1);
    sz_buf_zeros(b, 6);
    sz_buf_be16(b, 3);
    sz_buf_be32(b, (uint32_t)doc->h);
    sz_buf_be32(b, (uint32_t)doc->w);
    sz_buf_be16(b, (unsigned)w.depth);
    sz_buf_be16(b, PSD_MODE_RGB);
    sz_buf_be32(b, 0); /* colour mode data */

    uint8_t *gen = NULL;
    size_t gen_len = 0;
    const uint8_t *icc = doc->icc;
    size_t icc_len = doc->icc_len;
    if (!icc && doc->srgb_intent >= 0 && !sz_icc_srgb(ctx, &gen, &gen_len)) icc = gen, icc_len = gen_len;
    sz_ctx_clear_error(ctx);
    write_resources(&w, b, icc, icc_len);
    free(gen);

    size_t lm_at = len_field(b, w.psb);
    sz_status st;
    if (w.depth == 8) {
        size_t li_at = len_field(b, w.psb);
        st = write_layer_info_body(&w, b);
        patch_len(b, li_at, w.psb);
    } else {
        put_len(b, 0, w.psb);
        st = SZ_OK;
    }
    if (!st) {
        sz_buf_be32(b, (uint32_t)doc->global_mask.len);
        sz_buf_append(b, doc->global_mask.data, doc->global_mask.len);
    }
    if (!st && w.depth == 16) {
        sz_buf_append(b, "8BIM", 4);
        sz_buf_append(b, "Lr16", 4);
        size_t at = len_field(b, w.psb);
        st = write_layer_info_body(&w, b);
        patch_len(b, at, w.psb);
    }
    for (int i = 0; !st && i < doc->global_blocks.count; i++) {
        const sz_blob *x = &doc->global_blocks.items[i];
        sz_buf_append(b, x->sig[0] ? x->sig : "8BIM", 4);
        sz_buf_append(b, x->key, 4);
        put_len(b, x->len, w.psb && psd_big_key(x->key));
        size_t start = b->len;
        sz_buf_append(b, x->data, x->len);
        pad_to(b, start, 4);
    }
    patch_len(b, lm_at, w.psb);
    if (!st) st = sz_progress(ctx, "writing PSD", 0.8);
    if (!st) st = write_merged(&w, b);
    if (!st) st = sz_buf_check(ctx, b);
    return st;
}
