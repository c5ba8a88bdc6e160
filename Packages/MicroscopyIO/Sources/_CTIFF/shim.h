#ifndef SALIENCYNET_CTIFF_SHIM_H
#define SALIENCYNET_CTIFF_SHIM_H
// Debian: libtiff-dev provides tiffio.h and libtiff.so.
#include <tiffio.h>
#endif
