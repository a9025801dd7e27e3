/*
 * shape.h — the planes shape.c completes a part's shape in, and the race
 * (shape_race.c) that splits the unknown region between the part and the
 * background.  Internal to those two files.
 */
#ifndef SOZAI_SHAPE_H
#define SOZAI_SHAPE_H

#include "fill.h"

/* Unknown: not known to be part, and hidden or within FRINGE px
 * (shape.c) of the hidden region.  The occluder's anti-aliased edge
 * half-covers the part along the whole boundary; those pixels are too
 * faint to be known, yet they are no background, and letting the
 * background in through them would open every wall.  Those of them with
 * nothing in them are EMPTY: the part there would show through the soft
 * edge, so they never become part.  Away from the part they are where the
 * background starts (through the holes of a lacy occluder, say); beside
 * the part's edge they start nothing, since a wall may begin beyond them. */
enum { UNKNOWN = 1, EMPTY = 2, EMPTY_SEED = 3 };

/* What the race plane holds: nothing yet, a wall, the pixels just
 * outside a wall, or which side reached the pixel first. */
enum { FREE, WALL, BY_PART, BY_BACKGROUND, OUTSIDE };

/* The part and the background race into the unknown region from its
 * border, around the walls; each unknown pixel goes to whichever arrives
 * first.  Walls paired right enclose what the part continues into; where
 * no wall says, the region splits halfway between the part and the
 * background, as an artist's guess would.  `dist` is w x h scratch.
 *
 * Only the pieces of the unknown region (components, around the walls)
 * that both sides start in need the race: a piece only the part starts in
 * is the part's wherever it runs, which is most of a region the outline's
 * curves close.  *background_reaches (w x h) is set where the background
 * reaches at all: in the pieces that border the visible background or an
 * empty stretch of the canvas's edge. */
SZ_INTERNAL sz_status sz_shape_race(sz_ctx *ctx, int w, int h, const uint8_t *known, const uint8_t *unknown,
                                    uint8_t *side, int32_t *dist, uint8_t *background_reaches);

#endif
