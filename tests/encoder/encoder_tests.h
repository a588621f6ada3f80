/* The groups of the encoder library's test program; each runs one cmocka group. */
#ifndef DS_TESTS_ENCODER_TESTS_H
#define DS_TESTS_ENCODER_TESTS_H

int run_photometric_loss_tests(void);
int run_image_metrics_tests(void);
int run_adam_tests(void);
int run_learning_rate_tests(void);
int run_raster_backward_tests(void);
int run_fitting_tests(void);
int run_skinning_tests(void);
int run_silhouette_centroid_tests(void);
int run_tracking_tests(void);

#endif
