/*
 * select.c — the one layer selection every operation shares:
 *   --layers 'face,hair*,Body/arm?,3,5-7,!*shadow*'
 * Items are separated by commas.  Digits (or a range a-b) are indexes into
 * the pixel layers in painting order (0 = bottom, as `sozai info` shows);
 * an item with '/' matches the group path ("Group/Sub/Name"); anything else
 * matches the name; '*' and '?' are wildcards; '=' before an item takes it
 * literally as a name; '!' before an item removes what it matches.  A group
 * matched by name or path selects every pixel layer inside it.
 */
#include "op.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>

sz_status sz_doc_pixel_layers(sz_ctx *ctx, sz_doc *doc, sz_layer ***out, int *count)
{
    int n = sz_doc_flatten_tree(doc, NULL, 0);
    sz_layer **all = sz_malloc_array(ctx, (size_t)(n ? n : 1), sizeof *all);
    if (!all) return SZ_ERR_NOMEM;
    sz_doc_flatten_tree(doc, all, n);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (all[i]->kind == SZ_LAYER_PIXEL) all[k++] = all[i];
    *out = all;
    *count = k;
    return SZ_OK;
}

char *sz_layer_path(sz_ctx *ctx, const sz_layer *l)
{
    size_t len = 0;
    for (const sz_layer *p = l; p && p->parent; p = p->parent) len += strlen(p->name) + 1;
    if (len) len--; /* separators sit between names */
    char *s = sz_malloc(ctx, len + 1);
    if (!s) return NULL;
    s[len] = '\0';
    size_t end = len;
    for (const sz_layer *p = l; p && p->parent; p = p->parent) {
        size_t n = strlen(p->name);
        end -= n;
        memcpy(s + end, p->name, n);
        if (end) s[--end] = '/';
    }
    return s;
}

static bool is_inside(const sz_layer *l, const sz_layer *group)
{
    for (const sz_layer *p = l->parent; p; p = p->parent)
        if (p == group) return true;
    return false;
}

static bool parse_index_range(const char *s, long *lo, long *hi)
{
    char *end;
    if (!isdigit((unsigned char)*s)) return false;
    *lo = strtol(s, &end, 10);
    if (!*end) {
        *hi = *lo;
        return true;
    }
    if (*end != '-' || !isdigit((unsigned char)end[1])) return false;
    *hi = strtol(end + 1, &end, 10);
    return !*end && *hi >= *lo;
}

/* Whether node `l` (layer or group) matches one name/path pattern. */
static bool node_matches(sz_ctx *ctx, const sz_layer *l, const char *pat, bool literal, bool *oom)
{
    if (literal) return !strcmp(l->name, pat);
    if (strchr(pat, '/')) {
        char *path = sz_layer_path(ctx, l);
        if (!path) {
            *oom = true;
            return false;
        }
        bool m = fnmatch(pat, path, 0) == 0;
        free(path);
        return m;
    }
    return fnmatch(pat, l->name, 0) == 0;
}

sz_status sz_select_layers_spec(sz_ctx *ctx, sz_doc *doc, const char *spec, sz_layer ***out,
                                int *count)
{
    sz_layer **pix;
    int npix;
    *out = NULL;
    *count = 0;
    sz_status st = sz_doc_pixel_layers(ctx, doc, &pix, &npix);
    if (st) return st;
    if (!spec) {
        *out = pix;
        *count = npix;
        return SZ_OK;
    }
    int nall = sz_doc_flatten_tree(doc, NULL, 0);
    sz_layer **all = sz_malloc_array(ctx, (size_t)(nall ? nall : 1), sizeof *all);
    char *copy = sz_strdup(ctx, spec);
    signed char *chosen = sz_calloc(ctx, (size_t)(npix ? npix : 1), 1);
    if (!all || !copy || !chosen) {
        free(all), free(copy), free(chosen), free(pix);
        return SZ_ERR_NOMEM;
    }
    sz_doc_flatten_tree(doc, all, nall);
    /* A spec made only of exclusions starts from everything. */
    bool only_excludes = true;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
        if (*item != '!') only_excludes = false;
    if (only_excludes) memset(chosen, 1, (size_t)npix);
    strcpy(copy, spec);

    bool oom = false;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item && !st;
         item = strtok_r(NULL, ",", &save)) {
        bool exclude = *item == '!';
        if (exclude) item++;
        bool literal = *item == '=';
        if (literal) item++;
        int hits = 0;
        long lo, hi;
        if (!literal && parse_index_range(item, &lo, &hi)) {
            if (hi >= npix) {
                st = sz_fail(ctx, SZ_ERR_ARG, "--layers: index %ld is out of range (the document has %d layers, 0-%d)",
                             hi, npix, npix - 1);
                break;
            }
            for (long i = lo; i <= hi; i++) chosen[i] = !exclude, hits++;
            continue;
        }
        for (int j = 0; j < nall && !oom; j++) {
            if (!node_matches(ctx, all[j], item, literal, &oom)) continue;
            for (int i = 0; i < npix; i++)
                if (pix[i] == all[j] || (all[j]->kind == SZ_LAYER_GROUP && is_inside(pix[i], all[j])))
                    chosen[i] = !exclude, hits++;
        }
        if (oom) st = SZ_ERR_NOMEM;
        else if (!hits && !exclude)
            st = sz_fail(ctx, SZ_ERR_ARG, "--layers: no layer matches \"%s\"", item);
    }
    int k = 0;
    for (int i = 0; i < npix; i++)
        if (chosen[i] > 0) pix[k++] = pix[i];
    free(all);
    free(copy);
    free(chosen);
    if (st) {
        free(pix);
        return st;
    }
    *out = pix;
    *count = k;
    return SZ_OK;
}

sz_status sz_select_layers(sz_ctx *ctx, sz_doc *doc, const sz_args *args, sz_layer ***out, int *count)
{
    return sz_select_layers_spec(ctx, doc, sz_arg_str(args, "layers"), out, count);
}
