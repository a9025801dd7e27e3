/* cut_parts.h — parts cut out of one picture, for tests and benchmarks. */
#ifndef SOZAI_TESTS_CUT_PARTS_H
#define SOZAI_TESTS_CUT_PARTS_H

#include "sozai.h"

#include <stdbool.h>

/** Cuts each top-level 8-bit layer of doc where the layers above it cover
 *  it, as a part cut out of a finished picture is: under a cover of c it
 *  keeps 1 - c of its opacity.  A document of parts painted whole and
 *  stacked becomes one whose parts have holes to complete (sozai leaves
 *  what a part draws under its cover as drawn).  False when out of
 *  memory. */
bool cut_where_covered(sz_doc *doc);

#endif
