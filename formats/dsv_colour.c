/* The colour layer's bitstream (being written). */
typedef int ds_unused_dsv_colour;
