/*
 * export-layers — writes every selected layer to a file of its own, named
 * by a pattern:
 *   %i  index from the bottom (painting order; %02i pads to 2 digits)
 *   %n  layer name          %p  group path ("Head/Hair"), as folders
 *   %%  a percent sign
 * The format follows the extension (.png .tif .pam .psd).  Each file is
 * written atomically, with the document's colour profile and resolution.
 */
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* A layer name made safe as one path component. */
static void append_component(sz_buf *b, const char *s)
{
    if (!*s) s = "unnamed";
    if (!strcmp(s, ".") || !strcmp(s, "..")) s = "_";
    for (; *s; s++) sz_buf_u8(b, (*s == '/' || *s == '\\' || (unsigned char)*s < 0x20) ? '_' : (unsigned char)*s);
}

static sz_status expand(sz_ctx *ctx, const char *pat, const sz_layer *l, int index, char **out)
{
    sz_buf b = {0};
    for (const char *p = pat; *p; p++) {
        if (*p != '%') {
            sz_buf_u8(&b, (unsigned char)*p);
            continue;
        }
        const char *spec = p++;
        int width = 0;
        bool zero = *p == '0';
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        switch (*p) {
        case 'i': sz_buf_printf(&b, zero ? "%0*d" : "%*d", width, index); break;
        case 'n': append_component(&b, l->name); break;
        case 'p': {
            const sz_layer *chain[64];
            int n = 0;
            for (const sz_layer *g = l->parent; g && g->parent && n < 64; g = g->parent) chain[n++] = g;
            for (int k = n - 1; k >= 0; k--) {
                append_component(&b, chain[k]->name);
                if (k) sz_buf_u8(&b, '/');
            }
            if (!n) sz_buf_u8(&b, '.');
            break;
        }
        case '%': sz_buf_u8(&b, '%'); break;
        default:
            sz_buf_free(&b);
            return sz_fail(ctx, SZ_ERR_ARG, "--output: unknown placeholder '%.*s' (use %%i, %%n, %%p, %%%%)",
                           (int)(p - spec + (*p != 0)), spec);
        }
        if (!*p) break;
    }
    sz_buf_u8(&b, 0);
    sz_status st = sz_buf_check(ctx, &b);
    if (st) {
        sz_buf_free(&b);
        return st;
    }
    *out = (char *)b.data;
    return SZ_OK;
}

/* Creates the folders leading to `path` (like mkdir -p of its dirname). */
static sz_status make_parents(sz_ctx *ctx, char *path)
{
    for (char *s = path + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        int r = mkdir(path, 0777);
        int e = errno;
        *s = '/';
        if (r != 0 && e != EEXIST) return sz_fail(ctx, SZ_ERR_IO, "cannot create folder for %s: %s", path, strerror(e));
    }
    return SZ_OK;
}

static sz_status export_one(sz_ctx *ctx, const sz_doc *doc, const sz_layer *l, const char *path, int depth,
                            bool canvas)
{
    const sz_image *im = l->image;
    int w = canvas ? doc->w : im->w, h = canvas ? doc->h : im->h;
    sz_doc *one = sz_doc_new(ctx, w, h);
    if (!one) return ctx->status;
    one->depth = depth ? depth : im->depth;
    one->ppi = doc->ppi;
    one->srgb_intent = doc->srgb_intent;
    one->gamma = doc->gamma;
    one->has_chrm = doc->has_chrm;
    memcpy(one->chrm, doc->chrm, sizeof one->chrm);
    sz_status st = sz_doc_set_icc(ctx, one, doc->icc, doc->icc_len);
    sz_layer *nl = st ? NULL : sz_layer_new(ctx, one->root, SZ_LAYER_PIXEL, l->name);
    sz_image *copy = nl ? (canvas ? sz_image_crop(ctx, im, -l->x, -l->y, doc->w - l->x, doc->h - l->y)
                              : sz_image_copy(ctx, im))
                        : NULL;
    if (!copy) st = ctx->status ? ctx->status : SZ_ERR_NOMEM;
    if (!st) {
        sz_layer_set_image(nl, copy);
        sz_write_options o = {.depth = depth};
        st = sz_doc_write_file(ctx, one, path, SZ_FORMAT_UNKNOWN, &o);
    }
    sz_doc_free(one);
    return st;
}

/* A layer to write and its file. */
typedef struct export_file {
    sz_layer *layer;
    int index; /* from the bottom, as %i gives it */
    char *path;
} export_file;

static int by_path_then_index(const void *a, const void *b)
{
    const export_file *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The files of the layers to write, in painting order, every name made
 * before anything is written: two of them must not land in one file, and
 * a clash found half way left the files before it written. */
static sz_status name_files(sz_ctx *ctx, sz_doc *doc, const sz_args *args, const char *pat,
                            export_file **out, int *count)
{
    *out = NULL;
    *count = 0;
    bool skip_hidden = sz_arg_bool(args, "skip-hidden");
    sz_layer **all, **sel;
    int nall, nsel;
    sz_status st = sz_doc_pixel_layers(ctx, doc, &all, &nall);
    if (st) return st;
    st = sz_select_layers(ctx, doc, args, &sel, &nsel);
    export_file *files = st ? NULL : sz_calloc(ctx, (size_t)(nsel ? nsel : 1), sizeof *files);
    if (!st && !files) st = SZ_ERR_NOMEM;
    int n = 0;
    for (int i = 0, k = 0; i < nall && !st; i++) {
        sz_layer *l = all[i];
        if (k >= nsel || sel[k] != l) continue;
        k++;
        if ((skip_hidden && !sz_layer_effectively_visible(l)) || !l->image || !l->image->w || !l->image->h) continue;
        files[n] = (export_file){.layer = l, .index = i};
        st = expand(ctx, pat, l, i, &files[n].path);
        if (!st) n++;
        if (!st && sz_file_is_kept(ctx, files[n - 1].path))
            st = sz_fail(ctx, SZ_ERR_ARG, "layer %d would be written to %s, an input; refusing to overwrite it", i,
                         files[n - 1].path);
    }
    export_file *sorted = !st && n > 1 ? sz_malloc_array(ctx, (size_t)n, sizeof *sorted) : NULL;
    if (!st && n > 1 && !sorted) st = SZ_ERR_NOMEM;
    if (sorted) {
        memcpy(sorted, files, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, by_path_then_index);
        for (int j = 1; j < n && !st; j++)
            if (!strcmp(sorted[j - 1].path, sorted[j].path))
                st = sz_fail(ctx, SZ_ERR_ARG, "layers %d and %d would both be written to %s (add %%i to the pattern)",
                             sorted[j - 1].index, sorted[j].index, sorted[j].path);
        free(sorted);
    }
    free(all);
    free(sel);
    if (st) {
        for (int j = 0; j < n; j++) free(files[j].path);
        free(files);
        return st;
    }
    *out = files;
    *count = n;
    return SZ_OK;
}

static sz_status run(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    const char *pat = sz_arg_str(args, "output");
    if (!pat) return sz_fail(ctx, SZ_ERR_ARG, "give the file name pattern with -o, e.g. -o 'parts/%%02i_%%n.png'");
    if (sz_format_from_name(pat) == SZ_FORMAT_UNKNOWN)
        return sz_fail(ctx, SZ_ERR_ARG, "--output: the pattern must end in .png, .tif, .psd or .pam");
    const char *d = sz_arg_str(args, "depth");
    int depth = !strcmp(d, "8") ? 8 : !strcmp(d, "16") ? 16 : 0;
    bool canvas = sz_arg_bool(args, "canvas");
    export_file *files;
    int n;
    sz_status st = name_files(ctx, doc, args, pat, &files, &n);
    if (st) return st;
    int written = 0;
    for (int j = 0; j < n && !st; j++) {
        st = make_parents(ctx, files[j].path);
        if (!st) st = export_one(ctx, doc, files[j].layer, files[j].path, depth, canvas);
        if (!st) {
            sz_log(ctx, SZ_LOG_INFO, "wrote %s", files[j].path);
            written++;
            st = sz_progress(ctx, "export-layers", (j + 1.0) / n);
        }
    }
    if (!st) sz_emit(ctx, "export-layers: %d file(s) written\n", written);
    for (int j = 0; j < n; j++) free(files[j].path);
    free(files);
    return st;
}

static const char *const depths[] = {"keep", "8", "16", NULL};

static const sz_param params[] = {
    {"output", SZ_PARAM_OUTPUT_PATH, "File name pattern: %i index, %n name, %p group path, %% percent (also -o)",
     NULL, 0, -1, NULL},
    {"canvas", SZ_PARAM_BOOL, "Write each layer at the canvas size and position instead of its own bounds",
     NULL, 0, -1, NULL},
    {"skip-hidden", SZ_PARAM_BOOL, "Leave out layers that are hidden (or inside a hidden group)", NULL, 0, -1, NULL},
    {"depth", SZ_PARAM_CHOICE, "Bits per channel of the files", "keep", 0, -1, depths},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_export_layers = {
    .name = "export-layers",
    .summary = "write every layer (or a selection) to its own PNG/TIFF file, named by a pattern",
    .help = "Writes each selected pixel layer to its own file: -o 'parts/%02i_%n.png'\n"
            "gives parts/00_body.png, parts/01_face.png, ...  %i is the layer's index\n"
            "from the bottom (as `sozai info` shows it), %n its name, %p the path of\n"
            "its groups (written as folders).  Layers keep their own bounds unless\n"
            "--canvas asks for canvas-sized files.  Empty layers are skipped.",
    .params = params,
    .flags = SZ_OP_SELECTS_LAYERS,
    .run = run,
};
