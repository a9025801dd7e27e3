/*
 * io.c — everything between files and codecs: format sniffing from magic
 * bytes, reading whole files or standard input within the memory limit, and
 * atomic writes (a temporary file beside the target, renamed on success).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

sz_format sz_format_from_name(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash)) return SZ_FORMAT_UNKNOWN;
    dot++;
    if (!strcasecmp(dot, "png")) return SZ_FORMAT_PNG;
    if (!strcasecmp(dot, "tif") || !strcasecmp(dot, "tiff")) return SZ_FORMAT_TIFF;
    if (!strcasecmp(dot, "psd") || !strcasecmp(dot, "psb")) return SZ_FORMAT_PSD;
    if (!strcasecmp(dot, "pam")) return SZ_FORMAT_PAM;
    return SZ_FORMAT_UNKNOWN;
}

/* The most bytes sz_format_sniff looks at, and what it says of others. */
#define SNIFF_BYTES 8
#define NOT_AN_IMAGE "not a PNG, TIFF, PSD or PAM file"

sz_format sz_format_sniff(const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return SZ_FORMAT_PNG;
    if (len >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4) || !memcmp(p, "II+\0", 4) ||
                     !memcmp(p, "MM\0+", 4)))
        return SZ_FORMAT_TIFF;
    if (len >= 4 && !memcmp(p, "8BPS", 4)) return SZ_FORMAT_PSD;
    if (len >= 3 && !memcmp(p, "P7\n", 3)) return SZ_FORMAT_PAM;
    return SZ_FORMAT_UNKNOWN;
}

const char *sz_format_name(sz_format fmt)
{
    switch (fmt) {
    case SZ_FORMAT_PNG: return "PNG";
    case SZ_FORMAT_TIFF: return "TIFF";
    case SZ_FORMAT_PSD: return "PSD";
    case SZ_FORMAT_PAM: return "PAM";
    default: return "unknown";
    }
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

sz_status sz_read_whole_file(sz_ctx *ctx, const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    bool is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) return sz_fail(ctx, SZ_ERR_IO, "cannot open: %s", strerror(errno));
    uint64_t limit = ctx->limits[SZ_LIMIT_MEMORY];
    struct stat sb;
    size_t cap = 1 << 16;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (!is_stdin) close(fd);
        return sz_fail(ctx, SZ_ERR_IO, "is a directory");
    }
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if ((uint64_t)sb.st_size > limit) {
            if (!is_stdin) close(fd);
            return sz_fail(ctx, SZ_ERR_LIMIT, "file of %lld bytes exceeds the memory limit",
                           (long long)sb.st_size);
        }
        cap = (size_t)sb.st_size + 1;
    }
    uint8_t *buf = sz_malloc(ctx, cap);
    size_t n = 0;
    sz_status st = buf ? SZ_OK : SZ_ERR_NOMEM;
    /* The format is told by the first bytes, once they are in: a stream
     * that is no image (/dev/zero, a wrong pipe) was read whole up to the
     * memory limit, 16 GiB by default, before it was refused. */
    bool sniffed = false;
    while (!st) {
        if (!sniffed && n >= SNIFF_BYTES) {
            if (sz_format_sniff(buf, n) == SZ_FORMAT_UNKNOWN) {
                st = sz_fail(ctx, SZ_ERR_FORMAT, NOT_AN_IMAGE);
                break;
            }
            sniffed = true;
        }
        if (n == cap) {
            if ((uint64_t)cap * 2 > limit + 1) {
                st = sz_fail(ctx, SZ_ERR_LIMIT, "input exceeds the memory limit");
                break;
            }
            uint8_t *b = realloc(buf, cap * 2);
            if (!b) {
                st = sz_fail(ctx, SZ_ERR_NOMEM, "out of memory reading input");
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            st = sz_fail(ctx, SZ_ERR_IO, "read failed: %s", strerror(errno));
        } else if (r == 0) {
            break;
        } else {
            n += (size_t)r;
        }
    }
    if (!is_stdin) close(fd);
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return SZ_OK;
}

sz_status sz_doc_read_memory(sz_ctx *ctx, const void *data, size_t len, sz_doc **out)
{
    *out = NULL;
    sz_ctx_clear_error(ctx);
    if (!data || !len) return sz_fail(ctx, SZ_ERR_FORMAT, "empty input");
    switch (sz_format_sniff(data, len)) {
    case SZ_FORMAT_PNG: return sz_png_read(ctx, data, len, out);
    case SZ_FORMAT_TIFF: return sz_tiff_read(ctx, data, len, out);
    case SZ_FORMAT_PSD: return sz_psd_read(ctx, data, len, out);
    case SZ_FORMAT_PAM: return sz_pam_read(ctx, data, len, out);
    default: return sz_fail(ctx, SZ_ERR_FORMAT, NOT_AN_IMAGE);
    }
}

sz_status sz_doc_read_file(sz_ctx *ctx, const char *path, sz_doc **out)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    sz_ctx_clear_error(ctx);
    sz_status st = sz_read_whole_file(ctx, path, &data, &len);
    if (!st) st = sz_doc_read_memory(ctx, data, len, out);
    free(data);
    if (st) sz_error_prefix(ctx, "%s", strcmp(path, "-") ? path : "stdin");
    return st;
}

sz_status sz_image_read_file(sz_ctx *ctx, const char *path, sz_image **out)
{
    sz_doc *doc;
    *out = NULL;
    sz_status st = sz_doc_read_file(ctx, path, &doc);
    if (st) return st;
    /* a plain image is its own composite: taken as it is, without
     * compositing a copy (not a dissolving one: that composite dithers) */
    sz_layer *plain = sz_doc_plain_layer(doc);
    if (plain && plain->blend == SZ_BLEND_NORMAL && plain->image->depth == (doc->depth == 16 ? 16 : 8)) {
        *out = plain->image;
        plain->image = NULL;
    } else {
        *out = sz_doc_composite(ctx, doc);
    }
    sz_doc_free(doc);
    if (!*out) {
        sz_error_prefix(ctx, "%s", path);
        return ctx->status ? ctx->status : SZ_ERR_NOMEM;
    }
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

sz_status sz_doc_write_memory(sz_ctx *ctx, const sz_doc *doc, sz_format fmt,
                              const sz_write_options *opt, uint8_t **data, size_t *len)
{
    static const sz_write_options defaults;
    sz_buf b = {0};
    sz_status st;
    *data = NULL;
    *len = 0;
    sz_ctx_clear_error(ctx);
    if (!opt) opt = &defaults;
    if (opt->depth && opt->depth != 8 && opt->depth != 16)
        return sz_fail(ctx, SZ_ERR_ARG, "output depth must be 8 or 16, not %d", opt->depth);
    /* a small canvas is written on one thread (see sz_threads) */
    size_t outer = sz_ctx_set_work(ctx, (size_t)doc->w * (size_t)doc->h);
    switch (fmt) {
    case SZ_FORMAT_PNG: st = sz_png_write(ctx, doc, opt, &b); break;
    case SZ_FORMAT_TIFF: st = sz_tiff_write(ctx, doc, opt, &b); break;
    case SZ_FORMAT_PSD: st = sz_psd_write(ctx, doc, opt, &b); break;
    case SZ_FORMAT_PAM: st = sz_pam_write(ctx, doc, opt, &b); break;
    default: st = sz_fail(ctx, SZ_ERR_ARG, "unknown output format");
    }
    sz_ctx_set_work(ctx, outer);
    if (!st) st = sz_buf_check(ctx, &b);
    if (st) {
        sz_buf_free(&b);
        return st;
    }
    *data = b.data;
    *len = b.len;
    return SZ_OK;
}

static sz_status write_all(sz_ctx *ctx, int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sz_fail(ctx, SZ_ERR_IO, "write failed: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return SZ_OK;
}

/* Whether the file that `sb` describes is kept. */
static bool is_kept(const sz_ctx *ctx, const struct stat *sb)
{
    for (int k = 0; k < ctx->nkept; k++)
        if (ctx->kept[k].dev == sb->st_dev && ctx->kept[k].ino == sb->st_ino) return true;
    return false;
}

sz_status sz_ctx_keep_file(sz_ctx *ctx, const char *path)
{
    struct stat sb;
    if (!path || !strcmp(path, "-") || stat(path, &sb) != 0) return SZ_OK; /* nothing there to replace */
    if (is_kept(ctx, &sb)) return SZ_OK;
    sz_kept_file *kept = realloc(ctx->kept, (size_t)(ctx->nkept + 1) * sizeof *kept);
    if (!kept) return sz_fail(ctx, SZ_ERR_NOMEM, "out of memory");
    kept[ctx->nkept++] = (sz_kept_file){.dev = sb.st_dev, .ino = sb.st_ino};
    ctx->kept = kept;
    return SZ_OK;
}

bool sz_file_is_kept(const sz_ctx *ctx, const char *path)
{
    struct stat sb;
    return ctx->nkept && stat(path, &sb) == 0 && is_kept(ctx, &sb);
}

/* Writes into the existing file at `path` as it is: a device or a named
 * pipe, which a rename would replace by a regular file. */
static sz_status write_into(sz_ctx *ctx, const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return sz_fail(ctx, SZ_ERR_IO, "cannot open: %s", strerror(errno));
    sz_status st = write_all(ctx, fd, data, len);
    if (close(fd) != 0 && !st) st = sz_fail(ctx, SZ_ERR_IO, "cannot close: %s", strerror(errno));
    return st;
}

sz_status sz_write_atomic(sz_ctx *ctx, const char *path, const void *data, size_t len)
{
    if (!strcmp(path, "-")) return write_all(ctx, STDOUT_FILENO, data, len);
    const char *last = strrchr(path, '/');
    if (!*(last ? last + 1 : path)) return sz_fail(ctx, SZ_ERR_ARG, "%s: not a file name", path);
    if (sz_file_is_kept(ctx, path)) return sz_fail(ctx, SZ_ERR_ARG, "is an input; refusing to overwrite it");

    /* What is there already decides how it is written.  A device or a named
     * pipe (/dev/null, a pipe a script reads) is written into: renamed over,
     * it was replaced by a regular file, /dev/null too when run as root.  A
     * directory is refused before anything is written. */
    struct stat there;
    if (stat(path, &there) == 0) {
        if (S_ISDIR(there.st_mode)) return sz_fail(ctx, SZ_ERR_IO, "is a directory");
        if (!S_ISREG(there.st_mode)) return write_into(ctx, path, data, len);
    }
    /* A symbolic link is written through: the file it names is replaced and
     * the link stays (a dangling link is replaced itself). */
    char *resolved = NULL;
    if (lstat(path, &there) == 0 && S_ISLNK(there.st_mode)) resolved = realpath(path, NULL);
    if (resolved) path = resolved;

    /* The temporary file lives in the target's directory so that rename()
     * replaces the target atomically (same file system). */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t tlen = dirlen + strlen(base) + 16;
    char *tmp = sz_malloc(ctx, tlen);
    if (!tmp) {
        free(resolved);
        return SZ_ERR_NOMEM;
    }
    snprintf(tmp, tlen, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sz_status st = sz_fail(ctx, SZ_ERR_IO, "cannot create a file beside it: %s", strerror(errno));
        free(tmp), free(resolved);
        return st;
    }
    mode_t mask = umask(0);
    umask(mask);
    struct stat old;
    mode_t mode = stat(path, &old) == 0 ? (old.st_mode & 07777) : (0666 & ~mask);
    sz_status st = write_all(ctx, fd, data, len);
    if (!st && fchmod(fd, mode) != 0) { /* not fatal: the data is what matters */ }
    if (!st && fsync(fd) != 0 && errno != EINVAL)
        st = sz_fail(ctx, SZ_ERR_IO, "cannot flush: %s", strerror(errno));
    if (close(fd) != 0 && !st) st = sz_fail(ctx, SZ_ERR_IO, "cannot close: %s", strerror(errno));
    if (!st && rename(tmp, path) != 0)
        st = sz_fail(ctx, SZ_ERR_IO, "cannot rename into place: %s", strerror(errno));
    if (st) unlink(tmp);
    free(tmp), free(resolved);
    return st;
}

sz_status sz_doc_write_file(sz_ctx *ctx, const sz_doc *doc, const char *path, sz_format fmt,
                            const sz_write_options *opt)
{
    if (fmt == SZ_FORMAT_UNKNOWN) fmt = sz_format_from_name(path);
    if (fmt == SZ_FORMAT_UNKNOWN)
        return sz_fail(ctx, SZ_ERR_ARG, "%s: cannot tell the output format from the name "
                       "(use .png, .tif, .psd, .psb or .pam)", path);
    sz_write_options o = opt ? *opt : (sz_write_options){0};
    if (fmt == SZ_FORMAT_PSD && strlen(path) > 4 && !strcasecmp(path + strlen(path) - 4, ".psb"))
        o.force_psb = 1;
    uint8_t *data;
    size_t len;
    sz_status st = sz_doc_write_memory(ctx, doc, fmt, &o, &data, &len);
    if (!st) st = sz_write_atomic(ctx, path, data, len);
    free(data);
    if (st) sz_error_prefix(ctx, "%s", strcmp(path, "-") ? path : "stdout");
    return st;
}

sz_status sz_image_write_file(sz_ctx *ctx, const sz_image *img, const char *path,
                              const sz_write_options *opt)
{
    sz_doc *doc = sz_doc_new(ctx, img->w > 0 ? img->w : 1, img->h > 0 ? img->h : 1);
    if (!doc) return ctx->status;
    doc->depth = img->depth;
    sz_layer *l = sz_layer_new(ctx, doc->root, SZ_LAYER_PIXEL, "image");
    sz_image *copy = l ? sz_image_copy(ctx, img) : NULL;
    sz_status st = copy ? SZ_OK : ctx->status;
    if (!st) {
        sz_layer_set_image(l, copy);
        st = sz_doc_write_file(ctx, doc, path, SZ_FORMAT_UNKNOWN, opt);
    }
    sz_doc_free(doc);
    return st;
}
