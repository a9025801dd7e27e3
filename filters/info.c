/*
 * info — the document's structure: canvas, depth, colour, and the layer
 * tree as a layer panel shows it (top first), as text or JSON.
 */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>

static const char *mode_name(sz_source_mode m)
{
    static const char *names[] = {"RGB", "Gray", "Indexed", "CMYK", "Lab", "Bitmap", "Duotone", "Multichannel"};
    return (unsigned)m < SZ_COUNTOF(names) ? names[m] : "?";
}

static void json_string(sz_buf *b, const char *s)
{
    sz_buf_u8(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') sz_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20) sz_buf_printf(b, "\\u%04x", *p);
        else sz_buf_u8(b, *p);
    }
    sz_buf_u8(b, '"');
}

/* Index of each pixel layer in painting order, found by pointer. */
static int pixel_index(sz_layer **pix, int n, const sz_layer *l)
{
    for (int i = 0; i < n; i++)
        if (pix[i] == l) return i;
    return -1;
}

static void text_layer(sz_buf *b, const sz_layer *l, int depth, sz_layer **pix, int npix)
{
    for (int i = l->nchildren - 1; i >= 0; i--) {
        const sz_layer *c = l->children[i];
        sz_buf_printf(b, "%*s", 2 + 2 * depth, "");
        if (c->kind == SZ_LAYER_GROUP) {
            sz_buf_printf(b, "[group] \"%s\"  %s %d%%%s%s\n", c->name, sz_blend_name(c->blend),
                          (c->opacity * 100 + 127) / 255, c->visible ? "" : "  hidden",
                          c->open ? "" : "  closed");
            text_layer(b, c, depth + 1, pix, npix);
            continue;
        }
        const sz_image *im = c->image;
        sz_buf_printf(b, "#%d \"%s\"  ", pixel_index(pix, npix, c), c->name);
        if (im && im->w && im->h)
            sz_buf_printf(b, "%dx%d at %d,%d  %d-bit", im->w, im->h, c->x, c->y, im->depth);
        else
            sz_buf_printf(b, "empty");
        sz_buf_printf(b, "  %s %d%%", sz_blend_name(c->blend), (c->opacity * 100 + 127) / 255);
        if (c->fill_opacity != 255) sz_buf_printf(b, " fill %d%%", (c->fill_opacity * 100 + 127) / 255);
        if (!c->visible) sz_buf_printf(b, "  hidden");
        if (c->clipping) sz_buf_printf(b, "  clipped");
        if (c->mask)
            sz_buf_printf(b, "  mask %dx%d at %d,%d%s", c->mask->w, c->mask->h, c->mask->x, c->mask->y,
                          c->mask->flags & 2 ? " (disabled)" : "");
        if (c->extra.count) sz_buf_printf(b, "  +%d block(s)", c->extra.count);
        sz_buf_printf(b, "\n");
    }
}

static void json_layers(sz_buf *b, const sz_layer *l, sz_layer **pix, int npix)
{
    sz_buf_printf(b, "[");
    for (int i = l->nchildren - 1; i >= 0; i--) {
        const sz_layer *c = l->children[i];
        const sz_image *im = c->image;
        if (i != l->nchildren - 1) sz_buf_printf(b, ",");
        sz_buf_printf(b, "{\"kind\":\"%s\",\"name\":", c->kind == SZ_LAYER_GROUP ? "group" : "pixel");
        json_string(b, c->name);
        if (c->kind == SZ_LAYER_PIXEL)
            sz_buf_printf(b, ",\"index\":%d,\"x\":%d,\"y\":%d,\"width\":%d,\"height\":%d,\"depth\":%d",
                          pixel_index(pix, npix, c), c->x, c->y, im ? im->w : 0, im ? im->h : 0,
                          im ? im->depth : 0);
        sz_buf_printf(b, ",\"visible\":%s,\"opacity\":%d,\"fill_opacity\":%d,\"blend\":\"%s\","
                         "\"clipping\":%s,\"id\":%u",
                      c->visible ? "true" : "false", c->opacity, c->fill_opacity, sz_blend_name(c->blend),
                      c->clipping ? "true" : "false", c->id);
        if (c->mask)
            sz_buf_printf(b, ",\"mask\":{\"x\":%d,\"y\":%d,\"width\":%d,\"height\":%d,\"default\":%d,\"disabled\":%s}",
                          c->mask->x, c->mask->y, c->mask->w, c->mask->h, c->mask->default_color,
                          c->mask->flags & 2 ? "true" : "false");
        if (c->kind == SZ_LAYER_GROUP) {
            sz_buf_printf(b, ",\"open\":%s,\"children\":", c->open ? "true" : "false");
            json_layers(b, c, pix, npix);
        }
        sz_buf_printf(b, "}");
    }
    sz_buf_printf(b, "]");
}

static sz_status run(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    sz_layer **pix;
    int npix;
    sz_status st = sz_doc_pixel_layers(ctx, doc, &pix, &npix);
    if (st) return st;
    int groups = sz_doc_layer_count(doc) - npix;
    sz_buf b = {0};
    if (sz_arg_bool(args, "json")) {
        sz_buf_printf(&b, "{\"width\":%d,\"height\":%d,\"depth\":%d,\"source\":{\"format\":\"%s\","
                          "\"mode\":\"%s\",\"depth\":%d%s},\"ppi\":%g,\"color\":",
                      doc->w, doc->h, doc->depth, sz_format_name(doc->source_format),
                      mode_name(doc->source_mode), doc->source_depth, doc->psb ? ",\"psb\":true" : "",
                      doc->ppi);
        json_string(&b, doc->color_desc);
        sz_buf_printf(&b, ",\"icc_bytes\":%zu,\"layer_count\":%d,\"group_count\":%d,\"layers\":",
                      doc->icc_len, npix, groups);
        json_layers(&b, doc->root, pix, npix);
        sz_buf_printf(&b, "}\n");
    } else {
        sz_buf_printf(&b, "canvas: %dx%d, %d-bit RGBA", doc->w, doc->h, doc->depth);
        if (doc->ppi > 0) sz_buf_printf(&b, ", %g ppi", doc->ppi);
        sz_buf_printf(&b, "\nsource: %s%s, %s, %d bits per sample\n", sz_format_name(doc->source_format),
                      doc->psb ? " (PSB)" : "", mode_name(doc->source_mode), doc->source_depth);
        sz_buf_printf(&b, "colour: %s\n", doc->color_desc);
        if (doc->resources.count || doc->global_blocks.count)
            sz_buf_printf(&b, "kept verbatim: %d image resource(s), %d global block(s)\n",
                          doc->resources.count, doc->global_blocks.count);
        sz_buf_printf(&b, "layers: %d, groups: %d (top first; #index counts from the bottom)\n", npix, groups);
        text_layer(&b, doc->root, 0, pix, npix);
    }
    sz_buf_u8(&b, 0);
    st = sz_buf_check(ctx, &b);
    if (!st) sz_emit(ctx, "%s", (const char *)b.data);
    sz_buf_free(&b);
    free(pix);
    return st;
}

static const sz_param params[] = {
    {"json", SZ_PARAM_BOOL, "Print JSON instead of text", NULL, 0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_info = {
    .name = "info",
    .summary = "describe the document: canvas, depth, colour profile, layer tree",
    .help = "Prints the canvas size, depth, colour space and the layer tree as a layer\n"
            "panel shows it (top first).  Each pixel layer has an index counted from the\n"
            "bottom (painting order), the index --layers accepts.  With --json the same\n"
            "as one JSON object, for scripts and plug-ins.",
    .params = params,
    .flags = 0,
    .run = run,
};
