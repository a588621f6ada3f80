/* The groups of the stream codec's test program; each runs one cmocka group. */
#ifndef DS_TESTS_CODEC_TESTS_H
#define DS_TESTS_CODEC_TESTS_H

int run_appearance_map_tests(void);
int run_kmeans_tests(void);
int run_colour_layer_tests(void);
int run_skinning_decomposition_tests(void);
int run_dsv_stream_tests(void);
int run_audio_tests(void);

#endif
