/*
 * make_sample — draws the bundled sample, a simple character already cut
 * into parts the way an artist separates an illustration: the face layer
 * has a hole (and its outline stops) where the bangs covered it, the back
 * hair is cut where the face covered it.  Uses only the public API.
 *
 *   make_sample OUT.tif [OUT.psd ...]
 *
 * Shapes are signed-distance functions, anti-aliased by 4x4 supersampling.
 */
#include "sozai.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 480
#define H 600
#define SS 4

typedef struct rgba { float r, g, b, a; } rgba;

static float ellipse_sd(float x, float y, float cx, float cy, float rx, float ry)
{
    /* approximate distance: exact on the axes, good enough for shading */
    float nx = (x - cx) / rx, ny = (y - cy) / ry;
    float k = sqrtf(nx * nx + ny * ny);
    float g = sqrtf(nx * nx / rx / rx + ny * ny / ry / ry);
    return k > 0 ? (k - 1) * k / (g > 0 ? g : 1e-6f) : -fminf(rx, ry);
}

/* The head: a face ellipse narrowing to the chin. */
static float face_sd(float x, float y)
{
    float ry = y > 300 ? 175 : 160;
    float rx = y > 300 ? 130 - (y - 300) * 0.18f : 130;
    return ellipse_sd(x, y, 240, 300, rx, ry);
}

/* The bangs: a cap over the forehead whose lower edge is a row of pointed
 * strands, reaching past the face outline on both sides. */
static float bangs_sd(float x, float y)
{
    float cap = ellipse_sd(x, y, 240, 250, 165, 150);
    /* lower edge: strands of ~48 px width, tips reaching y 250..300 */
    float phase = (x - 60) / 48.0f;
    float tri = fabsf(phase - floorf(phase) - 0.5f) * 2; /* 0 at tips, 1 between */
    float tips = 300 - 40 * tri - 12 * sinf(x * 0.05f);
    float edge = y - tips;                                   /* > 0 below the edge */
    return fmaxf(cap, edge);
}

static float back_hair_sd(float x, float y)
{
    float top = ellipse_sd(x, y, 240, 280, 175, 200);
    float lower = fmaxf(fabsf(x - 240) - 170, fabsf(y - 420) - 90);
    return fminf(top, lower);
}

static float body_sd(float x, float y)
{
    float neck = fmaxf(fabsf(x - 240) - 42, fabsf(y - 490) - 50);
    float shoulders = ellipse_sd(x, y, 240, 640, 210, 110);
    return fminf(neck, shoulders);
}

static float eye_sd(float x, float y)
{
    return fminf(ellipse_sd(x, y, 190, 330, 16, 24), ellipse_sd(x, y, 290, 330, 16, 24));
}

static float mouth_sd(float x, float y)
{
    float d = ellipse_sd(x, y, 240, 395, 26, 12);
    return fmaxf(fabsf(d) - 2.0f, 392 - y); /* the lower half of a thin ring */
}

/* Paints a part: fill inside, an outline of `ink` width along its edge,
 * and a vertical gradient between two fill colours. */
static rgba part_colour(float sd, float y, const float top[3], const float bottom[3], float ink,
                        float y0, float y1)
{
    rgba c = {0, 0, 0, 0};
    if (sd > 0.5f) return c;
    float t = fminf(1, fmaxf(0, (y - y0) / (y1 - y0)));
    c.r = top[0] + (bottom[0] - top[0]) * t;
    c.g = top[1] + (bottom[1] - top[1]) * t;
    c.b = top[2] + (bottom[2] - top[2]) * t;
    if (ink > 0 && sd > -ink) c.r = 0.25f, c.g = 0.16f, c.b = 0.13f;
    c.a = 1;
    return c;
}

typedef rgba (*shader)(float x, float y);

static rgba shade_back_hair(float x, float y)
{
    static const float a[3] = {0.36f, 0.22f, 0.16f}, b[3] = {0.30f, 0.18f, 0.13f};
    return part_colour(back_hair_sd(x, y), y, a, b, 3, 100, 520);
}

static rgba shade_body(float x, float y)
{
    static const float skin[3] = {0.98f, 0.86f, 0.78f}, shirt[3] = {0.32f, 0.46f, 0.78f};
    float sd = body_sd(x, y);
    bool is_shirt = ellipse_sd(x, y, 240, 640, 210, 110) < 0;
    return part_colour(sd, y, is_shirt ? shirt : skin, is_shirt ? shirt : skin, 3, 440, 600);
}

static rgba shade_face(float x, float y)
{
    static const float top[3] = {1.0f, 0.89f, 0.81f}, bottom[3] = {0.97f, 0.82f, 0.74f};
    rgba c = part_colour(face_sd(x, y), y, top, bottom, 4, 140, 475);
    if (c.a > 0 && (eye_sd(x, y) < 0 || mouth_sd(x, y) < 0)) c.r = 0.25f, c.g = 0.16f, c.b = 0.13f;
    return c;
}

static rgba shade_bangs(float x, float y)
{
    static const float a[3] = {0.50f, 0.32f, 0.22f}, b[3] = {0.42f, 0.27f, 0.19f};
    return part_colour(bangs_sd(x, y), y, a, b, 3, 100, 300);
}

/* Coverage-weighted average of the supersamples, straight alpha. */
static void render(float *out, shader f)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float r = 0, g = 0, b = 0, a = 0;
            for (int sy = 0; sy < SS; sy++)
                for (int sx = 0; sx < SS; sx++) {
                    rgba c = f(x + (sx + 0.5f) / SS, y + (sy + 0.5f) / SS);
                    r += c.r * c.a, g += c.g * c.a, b += c.b * c.a, a += c.a;
                }
            float *p = out + 4 * ((size_t)y * W + x);
            p[3] = a / (SS * SS);
            p[0] = a > 0 ? r / a : 0, p[1] = a > 0 ? g / a : 0, p[2] = a > 0 ? b / a : 0;
        }
}

/* Cuts `part` where `cover` is opaque: what the artist's selection leaves. */
static void cut(float *part, const float *cover)
{
    for (size_t i = 0; i < (size_t)W * H; i++) {
        part[4 * i + 3] *= 1 - cover[4 * i + 3];
        if (part[4 * i + 3] < 1.0f / 512) part[4 * i] = part[4 * i + 1] = part[4 * i + 2] = part[4 * i + 3] = 0;
    }
}

static void add_layer(sz_ctx *ctx, sz_doc *doc, const char *name, const float *px)
{
    int x0 = W, y0 = H, x1 = 0, y1 = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (px[4 * ((size_t)y * W + x) + 3] > 0) {
                if (x < x0) x0 = x;
                if (y < y0) y0 = y;
                if (x >= x1) x1 = x + 1;
                if (y >= y1) y1 = y + 1;
            }
    sz_image *im = sz_image_new(ctx, x1 - x0, y1 - y0, 8);
    uint8_t *d = sz_image_data(im);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            for (int c = 0; c < 4; c++) {
                float v = px[4 * ((size_t)y * W + x) + c];
                d[(size_t)(y - y0) * sz_image_stride(im) + 4 * (size_t)(x - x0) + c] =
                    (uint8_t)lrintf(fminf(1, fmaxf(0, v)) * 255);
            }
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, name);
    sz_layer_set_image(l, im);
    sz_layer_set_offset(l, x0, y0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: make_sample OUT.tif [OUT.psd ...]\n");
        return 2;
    }
    size_t n = (size_t)W * H * 4;
    float *back = calloc(n, sizeof *back), *body = calloc(n, sizeof *body);
    float *face = calloc(n, sizeof *face), *bangs = calloc(n, sizeof *bangs);
    if (!back || !body || !face || !bangs) return 1;
    render(back, shade_back_hair);
    render(body, shade_body);
    render(face, shade_face);
    render(bangs, shade_bangs);
    /* Separation: each part is cut where the parts above it covered it. */
    cut(face, bangs);
    cut(body, face);
    cut(back, face);
    cut(back, bangs);
    cut(back, body);

    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, W, H);
    sz_doc_set_resolution(doc, 144);
    add_layer(ctx, doc, "back hair", back);
    add_layer(ctx, doc, "body", body);
    add_layer(ctx, doc, "face", face);
    add_layer(ctx, doc, "bangs", bangs);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (sz_doc_write_file(ctx, doc, argv[i], SZ_FORMAT_UNKNOWN, NULL)) {
            fprintf(stderr, "make_sample: %s\n", sz_ctx_error(ctx));
            rc = 1;
        }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
    free(back), free(body), free(face), free(bangs);
    return rc;
}
