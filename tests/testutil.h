/*
 * testutil.h — helpers the Check suites share: where the third-party test
 * data lives, directory listings, synthetic images, pixel comparison.
 */
#ifndef SOZAI_TESTUTIL_H
#define SOZAI_TESTUTIL_H

#include "internal.h"

#include <check.h>
#include <stdio.h>

/** ../shared/testdata (from $SOZAI_TESTDATA); NULL when absent. */
const char *tu_testdata(void);
/** Joins the test data folder and a relative path (static buffer). */
const char *tu_data_path(const char *rel);
/** Sorted names in a folder whose names end with `suffix` (NULL = all
 *  regular files).  Returns the count; free with tu_free_list. */
int tu_list(const char *dir, const char *suffix, char ***names);
void tu_free_list(char **names, int n);

/** A deterministic pseudo-random image (xorshift), alpha varied. */
sz_image *tu_random_image(sz_ctx *ctx, int w, int h, int depth, uint32_t seed);
/** Pixel equality of two images (size, depth and every sample). */
bool tu_same_pixels(const sz_image *a, const sz_image *b);
/** The lone layer image of a flat document (borrowed). */
sz_image *tu_doc_image(sz_doc *doc);
/** Reads a netpbm P4/P5/P6 file into an RGBA image (references). */
sz_image *tu_read_pnm(sz_ctx *ctx, const char *path);
/** Bytes of a whole file (malloc'd) or NULL. */
uint8_t *tu_read_file(const char *path, size_t *len);

/** Draws an anti-aliased polyline of straight-alpha colour `rgb` (8-bit
 *  values) whose width goes from w0 at the first point to w1 at the last,
 *  over what the image holds (coverage by distance to the centre line). */
void tu_draw_polyline(sz_image *img, const float *xy, int n, float w0, float w1, const uint8_t rgb[3]);
/** Sets every pixel of the rectangle [x0,x1) x [y0,y1) to one RGBA value. */
void tu_fill_rect(sz_image *img, int x0, int y0, int x1, int y1, const uint16_t rgba[4]);
/** A document with one layer holding `img` (taken) over its whole canvas. */
sz_doc *tu_doc_of(sz_ctx *ctx, sz_image *img, const char *name);
/** Runs the operation `name` with key/value arguments (NULL-terminated). */
sz_status tu_run_op(sz_ctx *ctx, sz_doc *doc, const char *name, const char *const *kv);
/** Pixels where a and b differ although a was visible (alpha > 0) and
 *  `hidden` (may be NULL; 8-bit alpha image of the canvas) is 0. */
long tu_changed_visible(const sz_image *a, const sz_image *b, const sz_image *hidden);

/** Runs a suite and returns the number of failures (main's exit code). */
int tu_run(Suite *s);

#define TU_SKIP_WITHOUT_DATA()                                                   \
    do {                                                                         \
        if (!tu_testdata()) {                                                    \
            fprintf(stderr, "skipped: no test data (set SOZAI_TESTDATA)\n");     \
            return;                                                              \
        }                                                                        \
    } while (0)

#endif
