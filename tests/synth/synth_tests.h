/* The groups of the synthetic capture generator's test program; each runs one cmocka group. */
#ifndef DS_TESTS_SYNTH_TESTS_H
#define DS_TESTS_SYNTH_TESTS_H

int run_shapes_tests(void);
int run_figure_tests(void);
int run_rig_tests(void);
int run_capture_tests(void);

#endif
