/* k-means (being written). */
typedef int ds_unused_kmeans;
