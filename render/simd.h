/* Eight-lane float vectors for the per-pixel loops of the rasterizer and its backward pass.
 *
 * Written with the GCC/clang vector extensions rather than intrinsics, so one source serves both
 * machines: with gcc, functions marked DS_SIMD_CLONES are compiled twice, for AVX2 and for
 * baseline x86-64 (where each vector becomes two SSE registers), and the loader picks the best
 * at run time.
 * Neither clone contracts multiply-adds, so both produce bit-identical images. Helpers here are
 * always inlined: a 32-byte vector must never cross a call boundary in the baseline clone. */
#ifndef DS_RENDER_SIMD_H
#define DS_RENDER_SIMD_H

#include <stdint.h>
#include <string.h>

typedef float ds_v8f __attribute__((vector_size(32)));
typedef int32_t ds_v8i __attribute__((vector_size(32)));

/* clang 14 refuses 32-byte vectors handed to inlined helpers inside multiversioned functions,
 * so clang builds (the sanitizer and fuzzing builds) keep to the baseline code path. */
#if defined(__x86_64__) && !defined(__clang__) && !defined(DS_NO_TARGET_CLONES)
#define DS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DS_SIMD_CLONES
#endif

#define DS_SIMD_INLINE static inline __attribute__((always_inline))

DS_SIMD_INLINE ds_v8f ds_v8f_splat(float value) {
    return (ds_v8f){value, value, value, value, value, value, value, value};
}

DS_SIMD_INLINE ds_v8f ds_v8f_load(const float *p) {
    ds_v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

DS_SIMD_INLINE void ds_v8f_store(float *p, ds_v8f v) {
    memcpy(p, &v, sizeof v);
}

/* Lane-wise choice: where mask is all ones take a, else b. */
DS_SIMD_INLINE ds_v8f ds_v8f_select(ds_v8i mask, ds_v8f a, ds_v8f b) {
    ds_v8i ai, bi;
    memcpy(&ai, &a, sizeof ai);
    memcpy(&bi, &b, sizeof bi);
    ds_v8i r = (mask & ai) | (~mask & bi);
    ds_v8f out;
    memcpy(&out, &r, sizeof out);
    return out;
}

DS_SIMD_INLINE ds_v8f ds_v8f_min(ds_v8f a, ds_v8f b) {
    return ds_v8f_select(a < b, a, b);
}

DS_SIMD_INLINE ds_v8f ds_v8f_max(ds_v8f a, ds_v8f b) {
    return ds_v8f_select(a > b, a, b);
}

DS_SIMD_INLINE int ds_v8i_any(ds_v8i mask) {
    int32_t lanes[8];
    memcpy(lanes, &mask, sizeof lanes);
    int32_t any = 0;
    for (int i = 0; i < 8; i++) {
        any |= lanes[i];
    }
    return any != 0;
}

/* Lane permutation by constant indices (the two compilers spell it differently). */
#if defined(__clang__)
#define DS_V8F_SHUFFLE(v, a, b, c, d, e, f, g, h)                                                  \
    __builtin_shufflevector(v, v, a, b, c, d, e, f, g, h)
#else
#define DS_V8F_SHUFFLE(v, a, b, c, d, e, f, g, h)                                                  \
    __builtin_shuffle(v, (ds_v8i){a, b, c, d, e, f, g, h})
#endif

/* The sum of the 8 lanes, by halving (three shuffles and adds). */
DS_SIMD_INLINE float ds_v8f_sum(ds_v8f v) {
    v += DS_V8F_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3);
    v += DS_V8F_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5);
    v += DS_V8F_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6);
    return v[0];
}

/* e^x for x <= 0 (the rasterizer's exponents), relative error below 2e-7: x = n ln2 + r with
 * |r| <= ln2 / 2, e^r by a degree-6 polynomial, 2^n by building the exponent bits. Used by the
 * forward and the backward pass alike, so both see exactly the same alphas. */
DS_SIMD_INLINE ds_v8f ds_v8f_exp(ds_v8f x) {
    x = ds_v8f_max(x, ds_v8f_splat(-87.0f));
    /* Round to nearest by adding and removing 1.5 * 2^23. */
    const ds_v8f shifter = ds_v8f_splat(12582912.0f);
    ds_v8f n = (x * ds_v8f_splat(1.44269504088896341f) + shifter) - shifter;
    ds_v8f r = x - n * ds_v8f_splat(0.693359375f);
    r = r - n * ds_v8f_splat(-2.12194440e-4f);
    ds_v8f p = ds_v8f_splat(1.9875691500e-4f);
    p = p * r + ds_v8f_splat(1.3981999507e-3f);
    p = p * r + ds_v8f_splat(8.3334519073e-3f);
    p = p * r + ds_v8f_splat(4.1665795894e-2f);
    p = p * r + ds_v8f_splat(1.6666665459e-1f);
    p = p * r + ds_v8f_splat(5.0000001201e-1f);
    p = p * (r * r) + r + ds_v8f_splat(1.0f);
    ds_v8i exponent = (__builtin_convertvector(n, ds_v8i) + 127) << 23;
    ds_v8f scale;
    memcpy(&scale, &exponent, sizeof scale);
    return p * scale;
}

/* The same function on one value, for code that is not vectorised. */
static inline float ds_exp_negative(float x) {
    float lanes[8];
    ds_v8f_store(lanes, ds_v8f_exp(ds_v8f_splat(x)));
    return lanes[0];
}

#endif
