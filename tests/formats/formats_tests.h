/* The groups of the formats library's test program; each runs one cmocka group. */
#ifndef DS_TESTS_FORMATS_TESTS_H
#define DS_TESTS_FORMATS_TESTS_H

int run_gaussian_cloud_tests(void);
int run_reference_decode_tests(void);
int run_ply_tests(void);
int run_spz_tests(void);
int run_splat_tests(void);
int run_splat_file_tests(void);
int run_corruption_tests(void);
int run_cloud_stats_tests(void);
int run_png_tests(void);
int run_capture_tests(void);

#endif
