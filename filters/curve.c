/*
 * curve.c — one-pixel curves (see geom.h): their ends, tracing them,
 * fitting a quadratic to their last pixels, and whether a path crosses a
 * mask.
 */
#include "geom.h"

#include <math.h>
#include <stdlib.h>

static const int DX[8] = {0, 1, 1, 1, 0, -1, -1, -1}, DY[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

/* Number of separate groups of set pixels around the 8-ring. */
static int ring_groups(unsigned b)
{
    if (b == 0xff) return 1;
    int t = 0;
    for (int k = 0; k < 8; k++) t += !((b >> k) & 1) && ((b >> ((k + 1) & 7)) & 1);
    return t;
}

bool sz_curve_is_end(const uint8_t *m, int w, int h, int x, int y)
{
    unsigned b = 0;
    for (int k = 0; k < 8; k++) b |= (unsigned)sz_mask_at(m, w, h, x + DX[k], y + DY[k]) << k;
    return b && ring_groups(b) == 1 && __builtin_popcount(b) <= 2;
}

static inline bool adjacent(int ax, int ay, int bx, int by)
{
    return abs(ax - bx) <= 1 && abs(ay - by) <= 1;
}

int sz_curve_trace(const uint8_t *m, int w, int h, int x, int y, int max, bool corners, int *px, int *py,
                   bool *junction)
{
    return sz_curve_trace_from(m, w, h, -9, -9, x, y, max, corners, px, py, junction);
}

int sz_curve_trace_from(const uint8_t *m, int w, int h, int fromx, int fromy, int x, int y, int max, bool corners,
                        int *px, int *py, bool *junction)
{
    int n = 0, prevx = fromx, prevy = fromy;
    *junction = false;
    while (n < max) {
        px[n] = x, py[n] = y;
        n++;
        int cx[8], cy[8], c = 0;
        /* a neighbour of the previous pixel is the same step cut short;
         * but where a staircase's 4-neighbour was taken at an L-shaped
         * corner, the curve goes on only through such a pixel */
        for (int pass = 0; pass < (corners ? 2 : 1) && c == 0; pass++)
            for (int k = 0; k < 8; k++) {
                int xx = x + DX[k], yy = y + DY[k];
                if (!sz_mask_at(m, w, h, xx, yy) || (xx == prevx && yy == prevy) ||
                    (!pass && adjacent(xx, yy, prevx, prevy)))
                    continue;
                bool seen = false;
                for (int j = SZ_MAX(0, n - 4); j < n && !seen; j++) seen = px[j] == xx && py[j] == yy;
                /* ...and one the trace passed beside before is the
                 * corner of a staircase it cut, not the way on */
                for (int j = SZ_MAX(0, n - 5); pass && j < n - 2 && !seen; j++) seen = adjacent(xx, yy, px[j], py[j]);
                if (!seen) cx[c] = xx, cy[c] = yy, c++;
            }
        if (c == 0) break;
        int pick = 0;
        if (c > 1) {
            bool close = true;
            for (int a = 0; a < c; a++)
                for (int b = a + 1; b < c; b++) close &= adjacent(cx[a], cy[a], cx[b], cy[b]);
            if (!close || c > 2) {
                *junction = true;
                break;
            }
            pick = (cx[0] == x || cy[0] == y) ? 0 : 1; /* the 4-neighbour of a staircase */
        }
        prevx = x, prevy = y;
        x = cx[pick], y = cy[pick];
    }
    return n;
}

static double det3(const double m[3][3])
{
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

bool sz_curve_fit(const int *px, const int *py, int i0, int k, double sigma, double fit[2][3])
{
    double S[5] = {0}, SX[3] = {0}, SY[3] = {0}, s_len = 0;
    for (int i = 0; i < k; i++) {
        if (i) s_len += hypot(px[i] - px[i - 1], py[i] - py[i - 1]);
        if (i < i0) continue;
        double t = s_len, wt = sigma > 0 ? exp(-0.5 * (t / sigma) * (t / sigma)) : 1, tp = wt;
        for (int j = 0; j < 5; j++, tp *= t) S[j] += tp;
        tp = wt;
        for (int j = 0; j < 3; j++, tp *= t) SX[j] += tp * px[i], SY[j] += tp * py[i];
    }
    /* the normal equations, by Cramer's rule */
    double A[3][3] = {{S[0], S[1], S[2]}, {S[1], S[2], S[3]}, {S[2], S[3], S[4]}};
    double det = det3(A);
    const double *rhs[2] = {SX, SY};
    for (int d = 0; d < 2; d++)
        for (int c = 0; c < 3; c++) {
            double M[3][3];
            memcpy(M, A, sizeof M);
            for (int r = 0; r < 3; r++) M[r][c] = rhs[d][r];
            fit[d][c] = fabs(det) > 1e-9 ? det3(M) / det : 0;
        }
    return fabs(det) > 1e-9;
}

bool sz_path_crosses(const uint8_t *m, uint8_t value, int w, int h, const vec2 *pts, int n, vec2 a, vec2 b,
                     float spare)
{
    for (int i = 0; i + 1 < n; i++) {
        vec2 u = pts[i], d = v2_sub(pts[i + 1], u);
        int steps = (int)ceilf(2 * v2_len(d)) + 1;
        for (int s = 0; s <= steps; s++) {
            vec2 q = v2_add(u, v2_scale(d, (float)s / steps));
            if (v2_len(v2_sub(q, a)) < spare || v2_len(v2_sub(q, b)) < spare) continue;
            int x0 = (int)floorf(q.x), y0 = (int)floorf(q.y);
            for (int y = y0; y <= y0 + 1; y++)
                for (int x = x0; x <= x0 + 1; x++)
                    if (x >= 0 && y >= 0 && x < w && y < h && m[(size_t)y * w + x] == value) return true;
        }
    }
    return false;
}
