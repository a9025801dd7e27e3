/*
 * internal.h — what the library's own files share and nothing outside sees:
 * the object layouts, error and allocation helpers, pixel accessors.
 */
#ifndef SOZAI_INTERNAL_H
#define SOZAI_INTERNAL_H

#include "config.h"
#include "sozai.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define SZ_INTERNAL __attribute__((visibility("hidden")))
#define SZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
/* A hot loop of integer counts is also compiled for AVX2, and the
 * processor's own build is chosen when the library loads (an ifunc).
 * Integer sums come out the same in any order, so the result does not
 * depend on the processor.  A floating-point loop may use it only if
 * each value is computed by the same operations in the same order in
 * both builds: GCC's `avx2` target has no fused multiply-add to contract
 * a product and a sum into (nn.c's convolution relies on this).
 * Not under ThreadSanitizer: the ifunc's chooser runs while the library
 * is relocated, before the sanitizer's runtime is up, and every program
 * crashed there. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SZ_NO_CLONES
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SZ_NO_CLONES
#endif
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(SZ_NO_CLONES)
#define SZ_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define SZ_AVX2_CLONE
#endif

#define SZ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SZ_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SZ_CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))
#define SZ_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

struct sz_ctx {
    sz_status status;
    char error[1024];
    sz_log_fn log_fn;
    void *log_user;
    sz_progress_fn progress_fn;
    void *progress_user;
    sz_text_fn text_fn;
    void *text_user;
    int threads;                 /* 0 = all processors */
    size_t work_pixels;          /* size of the work at hand (sz_ctx_set_work), 0 = unknown */
    uint64_t limits[SZ_LIMIT_COUNT_];
    struct sz_kept_file *kept; /* files no write may replace (sz_ctx_keep_file) */
    int nkept;
};

/** A file's identity: what a write through the context must not replace. */
typedef struct sz_kept_file {
    dev_t dev;
    ino_t ino;
} sz_kept_file;

/** Whether `path` names a file kept with sz_ctx_keep_file (through any
 *  link or other name). */
SZ_INTERNAL bool sz_file_is_kept(const sz_ctx *ctx, const char *path);

/** Records an error and returns `st`, so callers can `return sz_fail(...)`. */
SZ_INTERNAL sz_status sz_fail(sz_ctx *ctx, sz_status st, const char *fmt, ...) SZ_PRINTF(3, 4);
/** Prefixes the current error message with "what: " (file name, layer). */
SZ_INTERNAL void sz_error_prefix(sz_ctx *ctx, const char *fmt, ...) SZ_PRINTF(2, 3);
SZ_INTERNAL void sz_log(sz_ctx *ctx, sz_log_level level, const char *fmt, ...) SZ_PRINTF(3, 4);
#define sz_warn(ctx, ...) sz_log((ctx), SZ_LOG_WARNING, __VA_ARGS__)
/** Emits text through the context's text output (used by `info`). */
SZ_INTERNAL void sz_emit(sz_ctx *ctx, const char *fmt, ...) SZ_PRINTF(2, 3);
/** Reports progress; returns SZ_ERR_CANCELLED (with the error set) when the
 *  callback asks to stop, SZ_OK otherwise. */
SZ_INTERNAL sz_status sz_progress(sz_ctx *ctx, const char *stage, double fraction);
/** The number of threads an OpenMP region of this context may use.  Work
 *  smaller than SZ_ONE_THREAD_PIXELS (sozai.h) runs on one thread unless
 *  the caller set a thread count: waking and joining a team for each of a
 *  filter's many parallel loops costs more than two cores save on it
 *  (measured: a 310x140 part completes in 33 ms on one thread, 40 ms on
 *  two; a 916x934 one in 0.30 s against 0.20 s), and far more when another
 *  process keeps the other core busy. */
SZ_INTERNAL int sz_threads(const sz_ctx *ctx);
/** Tells the context how many pixels the work at hand covers (0: unknown,
 *  the default), so that sz_threads() can keep small work on one thread.
 *  Results never depend on the number of threads. */
SZ_INTERNAL size_t sz_ctx_set_work(sz_ctx *ctx, size_t pixels); /* returns the previous size */
SZ_INTERNAL size_t sz_ctx_work(const sz_ctx *ctx);
/** Makes `child` a context for work done beside other work (a layer of
 *  an operation, filters/layer_jobs.c): the parent's limits, one thread,
 *  no error yet, and its messages to `log` (NULL: none), no progress. */
SZ_INTERNAL void sz_ctx_init_child(sz_ctx *child, const sz_ctx *parent, sz_log_fn log, void *log_user);
/** Which thread of the current OpenMP team this is (0 without OpenMP):
 *  an index into per-thread scratch allocated for sz_threads() threads. */
SZ_INTERNAL int sz_thread_index(void);
/** The number of threads in the current parallel region (1 outside one):
 *  a region may get fewer than it asked for. */
SZ_INTERNAL int sz_team_size(void);

/* Allocation: on failure these record SZ_ERR_NOMEM and return NULL. */
SZ_INTERNAL void *sz_malloc(sz_ctx *ctx, size_t size);
SZ_INTERNAL void *sz_calloc(sz_ctx *ctx, size_t count, size_t size);
SZ_INTERNAL void *sz_malloc_array(sz_ctx *ctx, size_t count, size_t size);
SZ_INTERNAL void *sz_realloc_array(sz_ctx *ctx, void *p, size_t count, size_t size);
SZ_INTERNAL char *sz_strdup(sz_ctx *ctx, const char *s);
SZ_INTERNAL char *sz_strndup(sz_ctx *ctx, const char *s, size_t n);

static inline bool sz_mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/** Checks a layer's size against the context's limits before allocating. */
SZ_INTERNAL sz_status sz_check_layer_size(sz_ctx *ctx, int64_t w, int64_t h);
/** Checks a canvas size against the context's limits. */
SZ_INTERNAL sz_status sz_check_canvas_size(sz_ctx *ctx, int64_t w, int64_t h);

/* ------------------------------------------------------------------ */
/* Growable byte buffer (writers, text)                                */
/* ------------------------------------------------------------------ */

typedef struct sz_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;    /* an append ran out of memory; the rest are no-ops */
} sz_buf;

SZ_INTERNAL bool sz_buf_reserve(sz_buf *b, size_t extra);
SZ_INTERNAL void sz_buf_append(sz_buf *b, const void *p, size_t n);
SZ_INTERNAL void sz_buf_printf(sz_buf *b, const char *fmt, ...) SZ_PRINTF(2, 3);
SZ_INTERNAL void sz_buf_u8(sz_buf *b, unsigned v);
SZ_INTERNAL void sz_buf_be16(sz_buf *b, unsigned v);
SZ_INTERNAL void sz_buf_be32(sz_buf *b, uint32_t v);
SZ_INTERNAL void sz_buf_be64(sz_buf *b, uint64_t v);
SZ_INTERNAL void sz_buf_zeros(sz_buf *b, size_t n);
SZ_INTERNAL void sz_buf_free(sz_buf *b);
/** Finishes a buffer: SZ_ERR_NOMEM (recorded in ctx) if any append failed. */
SZ_INTERNAL sz_status sz_buf_check(sz_ctx *ctx, const sz_buf *b);

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

struct sz_image {
    int w, h;
    int depth;        /* 8 or 16 */
    size_t stride;    /* bytes per row: w * 4 * depth / 8, rows with no padding between them */
    void *data;
};

static inline uint8_t *sz_row8(const sz_image *im, int y)
{
    return (uint8_t *)im->data + (size_t)y * im->stride;
}
static inline uint16_t *sz_row16(const sz_image *im, int y)
{
    return (uint16_t *)((uint8_t *)im->data + (size_t)y * im->stride);
}

/** Converts 16-bit to 8-bit, rounding to nearest (the exact inverse of v * 257). */
static inline uint8_t sz_16to8(unsigned v) { return (uint8_t)((v + 128u) / 257u); }

/** Reads pixel i (y * width + x) as four 16-bit samples: an image's rows
 *  lie one after the other, with no padding between them. */
static inline void sz_get16_at(const sz_image *im, size_t i, uint16_t out[4])
{
    if (im->depth == 8) {
        const uint8_t *p = (const uint8_t *)im->data + 4 * i;
        for (int c = 0; c < 4; c++) out[c] = (uint16_t)(p[c] * 257u);
    } else {
        const uint16_t *p = (const uint16_t *)im->data + 4 * i;
        for (int c = 0; c < 4; c++) out[c] = p[c];
    }
}

/** Reads pixel (x, y) as four 16-bit samples. */
static inline void sz_get16(const sz_image *im, int x, int y, uint16_t out[4])
{
    sz_get16_at(im, (size_t)y * (size_t)im->w + (size_t)x, out);
}

/** Writes pixel (x, y) from four 16-bit samples (rounded on 8-bit images). */
static inline void sz_put16(sz_image *im, int x, int y, const uint16_t v[4])
{
    if (im->depth == 8) {
        uint8_t *p = sz_row8(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) p[c] = sz_16to8(v[c]);
    } else {
        uint16_t *p = sz_row16(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) p[c] = v[c];
    }
}

/** Alpha of pixel (x, y) on a 0..65535 scale. */
static inline unsigned sz_alpha16(const sz_image *im, int x, int y)
{
    if (im->depth == 8) return sz_row8(im, y)[4 * (size_t)x + 3] * 257u;
    return sz_row16(im, y)[4 * (size_t)x + 3];
}

/** Reads pixel (x, y) as floats in [0,1] (straight alpha, encoded values). */
static inline void sz_getf(const sz_image *im, int x, int y, float out[4])
{
    if (im->depth == 8) {
        const uint8_t *p = sz_row8(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) out[c] = p[c] * (1.0f / 255.0f);
    } else {
        const uint16_t *p = sz_row16(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) out[c] = p[c] * (1.0f / 65535.0f);
    }
}

/** Writes pixel (x, y) from floats in [0,1], rounding to the image's depth. */
static inline void sz_putf(sz_image *im, int x, int y, const float v[4])
{
    if (im->depth == 8) {
        uint8_t *p = sz_row8(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) {
            float f = v[c] < 0 ? 0 : v[c] > 1 ? 1 : v[c];
            p[c] = (uint8_t)(f * 255.0f + 0.5f);
        }
    } else {
        uint16_t *p = sz_row16(im, y) + 4 * (size_t)x;
        for (int c = 0; c < 4; c++) {
            float f = v[c] < 0 ? 0 : v[c] > 1 ? 1 : v[c];
            p[c] = (uint16_t)(f * 65535.0f + 0.5f);
        }
    }
}

/** Smallest rectangle holding every pixel with alpha > 0; false if none. */
SZ_INTERNAL bool sz_image_alpha_bounds(const sz_image *im, int *x0, int *y0, int *x1, int *y1);
/** A new image holding the rectangle [x0,x1)x[y0,y1) of `im`; parts outside
 *  `im` are transparent. */
SZ_INTERNAL sz_image *sz_image_crop(sz_ctx *ctx, const sz_image *im, int x0, int y0, int x1, int y1);

/* ------------------------------------------------------------------ */
/* Documents                                                           */
/* ------------------------------------------------------------------ */

/** A block of bytes kept verbatim for a round trip (PSD tagged blocks,
 *  image resources).  `key` is a 4-character code or resource id. */
typedef struct sz_blob {
    char sig[4];      /* "8BIM", "8B64", ... (0s when not applicable) */
    char key[4];
    uint16_t id;      /* image resource id */
    char *name;       /* image resource name (Pascal string), may be NULL */
    uint8_t *data;
    size_t len;
} sz_blob;

typedef struct sz_blob_list {
    sz_blob *items;
    int count, cap;
} sz_blob_list;

SZ_INTERNAL sz_status sz_blob_list_add(sz_ctx *ctx, sz_blob_list *list, const char sig[4],
                                       const char key[4], uint16_t id, const char *name,
                                       const void *data, size_t len);
SZ_INTERNAL sz_status sz_blob_list_copy(sz_ctx *ctx, sz_blob_list *dst, const sz_blob_list *src);
SZ_INTERNAL void sz_blob_list_free(sz_blob_list *list);
SZ_INTERNAL const sz_blob *sz_blob_list_find_key(const sz_blob_list *list, const char key[4]);

/** One extra channel of a layer with its own rectangle: the user mask
 *  (PSD channel -2), the real user mask (-3) and any others a file has. */
typedef struct sz_mask {
    int16_t id;            /* PSD channel id */
    int x, y, w, h;
    int depth;             /* 8 or 16 */
    uint8_t *data;         /* w*h samples (uint16_t in host order when 16-bit) */
    uint8_t default_color; /* value outside the rectangle (0 or 255) */
    uint8_t flags;         /* PSD mask flags: bit 0 position relative, bit 1 disabled, bit 2 invert */
    sz_blob extra;         /* remaining mask record bytes (real mask, params), verbatim */
} sz_mask;

/** A user mask's value, 0..1, at canvas point (cx, cy) (its default
 *  colour outside its rectangle), and whether it is there and enabled. */
SZ_INTERNAL float sz_user_mask_at(const sz_mask *m, int cx, int cy);
SZ_INTERNAL bool sz_user_mask_active(const sz_mask *m);
/** A copy of a user mask's pixels and rectangle (not the rest of its
 *  record), for another layer to hide as the first does; NULL (the
 *  context says why) when out of memory. */
SZ_INTERNAL sz_mask *sz_user_mask_copy(sz_ctx *ctx, const sz_mask *m);

struct sz_layer {
    sz_doc *doc;
    sz_layer *parent;
    sz_layer **children;    /* bottom first */
    int nchildren, cap;
    sz_layer_kind kind;
    char *name;             /* UTF-8 */
    int x, y;
    sz_image *image;        /* NULL: empty (or a group) */
    uint8_t opacity, fill_opacity;
    bool visible, clipping, open;
    sz_blend blend;
    uint8_t psd_flags;      /* the PSD flags byte, to keep bits we do not model */
    bool psd_no_alpha;      /* read without a transparency channel (a Background layer) */
    uint32_t id;
    sz_mask *mask;          /* user mask (-2), NULL when none */
    sz_mask **channels;     /* other extra channels (-3, ...) kept for a round trip */
    int nchannels;
    sz_blob blend_ranges;   /* PSD blending ranges, verbatim (len 0 = none) */
    char *legacy_name;      /* the PSD Pascal name when it differs from the Unicode one */
    sz_blob_list extra;     /* tagged blocks kept verbatim */
};

typedef enum sz_source_mode {
    SZ_MODE_RGB = 0,
    SZ_MODE_GRAY,
    SZ_MODE_INDEXED,
    SZ_MODE_CMYK,
    SZ_MODE_LAB,
    SZ_MODE_BITMAP,
    SZ_MODE_DUOTONE,
    SZ_MODE_MULTICHANNEL
} sz_source_mode;

struct sz_doc {
    int w, h;
    int depth;
    sz_layer *root;
    int nlayers;             /* layers and groups in the tree, root excluded */
    uint8_t *icc;
    size_t icc_len;
    double ppi;
    /* PNG colour chunks, kept when there is no ICC profile */
    int srgb_intent;         /* -1: no sRGB chunk */
    double gamma;            /* gAMA (file gamma, e.g. 0.45455); 0: none */
    bool has_chrm;
    double chrm[8];          /* white x,y red x,y green x,y blue x,y */
    sz_source_mode source_mode;
    int source_format;       /* sz_format it was read from */
    int source_depth;        /* bits per sample in the file (1..32) */
    bool psb;                /* read from a PSB file */
    char color_desc[128];
    sz_blob_list resources;  /* PSD image resources kept verbatim */
    sz_blob_list global_blocks; /* PSD global tagged blocks kept verbatim */
    sz_blob global_mask;     /* PSD global layer mask info, verbatim */
    bool merged_alpha;       /* the PSD composite had a transparency channel */
};

/** Composites rows [y0, y0 + rows) of the document into `out` (16-bit
 *  straight-alpha RGBA, canvas width, `rows` rows). */
SZ_INTERNAL sz_status sz_doc_composite_rows(sz_ctx *ctx, const sz_doc *doc, int y0, int rows, uint16_t *out);
/** A good band height for sz_doc_composite_rows on this canvas. */
SZ_INTERNAL int sz_composite_band_rows(const sz_doc *doc);
/** The document's only layer when it is a plain image of the canvas's size
 *  (visible, full opacity, normal or dissolve blend, no mask), else NULL. */
SZ_INTERNAL sz_layer *sz_doc_plain_layer(const sz_doc *doc);
/** The image a single-image format writes, at `depth`: the lone layer when
 *  it covers the canvas as is (borrowed, *owned = false), otherwise the
 *  composite (*owned = true; a warning names `format`). */
SZ_INTERNAL sz_image *sz_doc_flat_image(sz_ctx *ctx, const sz_doc *doc, int depth,
                                        const char *format, bool *owned);
/** Records a new layer count against the context's limit. */
SZ_INTERNAL sz_status sz_doc_check_layer_count(sz_ctx *ctx, sz_doc *doc, int more);
/** Refreshes the colour description from the profile and PNG chunks. */
SZ_INTERNAL void sz_doc_describe_color(sz_doc *doc);
SZ_INTERNAL const char *sz_blend_psd_key(sz_blend mode);
SZ_INTERNAL int sz_blend_from_psd_key(const char key[4]);

/* ------------------------------------------------------------------ */
/* Codecs (one file each)                                              */
/* ------------------------------------------------------------------ */

SZ_INTERNAL sz_status sz_png_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out);
SZ_INTERNAL sz_status sz_png_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt,
                                   sz_buf *out);
SZ_INTERNAL sz_status sz_tiff_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out);
SZ_INTERNAL sz_status sz_tiff_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt,
                                    sz_buf *out);
SZ_INTERNAL sz_status sz_pam_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out);
SZ_INTERNAL sz_status sz_pam_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt,
                                   sz_buf *out);
SZ_INTERNAL sz_status sz_psd_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out);
SZ_INTERNAL sz_status sz_psd_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt,
                                   sz_buf *out);

/** Reads a whole file ("-" = stdin) into memory, bounded by the context's
 *  memory limit. */
SZ_INTERNAL sz_status sz_read_whole_file(sz_ctx *ctx, const char *path, uint8_t **data, size_t *len);
/** Writes bytes to `path` atomically ("-" = stdout). */
SZ_INTERNAL sz_status sz_write_atomic(sz_ctx *ctx, const char *path, const void *data, size_t len);

#endif /* SOZAI_INTERNAL_H */
