#ifndef SALIENCYNET_CMALLOC_SHIM_H
#define SALIENCYNET_CMALLOC_SHIM_H
// glibc's heap tuning (mallopt, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD); used by TensorCore's
// Allocation.reuseFreedMemory. Part of libc: nothing to link.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#endif
