/*
 * sozai.h — the one public header of libsozai.
 *
 * sozai completes the layered parts of an illustration (material
 * separation, 素材分け): it extends line art under occluders and fills the
 * hidden region of each part, and prepares parts for rigging.
 *
 * Conventions
 *   - Every function that can fail returns sz_status; the human-readable
 *     message is kept in the sz_ctx (sz_ctx_error()).  The library never
 *     prints, exits or aborts.
 *   - Ownership: *_new and *_copy return objects the caller frees with the
 *     matching *_free; getters borrow (the pointer lives as long as its
 *     owner); setters that take a pointer say whether they take ownership.
 *   - Pixels are RGBA with straight (unassociated) alpha, 8 or 16 bits per
 *     channel, rows top to bottom, channels interleaved R,G,B,A.
 *   - Layer children are ordered bottom first (painting order).
 */
#ifndef SOZAI_H
#define SOZAI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(SOZAI_BUILDING)
#define SZ_API __declspec(dllexport)
#elif defined(__GNUC__)
#define SZ_API __attribute__((visibility("default")))
#else
#define SZ_API
#endif

#define SOZAI_VERSION_MAJOR 0
#define SOZAI_VERSION_MINOR 1
#define SOZAI_VERSION_PATCH 0

/** The library's version as "MAJOR.MINOR.PATCH". */
SZ_API const char *sz_version(void);

/* ------------------------------------------------------------------ */
/* Status                                                              */
/* ------------------------------------------------------------------ */

typedef enum sz_status {
    SZ_OK = 0,
    SZ_ERR_ARG,         /* the caller passed an invalid argument or option */
    SZ_ERR_NOMEM,       /* an allocation failed */
    SZ_ERR_IO,          /* the operating system refused a read or write */
    SZ_ERR_FORMAT,      /* the input is malformed or truncated */
    SZ_ERR_UNSUPPORTED, /* the input is valid but uses a feature sozai lacks */
    SZ_ERR_LIMIT,       /* a resource limit of the context was exceeded */
    SZ_ERR_COLOR,       /* colour management failed (bad profile, ...) */
    SZ_ERR_CANCELLED,   /* the progress callback asked to stop */
    SZ_ERR_INTERNAL     /* a bug in sozai */
} sz_status;

/** A short English description of a status code (static string). */
SZ_API const char *sz_status_name(sz_status st);

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

typedef struct sz_ctx sz_ctx;

typedef enum sz_log_level {
    SZ_LOG_DEBUG = 0,
    SZ_LOG_INFO,
    SZ_LOG_WARNING
} sz_log_level;

typedef enum sz_limit {
    SZ_LIMIT_LAYER_PIXELS = 0, /* pixels in one layer (default 2^28) */
    SZ_LIMIT_DOC_PIXELS,       /* pixels of the canvas (default 2^30) */
    SZ_LIMIT_LAYERS,           /* layers and groups in a document (default 10000) */
    SZ_LIMIT_MEMORY,           /* bytes of pixel data of one document (default 16 GiB) */
    SZ_LIMIT_COUNT_
} sz_limit;

/** Receives log messages (warnings about lossy conversions, ...). */
typedef void (*sz_log_fn)(void *user, sz_log_level level, const char *message);
/** Receives progress in [0,1] for the named stage; return nonzero to cancel. */
typedef int (*sz_progress_fn)(void *user, const char *stage, double fraction);

/** A new context with default limits, all processors, no callbacks. */
SZ_API sz_ctx *sz_ctx_new(void);
SZ_API void sz_ctx_free(sz_ctx *ctx);

/** The message of the last error (never NULL; "" when there was none). */
SZ_API const char *sz_ctx_error(const sz_ctx *ctx);
/** The status of the last error (SZ_OK when there was none). */
SZ_API sz_status sz_ctx_status(const sz_ctx *ctx);
SZ_API void sz_ctx_clear_error(sz_ctx *ctx);

SZ_API void sz_ctx_set_log(sz_ctx *ctx, sz_log_fn fn, void *user);
SZ_API void sz_ctx_set_progress(sz_ctx *ctx, sz_progress_fn fn, void *user);

/** Threads used by operations; 0 (the default) means all processors,
 *  except that a layer of fewer than SZ_ONE_THREAD_PIXELS working pixels
 *  is done on one thread, which is faster there.  Results do not depend on
 *  it. */
SZ_API void sz_ctx_set_threads(sz_ctx *ctx, int threads);
/** Below this many pixels (512 x 512) work runs on one thread unless a
 *  thread count was set. */
#define SZ_ONE_THREAD_PIXELS (512 * 512)
SZ_API int sz_ctx_threads(const sz_ctx *ctx);

SZ_API sz_status sz_ctx_set_limit(sz_ctx *ctx, sz_limit which, uint64_t value);
SZ_API uint64_t sz_ctx_limit(const sz_ctx *ctx, sz_limit which);

/** Keeps the file at `path` (by identity, whatever name or link reaches
 *  it) from being replaced by any file written through this context:
 *  sz_doc_write_file, export-layers' files, --debug pictures.  Such a
 *  write fails with SZ_ERR_ARG before anything is written.  For a
 *  program's inputs.  A path that names no file (or "-") is ignored. */
SZ_API sz_status sz_ctx_keep_file(sz_ctx *ctx, const char *path);

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

typedef struct sz_image sz_image;

/** A new fully transparent RGBA image of the given depth (8 or 16).
 *  Width and height may be 0 (an empty image). */
SZ_API sz_image *sz_image_new(sz_ctx *ctx, int width, int height, int depth);
/** A copy of pixels the caller owns: rows of `stride` bytes, RGBA. */
SZ_API sz_image *sz_image_new_from_data(sz_ctx *ctx, int width, int height, int depth,
                                        const void *data, size_t stride);
SZ_API sz_image *sz_image_copy(sz_ctx *ctx, const sz_image *img);
SZ_API void sz_image_free(sz_image *img);

SZ_API int sz_image_width(const sz_image *img);
SZ_API int sz_image_height(const sz_image *img);
SZ_API int sz_image_depth(const sz_image *img);
SZ_API size_t sz_image_stride(const sz_image *img);
/** Borrowed pointer to the first row (uint8_t or uint16_t samples). */
SZ_API void *sz_image_data(sz_image *img);
SZ_API const void *sz_image_cdata(const sz_image *img);

/** Converts the samples to another depth in place (16 -> 8 rounds). */
SZ_API sz_status sz_image_set_depth(sz_ctx *ctx, sz_image *img, int depth);

/* ------------------------------------------------------------------ */
/* Documents and layers                                                */
/* ------------------------------------------------------------------ */

typedef struct sz_doc sz_doc;
typedef struct sz_layer sz_layer;

typedef enum sz_layer_kind {
    SZ_LAYER_PIXEL = 0, /* a raster layer (its image may be empty) */
    SZ_LAYER_GROUP      /* a group (folder) of layers */
} sz_layer_kind;

/** Blend modes (PSD keys in brackets). */
typedef enum sz_blend {
    SZ_BLEND_NORMAL = 0, /* norm */
    SZ_BLEND_PASS_THROUGH, /* pass (groups only) */
    SZ_BLEND_DISSOLVE,   /* diss */
    SZ_BLEND_DARKEN,     /* dark */
    SZ_BLEND_MULTIPLY,   /* mul  */
    SZ_BLEND_COLOR_BURN, /* idiv */
    SZ_BLEND_LINEAR_BURN, /* lbrn */
    SZ_BLEND_DARKER_COLOR, /* dkCl */
    SZ_BLEND_LIGHTEN,    /* lite */
    SZ_BLEND_SCREEN,     /* scrn */
    SZ_BLEND_COLOR_DODGE, /* div  */
    SZ_BLEND_LINEAR_DODGE, /* lddg */
    SZ_BLEND_LIGHTER_COLOR, /* lgCl */
    SZ_BLEND_OVERLAY,    /* over */
    SZ_BLEND_SOFT_LIGHT, /* sLit */
    SZ_BLEND_HARD_LIGHT, /* hLit */
    SZ_BLEND_VIVID_LIGHT, /* vLit */
    SZ_BLEND_LINEAR_LIGHT, /* lLit */
    SZ_BLEND_PIN_LIGHT,  /* pLit */
    SZ_BLEND_HARD_MIX,   /* hMix */
    SZ_BLEND_DIFFERENCE, /* diff */
    SZ_BLEND_EXCLUSION,  /* smud */
    SZ_BLEND_SUBTRACT,   /* fsub */
    SZ_BLEND_DIVIDE,     /* fdiv */
    SZ_BLEND_HUE,        /* hue  */
    SZ_BLEND_SATURATION, /* sat  */
    SZ_BLEND_COLOR,      /* colr */
    SZ_BLEND_LUMINOSITY, /* lum  */
    SZ_BLEND_COUNT_
} sz_blend;

/** The blend mode's name as used on the command line ("normal", "multiply"). */
SZ_API const char *sz_blend_name(sz_blend mode);
/** Looks a blend mode up by name; returns -1 when unknown. */
SZ_API int sz_blend_from_name(const char *name);

/** A new document of the given canvas with an empty root group. */
SZ_API sz_doc *sz_doc_new(sz_ctx *ctx, int width, int height);
SZ_API sz_doc *sz_doc_copy(sz_ctx *ctx, const sz_doc *doc);
SZ_API void sz_doc_free(sz_doc *doc);

SZ_API int sz_doc_width(const sz_doc *doc);
SZ_API int sz_doc_height(const sz_doc *doc);
SZ_API sz_status sz_doc_set_size(sz_ctx *ctx, sz_doc *doc, int width, int height);
/** Bits per channel of the source (8 or 16); writers keep it by default. */
SZ_API int sz_doc_depth(const sz_doc *doc);
SZ_API void sz_doc_set_depth(sz_doc *doc, int depth);
/** Resolution in pixels per inch (0 when unknown). */
SZ_API double sz_doc_resolution(const sz_doc *doc);
SZ_API void sz_doc_set_resolution(sz_doc *doc, double ppi);
/** The embedded ICC profile (borrowed) or NULL; *len receives its size. */
SZ_API const uint8_t *sz_doc_icc(const sz_doc *doc, size_t *len);
/** Copies a profile into the document (NULL removes it). */
SZ_API sz_status sz_doc_set_icc(sz_ctx *ctx, sz_doc *doc, const uint8_t *icc, size_t len);
/** A one-line description of the colour space ("sRGB IEC61966-2.1", ...). */
SZ_API const char *sz_doc_color_description(const sz_doc *doc);

/** The root group; its children are the top-level layers. */
SZ_API sz_layer *sz_doc_root(sz_doc *doc);
/** Number of layers and groups in the whole tree (root excluded). */
SZ_API int sz_doc_layer_count(const sz_doc *doc);

/** A new layer appended on top of `group`'s children; the document owns it. */
SZ_API sz_layer *sz_layer_new(sz_ctx *ctx, sz_layer *group, sz_layer_kind kind,
                              const char *name);
/** Moves `layer` to position `index` (0 = bottom) among the children of
 *  `group`, which may be its current parent. */
SZ_API sz_status sz_layer_move(sz_ctx *ctx, sz_layer *layer, sz_layer *group, int index);
/** Removes and frees a layer and its descendants. */
SZ_API void sz_layer_delete(sz_layer *layer);

SZ_API sz_layer_kind sz_layer_get_kind(const sz_layer *layer);
SZ_API sz_layer *sz_layer_parent(const sz_layer *layer);
SZ_API int sz_layer_child_count(const sz_layer *group);
/** Child `index` of a group, 0 = bottom. */
SZ_API sz_layer *sz_layer_child(const sz_layer *group, int index);
/** Position of the layer among its parent's children (0 = bottom). */
SZ_API int sz_layer_index(const sz_layer *layer);

/** UTF-8 name (borrowed, never NULL). */
SZ_API const char *sz_layer_name(const sz_layer *layer);
SZ_API sz_status sz_layer_set_name(sz_ctx *ctx, sz_layer *layer, const char *name);
/** Offset of the layer's image on the canvas (may be negative). */
SZ_API int sz_layer_x(const sz_layer *layer);
SZ_API int sz_layer_y(const sz_layer *layer);
SZ_API void sz_layer_set_offset(sz_layer *layer, int x, int y);
/** The layer's pixels (borrowed; NULL for groups and empty layers). */
SZ_API sz_image *sz_layer_image(const sz_layer *layer);
/** Replaces the pixels; the layer takes ownership of `img` (NULL empties it). */
SZ_API void sz_layer_set_image(sz_layer *layer, sz_image *img);
SZ_API int sz_layer_opacity(const sz_layer *layer);      /* 0..255 */
SZ_API void sz_layer_set_opacity(sz_layer *layer, int opacity);
SZ_API int sz_layer_fill_opacity(const sz_layer *layer); /* 0..255 */
SZ_API void sz_layer_set_fill_opacity(sz_layer *layer, int opacity);
SZ_API int sz_layer_visible(const sz_layer *layer);
SZ_API void sz_layer_set_visible(sz_layer *layer, int visible);
SZ_API sz_blend sz_layer_blend(const sz_layer *layer);
SZ_API void sz_layer_set_blend(sz_layer *layer, sz_blend mode);
/** Clipped to the layer below (clipping mask). */
SZ_API int sz_layer_clipping(const sz_layer *layer);
SZ_API void sz_layer_set_clipping(sz_layer *layer, int clipping);
/** Whether a group is shown expanded in the layer panel. */
SZ_API int sz_layer_open(const sz_layer *layer);
SZ_API void sz_layer_set_open(sz_layer *layer, int open);
/** Layer id from the source file (0 when none). */
SZ_API uint32_t sz_layer_id(const sz_layer *layer);

/** Depth-first list of the document's layers and groups in painting order
 *  (bottom first, a group after its children).  Returns the count; `out`
 *  (may be NULL) receives up to `max` borrowed pointers. */
SZ_API int sz_doc_flatten_tree(sz_doc *doc, sz_layer **out, int max);
/** Whether the layer and every group above it are visible. */
SZ_API int sz_layer_effectively_visible(const sz_layer *layer);

/** Composites the visible layers onto a new canvas-sized image (the caller
 *  frees it), at the document's depth. */
SZ_API sz_image *sz_doc_composite(sz_ctx *ctx, const sz_doc *doc);

/* ------------------------------------------------------------------ */
/* Reading and writing files                                           */
/* ------------------------------------------------------------------ */

typedef enum sz_format {
    SZ_FORMAT_UNKNOWN = 0,
    SZ_FORMAT_PNG,
    SZ_FORMAT_TIFF,
    SZ_FORMAT_PSD,
    SZ_FORMAT_PAM      /* netpbm PAM (RGB_ALPHA), handy for pipes and tests */
} sz_format;

/** Options for writers.  Zero-initialise, then set what you need. */
typedef struct sz_write_options {
    int depth;        /* 8 or 16; 0 keeps the document's depth */
    int compression;  /* 0 = format default; PSD: 1 = RLE, 2 = ZIP */
    int force_psb;    /* PSD: write the large-document (PSB) variant */
    int level;        /* zlib level 1-9 (0 = default) */
} sz_write_options;

/** The format named by a file name's extension ("x.png"), or UNKNOWN. */
SZ_API sz_format sz_format_from_name(const char *path);
/** The format whose magic bytes start `data`, or UNKNOWN. */
SZ_API sz_format sz_format_sniff(const void *data, size_t len);
SZ_API const char *sz_format_name(sz_format fmt);

/** Reads a document from memory; the format comes from the magic bytes. */
SZ_API sz_status sz_doc_read_memory(sz_ctx *ctx, const void *data, size_t len,
                                    sz_doc **out);
/** Reads a document from a file; "-" reads standard input. */
SZ_API sz_status sz_doc_read_file(sz_ctx *ctx, const char *path, sz_doc **out);

/** Encodes a document into a new malloc'd buffer (free it with free()). */
SZ_API sz_status sz_doc_write_memory(sz_ctx *ctx, const sz_doc *doc, sz_format fmt,
                                     const sz_write_options *opt,
                                     uint8_t **data, size_t *len);
/** Writes a document atomically: the file appears complete or not at all,
 *  and an existing file is replaced only on success (through a symbolic
 *  link, the file it names; a device or named pipe is written into, a
 *  directory refused).  "-" writes standard output.  fmt UNKNOWN takes the
 *  format from the file name. */
SZ_API sz_status sz_doc_write_file(sz_ctx *ctx, const sz_doc *doc, const char *path,
                                   sz_format fmt, const sz_write_options *opt);

/** Reads an image file as one flat image: the document's composite, or its
 *  only layer as it is when that covers the canvas plainly. */
SZ_API sz_status sz_image_read_file(sz_ctx *ctx, const char *path, sz_image **out);
/** Writes one image as a PNG, TIFF, PSD or PAM file (atomically). */
SZ_API sz_status sz_image_write_file(sz_ctx *ctx, const sz_image *img, const char *path,
                                     const sz_write_options *opt);

/* ------------------------------------------------------------------ */
/* Colour                                                              */
/* ------------------------------------------------------------------ */

/** Converts every layer to sRGB through the document's profile (if any) and
 *  replaces the profile by sRGB; depth 8 or 16 sets the result's depth
 *  (0 keeps it). */
SZ_API sz_status sz_doc_to_srgb(sz_ctx *ctx, sz_doc *doc, int depth);

/* ------------------------------------------------------------------ */
/* Operations (the registry)                                           */
/* ------------------------------------------------------------------ */

typedef struct sz_op sz_op;     /* an operation's definition (static) */
typedef struct sz_args sz_args; /* parsed arguments for one operation */

typedef enum sz_param_type {
    SZ_PARAM_BOOL = 0, /* a flag: present = true */
    SZ_PARAM_INT,
    SZ_PARAM_FLOAT,
    SZ_PARAM_STRING,
    SZ_PARAM_CHOICE,   /* one of a fixed list of words */
    SZ_PARAM_PATH,     /* a file name the operation reads */
    SZ_PARAM_OUTPUT_PATH /* a file name (or name pattern) the operation writes */
} sz_param_type;

/** One parameter of an operation, as the registry declares it. */
typedef struct sz_param {
    const char *name;           /* long option without dashes */
    sz_param_type type;
    const char *help;           /* one sentence */
    const char *def;            /* default as text (NULL: none / unset) */
    double min, max;            /* numeric range (ignored when min > max) */
    const char *const *choices; /* NULL-terminated, for SZ_PARAM_CHOICE */
} sz_param;

SZ_API int sz_op_count(void);
SZ_API const sz_op *sz_op_at(int index);
SZ_API const sz_op *sz_op_find(const char *name);
SZ_API const char *sz_op_name(const sz_op *op);
SZ_API const char *sz_op_summary(const sz_op *op);
SZ_API const char *sz_op_help(const sz_op *op);
SZ_API int sz_op_param_count(const sz_op *op);
SZ_API const sz_param *sz_op_param(const sz_op *op, int index);
/** Whether the operation changes the document (so a chain needs -o). */
SZ_API int sz_op_needs_output(const sz_op *op);
/** Whether the operation accepts the common parameters (--layers). */
SZ_API int sz_op_selects_layers(const sz_op *op);
/** Parameters shared by operations that select layers; same layout. */
SZ_API int sz_common_param_count(void);
SZ_API const sz_param *sz_common_param(int index);

/** Arguments for `op`, all at their defaults. */
SZ_API sz_args *sz_args_new(sz_ctx *ctx, const sz_op *op);
SZ_API void sz_args_free(sz_args *args);
/** Sets a parameter from text, validating type and range ("true"/"false"
 *  or NULL for flags).  Accepts the operation's and the common parameters. */
SZ_API sz_status sz_args_set(sz_ctx *ctx, sz_args *args, const char *name, const char *value);
/** Whether the user set the parameter (as opposed to its default). */
SZ_API int sz_args_is_set(const sz_args *args, const char *name);
/** The value of a text, choice or path parameter (its default when not
 *  set; NULL when it has none), owned by `args`. */
SZ_API const char *sz_args_text(const sz_args *args, const char *name);

/** Receives text an operation reports (info's listing, ...). */
typedef void (*sz_text_fn)(void *user, const char *text);
SZ_API void sz_ctx_set_text_output(sz_ctx *ctx, sz_text_fn fn, void *user);

/** Runs one operation on a document. */
SZ_API sz_status sz_op_run(sz_ctx *ctx, const sz_op *op, sz_doc *doc, const sz_args *args);

#ifdef __cplusplus
}
#endif
#endif /* SOZAI_H */
