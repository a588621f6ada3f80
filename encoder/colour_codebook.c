/* Colour layer analysis (being written). */
typedef int ds_unused_colour_codebook;
