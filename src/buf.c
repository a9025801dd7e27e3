/*
 * buf.c — a growable byte buffer for encoders and text, and the verbatim
 * blob lists that carry unknown file blocks through a round trip.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

bool sz_buf_reserve(sz_buf *b, size_t extra)
{
    if (b->failed) return false;
    if (extra > SIZE_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void sz_buf_append(sz_buf *b, const void *p, size_t n)
{
    if (!n || !sz_buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void sz_buf_printf(sz_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0 && sz_buf_reserve(b, (size_t)n + 1)) {
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void sz_buf_u8(sz_buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    sz_buf_append(b, &x, 1);
}

void sz_buf_be16(sz_buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    sz_buf_append(b, x, 2);
}

void sz_buf_be32(sz_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    sz_buf_append(b, x, 4);
}

void sz_buf_be64(sz_buf *b, uint64_t v)
{
    sz_buf_be32(b, (uint32_t)(v >> 32));
    sz_buf_be32(b, (uint32_t)v);
}

void sz_buf_zeros(sz_buf *b, size_t n)
{
    if (!n || !sz_buf_reserve(b, n)) return;
    memset(b->data + b->len, 0, n);
    b->len += n;
}

void sz_buf_free(sz_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

sz_status sz_buf_check(sz_ctx *ctx, const sz_buf *b)
{
    if (b->failed) return sz_fail(ctx, SZ_ERR_NOMEM, "out of memory while encoding");
    return SZ_OK;
}

sz_status sz_blob_list_add(sz_ctx *ctx, sz_blob_list *list, const char sig[4], const char key[4],
                           uint16_t id, const char *name, const void *data, size_t len)
{
    if (list->count == list->cap) {
        int cap = list->cap ? list->cap * 2 : 8;
        sz_blob *items = sz_realloc_array(ctx, list->items, (size_t)cap, sizeof *items);
        if (!items) return SZ_ERR_NOMEM;
        list->items = items;
        list->cap = cap;
    }
    sz_blob *b = &list->items[list->count];
    memset(b, 0, sizeof *b);
    if (sig) memcpy(b->sig, sig, 4);
    if (key) memcpy(b->key, key, 4);
    b->id = id;
    if (name && !(b->name = sz_strdup(ctx, name))) return SZ_ERR_NOMEM;
    b->data = sz_malloc(ctx, len);
    if (!b->data) {
        free(b->name);
        return SZ_ERR_NOMEM;
    }
    if (len) memcpy(b->data, data, len);
    b->len = len;
    list->count++;
    return SZ_OK;
}

sz_status sz_blob_list_copy(sz_ctx *ctx, sz_blob_list *dst, const sz_blob_list *src)
{
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->count; i++) {
        const sz_blob *b = &src->items[i];
        sz_status st = sz_blob_list_add(ctx, dst, b->sig, b->key, b->id, b->name, b->data, b->len);
        if (st) {
            sz_blob_list_free(dst);
            return st;
        }
    }
    return SZ_OK;
}

void sz_blob_list_free(sz_blob_list *list)
{
    for (int i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].data);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

const sz_blob *sz_blob_list_find_key(const sz_blob_list *list, const char key[4])
{
    for (int i = 0; i < list->count; i++)
        if (!memcmp(list->items[i].key, key, 4)) return &list->items[i];
    return NULL;
}
