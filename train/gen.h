/*
 * gen.h — procedural training parts for the learned model: a part of
 * some kind (smooth blob, straight-edged plate, hair-like strand, two
 * shapes joined) and an occluder of another, placed the way layers of an
 * illustration overlap.  Only generated data: no artwork is used.
 */
#ifndef SOZAI_TRAIN_GEN_H
#define SOZAI_TRAIN_GEN_H

#include <stdint.h>

typedef struct gen_rng {
    uint64_t s;
} gen_rng;

/** A generator seeded from (seed, stream): the same pair always gives
 *  the same numbers, so samples do not depend on which thread made them. */
gen_rng gen_rng_make(uint64_t seed, uint64_t stream);
double gen_uniform(gen_rng *r, double lo, double hi);

typedef struct gen_case {
    int w, h;
    float *part;     /* w*h: the complete part's coverage (the truth) */
    float *occluder; /* w*h: the occluder's coverage */
} gen_case;

/** Draws one case: the occluder hides 12-45% of the part and reaches
 *  beyond it.  Returns 0 on success, -1 when out of memory. */
int gen_case_make(gen_rng *r, gen_case *c);
void gen_case_free(gen_case *c);

struct sz_ctx;
struct sz_doc;
struct sz_image;
/** The case as sozai sees it: a document holding the visible part (the
 *  complete part with the occluder's pixels erased, grey) as its one layer,
 *  and the occluder's coverage as a mask image for sz_hidden_source.
 *  Returns 0 on success. */
int gen_case_doc(struct sz_ctx *ctx, const gen_case *c, struct sz_doc **doc, struct sz_image **mask);

#endif
