/*
 * extend_lines.h — what extend-lines shares with complete: its parameters
 * (one definition, so both operations accept the same options) and the
 * per-layer work.
 */
#ifndef SOZAI_EXTEND_LINES_H
#define SOZAI_EXTEND_LINES_H

#include "debug_overlay.h"

SZ_INTERNAL extern const char *const sz_ink_modes[];
SZ_INTERNAL extern const char *const sz_gap_modes[];
SZ_INTERNAL extern const char *const sz_line_targets[];

/* Where new strokes go, as an entry of an operation's sz_param table
 * (extend-lines and complete): the artist can drop or edit a layer of
 * their own without touching the part. */
#define SZ_TO_LAYER_PARAM                                                                                           \
    {"to-layer", SZ_PARAM_CHOICE, "Draw into the layer itself (same) or onto a new layer above it (new)", "same", \
     0, -1, sz_line_targets}

/* The line parameters, as entries of an operation's sz_param table. */
#define SZ_LINE_PARAMS                                                                                              \
    {"mask", SZ_PARAM_PATH, "Image of the hidden region (white or opaque = hidden), for a single image; "      \
                            "default: the visible layers above each layer", NULL, 0, -1, NULL},                  \
    {"occluders", SZ_PARAM_STRING, "Only these layers above count as occluders (same syntax as --layers)",     \
     NULL, 0, -1, NULL},                                                                                         \
    {"max-gap", SZ_PARAM_FLOAT, "Ends this close (px, tip to tip) are bridged, and an end this close to a "    \
                                "stroke joins it", "16", 0, 200, NULL},                                          \
    {"max-extension", SZ_PARAM_FLOAT, "Longest stroke drawn under an occluder (px)", "400", 0, 10000, NULL},   \
    {"max-width", SZ_PARAM_FLOAT, "Ink wider than this (px) is a painted region, not a stroke; 0: automatic "  \
                                  "(14, and 8 in a painted part that complete fills behind)", "0", 0, 200, NULL}, \
    {"tolerance", SZ_PARAM_FLOAT, "How far (degrees) an end may point away from its partner", "60", 1, 90,     \
     NULL},                                                                                                      \
    {"smoothness", SZ_PARAM_FLOAT, "Weight of bending when choosing partners (0: ignore curvature)", "1", 0,    \
     10, NULL},                                                                                                  \
    {"ink", SZ_PARAM_CHOICE, "What ink is: auto, alpha (a line-art layer: all ink, lines of any colour), "       \
                             "dark (dark strokes in a painted part)", "auto", 0, -1, sz_ink_modes},              \
    {"strip-width", SZ_PARAM_FLOAT, "Ink and solid blacks seen on both sides of a hidden strip up to this "    \
                                    "wide (px: a strand of hair across the part) run straight across it; 0: off", \
     "8", 0, 30, NULL},                                                                                          \
    {"keep-holes", SZ_PARAM_BOOL, "Leave small holes inside filled ink open (they are closed by default)",    \
     NULL, 0, -1, NULL},                                                                                         \
    {"repair-gaps", SZ_PARAM_CHOICE, "Where gaps in the visible ink are bridged and small holes closed: auto "  \
                                     "(in a layer nothing covers; a covered layer's visible drawing stays as "  \
                                     "drawn and only what the cover hid is drawn), always, never",              \
     "auto", 0, -1, sz_gap_modes},                                                                               \
    {"ink-threshold", SZ_PARAM_FLOAT, "Dark ink: luma below this share of the part's median luma", "0.6",      \
     0.05, 1, NULL},                                                                                             \
    {"no-outline", SZ_PARAM_BOOL, "Do not continue a painted part's outline under the occluder (its ends stay "  \
                                  "as drawn, none is drawn along the completed edge); other strokes still go on", \
     NULL, 0, -1, NULL}

/** Reads the SZ_LINE_PARAMS arguments. */
SZ_INTERNAL void sz_line_params_from_args(const sz_args *args, sz_line_params *lp);

/** Whether SZ_TO_LAYER_PARAM asks for a layer of their own. */
SZ_INTERNAL bool sz_lines_to_new_layer(const sz_args *args);

/** Extends the lines of one prepared part: into the part itself, or onto
 *  a new layer above it.  *changed receives the pixels drawn. */
SZ_INTERNAL sz_status sz_extend_part_lines(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_line_params *lp,
                                           bool new_layer, sz_overlay *debug, long *changed);

#endif
