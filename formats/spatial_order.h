/* An order of points along a Morton (Z-order) curve over their bounding box: points next to
 * each other in it are near each other in space. The decoder of a .dsv stream derives it from
 * the canonical skin, so maps whose rows follow it (formats/dsv_appearance.h) need no stored
 * order. */
#ifndef DS_FORMATS_SPATIAL_ORDER_H
#define DS_FORMATS_SPATIAL_ORDER_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

/* order[r] = the point in row r (count entries): by 30-bit Morton code of the positions
 * (count x 3) quantised to 10 bits per axis over their bounds, ties by index. */
ds_status ds_spatial_order(const float *positions, size_t count, uint32_t *order);

#endif
