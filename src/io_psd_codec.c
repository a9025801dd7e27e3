/*
 * io_psd_codec.c — PSD channel data: raw, PackBits RLE (u16 row counts in
 * PSD, u32 in PSB), ZIP and ZIP with prediction at 8, 16 and 32 bits; and
 * the text encodings of layer names.
 */
#include "psd.h"

#include <stdlib.h>
#include <zlib.h>

bool psd_big_key(const char key[4])
{
    static const char keys[][5] = {"LMsk", "Lr16", "Lr32", "Layr", "Mt16", "Mt32", "Mtrn", "Alph",
                                   "FMsk", "lnk2", "lnk3", "lnkE", "FXid", "FEid", "FELS", "PxSD",
                                   "pths", "extd", "extn", "cinf", "artd"};
    for (size_t i = 0; i < SZ_COUNTOF(keys); i++)
        if (!memcmp(keys[i], key, 4)) return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static size_t row_bytes_of(int w, int depth)
{
    return depth == 1 ? ((size_t)w + 7) / 8 : (size_t)w * (size_t)(depth / 8);
}

/* Stores one decoded file row (big-endian samples) into the destination. */
static void store_row(const psd_plane *o, int y, const uint8_t *row)
{
    uint8_t *d = o->dst + (size_t)y * o->dst_stride;
    size_t step = o->dst_step;
    switch (o->depth) {
    case 1:
        for (int x = 0; x < o->w; x++) d[x * step] = (row[x >> 3] >> (7 - (x & 7))) & 1;
        break;
    case 8:
        if (step == 1) memcpy(d, row, (size_t)o->w);
        else
            for (int x = 0; x < o->w; x++) d[x * step] = row[x];
        break;
    case 16:
        for (int x = 0; x < o->w; x++) {
            uint16_t v = (uint16_t)(row[2 * x] << 8 | row[2 * x + 1]);
            memcpy(d + x * step, &v, 2);
        }
        break;
    case 32:
        for (int x = 0; x < o->w; x++) {
            uint32_t u = (uint32_t)row[4 * x] << 24 | (uint32_t)row[4 * x + 1] << 16 |
                         (uint32_t)row[4 * x + 2] << 8 | row[4 * x + 3];
            float f;
            memcpy(&f, &u, 4);
            memcpy(d + x * step, &f, 4);
        }
        break;
    }
}

/* PackBits into exactly `n` bytes; a short row is padded with zeros and a
 * long one cut, as other readers do for sloppy writers.  Returns false
 * only when the packet stream itself runs past its end. */
static bool unpackbits(const uint8_t *in, size_t len, uint8_t *out, size_t n)
{
    size_t i = 0, o = 0;
    while (i < len && o < n) {
        int8_t h = (int8_t)in[i++];
        if (h >= 0) {
            size_t k = (size_t)h + 1;
            if (k > len - i) return false;
            size_t c = SZ_MIN(k, n - o);
            memcpy(out + o, in + i, c);
            o += c;
            i += k;
        } else if (h != -128) {
            size_t k = (size_t)(1 - h);
            if (i >= len) return false;
            size_t c = SZ_MIN(k, n - o);
            memset(out + o, in[i++], c);
            o += c;
        }
    }
    if (o < n) memset(out + o, 0, n - o);
    return true;
}

static void undo_prediction(uint8_t *row, int w, int depth)
{
    if (depth == 8) {
        for (int x = 1; x < w; x++) row[x] = (uint8_t)(row[x] + row[x - 1]);
    } else if (depth == 16) {
        unsigned prev = (unsigned)(row[0] << 8 | row[1]);
        for (int x = 1; x < w; x++) {
            unsigned v = (prev + (unsigned)(row[2 * x] << 8 | row[2 * x + 1])) & 0xffff;
            row[2 * x] = (uint8_t)(v >> 8), row[2 * x + 1] = (uint8_t)v;
            prev = v;
        }
    } else if (depth == 32) {
        /* bytes are delta-coded across the row, then de-interleaved: the
         * row holds all first bytes, then all second bytes, ... */
        size_t n = (size_t)w * 4;
        for (size_t i = 1; i < n; i++) row[i] = (uint8_t)(row[i] + row[i - 1]);
        uint8_t *tmp = malloc(n);
        if (!tmp) return;
        for (int x = 0; x < w; x++)
            for (int b = 0; b < 4; b++) tmp[4 * (size_t)x + (size_t)b] = row[(size_t)b * (size_t)w + (size_t)x];
        memcpy(row, tmp, n);
        free(tmp);
    }
}

static sz_status decode_zip(sz_ctx *ctx, const uint8_t *data, size_t len, bool predicted,
                            const psd_plane *o)
{
    size_t rb = row_bytes_of(o->w, o->depth), total;
    if (sz_mul_overflows(rb, (size_t)o->h, &total))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: channel too large");
    uint8_t *buf = sz_malloc(ctx, total);
    if (!buf) return SZ_ERR_NOMEM;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return sz_fail(ctx, SZ_ERR_NOMEM, "PSD: cannot start zlib");
    }
    z.next_in = (Bytef *)data;
    z.next_out = buf;
    size_t in_left = len, out_left = total;
    int zr = Z_OK;
    /* zlib counts in uInt: feed large channels in slices. */
    while (zr == Z_OK && out_left) {
        z.avail_in = (uInt)SZ_MIN(in_left, (size_t)1 << 30);
        z.avail_out = (uInt)SZ_MIN(out_left, (size_t)1 << 30);
        uInt ai = z.avail_in, ao = z.avail_out;
        zr = inflate(&z, Z_NO_FLUSH);
        in_left -= ai - z.avail_in;
        out_left -= ao - z.avail_out;
        if (zr == Z_BUF_ERROR && in_left == 0) break;
        if (zr == Z_BUF_ERROR) zr = Z_OK;
    }
    inflateEnd(&z);
    if (out_left) {
        free(buf);
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: compressed channel data is damaged or short");
    }
    for (int y = 0; y < o->h; y++) {
        uint8_t *row = buf + (size_t)y * rb;
        if (predicted) undo_prediction(row, o->w, o->depth);
        store_row(o, y, row);
    }
    free(buf);
    return SZ_OK;
}

sz_status psd_decode_channel(sz_ctx *ctx, const uint8_t *data, size_t len, bool psb, const psd_plane *o)
{
    if (o->w <= 0 || o->h <= 0) return SZ_OK;
    if (len < 2) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: channel data is missing");
    unsigned comp = (unsigned)(data[0] << 8 | data[1]);
    data += 2;
    len -= 2;
    size_t rb = row_bytes_of(o->w, o->depth);
    switch (comp) {
    case PSD_COMP_RAW: {
        if (rb && len / rb < (size_t)o->h) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: raw channel data is short");
        for (int y = 0; y < o->h; y++) store_row(o, y, data + (size_t)y * rb);
        return SZ_OK;
    }
    case PSD_COMP_RLE: {
        size_t cw = psb ? 4 : 2, table;
        if (sz_mul_overflows(cw, (size_t)o->h, &table) || table > len)
            return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: RLE row table is short");
        size_t *offs = sz_malloc_array(ctx, (size_t)o->h + 1, sizeof *offs);
        if (!offs) return SZ_ERR_NOMEM;
        offs[0] = table;
        bool bad = false;
        for (int y = 0; y < o->h; y++) {
            const uint8_t *c = data + (size_t)y * cw;
            size_t n = psb ? ((size_t)c[0] << 24 | (size_t)c[1] << 16 | (size_t)c[2] << 8 | c[3])
                           : ((size_t)c[0] << 8 | c[1]);
            if (n > len - offs[y]) {
                bad = true;
                break;
            }
            offs[y + 1] = offs[y] + n;
        }
        if (bad) {
            free(offs);
            return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: RLE rows run past the channel data");
        }
        int h = o->h;
        /* a small channel is decoded on one thread (see sz_threads) */
#pragma omp parallel num_threads(sz_threads(ctx)) if ((size_t)h * (size_t)o->w >= SZ_ONE_THREAD_PIXELS)
        {
            uint8_t *row = malloc(rb ? rb : 1);
            if (!row) bad = true;
#pragma omp for schedule(static)
            for (int y = 0; y < h; y++) {
                if (!row) continue;
                if (!unpackbits(data + offs[y], offs[y + 1] - offs[y], row, rb)) bad = true;
                store_row(o, y, row);
            }
            free(row);
        }
        free(offs);
        if (bad) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: RLE data is damaged");
        return SZ_OK;
    }
    case PSD_COMP_ZIP:
    case PSD_COMP_ZIP_PRED:
        return decode_zip(ctx, data, len, comp == PSD_COMP_ZIP_PRED, o);
    default:
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: unknown channel compression %u", comp);
    }
}

bool psd_data_can_back(const uint8_t *data, size_t len, int w, int h, int depth, bool psb, int planes)
{
    if (w <= 0 || h <= 0) return true;
    if (len < 2) return false;
    unsigned comp = (unsigned)(data[0] << 8 | data[1]);
    uint64_t rb = row_bytes_of(w, depth), rows = (uint64_t)h * (uint64_t)planes, need;
    switch (comp) {
    case PSD_COMP_RAW: need = rb * rows; break;
    case PSD_COMP_RLE: /* a 2-byte PackBits packet yields at most 128 bytes */
        need = rows * ((psb ? 4 : 2) + 2 * ((rb + 127) / 128));
        break;
    default: /* deflate expands at most about 1032:1 */
        need = rb * rows / 1032;
        break;
    }
    return need <= len - 2;
}

sz_status psd_decode_merged(sz_ctx *ctx, const uint8_t *data, size_t len, bool psb, int n,
                            const psd_plane *planes)
{
    if (len < 2) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: the merged image is missing");
    unsigned comp = (unsigned)(data[0] << 8 | data[1]);
    const psd_plane *o = &planes[0];
    size_t rb = row_bytes_of(o->w, o->depth), rows = (size_t)n * (size_t)o->h, total;
    if (sz_mul_overflows(rb, rows, &total)) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: merged image too large");
    data += 2;
    len -= 2;
    if (comp == PSD_COMP_RAW) {
        if (total > len) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: the merged image is short");
        for (size_t r = 0; r < rows; r++) store_row(&planes[r / (size_t)o->h], (int)(r % (size_t)o->h), data + r * rb);
        return SZ_OK;
    }
    if (comp == PSD_COMP_RLE) {
        size_t cw = psb ? 4 : 2, table;
        if (sz_mul_overflows(cw, rows, &table) || table > len)
            return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: the merged image's RLE table is short");
        uint8_t *row = sz_malloc(ctx, rb ? rb : 1);
        if (!row) return SZ_ERR_NOMEM;
        size_t at = table;
        for (size_t r = 0; r < rows; r++) {
            const uint8_t *c = data + r * cw;
            size_t k = psb ? ((size_t)c[0] << 24 | (size_t)c[1] << 16 | (size_t)c[2] << 8 | c[3])
                           : ((size_t)c[0] << 8 | c[1]);
            if (k > len - at || !unpackbits(data + at, k, row, rb)) {
                free(row);
                return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: the merged image's RLE data is damaged");
            }
            at += k;
            store_row(&planes[r / (size_t)o->h], (int)(r % (size_t)o->h), row);
        }
        free(row);
        return SZ_OK;
    }
    if (comp == PSD_COMP_ZIP || comp == PSD_COMP_ZIP_PRED) {
        /* one stream for all channels: decode as one tall plane per channel */
        uint8_t *buf = sz_malloc(ctx, total ? total : 1);
        if (!buf) return SZ_ERR_NOMEM;
        psd_plane all = {.dst = buf, .dst_stride = rb, .dst_step = 1, .w = (int)rb, .h = (int)rows, .depth = 8};
        sz_status st = decode_zip(ctx, data, len, false, &all);
        for (size_t r = 0; !st && r < rows; r++) {
            uint8_t *line = buf + r * rb;
            if (comp == PSD_COMP_ZIP_PRED) undo_prediction(line, o->w, o->depth);
            store_row(&planes[r / (size_t)o->h], (int)(r % (size_t)o->h), line);
        }
        free(buf);
        return st;
    }
    return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: unknown compression %u of the merged image", comp);
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

/* Eight bytes as one word, in memory order from its low byte. */
static inline uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#ifdef WORDS_BIGENDIAN
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The index of the first zero byte of a word, from its low byte; 8 if
 * none.  (A borrow can mark a byte above a zero one, never below it, so
 * the lowest mark is exact.) */
static inline unsigned first_zero_byte(uint64_t v)
{
    uint64_t z = (v - 0x0101010101010101u) & ~v & 0x8080808080808080u;
    return z ? (unsigned)__builtin_ctzll(z) / 8 : 8;
}

/* How many bytes from in[i] on repeat it, at most `cap`. */
static size_t run_length(const uint8_t *in, size_t i, size_t cap)
{
    size_t run = 1;
    uint64_t same = 0x0101010101010101u * in[i];
    while (run + 8 <= cap) {
        uint64_t diff = load8(in + i + run) ^ same;
        if (diff) return run + (unsigned)__builtin_ctzll(diff) / 8;
        run += 8;
    }
    while (run < cap && in[i + run] == in[i]) run++;
    return run;
}

/* How many bytes from in[i] on go into a literal: up to the first place
 * where three equal bytes begin (counted only where all three lie within
 * the row), at most `cap`. */
static size_t literal_length(const uint8_t *in, size_t i, size_t n, size_t cap)
{
    size_t lit = 0;
    /* eight starting places at a time while all three bytes of each lie
     * within the row */
    while (lit + 8 <= cap && i + lit + 10 <= n) {
        const uint8_t *q = in + i + lit;
        uint64_t a = load8(q), b = load8(q + 1), c = load8(q + 2);
        unsigned k = first_zero_byte((a ^ b) | (b ^ c));
        if (k < 8) return lit + k;
        lit += 8;
    }
    while (lit < cap) {
        size_t j = i + lit;
        if (j + 2 < n && in[j] == in[j + 1] && in[j] == in[j + 2]) break;
        lit++;
    }
    return lit;
}

size_t psd_packbits(const uint8_t *in, size_t n, uint8_t *out)
{
    /* PackBits: a repeat of 3 to 128 bytes is two bytes (257 - count,
     * value); anything else goes as literals of up to 128, each ending
     * where a repeat of three begins.  Found eight bytes at a time: most
     * of a layer's rows are long repeats (transparency, flat colour). */
    size_t i = 0, o = 0;
    while (i < n) {
        size_t run = run_length(in, i, SZ_MIN(n - i, (size_t)128));
        if (run >= 3) {
            out[o++] = (uint8_t)(257 - run);
            out[o++] = in[i];
            i += run;
            continue;
        }
        size_t lit = literal_length(in, i, n, SZ_MIN(n - i, (size_t)128));
        out[o++] = (uint8_t)(lit - 1);
        memcpy(out + o, in + i, lit);
        o += lit;
        i += lit;
    }
    return o;
}

static void deflate_into(sz_buf *b, const uint8_t *data, size_t n, int level)
{
    z_stream z = {0};
    if (deflateInit(&z, level ? level : 6) != Z_OK) {
        b->failed = true;
        return;
    }
    size_t bound = deflateBound(&z, (uLong)SZ_MIN(n, (size_t)ULONG_MAX)) + 64;
    if (!sz_buf_reserve(b, bound)) {
        deflateEnd(&z);
        return;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = b->data + b->len;
    z.avail_out = (uInt)bound;
    int zr = deflate(&z, Z_FINISH);
    if (zr != Z_STREAM_END) b->failed = true;
    else b->len += bound - z.avail_out;
    deflateEnd(&z);
}

void psd_encode_rows(sz_buf *b, const uint8_t *rows, size_t rb, int h, int depth, int compression,
                     bool psb, int level)
{
    size_t total = rb * (size_t)h;
    if (compression == PSD_COMP_RAW || total == 0) {
        sz_buf_be16(b, PSD_COMP_RAW);
        sz_buf_append(b, rows, total);
        return;
    }
    if (compression == PSD_COMP_ZIP || compression == PSD_COMP_ZIP_PRED) {
        sz_buf_be16(b, (unsigned)compression);
        if (compression == PSD_COMP_ZIP) {
            deflate_into(b, rows, total, level);
            return;
        }
        uint8_t *tmp = malloc(total);
        if (!tmp) {
            b->failed = true;
            return;
        }
        for (int y = 0; y < h; y++) {
            const uint8_t *s = rows + (size_t)y * rb;
            uint8_t *d = tmp + (size_t)y * rb;
            if (depth == 16) {
                unsigned prev = 0;
                for (size_t x = 0; x < rb / 2; x++) {
                    unsigned v = (unsigned)(s[2 * x] << 8 | s[2 * x + 1]);
                    unsigned dv = (v - prev) & 0xffff;
                    d[2 * x] = (uint8_t)(dv >> 8), d[2 * x + 1] = (uint8_t)dv;
                    prev = v;
                }
            } else {
                d[0] = s[0];
                for (size_t x = 1; x < rb; x++) d[x] = (uint8_t)(s[x] - s[x - 1]);
            }
        }
        deflate_into(b, tmp, total, level);
        free(tmp);
        return;
    }
    sz_buf_be16(b, PSD_COMP_RLE);
    size_t cw = psb ? 4 : 2;
    size_t table_at = b->len;
    sz_buf_zeros(b, cw * (size_t)h);
    for (int y = 0; y < h; y++) {
        if (!sz_buf_reserve(b, rb + rb / 128 + 2)) return;
        size_t n = psd_packbits(rows + (size_t)y * rb, rb, b->data + b->len);
        b->len += n;
        uint8_t *c = b->data + table_at + (size_t)y * cw;
        if (psb) c[0] = (uint8_t)(n >> 24), c[1] = (uint8_t)(n >> 16), c += 2;
        c[0] = (uint8_t)(n >> 8), c[1] = (uint8_t)n;
    }
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static bool valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (k == 9 || (k == 1 && c < 0xC2) || k > n - i - 1) return false;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return false;
        i += k + 1;
    }
    return true;
}

static void put_utf8(sz_buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        sz_buf_u8(b, cp);
    } else if (cp < 0x800) {
        sz_buf_u8(b, 0xC0 | cp >> 6), sz_buf_u8(b, 0x80 | (cp & 63));
    } else if (cp < 0x10000) {
        sz_buf_u8(b, 0xE0 | cp >> 12), sz_buf_u8(b, 0x80 | ((cp >> 6) & 63)), sz_buf_u8(b, 0x80 | (cp & 63));
    } else {
        sz_buf_u8(b, 0xF0 | cp >> 18), sz_buf_u8(b, 0x80 | ((cp >> 12) & 63));
        sz_buf_u8(b, 0x80 | ((cp >> 6) & 63)), sz_buf_u8(b, 0x80 | (cp & 63));
    }
}

static char *finish_string(sz_ctx *ctx, sz_buf *b)
{
    sz_buf_u8(b, 0);
    if (b->failed) {
        sz_buf_free(b);
        sz_fail(ctx, SZ_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return (char *)b->data;
}

char *psd_legacy_name_to_utf8(sz_ctx *ctx, const uint8_t *s, size_t n)
{
    /* Windows-1252's 0x80-0x9F; the rest of the upper half is Latin-1. */
    static const uint16_t cp1252[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    if (valid_utf8(s, n)) return sz_strndup(ctx, (const char *)s, n);
    sz_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        put_utf8(&b, c >= 0x80 && c < 0xA0 ? cp1252[c - 0x80] : c);
    }
    return finish_string(ctx, &b);
}

char *psd_utf16be_to_utf8(sz_ctx *ctx, const uint8_t *s, size_t units)
{
    sz_buf b = {0};
    for (size_t i = 0; i < units; i++) {
        uint32_t u = (uint32_t)(s[2 * i] << 8 | s[2 * i + 1]);
        if (u >= 0xD800 && u < 0xDC00 && i + 1 < units) {
            uint32_t lo = (uint32_t)(s[2 * i + 2] << 8 | s[2 * i + 3]);
            if (lo >= 0xDC00 && lo < 0xE000) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                u = 0xFFFD;
            }
        } else if (u >= 0xD800 && u < 0xE000) {
            u = 0xFFFD;
        }
        if (u == 0 && i + 1 == units) break; /* a trailing NUL some writers add */
        put_utf8(&b, u);
    }
    return finish_string(ctx, &b);
}

uint32_t psd_utf8_to_utf16be(sz_buf *b, const char *utf8)
{
    const uint8_t *s = (const uint8_t *)utf8;
    uint32_t units = 0;
    while (*s) {
        uint32_t cp;
        int k;
        if (*s < 0x80) cp = *s, k = 0;
        else if ((*s & 0xE0) == 0xC0) cp = *s & 31, k = 1;
        else if ((*s & 0xF0) == 0xE0) cp = *s & 15, k = 2;
        else if ((*s & 0xF8) == 0xF0) cp = *s & 7, k = 3;
        else cp = 0xFFFD, k = 0;
        s++;
        for (int j = 0; j < k; j++, s++) {
            if ((*s & 0xC0) != 0x80) {
                cp = 0xFFFD;
                break;
            }
            cp = cp << 6 | (*s & 63);
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            sz_buf_be16(b, 0xD800 + (cp >> 10));
            sz_buf_be16(b, 0xDC00 + (cp & 1023));
            units += 2;
        } else {
            sz_buf_be16(b, cp);
            units++;
        }
    }
    return units;
}
