/* Skinning decomposition of a Gaussian sequence (being written). */
typedef int ds_unused_skinning_decomposition;
