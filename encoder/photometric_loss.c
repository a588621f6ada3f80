#include "photometric_loss.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* The SSIM window: 11 taps of a Gaussian with sigma 1.5, applied per channel. The 2D window of
 * the reference is the outer product of this 1D kernel with itself, so filtering rows and then
 * columns gives the same convolution (up to float rounding) at 22 instead of 121 taps. */
enum {
    RADIUS = 5,
    TAPS = 2 * RADIUS + 1,
    /* Floats of a row that the column passes handle at once, in tiles on the stack. */
    CHUNK = 256,
    /* Row-filtered quantities the forward pass keeps per row: x, y, x^2, y^2, xy. */
    STATISTICS = 5,
    /* Derivatives of the SSIM map the backward pass filters: with respect to the filtered mean
     * of x, the filtered x^2 and the filtered xy. */
    DERIVATIVES = 3,
};
static const double window_sigma = 1.5;

/* The passes are compiled twice, for AVX2 and for baseline x86-64, and the loader picks the
 * best at run time (as the rasterizer does). Neither clone contracts multiply-adds, so both give
 * identical results. The row functions are inlined into the passes, and so into each clone. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(DS_NO_TARGET_CLONES)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif
#define ROW_FUNCTION static inline __attribute__((always_inline))

/* The reference writes C1 and C2 as Python doubles and torch rounds them to float. */
static const float ssim_c1 = (float)(0.01 * 0.01);
static const float ssim_c2 = (float)(0.03 * 0.03);

/* Each thread sweeps a band of rows. Row-filtered rows live only in the thread's ring of TAPS
 * rows (row r in slot r % TAPS), which is what the column filter of one output row reads, so
 * the row-filtered planes never travel through main memory; rows next to a band are row-filtered
 * by both neighbours, identically. Only the derivative planes, which the backward pass needs
 * across band edges, are full images. */
struct ds_photometric_loss {
    float *derivatives; /* DERIVATIVES planes of derivative_capacity floats */
    size_t derivative_capacity;
    float *rings; /* ring_count rings of ring_capacity floats */
    size_t ring_capacity, ring_count;
    double *row_sums; /* per row: SSIM map sum, L1 sum; added in row order so that the result
                         does not depend on how rows were shared among threads */
    size_t row_capacity;
    float weights[TAPS];
};

/* Everything one evaluation's passes share. */
typedef struct pass {
    const float *weights;
    int width, height;
    size_t row_floats; /* width * 3 */
    const float *x, *y;
    float *derivatives[DERIVATIVES];
    float *gradient;  /* NULL for values only */
    float ssim_scale; /* dL/d(SSIM map entry) = -lambda / count */
    float l1_scale;   /* dL/d|x - y| = (1 - lambda) / count */
    double *row_sums;
} pass;

ds_status ds_photometric_loss_create(ds_photometric_loss **loss) {
    *loss = calloc(1, sizeof **loss);
    if (!*loss) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the photometric loss workspace");
    }
    double raw[TAPS], total = 0.0;
    for (int k = 0; k < TAPS; k++) {
        double offset = k - RADIUS;
        raw[k] = exp(-offset * offset / (2.0 * window_sigma * window_sigma));
        total += raw[k];
    }
    for (int k = 0; k < TAPS; k++) {
        (*loss)->weights[k] = (float)(raw[k] / total);
    }
    return ds_ok();
}

void ds_photometric_loss_free(ds_photometric_loss *loss) {
    if (loss) {
        free(loss->derivatives);
        free(loss->rings);
        free(loss->row_sums);
        free(loss);
    }
}

/* A buffer of at least `count` elements of `size` bytes: `buffer` itself when it is large
 * enough, else a new one that replaces it (contents are not kept). NULL, with `buffer` still
 * valid, when the memory is not there. */
static void *ensure(void *buffer, size_t *capacity, size_t count, size_t size) {
    if (count <= *capacity) {
        return buffer;
    }
    void *grown = count <= SIZE_MAX / size ? malloc(count * size) : NULL;
    if (grown) {
        free(buffer);
        *capacity = count;
    }
    return grown;
}

static ds_status reserve(ds_photometric_loss *loss, size_t row_floats, size_t rows, int threads,
                         bool ssim, bool derivatives) {
    if (ssim) {
        /* One ring per thread of STATISTICS x TAPS rows and 3 rows of products; the backward
         * pass reuses it for DERIVATIVES x TAPS rows. Both dimensions only grow. */
        size_t ring = row_floats * (STATISTICS * TAPS + 3);
        size_t count = (size_t)threads;
        ring = ring > loss->ring_capacity ? ring : loss->ring_capacity;
        count = count > loss->ring_count ? count : loss->ring_count;
        size_t have = loss->ring_capacity * loss->ring_count;
        float *rings = ring > SIZE_MAX / count
                           ? NULL
                           : ensure(loss->rings, &have, ring * count, sizeof(float));
        if (!rings) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the loss workspace's rows");
        }
        loss->rings = rings;
        loss->ring_capacity = ring;
        loss->ring_count = count;
    }
    if (derivatives) {
        float *planes = row_floats > SIZE_MAX / DERIVATIVES / rows
                            ? NULL
                            : ensure(loss->derivatives, &loss->derivative_capacity,
                                     row_floats * rows * DERIVATIVES, sizeof(float));
        if (!planes) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the loss workspace's planes");
        }
        loss->derivatives = planes;
    }
    double *sums = ensure(loss->row_sums, &loss->row_capacity, rows * 2, sizeof(double));
    if (!sums) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the loss workspace's row sums");
    }
    loss->row_sums = sums;
    return ds_ok();
}

/* The window taps [*first, *last] that fall inside 0..size-1 around position p; the others
 * would read the zero padding. */
static inline void tap_range(int p, int size, int *first, int *last) {
    *first = p < RADIUS ? RADIUS - p : 0;
    *last = p + RADIUS >= size ? RADIUS + (size - 1 - p) : TAPS - 1;
}

/* Pixels [*begin, *end) of a line of `size` whose windows lie wholly inside it. */
static inline void interior(int size, int *begin, int *end) {
    *begin = size < RADIUS ? size : RADIUS;
    *end = size - RADIUS > *begin ? size - RADIUS : *begin;
}

/* The window sum at s with taps `stride` floats apart, all inside the data. The window is
 * symmetric, so mirrored taps share one multiplication. */
ROW_FUNCTION float window_sum(const float *restrict w, const float *s, size_t stride) {
    float sum = w[RADIUS] * s[RADIUS * stride];
    for (int k = 0; k < RADIUS; k++) {
        sum += w[k] * (s[(size_t)k * stride] + s[(size_t)(TAPS - 1 - k) * stride]);
    }
    return sum;
}

/* Row-filters one row of one plane. Neighbouring pixels of a channel are 3 floats apart; all
 * three channels share the weights. */
ROW_FUNCTION void filter_row(const float *restrict w, const float *restrict in, float *restrict out,
                             int width) {
    int begin, end;
    interior(width, &begin, &end);
    /* The interior: every tap reads the row. */
    for (size_t i = (size_t)begin * 3; i < (size_t)end * 3; i++) {
        out[i] = window_sum(w, in + i - 3 * RADIUS, 3);
    }
    /* The borders, where part of the window reads the zero padding. */
    for (int px = 0; px < width; px++) {
        if (px == begin) {
            px = end;
            if (px >= width) {
                break;
            }
        }
        int first, last;
        tap_range(px, width, &first, &last);
        for (int c = 0; c < 3; c++) {
            size_t i = (size_t)px * 3 + (size_t)c;
            float sum = 0.0f;
            for (int k = first; k <= last; k++) {
                sum += w[k] * in[i + 3 * (size_t)k - 3 * RADIUS];
            }
            out[i] = sum;
        }
    }
}

/* Row `q` of image row r's slot in a ring holding `planes` rows per image row. */
static inline float *ring_row(const pass *p, float *ring, int planes, int r, int q) {
    return ring + ((size_t)(r % TAPS) * (size_t)planes + (size_t)q) * p->row_floats;
}

/* Column-filters the `planes` ring rows around row r, floats [c0, c0 + len), into acc. */
ROW_FUNCTION void filter_columns(const pass *p, float *ring, int planes, int r, size_t c0,
                                 size_t len, float acc[][CHUNK]) {
    const float *restrict w = p->weights;
    int first, last;
    tap_range(r, p->height, &first, &last);
    if (first == 0 && last == TAPS - 1) {
        /* Away from the top and bottom: all taps, summed in registers and stored once. */
        for (int q = 0; q < planes; q++) {
            const float *src[TAPS];
            for (int k = 0; k < TAPS; k++) {
                src[k] = ring_row(p, ring, planes, r + k - RADIUS, q) + c0;
            }
            float *restrict dst = acc[q];
            for (size_t i = 0; i < len; i++) {
                float sum = w[RADIUS] * src[RADIUS][i];
                for (int k = 0; k < RADIUS; k++) {
                    sum += w[k] * (src[k][i] + src[TAPS - 1 - k][i]);
                }
                dst[i] = sum;
            }
        }
        return;
    }
    /* Near the top and bottom: the taps inside the image. */
    for (int q = 0; q < planes; q++) {
        for (size_t i = 0; i < len; i++) {
            acc[q][i] = 0.0f;
        }
    }
    for (int k = first; k <= last; k++) {
        for (int q = 0; q < planes; q++) {
            const float *restrict src = ring_row(p, ring, planes, r + k - RADIUS, q) + c0;
            float *restrict dst = acc[q];
            for (size_t i = 0; i < len; i++) {
                dst[i] += w[k] * src[i];
            }
        }
    }
}

/* The sum of n floats in double. Four partial sums keep the additions from waiting on each
 * other; their order is fixed, so the result is too. */
ROW_FUNCTION double sum_floats(const float *values, size_t n) {
    double partial[4] = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; j++) {
            partial[j] += values[i + (size_t)j];
        }
    }
    for (; i < n; i++) {
        partial[0] += values[i];
    }
    return (partial[0] + partial[1]) + (partial[2] + partial[3]);
}

/* Evaluates the SSIM map on row r from the row-filtered statistics in the ring and, for the
 * gradient, stores its derivatives with respect to the filtered statistics. Returns the row's
 * sum of the map.
 *
 * With mx, my the filtered means, exx, eyy, exy the filtered products,
 *   vx = exx - mx^2, vy = eyy - my^2, cxy = exy - mx my,
 *   A1 = 2 mx my + C1, A2 = 2 cxy + C2, B1 = mx^2 + my^2 + C1, B2 = vx + vy + C2,
 *   s = A1 A2 / (B1 B2),
 * the derivatives (y held fixed) are
 *   ds/dmx  = 2 my (A2 - A1) / (B1 B2) - 2 mx s (1/B1 - 1/B2),
 *   ds/dexx = -s / B2,
 *   ds/dexy = 2 A1 / (B1 B2). */
ROW_FUNCTION double ssim_row(const pass *p, float *ring, int r) {
    size_t offset = (size_t)r * p->row_floats;
    double sum = 0.0;
    for (size_t c0 = 0; c0 < p->row_floats; c0 += CHUNK) {
        size_t len = p->row_floats - c0 < CHUNK ? p->row_floats - c0 : CHUNK;
        float acc[STATISTICS][CHUNK];
        float map[CHUNK];
        filter_columns(p, ring, STATISTICS, r, c0, len, acc);
        if (p->gradient) {
            float *restrict d_mean = p->derivatives[0] + offset + c0;
            float *restrict d_xx = p->derivatives[1] + offset + c0;
            float *restrict d_xy = p->derivatives[2] + offset + c0;
            for (size_t i = 0; i < len; i++) {
                float mx = acc[0][i], my = acc[1][i];
                float mx2 = mx * mx, my2 = my * my, mxy = mx * my;
                float a1 = 2.0f * mxy + ssim_c1;
                float a2 = 2.0f * (acc[4][i] - mxy) + ssim_c2;
                float b1 = mx2 + my2 + ssim_c1;
                float b2 = (acc[2][i] - mx2) + (acc[3][i] - my2) + ssim_c2;
                /* s as the values-only branch computes it, so that both agree exactly (and
                 * identical images give exactly 1). */
                float s = (a1 * a2) / (b1 * b2);
                float inv_b1b2 = 1.0f / (b1 * b2);
                float inv_b1 = b2 * inv_b1b2, inv_b2 = b1 * inv_b1b2;
                map[i] = s;
                d_mean[i] = 2.0f * my * (a2 - a1) * inv_b1b2 - 2.0f * mx * s * (inv_b1 - inv_b2);
                d_xx[i] = -s * inv_b2;
                d_xy[i] = 2.0f * a1 * inv_b1b2;
            }
        } else {
            for (size_t i = 0; i < len; i++) {
                float mx = acc[0][i], my = acc[1][i];
                float mx2 = mx * mx, my2 = my * my, mxy = mx * my;
                float a1 = 2.0f * mxy + ssim_c1;
                float a2 = 2.0f * (acc[4][i] - mxy) + ssim_c2;
                float b1 = mx2 + my2 + ssim_c1;
                float b2 = (acc[2][i] - mx2) + (acc[3][i] - my2) + ssim_c2;
                map[i] = (a1 * a2) / (b1 * b2);
            }
        }
        sum += sum_floats(map, len);
    }
    return sum;
}

/* The forward pass over rows [r0, r1): SSIM map sums and, for the gradient, the derivatives. */
CLONES static void forward_band(const pass *p, float *ring, int r0, int r1) {
    float *products = ring + (size_t)STATISTICS * TAPS * p->row_floats; /* x^2, y^2, xy */
    int next = r0 - RADIUS > 0 ? r0 - RADIUS : 0; /* the next row to row-filter */
    for (int r = r0; r < r1; r++) {
        int needed = r + RADIUS < p->height ? r + RADIUS : p->height - 1;
        for (; next <= needed; next++) {
            /* The products once per row, then five plain row filters. */
            size_t offset = (size_t)next * p->row_floats;
            const float *restrict x = p->x + offset;
            const float *restrict y = p->y + offset;
            float *restrict xx = products;
            float *restrict yy = products + p->row_floats;
            float *restrict xy = products + 2 * p->row_floats;
            for (size_t i = 0; i < p->row_floats; i++) {
                xx[i] = x[i] * x[i];
                yy[i] = y[i] * y[i];
                xy[i] = x[i] * y[i];
            }
            const float *in[STATISTICS] = {x, y, xx, yy, xy};
            for (int q = 0; q < STATISTICS; q++) {
                filter_row(p->weights, in[q], ring_row(p, ring, STATISTICS, next, q), p->width);
            }
        }
        p->row_sums[2 * (size_t)r] = ssim_row(p, ring, r);
    }
}

/* The backward pass of row r: dL/dx = scale * (G d_mean + 2 x (G d_xx) + y (G d_xy)) plus the
 * L1 term, where G is the window filter (the adjoint of a zero-padded convolution with a
 * symmetric kernel is the same convolution). Returns the row's L1 sum. */
ROW_FUNCTION double gradient_row(const pass *p, float *ring, int r) {
    size_t offset = (size_t)r * p->row_floats;
    const float *x = p->x + offset;
    const float *y = p->y + offset;
    float *gradient = p->gradient + offset;
    double sum = 0.0;
    for (size_t c0 = 0; c0 < p->row_floats; c0 += CHUNK) {
        size_t len = p->row_floats - c0 < CHUNK ? p->row_floats - c0 : CHUNK;
        float acc[DERIVATIVES][CHUNK];
        float difference[CHUNK];
        filter_columns(p, ring, DERIVATIVES, r, c0, len, acc);
        for (size_t i = 0; i < len; i++) {
            float xv = x[c0 + i], yv = y[c0 + i];
            float d = xv - yv;
            float sign = (float)((d > 0.0f) - (d < 0.0f));
            float ssim_part = acc[0][i] + 2.0f * xv * acc[1][i] + yv * acc[2][i];
            gradient[c0 + i] = p->ssim_scale * ssim_part + p->l1_scale * sign;
            difference[i] = fabsf(d);
        }
        sum += sum_floats(difference, len);
    }
    return sum;
}

/* The backward pass over rows [r0, r1), after every band's forward pass. */
CLONES static void backward_band(const pass *p, float *ring, int r0, int r1) {
    int next = r0 - RADIUS > 0 ? r0 - RADIUS : 0;
    for (int r = r0; r < r1; r++) {
        int needed = r + RADIUS < p->height ? r + RADIUS : p->height - 1;
        for (; next <= needed; next++) {
            size_t offset = (size_t)next * p->row_floats;
            for (int q = 0; q < DERIVATIVES; q++) {
                filter_row(p->weights, p->derivatives[q] + offset,
                           ring_row(p, ring, DERIVATIVES, next, q), p->width);
            }
        }
        p->row_sums[2 * (size_t)r + 1] = gradient_row(p, ring, r);
    }
}

/* The L1 sums of rows [r0, r1) and, with a gradient, its L1 part alone (SSIM has no weight).
 * The sums run in the same chunks and order as in gradient_row, so that the L1 value does not
 * depend on whether SSIM or a gradient was computed. */
static void l1_band(const pass *p, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
        size_t offset = (size_t)r * p->row_floats;
        const float *x = p->x + offset;
        const float *y = p->y + offset;
        float *gradient = p->gradient ? p->gradient + offset : NULL;
        double sum = 0.0;
        for (size_t c0 = 0; c0 < p->row_floats; c0 += CHUNK) {
            size_t len = p->row_floats - c0 < CHUNK ? p->row_floats - c0 : CHUNK;
            float difference[CHUNK];
            for (size_t i = 0; i < len; i++) {
                float d = x[c0 + i] - y[c0 + i];
                difference[i] = fabsf(d);
                if (gradient) {
                    gradient[c0 + i] = p->l1_scale * (float)((d > 0.0f) - (d < 0.0f));
                }
            }
            sum += sum_floats(difference, len);
        }
        p->row_sums[2 * (size_t)r + 1] = sum;
    }
}

static bool image_usable(const ds_image *image) {
    return image && image->pixels && image->width > 0 && image->height > 0;
}

ds_status ds_photometric_loss_evaluate(ds_photometric_loss *loss, const ds_image *rendered,
                                       const ds_image *target, float lambda_dssim,
                                       ds_photometric_terms *terms, ds_image *gradient) {
    if (!image_usable(rendered) || !image_usable(target)) {
        return ds_error(DS_ERR_ARGUMENT, "the loss needs two non-empty images");
    }
    if (rendered->width != target->width || rendered->height != target->height) {
        return ds_error(DS_ERR_ARGUMENT, "the rendered image is %dx%d but the target is %dx%d",
                        rendered->width, rendered->height, target->width, target->height);
    }
    if (gradient && (!image_usable(gradient) || gradient->width != rendered->width ||
                     gradient->height != rendered->height)) {
        return ds_error(DS_ERR_ARGUMENT, "the gradient image must be %dx%d like the rendered one",
                        rendered->width, rendered->height);
    }
    if (gradient && (gradient->pixels == rendered->pixels || gradient->pixels == target->pixels)) {
        return ds_error(DS_ERR_ARGUMENT, "the gradient image must not be one of the inputs");
    }
    if (!(lambda_dssim >= 0.0f && lambda_dssim <= 1.0f)) {
        return ds_error(DS_ERR_ARGUMENT, "the D-SSIM weight %g is outside 0..1",
                        (double)lambda_dssim);
    }
    int width = rendered->width, height = rendered->height;
    size_t row_floats = (size_t)width * 3;
    size_t total = row_floats * (size_t)height;
    bool with_ssim = lambda_dssim > 0.0f;
    bool backward = with_ssim && gradient;
    int threads = 1;
#ifdef _OPENMP
    /* A parallel region started from here has at most this many threads. */
    threads = omp_get_max_threads();
#endif
    ds_status status = reserve(loss, row_floats, (size_t)height, threads, with_ssim, backward);
    if (ds_failed(&status)) {
        return status;
    }

    pass p = {
        .weights = loss->weights,
        .width = width,
        .height = height,
        .row_floats = row_floats,
        .x = rendered->pixels,
        .y = target->pixels,
        .gradient = gradient ? gradient->pixels : NULL,
        .ssim_scale = (float)(-(double)lambda_dssim / (double)total),
        .l1_scale = (float)((1.0 - (double)lambda_dssim) / (double)total),
        .row_sums = loss->row_sums,
    };
    for (int q = 0; q < DERIVATIVES; q++) {
        p.derivatives[q] = backward ? loss->derivatives + (size_t)q * total : NULL;
    }
    float *rings = loss->rings;
    size_t ring_capacity = loss->ring_capacity;

#pragma omp parallel default(none) shared(p, rings, ring_capacity, with_ssim, backward, height)
    {
        int team = 1, member = 0;
#ifdef _OPENMP
        team = omp_get_num_threads();
        member = omp_get_thread_num();
#endif
        /* Contiguous bands, so that each thread's ring slides down its rows. */
        int r0 = (int)((int64_t)height * member / team);
        int r1 = (int)((int64_t)height * (member + 1) / team);
        float *ring = with_ssim ? rings + (size_t)member * ring_capacity : NULL;
        if (with_ssim) {
            forward_band(&p, ring, r0, r1);
        }
        if (backward) {
            /* The backward pass of a row reads derivatives of the neighbouring bands' rows. */
#pragma omp barrier
            backward_band(&p, ring, r0, r1);
        } else {
            l1_band(&p, r0, r1);
        }
    }

    double ssim_sum = 0.0, l1_sum = 0.0;
    for (int r = 0; r < height; r++) {
        ssim_sum += with_ssim ? p.row_sums[2 * (size_t)r] : 0.0;
        l1_sum += p.row_sums[2 * (size_t)r + 1];
    }
    if (terms) {
        double lambda = (double)lambda_dssim;
        terms->l1 = l1_sum / (double)total;
        terms->ssim = with_ssim ? ssim_sum / (double)total : NAN;
        terms->loss = (1.0 - lambda) * terms->l1 + (with_ssim ? lambda * (1.0 - terms->ssim) : 0.0);
    }
    return ds_ok();
}
