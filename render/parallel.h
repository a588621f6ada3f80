/* When a data-parallel loop is worth threads. Waking OpenMP's threads costs tens of
 * microseconds on a virtual machine; a loop of cheap per-Gaussian work over a few thousand
 * Gaussians is over sooner (fitting a 160x120 capture ran twice as slow on 2 threads as on 1
 * before these thresholds). Loops use `if (DS_PARALLEL(n))`. */
#ifndef DS_RENDER_PARALLEL_H
#define DS_RENDER_PARALLEL_H

/* Items of cheap work (a few hundred instructions each) below which a loop runs on one thread. */
#define DS_PARALLEL_MIN_ITEMS 16384

#define DS_PARALLEL(items) ((items) >= DS_PARALLEL_MIN_ITEMS)

#endif
