#include "spz_attributes_internal.h"

#include <math.h>
#include <string.h>

/* SPZ stores colour as 0.5 + COLOR_SCALE * f_dc in a byte rather than the displayed colour, so
 * that DC values beyond the displayable range survive. */
#define SPZ_COLOR_SCALE 0.15f
#define SPZ_SQRT1_2     0.70710678118654752f
enum { SPZ_SMALLEST_THREE_MAX = 511 }; /* 9-bit magnitudes */

/* ---- sizes ---- */

static size_t rest_per_channel(int sh_degree) {
    return (size_t)((sh_degree + 1) * (sh_degree + 1) - 1);
}

size_t spz_stream_size(const spz_layout *layout, int stream) {
    size_t n = layout->count;
    switch (stream) {
    case SPZ_STREAM_POSITIONS:
        return n * (layout->version == 1 ? 6 : 9); /* version 1: float16, else 24-bit fixed */
    case SPZ_STREAM_ALPHAS:
        return n;
    case SPZ_STREAM_COLORS:
    case SPZ_STREAM_SCALES:
        return n * 3;
    case SPZ_STREAM_ROTATIONS:
        return n * (layout->version >= 3 ? 4 : 3); /* smallest-three from version 3 on */
    case SPZ_STREAM_SH:
        return n * rest_per_channel(layout->sh_degree) * 3;
    default:
        return 0;
    }
}

/* ---- axes ---- */

/* Sign changes that take coordinates between two of the eight same-handed-family axis systems
 * (the change is its own inverse). */
typedef struct axis_flips {
    float position[3];
    float rotation[3]; /* on the quaternion's x, y, z; w never changes */
    float sh[15];      /* on the rest coefficients of degrees 1-3, per coefficient */
} axis_flips;

static axis_flips flips_between(int from, int to) {
    int a = from - 1, b = to - 1;
    float x = ((a ^ b) & 1) ? -1.0f : 1.0f;
    float y = ((a ^ b) & 2) ? -1.0f : 1.0f;
    float z = ((a ^ b) & 4) ? -1.0f : 1.0f;
    /* A reflection of axis i negates every SH basis function odd in that coordinate. */
    axis_flips flips = {
        .position = {x, y, z},
        .rotation = {y * z, x * z, x * y},
        .sh = {y, z, x, x * y, y * z, 1.0f, x * z, 1.0f, y, x * y * z, y, z, x, z, x},
    };
    return flips;
}

/* ---- decoding ---- */

static float half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu;
    uint32_t mantissa = half & 0x3ffu;
    float magnitude;
    if (exponent == 0) {
        magnitude = ldexpf((float)mantissa, -24); /* subnormal */
    } else if (exponent == 31) {
        magnitude = mantissa ? NAN : INFINITY;
    } else {
        magnitude = ldexpf((float)(mantissa | 0x400u), (int)exponent - 25);
    }
    uint32_t bits;
    memcpy(&bits, &magnitude, sizeof bits);
    bits |= sign;
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static float decode_position(const uint8_t *p, const spz_layout *layout, int axis) {
    if (layout->version == 1) {
        return half_to_float((uint16_t)(p[2 * axis] | p[2 * axis + 1] << 8));
    }
    const uint8_t *b = p + 3 * axis;
    uint32_t raw = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
    int32_t fixed = (raw & 0x800000u) ? (int32_t)(raw | 0xff000000u) : (int32_t)raw;
    return (float)fixed / (float)(1 << layout->fractional_bits);
}

/* Decodes a rotation to x, y, z, w (SPZ's component order). */
static void decode_rotation(const uint8_t *r, uint32_t version, float q[4]) {
    if (version < 3) {
        float sum = 0.0f;
        for (int k = 0; k < 3; k++) {
            q[k] = r[k] / 127.5f - 1.0f;
            sum += q[k] * q[k];
        }
        q[3] = sqrtf(fmaxf(0.0f, 1.0f - sum));
        return;
    }
    /* Smallest three: the top two bits name the largest component, the rest hold the other
     * three as sign + 9-bit magnitude, last component in the lowest bits. */
    uint32_t packed = ds_load_u32le(r);
    int largest = (int)(packed >> 30);
    float sum = 0.0f;
    for (int k = 3; k >= 0; k--) {
        if (k == largest) {
            continue;
        }
        uint32_t magnitude = packed & SPZ_SMALLEST_THREE_MAX;
        bool negative = (packed >> 9) & 1u;
        packed >>= 10;
        q[k] = SPZ_SQRT1_2 * (float)magnitude / (float)SPZ_SMALLEST_THREE_MAX;
        if (negative) {
            q[k] = -q[k];
        }
        sum += q[k] * q[k];
    }
    /* Crafted files can make the others' squares exceed one; clamp rather than produce NaN. */
    q[largest] = sqrtf(fmaxf(0.0f, 1.0f - sum));
}

ds_status spz_unpack(const spz_layout *layout, const uint8_t *const streams[SPZ_STREAM_COUNT],
                     ds_gaussian_cloud **out) {
    int kept_degree = layout->sh_degree < DS_SH_MAX_DEGREE ? layout->sh_degree : DS_SH_MAX_DEGREE;
    ds_gaussian_cloud *cloud;
    ds_status status = ds_gaussian_cloud_create(layout->count, kept_degree, &cloud);
    if (ds_failed(&status)) {
        return status;
    }
    cloud->antialiased = layout->antialiased;
    axis_flips flips = flips_between(layout->axes, SPZ_AXES_RDF);
    size_t position_bytes = layout->version == 1 ? 6 : 9;
    size_t rotation_bytes = layout->version >= 3 ? 4 : 3;
    size_t file_rest = rest_per_channel(layout->sh_degree);
    size_t kept_rest = rest_per_channel(kept_degree);
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < layout->count; i++) {
        for (int k = 0; k < 3; k++) {
            cloud->positions[i * 3 + k] =
                decode_position(streams[SPZ_STREAM_POSITIONS] + i * position_bytes, layout, k) *
                    flips.position[k] +
                0.0f; /* turns the -0 of a flipped zero into 0, so re-encoding is exact */
            cloud->log_scales[i * 3 + k] = streams[SPZ_STREAM_SCALES][i * 3 + k] / 16.0f - 10.0f;
            cloud->sh[i * sh_stride + k] =
                (streams[SPZ_STREAM_COLORS][i * 3 + k] / 255.0f - 0.5f) / SPZ_COLOR_SCALE;
        }
        cloud->opacity_logits[i] = ds_logit(streams[SPZ_STREAM_ALPHAS][i] / 255.0f);
        float q[4];
        decode_rotation(streams[SPZ_STREAM_ROTATIONS] + i * rotation_bytes, layout->version, q);
        float *rotation = cloud->rotations + i * 4;
        rotation[0] = q[3];
        for (int k = 0; k < 3; k++) {
            rotation[1 + k] = q[k] * flips.rotation[k] + 0.0f;
        }
        /* File: coefficient-major, channel innermost, like ours; degree 4 is dropped. */
        const uint8_t *sh =
            streams[SPZ_STREAM_SH] ? streams[SPZ_STREAM_SH] + i * file_rest * 3 : NULL;
        for (size_t j = 0; j < kept_rest; j++) {
            for (int c = 0; c < 3; c++) {
                cloud->sh[i * sh_stride + (1 + j) * 3 + (size_t)c] =
                    (sh[j * 3 + (size_t)c] - 128.0f) / 128.0f * flips.sh[j] + 0.0f;
            }
        }
    }
    *out = cloud;
    return ds_ok();
}

/* ---- encoding (rounding as in the reference library: half away from zero, then clamp) ---- */

static uint8_t to_u8(float value) {
    if (!(value > 0.0f)) {
        return 0; /* also NaN */
    }
    value = roundf(value);
    return value > 255.0f ? 255 : (uint8_t)value;
}

/* Rounds to the reference's coarser SH grid: `bits` significant bits of the byte. */
static uint8_t quantise_sh(float value, int bits) {
    int bucket = 1 << (8 - bits);
    if (isnan(value)) {
        value = 0.0f;
    }
    /* Keeps the int conversion defined; every value beyond +-1 clamps to the same byte. */
    value = fmaxf(-4.0f, fminf(4.0f, value));
    int q = (int)roundf(value * 128.0f) + 128;
    q = (q + bucket / 2) / bucket * bucket;
    return (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
}

static void encode_rotation(const float wxyz[4], const axis_flips *flips, uint32_t version,
                            uint8_t *out) {
    float norm =
        sqrtf(wxyz[1] * wxyz[1] + wxyz[2] * wxyz[2] + wxyz[3] * wxyz[3] + wxyz[0] * wxyz[0]);
    float q[4] = {0.0f, 0.0f, 0.0f, 1.0f}; /* x, y, z, w; identity for a zero quaternion */
    if (norm > 0.0f && isfinite(norm)) {
        for (int k = 0; k < 3; k++) {
            q[k] = wxyz[1 + k] / norm * flips->rotation[k];
        }
        q[3] = wxyz[0] / norm;
    }
    if (version < 3) {
        /* Only x, y, z are stored; w is rebuilt as positive, so store the hemisphere w >= 0. */
        float scale = q[3] < 0.0f ? -127.5f : 127.5f;
        for (int k = 0; k < 3; k++) {
            out[k] = to_u8(q[k] * scale + 127.5f);
        }
        return;
    }
    int largest = 0;
    for (int k = 1; k < 4; k++) {
        if (fabsf(q[k]) > fabsf(q[largest])) {
            largest = k;
        }
    }
    bool negate = q[largest] < 0.0f;
    uint32_t packed = (uint32_t)largest;
    for (int k = 0; k < 4; k++) {
        if (k == largest) {
            continue;
        }
        uint32_t sign = (q[k] < 0.0f) != negate;
        uint32_t magnitude =
            (uint32_t)(SPZ_SMALLEST_THREE_MAX * (fabsf(q[k]) / SPZ_SQRT1_2) + 0.5f);
        if (magnitude > SPZ_SMALLEST_THREE_MAX) {
            magnitude = SPZ_SMALLEST_THREE_MAX; /* float rounding at exactly sqrt(1/2) */
        }
        packed = packed << 10 | sign << 9 | magnitude;
    }
    ds_store_u32le(out, packed);
}

/* The most fractional bits (at most 12, the reference's choice) that fit every coordinate in a
 * signed 24-bit integer; -1 if even whole units do not fit or a coordinate is not finite. */
static int choose_fractional_bits(const ds_gaussian_cloud *cloud, size_t *bad_index) {
    float largest = 0.0f;
    for (size_t i = 0; i < cloud->count * 3; i++) {
        float magnitude = fabsf(cloud->positions[i]);
        if (!isfinite(magnitude)) {
            *bad_index = i / 3;
            return -1;
        }
        largest = fmaxf(largest, magnitude);
    }
    const double limit = 8388607.0; /* 2^23 - 1 */
    for (int bits = 12; bits >= 0; bits--) {
        if (largest * ldexp(1.0, bits) + 0.5 < limit) {
            return bits;
        }
    }
    *bad_index = SIZE_MAX;
    return -1;
}

static void encode_position(float value, int fractional_bits, uint8_t *out) {
    int32_t fixed = (int32_t)roundf(value * (float)(1 << fractional_bits));
    uint32_t raw = (uint32_t)fixed;
    out[0] = (uint8_t)raw;
    out[1] = (uint8_t)(raw >> 8);
    out[2] = (uint8_t)(raw >> 16);
}

ds_status spz_pack(const ds_gaussian_cloud *cloud, const spz_pack_options *options,
                   spz_layout *layout, ds_byte_buffer streams[SPZ_STREAM_COUNT]) {
    if (cloud->count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "SPZ cannot store an empty cloud");
    }
    if (cloud->count > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT, "SPZ cannot store more than 2^32-1 Gaussians");
    }
    size_t bad_index = 0;
    int fractional_bits = choose_fractional_bits(cloud, &bad_index);
    if (fractional_bits < 0) {
        if (bad_index == SIZE_MAX) {
            return ds_error(DS_ERR_ARGUMENT,
                            "positions beyond +-8388607 units do not fit SPZ's 24-bit fixed point");
        }
        return ds_error(DS_ERR_ARGUMENT, "Gaussian %zu has a non-finite position", bad_index);
    }
    *layout = (spz_layout){
        .version = options->version,
        .count = (uint32_t)cloud->count,
        .sh_degree = cloud->sh_degree,
        .fractional_bits = fractional_bits,
        .antialiased = cloud->antialiased,
        .axes = SPZ_AXES_RUB,
    };
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        if (!ds_byte_buffer_reserve(&streams[s], spz_stream_size(layout, s))) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate SPZ attribute arrays");
        }
    }
    axis_flips flips = flips_between(SPZ_AXES_RDF, SPZ_AXES_RUB);
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    size_t rest = rest_per_channel(cloud->sh_degree);
    for (size_t i = 0; i < cloud->count; i++) {
        uint8_t bytes[9];
        for (int k = 0; k < 3; k++) {
            encode_position(cloud->positions[i * 3 + k] * flips.position[k], fractional_bits,
                            bytes + 3 * k);
        }
        ds_byte_buffer_append(&streams[SPZ_STREAM_POSITIONS], bytes, 9);
        ds_byte_buffer_append_u8(&streams[SPZ_STREAM_ALPHAS],
                                 to_u8(ds_sigmoid(cloud->opacity_logits[i]) * 255.0f));
        for (int k = 0; k < 3; k++) {
            bytes[k] = to_u8(cloud->sh[i * sh_stride + k] * (SPZ_COLOR_SCALE * 255.0f) + 127.5f);
            bytes[3 + k] = to_u8((cloud->log_scales[i * 3 + k] + 10.0f) * 16.0f);
        }
        ds_byte_buffer_append(&streams[SPZ_STREAM_COLORS], bytes, 3);
        ds_byte_buffer_append(&streams[SPZ_STREAM_SCALES], bytes + 3, 3);
        encode_rotation(cloud->rotations + i * 4, &flips, layout->version, bytes);
        ds_byte_buffer_append(&streams[SPZ_STREAM_ROTATIONS], bytes, layout->version >= 3 ? 4 : 3);
        for (size_t j = 0; j < rest; j++) {
            int bits = j < 3 ? options->sh1_bits : options->sh_rest_bits;
            for (int c = 0; c < 3; c++) {
                float value = cloud->sh[i * sh_stride + (1 + j) * 3 + (size_t)c] * flips.sh[j];
                ds_byte_buffer_append_u8(&streams[SPZ_STREAM_SH], quantise_sh(value, bits));
            }
        }
    }
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        ds_status status = ds_byte_buffer_status(&streams[s]);
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}
