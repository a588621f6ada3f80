/* Smooth deformation of a static splat into a sequence (being written). */
typedef int ds_unused_deform_sequence;
