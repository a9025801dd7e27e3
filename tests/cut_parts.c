/* cut_parts.c — see cut_parts.h. */
#include "cut_parts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

bool cut_where_covered(sz_doc *doc)
{
    int w = sz_doc_width(doc), h = sz_doc_height(doc);
    float *cover = calloc((size_t)w * h, sizeof *cover); /* of the layers seen so far, from the top */
    if (!cover) return false;
    sz_layer *root = sz_doc_root(doc);
    for (int k = sz_layer_child_count(root) - 1; k >= 0; k--) {
        sz_layer *l = sz_layer_child(root, k);
        sz_image *im = sz_layer_image(l);
        if (!im || sz_image_depth(im) != 8) continue;
        uint8_t *data = sz_image_data(im);
        size_t stride = sz_image_stride(im);
        for (int y = 0; y < sz_image_height(im); y++)
            for (int x = 0; x < sz_image_width(im); x++) {
                int cx = x + sz_layer_x(l), cy = y + sz_layer_y(l);
                if (cx < 0 || cy < 0 || cx >= w || cy >= h) continue;
                uint8_t *px = data + (size_t)y * stride + 4 * (size_t)x;
                float *c = &cover[(size_t)cy * w + cx], a = px[3] / 255.0f;
                px[3] = (uint8_t)lrintf(a * (1 - *c) * 255);
                if (!px[3]) px[0] = px[1] = px[2] = 0;
                *c += a * (1 - *c);
            }
    }
    free(cover);
    return true;
}
