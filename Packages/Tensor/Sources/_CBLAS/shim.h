#ifndef SALIENCYNET_CBLAS_SHIM_H
#define SALIENCYNET_CBLAS_SHIM_H
// Debian: libopenblas-dev provides cblas.h (through alternatives) and libopenblas.so.
#include <cblas.h>
// OpenBLAS extensions; declared here so the shim also compiles when cblas.h is another vendor's.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// Build configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64")
// and the name of the kernel set chosen at run time (e.g. "Haswell", "Zen").
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
