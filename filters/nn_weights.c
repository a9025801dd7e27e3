/* Placeholder until the first `make weights`. */
#include "nn.h"

sz_status sz_nn_builtin(sz_ctx *ctx, sz_nn **out)
{
    *out = NULL;
    return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "this build has no built-in model");
}
