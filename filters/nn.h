/*
 * nn.h — the learned completion model: a small fully convolutional
 * network, its versioned weight file, and the forward pass.
 *
 * The network runs on a coarse grid laid over the part (one cell per few
 * px) and sees, per cell, how much of it the visible part covers, how much
 * is hidden, and how much the geometric shape (shape.c) fills; it answers
 * the log-odds that the part continues there.  Everything here is
 * deterministic: each output value is summed in one fixed order whatever
 * the number of threads.
 *
 * Weight file, version 1 (all integers uint32 and floats IEEE binary32,
 * little-endian):
 *
 *   "SZNN"  version(=1)  inputs  outputs  layers  cells  skip(float)
 *   per layer:  cin  cout  k  dilation  relu(0/1)
 *   per layer:  weights [cout][cin][k][k]  then  bias [cout]
 *   crc32 of every byte before it
 *
 * `cells` is how many cells the visible part's longer side spans (it sets
 * the grid's scale); `skip` adds skip * (2 * input[2] - 1), the geometric
 * shape, to the output, so the network learns only where to differ.
 */
#ifndef SOZAI_NN_H
#define SOZAI_NN_H

#include "internal.h"

enum {
    SZ_NN_VERSION = 1,
    SZ_NN_INPUTS = 3,      /* visible part, hidden, geometric shape */
    SZ_NN_OUTPUTS = 1,     /* log-odds that the part continues */
    SZ_NN_MAX_LAYERS = 32,
    SZ_NN_MAX_CHANNELS = 256,
    SZ_NN_MAX_KERNEL = 7,
    SZ_NN_MAX_DILATION = 64,
    SZ_NN_MAX_WEIGHTS = 1 << 20
};

typedef struct sz_nn_layer {
    int cin, cout, k, dilation;
    bool relu;
    float *w; /* [cout][cin][k][k] */
    float *b; /* [cout] */
} sz_nn_layer;

typedef struct sz_nn {
    int layers, cells;
    float skip;
    size_t nweights;
    sz_nn_layer layer[SZ_NN_MAX_LAYERS];
    float *store; /* every weight and bias, in file order */
} sz_nn;

/** Parses a weight file held in memory; a malformed or mismatched file is
 *  SZ_ERR_FORMAT with a message saying what is wrong. */
SZ_INTERNAL sz_status sz_nn_parse(sz_ctx *ctx, const uint8_t *data, size_t len, sz_nn **out);
/** Reads and parses a weight file. */
SZ_INTERNAL sz_status sz_nn_load(sz_ctx *ctx, const char *path, sz_nn **out);
/** The model compiled into the library (nn_weights.c). */
SZ_INTERNAL sz_status sz_nn_builtin(sz_ctx *ctx, sz_nn **out);
SZ_INTERNAL void sz_nn_free(sz_nn *nn);

/** Serialises `nn` in the file format above (the trainer writes with it). */
SZ_INTERNAL sz_status sz_nn_serialise(sz_ctx *ctx, const sz_nn *nn, sz_buf *out);

/** The cells of one grid row a pass computes: columns [x0, x1), none
 *  when x0 >= x1. */
typedef struct sz_nn_span {
    int x0, x1;
} sz_nn_span;

/** One convolution over w x h planes, zero padded, same size: out[cout]
 *  planes from in[cin] planes, ReLU when the layer says.  Parallel over
 *  output channels; `threads` 1 runs it serially. */
SZ_INTERNAL void sz_nn_conv(const sz_nn_layer *L, const float *in, int w, int h, float *out, int threads);
/** sz_nn_conv computing only the cells `rows` gives (one span per row;
 *  NULL: all), each summed exactly as sz_nn_conv sums it; the other
 *  cells of `out` are not written. */
SZ_INTERNAL void sz_nn_conv_rows(const sz_nn_layer *L, const float *in, int w, int h, const sz_nn_span *rows,
                                 float *out, int threads);

/** The whole network: in holds SZ_NN_INPUTS planes of w x h, out receives
 *  SZ_NN_OUTPUTS planes of log-odds.  With `want` (w x h, nonzero where
 *  the answer is needed; NULL: everywhere) each layer computes only the
 *  cells the wanted answers depend on, which are the same to the bit as
 *  without it; a cell of out none of them needs is -INFINITY. */
SZ_INTERNAL sz_status sz_nn_forward(sz_ctx *ctx, const sz_nn *nn, const float *in, int w, int h, const uint8_t *want,
                                    float *out);

#endif
