/* IEEE 754 binary16 ("half") <-> binary32 conversions, for codebooks stored at half precision.
 *
 * Written out rather than using _Float16 or F16C so the result is the same on every compiler
 * and CPU we support: float -> half rounds to nearest, ties to even, produces subnormals and
 * overflows to infinity; NaN stays NaN (quiet, top payload bits kept); half -> float is exact. */
#ifndef DS_FORMATS_HALF_FLOAT_H
#define DS_FORMATS_HALF_FLOAT_H

#include <stdint.h>
#include <string.h>

/* Largest finite half, 65504. */
#define DS_HALF_MAX 65504.0f

static inline uint16_t ds_half_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) {
        if (magnitude == 0x7f800000u) {
            return (uint16_t)(sign | 0x7c00u);
        }
        return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    }
    /* 65520 is halfway between the largest half and 2^16; the tie goes to the even 2^16. */
    if (magnitude >= 0x477ff000u) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (magnitude >= 0x38800000u) { /* >= 2^-14: a normal half */
        /* Round at bit 13, ties to even; a carry out of the mantissa correctly bumps the
         * exponent. 0x38000000 rebiases the exponent from 127 to 15. */
        uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
        return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
    }
    uint32_t exponent = magnitude >> 23;
    if (exponent < 102) { /* below 2^-25: rounds to zero */
        return sign;
    }
    /* Subnormal half: the value in units of 2^-24, rounded to nearest even. A result of 0x400
     * is the smallest normal half, which is the right encoding too. */
    uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exponent; /* 14..24 */
    uint32_t quotient = mantissa >> shift;
    uint32_t remainder = mantissa & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (quotient & 1u))) {
        quotient++;
    }
    return (uint16_t)(sign | quotient);
}

static inline float ds_half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu;
    uint32_t mantissa = half & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        float magnitude = (float)mantissa * 0x1p-24f; /* exact: subnormal or zero */
        memcpy(&bits, &magnitude, sizeof bits);
        bits |= sign;
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* The value a float takes once stored as a half. */
static inline float ds_half_round(float value) {
    return ds_half_to_float(ds_half_from_float(value));
}

#endif
