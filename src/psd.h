/*
 * psd.h — what the PSD reader and writer share: format constants, the
 * bounded big-endian reader, and channel (de)compression.
 *
 * Format authority: Adobe's "Photoshop File Formats Specification".  Things
 * the spec leaves unsaid follow what Photoshop writes and psd-tools,
 * GIMP and Krita read (see DESIGN.md).
 */
#ifndef SOZAI_PSD_H
#define SOZAI_PSD_H

#include "internal.h"

enum {
    PSD_COMP_RAW = 0,
    PSD_COMP_RLE = 1,
    PSD_COMP_ZIP = 2,
    PSD_COMP_ZIP_PRED = 3,
};

enum {
    PSD_MODE_BITMAP = 0,
    PSD_MODE_GRAY = 1,
    PSD_MODE_INDEXED = 2,
    PSD_MODE_RGB = 3,
    PSD_MODE_CMYK = 4,
    PSD_MODE_MULTICHANNEL = 7,
    PSD_MODE_DUOTONE = 8,
    PSD_MODE_LAB = 9,
};

/* Layer record flag bits. */
enum {
    PSD_FLAG_PROTECT_ALPHA = 1,
    PSD_FLAG_HIDDEN = 2,      /* the spec calls it "visible"; set means hidden */
    PSD_FLAG_BIT4_USEFUL = 8,
    PSD_FLAG_IRRELEVANT = 16, /* pixel data irrelevant to the appearance */
};

/* Section divider types ('lsct' / 'lsdk'). */
enum { PSD_SECTION_OTHER = 0, PSD_SECTION_OPEN = 1, PSD_SECTION_CLOSED = 2, PSD_SECTION_DIVIDER = 3 };

#define PSD_MAX_SIDE 30000
#define PSB_MAX_SIDE 300000
#define PSD_MAX_CHANNELS 56

/** Whether a tagged block's length field is 8 bytes in a PSB. */
SZ_INTERNAL bool psd_big_key(const char key[4]);

/* ------------------------------------------------------------------ */
/* Bounded reading                                                     */
/* ------------------------------------------------------------------ */

/** A window of the file.  Reads past its end set `bad` and return zeros,
 *  so parsing code checks once, after a group of reads. */
typedef struct psd_rd {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
} psd_rd;

static inline bool rd_has(psd_rd *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return false;
    }
    return true;
}
static inline uint8_t rd_u8(psd_rd *r) { return rd_has(r, 1) ? r->p[r->pos++] : 0; }
static inline uint16_t rd_u16(psd_rd *r)
{
    if (!rd_has(r, 2)) return 0;
    uint16_t v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
    r->pos += 2;
    return v;
}
static inline uint32_t rd_u32(psd_rd *r)
{
    if (!rd_has(r, 4)) return 0;
    const uint8_t *q = r->p + r->pos;
    r->pos += 4;
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}
static inline uint64_t rd_u64(psd_rd *r)
{
    uint64_t hi = rd_u32(r);
    return hi << 32 | rd_u32(r);
}
/** A length field: 4 bytes in PSD, 8 in PSB where `wide`. */
static inline uint64_t rd_len(psd_rd *r, bool wide) { return wide ? rd_u64(r) : rd_u32(r); }
static inline const uint8_t *rd_bytes(psd_rd *r, uint64_t n)
{
    if (n > SIZE_MAX || !rd_has(r, (size_t)n)) return NULL;
    const uint8_t *q = r->p + r->pos;
    r->pos += (size_t)n;
    return q;
}
/** A sub-window of `n` bytes, advancing the parent past it. */
static inline psd_rd rd_sub(psd_rd *r, uint64_t n)
{
    psd_rd s = {0};
    const uint8_t *q = rd_bytes(r, n);
    if (q) s.p = q, s.len = (size_t)n;
    else s.bad = true;
    return s;
}

/* ------------------------------------------------------------------ */
/* Channels                                                            */
/* ------------------------------------------------------------------ */

/** Where decoded channel rows go: sample (x, y) of the channel lands at
 *  `dst + y * dst_stride + x * dst_step` (bytes, samples big-endian in
 *  the source are stored host-order for 16 bits, as float for 32). */
typedef struct psd_plane {
    uint8_t *dst;
    size_t dst_stride, dst_step;
    int w, h;
    int depth;        /* 1, 8, 16 or 32 bits per sample in the file */
} psd_plane;

/** Decodes one channel's data (starting with its 2-byte compression) into
 *  `out`.  Samples are written at the file's depth: 16-bit as host-order
 *  uint16, 32-bit as host-order float, 1-bit unpacked to one byte (0/1).
 *  Rows decode in parallel where the compression allows. */
SZ_INTERNAL sz_status psd_decode_channel(sz_ctx *ctx, const uint8_t *data, size_t len, bool psb,
                                         const psd_plane *out);

/** Whether `len` bytes of channel data (with its compression field) can
 *  possibly hold `planes` planes of w x h: checked before allocating the
 *  pixels a file claims, so a few bytes cannot make us allocate gigabytes. */
SZ_INTERNAL bool psd_data_can_back(const uint8_t *data, size_t len, int w, int h, int depth, bool psb, int planes);

/** Decodes the merged (composite) image: `n` channels of the canvas stored
 *  one after another, with one compression field for all. */
SZ_INTERNAL sz_status psd_decode_merged(sz_ctx *ctx, const uint8_t *data, size_t len, bool psb, int n,
                                        const psd_plane *planes);

/** Encodes one channel of `h` rows of `row_bytes` (big-endian samples) into
 *  `b`: the 2-byte compression field, then the data.  `depth` is 8 or 16. */
SZ_INTERNAL void psd_encode_rows(sz_buf *b, const uint8_t *rows, size_t row_bytes, int h, int depth,
                                 int compression, bool psb, int level);

/** PackBits-encodes one row into `out` (capacity >= n + n / 128 + 2);
 *  returns the encoded length. */
SZ_INTERNAL size_t psd_packbits(const uint8_t *in, size_t n, uint8_t *out);

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/** A legacy (Pascal) layer name as UTF-8: kept when it already is valid
 *  UTF-8, otherwise read as Windows-1252.  Returns a malloc'd string. */
SZ_INTERNAL char *psd_legacy_name_to_utf8(sz_ctx *ctx, const uint8_t *s, size_t n);
/** UTF-16BE (with its code unit count) to malloc'd UTF-8, a trailing NUL
 *  unit dropped. */
SZ_INTERNAL char *psd_utf16be_to_utf8(sz_ctx *ctx, const uint8_t *s, size_t units);
/** Appends `utf8` as UTF-16BE code units to `b`; returns the unit count. */
SZ_INTERNAL uint32_t psd_utf8_to_utf16be(sz_buf *b, const char *utf8);

#endif
