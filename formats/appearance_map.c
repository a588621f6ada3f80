/* Opacity and scale maps through libavcodec (being written). */
typedef int ds_unused_appearance_map;
