/* io_psd.c — placeholder until the PSD codec lands (issue 3). */
#include "internal.h"

sz_status sz_psd_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    (void)data, (void)len;
    *out = NULL;
    return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "PSD is not supported yet");
}

sz_status sz_psd_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt, sz_buf *out)
{
    (void)doc, (void)opt, (void)out;
    return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "PSD is not supported yet");
}
