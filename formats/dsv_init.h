/* The init block of a .dsv stream (docs/dsv-format.md): what every segment needs and no segment
 * repeats — the canonical skin (positions, rotations), its binding to the joints, and the joints'
 * canonical state. Positions and rotations are quantised to 16 bits: an encoder decodes what it
 * wrote (ds_dsv_canonical_decode) and works from that, so its corrections are against what a
 * player will see. */
#ifndef DS_FORMATS_DSV_INIT_H
#define DS_FORMATS_DSV_INIT_H

#include "byte_buffer.h"
#include "dualgs_state.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_dsv_canonical {
    size_t skin_count, joint_count;
    int sh_degree;
    bool antialiased;
    float *skin_positions; /* skin_count x 3 */
    float *skin_rotations; /* skin_count x 4, unit, w >= 0 */
    ds_binding binding;
    float *joint_positions; /* joint_count x 3 */
    float *joint_rotations; /* joint_count x 4 */
} ds_dsv_canonical;

/* Allocates the arrays (and the binding) for the counts, contents unset. */
ds_status ds_dsv_canonical_create(size_t skin_count, size_t joint_count, int sh_degree,
                                  ds_dsv_canonical *canonical);
void ds_dsv_canonical_free(ds_dsv_canonical *canonical);

/* weight_bits: 8 or 16, the precision of the binding's weights. */
ds_status ds_dsv_canonical_encode(const ds_dsv_canonical *canonical, int weight_bits,
                                  ds_byte_buffer *out);
ds_status ds_dsv_canonical_decode(const uint8_t *data, size_t size, ds_dsv_canonical *canonical);

#endif
