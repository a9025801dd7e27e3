/*
 * io_pam.c — netpbm PAM (P7), the simplest exact interchange format: raw
 * samples, big-endian at 16 bits.  Handy in pipes and for tests.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads the next header token into `tok`; false at the end of the data. */
static bool next_token(const uint8_t *d, size_t len, size_t *pos, char *tok, size_t cap)
{
    size_t p = *pos;
    for (;;) {
        while (p < len && isspace(d[p])) p++;
        if (p < len && d[p] == '#') {
            while (p < len && d[p] != '\n') p++;
            continue;
        }
        break;
    }
    size_t n = 0;
    while (p < len && !isspace(d[p]) && n + 1 < cap) tok[n++] = (char)d[p++];
    tok[n] = '\0';
    *pos = p;
    return n > 0;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s)) return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > max) return false;
    *out = v;
    return true;
}

sz_status sz_pam_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    size_t pos = 3;
    char tok[80], tupl[80] = "";
    unsigned long w = 0, h = 0, depth = 0, maxval = 0;
    *out = NULL;
    for (;;) {
        if (!next_token(data, len, &pos, tok, sizeof tok))
            return sz_fail(ctx, SZ_ERR_FORMAT, "PAM: header ends early");
        if (!strcmp(tok, "ENDHDR")) break;
        char val[80];
        if (!next_token(data, len, &pos, val, sizeof val))
            return sz_fail(ctx, SZ_ERR_FORMAT, "PAM: header ends early");
        bool ok = true;
        if (!strcmp(tok, "WIDTH")) ok = parse_uint(val, INT32_MAX, &w);
        else if (!strcmp(tok, "HEIGHT")) ok = parse_uint(val, INT32_MAX, &h);
        else if (!strcmp(tok, "DEPTH")) ok = parse_uint(val, 4, &depth);
        else if (!strcmp(tok, "MAXVAL")) ok = parse_uint(val, 65535, &maxval);
        else if (!strcmp(tok, "TUPLTYPE")) snprintf(tupl, sizeof tupl, "%s", val);
        if (!ok) return sz_fail(ctx, SZ_ERR_FORMAT, "PAM: bad %s value", tok);
    }
    if (pos < len && data[pos] == '\n') pos++;
    if (!w || !h || !depth || !maxval)
        return sz_fail(ctx, SZ_ERR_FORMAT, "PAM: WIDTH, HEIGHT, DEPTH and MAXVAL are required");
    sz_status st = sz_check_canvas_size(ctx, (int64_t)w, (int64_t)h);
    if (!st) st = sz_check_layer_size(ctx, (int64_t)w, (int64_t)h);
    if (st) return st;
    int bytes = maxval > 255 ? 2 : 1;
    uint64_t need = (uint64_t)w * h * depth * (uint64_t)bytes;
    if (need > len - pos) return sz_fail(ctx, SZ_ERR_FORMAT, "PAM: file is truncated");
    bool has_alpha = depth == 2 || depth == 4;
    bool gray = depth <= 2;
    int img_depth = bytes == 2 ? 16 : 8;
    sz_doc *doc = sz_doc_new(ctx, (int)w, (int)h);
    sz_image *img = doc ? sz_image_new(ctx, (int)w, (int)h, img_depth) : NULL;
    sz_layer *l = img ? sz_layer_new(ctx, doc->root, SZ_LAYER_PIXEL, "image") : NULL;
    if (!l) {
        sz_image_free(img);
        sz_doc_free(doc);
        return ctx->status;
    }
    unsigned full = img_depth == 16 ? 65535u : 255u;
    const uint8_t *p = data + pos;
    for (unsigned long y = 0; y < h; y++)
        for (unsigned long x = 0; x < w; x++) {
            unsigned s[4];
            for (unsigned long c = 0; c < depth; c++) {
                unsigned v = bytes == 2 ? (unsigned)(p[0] << 8 | p[1]) : p[0];
                p += bytes;
                if (v > maxval) v = (unsigned)maxval;
                s[c] = maxval == full ? v : (unsigned)((v * (uint64_t)full + maxval / 2) / maxval);
            }
            uint16_t px[4];
            px[0] = (uint16_t)s[0];
            px[1] = (uint16_t)(gray ? s[0] : s[1]);
            px[2] = (uint16_t)(gray ? s[0] : s[2]);
            px[3] = (uint16_t)(has_alpha ? s[depth - 1] : full);
            if (img_depth == 16) {
                memcpy(sz_row16(img, (int)y) + 4 * x, px, sizeof px);
            } else {
                uint8_t *q = sz_row8(img, (int)y) + 4 * x;
                for (int c = 0; c < 4; c++) q[c] = (uint8_t)px[c];
            }
        }
    sz_layer_set_image(l, img);
    doc->depth = img_depth;
    doc->source_depth = img_depth;
    doc->source_format = SZ_FORMAT_PAM;
    doc->source_mode = gray ? SZ_MODE_GRAY : SZ_MODE_RGB;
    *out = doc;
    return SZ_OK;
}

sz_status sz_pam_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt, sz_buf *out)
{
    int depth = opt->depth ? opt->depth : doc->depth;
    bool owned;
    sz_image *img = sz_doc_flat_image(ctx, doc, depth, "PAM", &owned);
    if (!img) return ctx->status;
    sz_buf_printf(out, "P7\nWIDTH %d\nHEIGHT %d\nDEPTH 4\nMAXVAL %d\nTUPLTYPE RGB_ALPHA\nENDHDR\n",
                  img->w, img->h, depth == 16 ? 65535 : 255);
    for (int y = 0; y < img->h; y++) {
        if (depth == 8) {
            sz_buf_append(out, sz_row8(img, y), img->stride);
        } else {
            const uint16_t *r = sz_row16(img, y);
            for (int i = 0; i < img->w * 4; i++) sz_buf_be16(out, r[i]);
        }
    }
    if (owned) sz_image_free(img);
    return SZ_OK;
}
