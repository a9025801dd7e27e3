/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *tu_testdata(void)
{
    static char path[4096];
    static int state = -1;
    if (state < 0) {
        const char *env = getenv("SOZAI_TESTDATA");
        struct stat sb;
        state = env && *env && stat(env, &sb) == 0 && S_ISDIR(sb.st_mode);
        if (state) snprintf(path, sizeof path, "%s", env);
    }
    return state ? path : NULL;
}

const char *tu_data_path(const char *rel)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", tu_testdata() ? tu_testdata() : ".", rel);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int tu_list(const char *dir, const char *suffix, char ***names)
{
    DIR *d = opendir(dir);
    int n = 0, cap = 64;
    char **v = malloc((size_t)cap * sizeof *v);
    *names = v;
    if (!d || !v) {
        if (d) closedir(d);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;
        if (suffix && (len < sl || strcmp(e->d_name + len - sl, suffix))) continue;
        char full[8192];
        struct stat sb;
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (stat(full, &sb) || !S_ISREG(sb.st_mode)) continue;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, (size_t)cap * sizeof *v);
            *names = v;
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    return n;
}

void tu_free_list(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

sz_image *tu_random_image(sz_ctx *ctx, int w, int h, int depth, uint32_t seed)
{
    sz_image *im = sz_image_new(ctx, w, h, depth);
    uint32_t s = seed ? seed : 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint16_t p[4];
            for (int c = 0; c < 4; c++) {
                s ^= s << 13, s ^= s >> 17, s ^= s << 5;
                p[c] = depth == 16 ? (uint16_t)s : (uint16_t)((s & 255) * 257);
            }
            sz_put16(im, x, y, p);
        }
    return im;
}

bool tu_same_pixels(const sz_image *a, const sz_image *b)
{
    if (!a || !b || a->w != b->w || a->h != b->h || a->depth != b->depth) return false;
    for (int y = 0; y < a->h; y++)
        if (memcmp(sz_row8(a, y), sz_row8(b, y), a->stride)) return false;
    return true;
}

sz_image *tu_doc_image(sz_doc *doc)
{
    sz_layer *root = sz_doc_root(doc);
    return sz_layer_child_count(root) ? sz_layer_image(sz_layer_child(root, 0)) : NULL;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n + 1);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    if (len) *len = (size_t)n;
    return d;
}

static int pnm_int(const uint8_t *d, size_t len, size_t *p)
{
    while (*p < len && (d[*p] == ' ' || d[*p] == '\n' || d[*p] == '\r' || d[*p] == '\t' || d[*p] == '#')) {
        if (d[*p] == '#')
            while (*p < len && d[*p] != '\n') (*p)++;
        else
            (*p)++;
    }
    int v = 0;
    while (*p < len && d[*p] >= '0' && d[*p] <= '9') v = v * 10 + (d[(*p)++] - '0');
    return v;
}

sz_image *tu_read_pnm(sz_ctx *ctx, const char *path)
{
    size_t len, p = 2;
    uint8_t *d = tu_read_file(path, &len);
    if (!d || len < 3 || d[0] != 'P') {
        free(d);
        return NULL;
    }
    char kind = (char)d[1];
    int w = pnm_int(d, len, &p), h = pnm_int(d, len, &p);
    int maxv = kind == '4' ? 1 : pnm_int(d, len, &p);
    p++;
    int depth = maxv > 255 ? 16 : 8;
    sz_image *im = sz_image_new(ctx, w, h, depth);
    size_t rowbits = (size_t)w;
    for (int y = 0; y < h && im; y++)
        for (int x = 0; x < w; x++) {
            uint16_t px[4] = {0, 0, 0, 65535};
            if (kind == '4') {
                size_t byte = p + (size_t)y * ((rowbits + 7) / 8) + (size_t)x / 8;
                int bit = (d[byte] >> (7 - x % 8)) & 1;
                px[0] = px[1] = px[2] = bit ? 0 : 65535;
            } else {
                int ch = kind == '6' ? 3 : 1, bytes = depth / 8;
                size_t at = p + (((size_t)y * w + x) * ch) * bytes;
                for (int c = 0; c < 3; c++) {
                    size_t q = at + (size_t)(ch == 3 ? c : 0) * bytes;
                    unsigned v = bytes == 2 ? (unsigned)(d[q] << 8 | d[q + 1]) : d[q];
                    px[c] = (uint16_t)(depth == 16 ? v * 65535u / maxv : v * 255u / maxv * 257u);
                }
            }
            sz_put16(im, x, y, px);
        }
    free(d);
    return im;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

/* Distance from p to the segment a-b, and where along it (0..1) the
 * nearest point lies. */
static float seg_dist(float px, float py, float ax, float ay, float bx, float by, float *t)
{
    float dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    float s = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    *t = s;
    float ex = ax + s * dx - px, ey = ay + s * dy - py;
    return sqrtf(ex * ex + ey * ey);
}

void tu_draw_polyline(sz_image *img, const float *xy, int n, float w0, float w1, const uint8_t rgb[3])
{
    double total = 0, *at = malloc((size_t)n * sizeof *at);
    for (int i = 0; i < n; i++) {
        if (i) total += hypot(xy[2 * i] - xy[2 * i - 2], xy[2 * i + 1] - xy[2 * i - 1]);
        at[i] = total;
    }
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            float px = x + 0.5f, py = y + 0.5f, cover = 0;
            for (int i = 0; i + 1 < n; i++) {
                float t, d = seg_dist(px, py, xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3], &t);
                float along = (float)((at[i] + t * (at[i + 1] - at[i])) / (total > 0 ? total : 1));
                float w = w0 + (w1 - w0) * along, c = w / 2 - d + 0.5f;
                c = c < 0 ? 0 : c > 1 ? 1 : c;
                if (c > cover) cover = c;
            }
            if (cover <= 0) continue;
            uint16_t p[4];
            sz_get16(img, x, y, p);
            float a = p[3] / 65535.0f, out = cover + a * (1 - cover);
            for (int k = 0; k < 3; k++)
                p[k] = (uint16_t)lrintf((rgb[k] * 257.0f * cover + p[k] * a * (1 - cover)) / out);
            p[3] = (uint16_t)lrintf(out * 65535);
            sz_put16(img, x, y, p);
        }
    free(at);
}

void tu_fill_rect(sz_image *img, int x0, int y0, int x1, int y1, const uint16_t rgba[4])
{
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->w; x++) sz_put16(img, x, y, rgba);
}

sz_doc *tu_doc_of(sz_ctx *ctx, sz_image *img, const char *name)
{
    sz_doc *doc = sz_doc_new(ctx, img->w, img->h);
    sz_doc_set_depth(doc, img->depth);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, name);
    sz_layer_set_image(l, img);
    return doc;
}

sz_status tu_run_op(sz_ctx *ctx, sz_doc *doc, const char *name, const char *const *kv)
{
    const sz_op *op = sz_op_find(name);
    if (!op) return SZ_ERR_ARG;
    sz_args *a = sz_args_new(ctx, op);
    sz_status st = SZ_OK;
    for (int i = 0; kv && kv[i] && !st; i += 2) st = sz_args_set(ctx, a, kv[i], kv[i + 1]);
    if (!st) st = sz_op_run(ctx, op, doc, a);
    sz_args_free(a);
    return st;
}

long tu_changed_visible(const sz_image *a, const sz_image *b, const sz_image *hidden)
{
    long n = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++) {
            uint16_t p[4], q[4];
            sz_get16(a, x, y, p);
            if (!p[3] || (hidden && sz_alpha16(hidden, x, y))) continue;
            if (x >= b->w || y >= b->h) {
                n++;
                continue;
            }
            sz_get16(b, x, y, q);
            n += memcmp(p, q, sizeof p) != 0;
        }
    return n;
}
