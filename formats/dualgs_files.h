/* Files of a tracked performance (docs/tracking.md): the binding, written once, and one file per
 * frame with the joints' transforms and the skin's appearance. Little-endian, each with a magic,
 * a version and a CRC-32 of everything before it; written atomically. */
#ifndef DS_FORMATS_DUALGS_FILES_H
#define DS_FORMATS_DUALGS_FILES_H

#include "byte_buffer.h"
#include "dualgs_state.h"
#include "gaussian_cloud.h"

ds_status ds_binding_encode(const ds_binding *binding, ds_byte_buffer *out);
ds_status ds_binding_decode(const uint8_t *data, size_t size, ds_binding *binding);
ds_status ds_binding_save(const char *path, const ds_binding *binding);
ds_status ds_binding_load(const char *path, ds_binding *binding);

/* A frame: its number, the transforms, and the skin's opacity, scales and SH (positions and
 * rotations are not stored: skinning gives them). */
ds_status ds_frame_encode(uint32_t frame, const ds_joint_transforms *transforms,
                          const ds_gaussian_cloud *skin, ds_byte_buffer *out);
/* Decodes into new transforms and a new cloud whose positions are zero and rotations identity. */
ds_status ds_frame_decode(const uint8_t *data, size_t size, uint32_t *frame,
                          ds_joint_transforms *transforms, ds_gaussian_cloud **skin);
ds_status ds_frame_save(const char *path, uint32_t frame, const ds_joint_transforms *transforms,
                        const ds_gaussian_cloud *skin);
ds_status ds_frame_load(const char *path, uint32_t *frame, ds_joint_transforms *transforms,
                        ds_gaussian_cloud **skin);

#endif
