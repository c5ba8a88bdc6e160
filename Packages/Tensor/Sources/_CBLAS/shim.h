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
// OpenBLAS 0.3.x internals, exported by libopenblas: re-read the OPENBLAS_* environment
// variables, and stop the thread server (it restarts, with the re-read settings, on the next
// multi-threaded call). Used by BLAS.setWorkerSpinTimeout to shorten the idle workers' busy-wait.
void openblas_read_env(void);
int blas_thread_shutdown_(void);
#endif
